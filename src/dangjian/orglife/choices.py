"""Kinds of organisational life (组织生活) and the states of their records; names follow the glossary."""

from django.db import models


class MeetingKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", "支部党员大会"
    COMMITTEE_MEETING = "committee_meeting", "支部委员会会议"
    GROUP_MEETING = "group_meeting", "党小组会"
    PARTY_LECTURE = "party_lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    DEMOCRATIC_APPRAISAL = "democratic_appraisal", "民主评议党员"


# 三会一课 and 主题党日: the kinds a regular warning checks every period.
REGULAR_KINDS = (MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE_MEETING, MeetingKind.GROUP_MEETING,
                 MeetingKind.PARTY_LECTURE, MeetingKind.THEME_DAY)
YEARLY_KINDS = (MeetingKind.LIFE_MEETING, MeetingKind.DEMOCRATIC_APPRAISAL)


class MeetingState(models.TextChoices):
    PLANNED = "planned", "已计划"
    HELD = "held", "已召开"
    SUBMITTED = "submitted", "待上级审核"
    APPROVED = "approved", "审核通过"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已取消"


HELD_STATES = (MeetingState.HELD, MeetingState.SUBMITTED, MeetingState.APPROVED, MeetingState.RETURNED)


class Recurrence(models.TextChoices):
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"


class Presence(models.TextChoices):
    PENDING = "pending", "未签到"
    PRESENT = "present", "出席"
    LEAVE_APPROVED = "leave_approved", "请假（已批准）"
    LEAVE_REFUSED = "leave_refused", "请假（未批准）"
    ABSENT = "absent", "缺席"


class CheckInMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    ON_BEHALF = "on_behalf", "代签到"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASICALLY_QUALIFIED = "basically_qualified", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class TalkCategory(models.TextChoices):
    COMMITTEE_COMMITTEE = "committee_committee", "支委之间"
    COMMITTEE_MEMBER = "committee_member", "支委与党员之间"
    MEMBER_MEMBER = "member_member", "党员之间"


class Period(models.TextChoices):
    MONTH = "month", "月"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年"
