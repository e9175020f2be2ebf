"""Stages and steps of recruitment (发展党员): 5 stages, 25 steps (RULES.md §1.3), plus the steps 细则2026 adds."""

from __future__ import annotations

from django.db import models


class Stage(models.TextChoices):
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    DEVELOPMENT_TARGET = "development_target", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    CANCELLED = "cancelled", "已取消预备党员资格"
    CLOSED = "closed", "已终止发展"
    NOT_RECOGNISED = "not_recognised", "不予承认"



# The procedure is over: nothing but the archiving follows.
ENDED_STAGES = (Stage.FULL, Stage.CANCELLED, Stage.CLOSED, Stage.NOT_RECOGNISED)


class StepKind(models.TextChoices):
    APPLICATION = "application", "(1) 递交入党申请书"
    APPLICATION_TALK = "application_talk", "(2) 党组织派人谈话"
    ACTIVIST_DETERMINATION = "activist_determination", "(3) 推荐和确定入党积极分子"
    ACTIVIST_FILING = "activist_filing", "(4) 报上级党委备案"
    CONTACT_PERSONS = "contact_persons", "(5) 指定培养联系人"
    ACTIVIST_ASSESSMENT = "activist_assessment", "(6) 培养教育考察（每半年一次）"
    TARGET_CONSENT = "target_consent", "(8) 报上级党委同意（细则2026）"
    PUBLIC_NOTICE = "public_notice", "公示（细则2026，不少于 5 个工作日）"
    TARGET_DETERMINATION = "target_determination", "(7) 确定发展对象"
    TARGET_FILING = "target_filing", "(8) 报上级党委备案（细则2014）"
    INTRODUCERS = "introducers", "(9) 确定入党介绍人"
    POLITICAL_REVIEW = "political_review", "(10) 政治审查"
    TRAINING = "training", "(11) 短期集中培训"
    COMMITTEE_REVIEW = "committee_review", "(12) 支部委员会审查"
    PRE_REVIEW = "pre_review", "(13) 上级党委预审"
    APPLICATION_FORM = "application_form", "(14) 填写入党志愿书"
    ADMISSION_MEETING = "admission_meeting", "(15) 支部党员大会讨论接收预备党员"
    GENERAL_BRANCH_REVIEW = "general_branch_review", "党总支审议"
    COMMITTEE_TALK = "committee_talk", "(16) 上级党委派人谈话"
    ADMISSION_APPROVAL = "admission_approval", "(17) 上级党委审批"
    APPROVAL_FILING = "approval_filing", "(18) 报上级组织部门备案"
    GROUP_ASSIGNMENT = "group_assignment", "(19) 编入党支部和党小组"
    OATH = "oath", "(20) 入党宣誓"
    PROBATION_ASSESSMENT = "probation_assessment", "(21) 继续教育考察"
    CONVERSION_POSTPONEMENT = "conversion_postponement", "转入预备党员推迟讨论转正"
    CONVERSION_APPLICATION = "conversion_application", "(22) 提出转正申请"
    CONVERSION_MEETING = "conversion_meeting", "(23) 支部党员大会讨论转正"
    CONVERSION_APPROVAL = "conversion_approval", "(24) 上级党委审批转正"
    ARCHIVING = "archiving", "(25) 材料归档"
    CLOSURE = "closure", "终止发展"
    NOT_RECOGNISED = "not_recognised", "不予承认（细则第四十一条）"
    FILE_MOVED = "file_moved", "发展党员材料转移至其他党支部"


# Steps that may be recorded more than once (assessments; contact persons replaced; a failed or repeated vote).
REPEATABLE = {StepKind.CONTACT_PERSONS, StepKind.ACTIVIST_ASSESSMENT, StepKind.PROBATION_ASSESSMENT,
              StepKind.ADMISSION_MEETING, StepKind.CONVERSION_MEETING, StepKind.CONVERSION_APPROVAL,
              StepKind.PUBLIC_NOTICE, StepKind.ADMISSION_APPROVAL, StepKind.FILE_MOVED}
# Recorded by their own actions (the application, a move to another branch), not through the step form.
OWN_ACTION_STEPS = {StepKind.APPLICATION, StepKind.FILE_MOVED}
# Decided by the higher 党委 (`recruitment.approve`); the rest are the branch's (`recruitment.manage`).
COMMITTEE_STEPS = {StepKind.ACTIVIST_FILING, StepKind.TARGET_CONSENT, StepKind.TARGET_FILING, StepKind.PRE_REVIEW,
                   StepKind.COMMITTEE_TALK, StepKind.ADMISSION_APPROVAL, StepKind.APPROVAL_FILING,
                   StepKind.CONVERSION_APPROVAL, StepKind.NOT_RECOGNISED}
# Steps the 党委 itself must take: a 党总支 reviews, never approves (细则 第二十二条).
APPROVALS = {StepKind.ADMISSION_APPROVAL, StepKind.CONVERSION_APPROVAL, StepKind.PRE_REVIEW, StepKind.TARGET_CONSENT,
             StepKind.NOT_RECOGNISED}


class PersonRole(models.TextChoices):
    TALKER = "talker", "谈话人"
    CONTACT = "contact", "培养联系人"
    INTRODUCER = "introducer", "入党介绍人"


class MeetingType(models.TextChoices):
    COMMITTEE = "committee", "支部委员会会议"
    GENERAL_MEETING = "general_meeting", "支部党员大会（未设支委会）"


class Outcome(models.TextChoices):
    CONVERT = "convert", "按期转为正式党员"
    EXTEND = "extend", "延长预备期"
    CANCEL = "cancel", "取消预备党员资格"


class DocumentKind(models.TextChoices):
    ACTIVIST_RECORD = "activist_record", "入党积极分子确定登记表"
    PUBLIC_NOTICE = "public_notice", "发展对象公示"
    ADMISSION_RESOLUTION = "admission_resolution", "支部大会接收预备党员决议"
    APPROVAL_NOTICE = "approval_notice", "预备党员审批通知"
    CONVERSION = "conversion", "预备党员转正决议及审批意见"
