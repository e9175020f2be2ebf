"""Regulation constants, effective-dated. Business code reads numbers from here and nowhere else.

A rule version applies to events on or after its effective date (细则2014 and 细则2026 coexist).
A deployment may override [LOCAL] values with DANGJIAN_RULE_OVERRIDES='{"name": value, ...}'; the system
administrator may set the values in ADJUSTABLE (local or unverified ones) in the app (core.RuleSetting), which
takes precedence over both. Statutory numbers are never adjustable in the app.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import time
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class RuleVersion:
    name: str
    effective: dt.date
    values: dict


# 《关于中国共产党党费收缴、使用和管理的规定》(中组部, in force from 2008-04-01). Money as decimal strings.
DUES_2008 = {
    # 第二条: monthly after-tax pay of employed members; each upper bound belongs to its bracket.
    "dues_employed_brackets": [["3000", "0.005"], ["5000", "0.01"], ["10000", "0.015"], [None, "0.02"]],
    # 第五条: pension or retirement pay actually received.
    "dues_retired_brackets": [["5000", "0.005"], [None, "0.01"]],
    # 第六条: farmers pay 0.2–1 yuan a month, the province sets the figure [LOCAL] within that range.
    "dues_farmer_monthly": "0.2",
    "dues_farmer_range": ["0.2", "1"],
    # 第六条: students, the laid-off and unemployed, those living on pensions or relief or the minimum allowance.
    "dues_flat_monthly": "0.2",
    # Back-payment and prepayment are limited to 6 months (旗帜网 summary of the practice) [V-2nd].
    "dues_back_pay_months": 6,
    "dues_prepay_months": 6,
    # 第十一条: a single voluntary payment of 1000 yuan or more goes entirely to the Centre.
    "dues_central_remittance_threshold": "1000",
    # Arrears: a reminder to the secretary after 3 unpaid months [LOCAL]; 6 consecutive months without good
    # reason is 自行脱党 (党章 第九条).
    "dues_arrears_notice_months": 3,
    "dues_arrears_lapse_months": 6,
}

# 组织关系介绍信: normally valid for up to 3 months (sources differ; a deployment may set its own) [LOCAL].
TRANSFERS = {
    "transfer_letter_valid_months": 3,
    # The approvals a transfer inside the system passes before the receiving organisation accepts it, by level:
    # between organisations under the same 党委, or across 党委. "sender_committee": the sending 党委 approves;
    # "receiver_committee": the receiving 党委 agrees. The 教育条例 第二十五条 requires neither beyond the sending
    # 党委's handling; provinces differ [LOCAL].
    "transfer_steps": {"within_committee": ["sender_committee"], "across_committees": ["sender_committee"]},
}

# Committees, terms and elections (换届) and organisation setup (组织设置): RULES.md §3.
GOVERNANCE = {
    # 中办《关于党的基层组织任期的意见》(2018): 基层党委 normally 5 years, 总支 and 支部 3 years.
    "term_years": {"committee": 5, "working_committee": 5, "general_branch": 3, "branch": 3, "joint_branch": 3,
                   "temporary_branch": 3},
    # Same 意见: the 党委, 总支 and 支部 of villages and communities serve 5 years.
    "term_years_village_community": 5,
    # Holding the election within this many months before the term ends counts as on time [LOCAL]; earlier is
    # 提前换届, after the end 延期换届, both with the higher organisation's approval (选举工作条例 第三条).
    "term_on_time_window_months": 3,
    # 选举工作条例 第三条: an early or late election normally differs by no more than 1 year.
    "term_max_shift_years": 1,
    # The higher organisation reminds about 6 months before expiry (旗帜网); local rules add 2 months [LOCAL].
    "term_reminder_months": [6, 2],
    # More than 4/5 of the voting members due to attend must be present (基层组织选举的有关规定) [V-2nd].
    "election_quorum": [4, 5],
    # Committee candidates at least 20% more than the seats, rounded up; 书记、副书记 are uncontested [V-2nd].
    "election_candidate_margin": "0.2",
    # A by-election (补选) may be contested or not [LOCAL]: 0 means as many candidates as vacancies suffice.
    "by_election_candidate_margin": "0",
    # A winner needs more than half of the votes of those present with voting rights [V-2nd].
    "election_win_share": [1, 2],
    # 支部工作条例 第二十三条: a secretary normally has at least 1 year of 党龄.
    "secretary_min_party_standing_years": 1,
    # 支部工作条例: 7 or more full members → a 支部委员会.
    "committee_required_full_members": 7,
    # Committee sizes [minimum, usual maximum, maximum]: 支部 3–5 (≤7); 总支 5–7 (≤9); 党委 5–9 [V-2nd, practice].
    "committee_size": {"branch": [3, 5, 7], "joint_branch": [3, 5, 7], "temporary_branch": [3, 5, 7],
                       "general_branch": [5, 7, 9], "committee": [5, 9, 9], "working_committee": [5, 9, 9]},
    # 支部工作条例 ch.2: a 联合党支部 normally covers no more than 5 units.
    "joint_branch_max_units": 5,
    # Deputy secretaries: a branch sets one if needed; larger committees normally no more than 2 [practice].
    "deputy_secretaries_max": 2,
    # 支部工作条例 第十二条: a 支委会 meeting needs more than half of the committee members present.
    "committee_meeting_quorum": [1, 2],
}

# Member lifecycle: lost contact, 停止党籍, 除名, discipline, mobile members.
LIFECYCLE = {
    # 教育条例 第二十四条: out of contact for 6 months or more and still unreachable → 停止党籍.
    "lost_contact_suspend_months": 6,
    # 教育条例 第二十四条: after 2 years of 停止党籍 still unreachable → 除名 (自行脱党).
    "suspended_removal_years": 2,
    # 教育条例 第二十四条: abroad for study more than 5 years without returning → generally 停止党籍.
    "abroad_study_suspend_years": 5,
    # 党章 纪律 chapter: 留党察看 lasts at most 2 years (one or two years); no vote or election rights meanwhile.
    "probation_within_party_max_years": 2,
    # 中组部《流动党员活动证》: the certificate is reviewed (年审) once a year.
    "mobile_certificate_review_months": 12,
    # 教育条例 第三十二、三十四条: the home organisation keeps in touch at least every 6 months.
    "mobile_contact_interval_months": 6,
    # 纪律处分条例: the impact period (影响期) of 警告 1 year, 严重警告 18 months, 撤销党内职务 2 years, during which a
    # member "should not" introduce applicants (细则2026 第十四条) [V-2nd].
    "sanction_impact_months": {"warning": 12, "serious_warning": 18, "removal_from_post": 24},
}
# Early warnings (亮灯预警) and rectification (督办): how long a task may stay open, and when a late conversion turns red.
ALERTS = {
    # Days to rectify, by the level of the finding [LOCAL]; an overdue task escalates to the organisation above.
    "rectification_days": {"yellow": 30, "red": 15},
    # A probation ended without the branch deciding on conversion: yellow at once, red after this many months [LOCAL].
    "probation_overdue_red_months": 3,
}
# Organisational life (组织生活): 三会一课, 主题党日, 组织生活会, 民主评议, 谈心谈话, check-in and study hours (RULES.md §2).
ORGLIFE = {
    # How often each kind is due: "month", "quarter" or "year". 支部条例 第十一、十二、十三条; 教育条例 第十六至十八条.
    # 党课 quarterly is local practice, not found in the 条例 text [LOCAL]; every entry may be overridden.
    "orglife_frequency": {"general_meeting": "quarter", "committee_meeting": "month", "group_meeting": "month",
                          "party_lecture": "quarter", "theme_day": "month", "life_meeting": "year",
                          "democratic_appraisal": "year"},
    # 谈心谈话 between committee members, committee members and members, and members: at least once a year each.
    "heart_talk_frequency": "year",
    # 教育条例 第二十条: at least 32 学时 of concentrated study a year for every member.
    "study_hours_per_year": 32,
    # Which kinds credit study hours to the members present, and how many minutes make one 学时 [LOCAL].
    "study_hour_kinds": ["party_lecture", "theme_day", "general_meeting", "group_meeting", "life_meeting"],
    "study_hour_minutes": 45,
    # Study hours behind the pro-rata pace of the year: yellow; below this share of the pace: red [LOCAL].
    "study_pace_red_share": [1, 2],
    # 民主评议: 优秀 at most 1/3 of the members graded (共产党员网 专题).
    "appraisal_excellent_share": [1, 3],
    # Check-in: the QR token changes every 30 seconds; the previous window is still accepted (a phone scanning at the
    # turn of a window), never older ones. Check-in opens this many minutes before the start and closes this many
    # after the end [LOCAL]; the default radius around the meeting place when a location check is asked for.
    "checkin_token_seconds": 30,
    "checkin_margin_minutes": 30,
    "checkin_radius_metres": 500,
    # A kind not yet held this many days before its period ends turns yellow (组织生活会: from Q4) [LOCAL].
    "orglife_reminder_days": {"month": 7, "quarter": 15, "year": 92},
}

# -- analytics (指标与活力指数): local practice, no regulation fixes these numbers [LOCAL] ---------------------------
ANALYTICS = {
    # 党员活力指数: points per behaviour fact of the last 12 months, by kind: [points per unit, most points] (decimal
    # strings); the unit is one fact, or one 学时 for study; for dues one month paid, net of the reversed ones.
    # The sum is at most 100.
    "vitality_points": {"attendance": ["5", "40"], "check_in": ["2", "10"], "study": ["1", "32"],
                        "dues_payment": ["2", "24"], "login": ["0.5", "6"], "task_step": ["1", "5"],
                        "recruitment_step": ["1", "5"]},
    # A member is active when they left at least one fact within this many days (党组织活跃度).
    "vitality_active_days": 90,
    # 支部活力指数: the weights of the members' average vitality, the 组织生活规范指数 and the 党组织活跃度 (each on a
    # 0..100 scale); the index is their weighted mean.
    "branch_vitality_weights": {"member_avg": 50, "compliance": 30, "activity": 20},
}

# -- recruitment (发展党员): RULES.md §1 ----------------------------------------------------------------------------
RECRUITMENT = {
    # 细则 第七条: the organisation talks with the applicant within 1 month of receiving the application.
    "application_talk_months": 1,
    # 细则 第九条: 1–2 full members as contact persons (培养联系人).
    "contact_persons_range": [1, 2],
    # 细则2026 第十一条: the branch assesses each activist once every half year.
    "activist_assessment_months": 6,
    # 细则 第十三条: at least 1 year as an activist before becoming a development target.
    "activist_min_years": 1,
    # 细则 第十四条: exactly 2 full members introduce.
    "introducers_count": 2,
    # 细则 第十七条: short concentrated training of normally ≥ 3 days or ≥ 24 学时.
    "training_min_days": 3,
    "training_min_hours": 24,
    # 细则2026 第十八条: a candidate leaving the unit within 3 months is normally not admitted.
    "leaving_no_admit_months": 3,
    # 细则2026 第十九、二十条: present voting members > 1/2 of those due; yes votes > 1/2 of those due.
    "branch_meeting_quorum": [1, 2],
    "branch_meeting_pass": [1, 2],
    # 细则 第二十二条: only a 党委 approves; a 党总支 reviews. 党工委 exercise a 党委's powers here [LOCAL].
    "admission_approver_org_types": ["committee", "working_committee"],
    # 细则 第二十五条: approval within 3 months of the branch resolution, never beyond 6 months.
    "admission_approval_months": [3, 6],
    # 细则 第三十一条; 党章 第七条: extension of probation once, 6 to 12 months.
    "probation_extension_months": [6, 12],
    # 细则2026 第三十三条: the 党委 approves conversion within 3 months.
    "conversion_approval_months": 3,
    # 细则2026 第三十四条: a transferred-in 预备党员's conversion discussion may be postponed up to 6 months.
    "transferred_conversion_delay_months": 6,
    # A time limit shows as "due soon" on the home page this many days ahead [LOCAL].
    "recruitment_due_soon_days": 14,
    # 细则 第二十二条: a 基层党委 under a 乡镇（街道）党委 reviews but cannot approve. Which organisations are 乡镇（街道）
    # 党委 (and 街道党工委) is the deployment's to say, by code [LOCAL]; and the 基层党委 under them that the county
    # committee has authorised to approve all the same [LOCAL, UNVERIFIED: the authorisation is county practice].
    "township_committee_codes": [],
    "township_authorised_approver_codes": [],
    # 思想汇报: activists and 预备党员 hand in a thought report at least this often (months); local practice, not in the
    # 细则 text [LOCAL].
    "thought_report_months": 3,
}
RECRUITMENT_2014 = {
    # 细则2014 第十三条: the 支委会 decides and reports to the higher 党委 for filing (备案); no 公示 required.
    "target_higher_action": "filing",
    "public_notice_working_days": 0,
    # 细则2014 第二十条 set no time between the 预审 and the branch meeting, nor for the oath (0 = no limit).
    "meeting_after_prereview_months": 0,
    "oath_after_approval_months": 0,
    # 细则2014 barred only unrestored 留党察看 from introducing; 2026 adds "should not" within impact periods.
    "introducer_sanction_warning": False,
}
RECRUITMENT_2026 = {
    # 细则2026 第十三条: the higher 党委 must agree (同意), then a 公示 of ≥ 5 working days before listing.
    "target_higher_action": "consent",
    "public_notice_working_days": 5,
    # 细则2026 第十九条: the branch meeting within 1 month of passing the 预审.
    "meeting_after_prereview_months": 1,
    # 细则2026 第二十九条: the oath normally within 1 month of approval.
    "oath_after_approval_months": 1,
    "introducer_sanction_warning": True,
}
RECRUITMENT_CITATIONS = {
    "application_talk_months": "《中国共产党发展党员工作细则》第七条",
    "contact_persons_range": "《中国共产党发展党员工作细则》第九条",
    "activist_assessment_months": "《中国共产党发展党员工作细则》第十一条",
    "activist_min_years": "《中国共产党发展党员工作细则》第十三条",
    "introducers_count": "《中国共产党发展党员工作细则》第十四条",
    "training_min_days": "《中国共产党发展党员工作细则》第十七条",
    "training_min_hours": "《中国共产党发展党员工作细则》第十七条",
    "leaving_no_admit_months": "《中国共产党发展党员工作细则》第十八条",
    "branch_meeting_quorum": "《中国共产党发展党员工作细则》第十九条",
    "branch_meeting_pass": "《中国共产党发展党员工作细则》第二十条",
    "admission_approver_org_types": "《中国共产党发展党员工作细则》第二十二条",
    "admission_approval_months": "《中国共产党发展党员工作细则》第二十五条",
    "probation_extension_months": "《中国共产党发展党员工作细则》第三十一条、《中国共产党章程》第七条",
    "conversion_approval_months": "《中国共产党发展党员工作细则》第三十三条",
    "transferred_conversion_delay_months": "《中国共产党发展党员工作细则》第三十四条",
    "recruitment_due_soon_days": "本地规定（时限到期前提醒）",
    "township_committee_codes": "《中国共产党发展党员工作细则》第二十二条",
    "township_authorised_approver_codes": "《中国共产党发展党员工作细则》第二十二条及县级党委的授权",
    "thought_report_months": "本地规定（入党积极分子、预备党员每季度至少递交一次思想汇报）",
    "not_recognised": "《中国共产党发展党员工作细则》第四十一条",
    "posthumous_admission": "《中国共产党发展党员工作细则》第二十七条",
    "file_transfer": "《中国共产党发展党员工作细则》第十二条",
    "target_higher_action": "《中国共产党发展党员工作细则》第十三条",
    "public_notice_working_days": "《中国共产党发展党员工作细则》（2026年）第十三条",
    "meeting_after_prereview_months": "《中国共产党发展党员工作细则》（2026年）第十九条",
    "oath_after_approval_months": "《中国共产党发展党员工作细则》（2026年）第二十九条",
    "introducer_sanction_warning": "《中国共产党发展党员工作细则》（2026年）第十四条",
    "political_review": "《中国共产党发展党员工作细则》第十六条",
    "pre_review": "《中国共产党发展党员工作细则》第十八条",
    "committee_talk": "《中国共产党发展党员工作细则》第二十三条",
    "probation_start": "《中国共产党发展党员工作细则》第三十一条、《中国共产党章程》第七条",
    "party_standing_start": "《中国共产党发展党员工作细则》第三十三条、《中国共产党章程》第七条",
}
# -- end of recruitment ---------------------------------------------------------------------------------------------

VERSIONS: list[RuleVersion] = [
    RuleVersion(
        "2014",
        dt.date(2014, 6, 11),
        {
            # 党章 第一条; 细则 第五条: applicants are at least 18 years old.
            "min_age_join": 18,
            # 支部工作条例 第四条: a branch normally has no more than 50 members [V-2nd].
            "branch_max_members": 50,
            # 支部工作条例: a branch needs at least 3 full members [V-2nd].
            "branch_min_full_members": 3,
            # 细则2014: the probation period is one year.
            "probation_years": 1,
            **DUES_2008,
            **TRANSFERS,
            **GOVERNANCE,
            **LIFECYCLE,
            **ALERTS,
            **ORGLIFE,
            **ANALYTICS,
            **RECRUITMENT,
            **RECRUITMENT_2014,
        },
    ),
    RuleVersion(
        "2026",
        dt.date(2026, 5, 11),
        {
            "min_age_join": 18,
            "branch_max_members": 50,
            "branch_min_full_members": 3,
            # 细则2026 第三十一条: the probation period is one year.
            "probation_years": 1,
            **DUES_2008,
            **TRANSFERS,
            **GOVERNANCE,
            **LIFECYCLE,
            **ALERTS,
            **ORGLIFE,
            **ANALYTICS,
            **RECRUITMENT,
            **RECRUITMENT_2026,
        },
    ),
]

CITATIONS = {
    "min_age_join": "《中国共产党章程》第一条、《中国共产党发展党员工作细则》第五条",
    "branch_max_members": "《中国共产党支部工作条例（试行）》第四条",
    "branch_min_full_members": "《中国共产党支部工作条例（试行）》第四条",
    "probation_years": "《中国共产党发展党员工作细则》预备期的规定",
    "dues_employed_brackets": "《关于中国共产党党费收缴、使用和管理的规定》第二条",
    "dues_retired_brackets": "《关于中国共产党党费收缴、使用和管理的规定》第五条",
    "dues_farmer_monthly": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_flat_monthly": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_farmer_range": "《关于中国共产党党费收缴、使用和管理的规定》第六条",
    "dues_back_pay_months": "党费收缴的有关规定（补缴一般不超过 6 个月）",
    "dues_prepay_months": "党费收缴的有关规定（预缴一般不超过 6 个月）",
    "dues_central_remittance_threshold": "《关于中国共产党党费收缴、使用和管理的规定》第十一条",
    "dues_arrears_notice_months": "本地规定",
    "dues_arrears_lapse_months": "《中国共产党章程》第九条",
    "transfer_letter_valid_months": "组织关系介绍信有效期的有关规定（一般不超过 3 个月）",
    "transfer_steps": "《中国共产党党员教育管理工作条例》第二十五条及本地组织关系转接办法",
    "term_years": "中共中央办公厅《关于党的基层组织任期的意见》",
    "term_years_village_community": "中共中央办公厅《关于党的基层组织任期的意见》",
    "term_on_time_window_months": "本地规定（届满前按期换届的时间窗口）",
    "term_max_shift_years": "《中国共产党基层组织选举工作条例》第三条",
    "term_reminder_months": "上级党组织提前提醒换届的有关规定（届满前约 6 个月，本地另有 2 个月提醒）",
    "election_quorum": "基层组织选举的有关规定（到会有选举权的党员须超过应到会人数的五分之四）",
    "election_candidate_margin": "基层组织选举的有关规定（委员候选人差额不少于 20%）",
    "by_election_candidate_margin": "本地规定（补选可以等额）",
    "election_win_share": "基层组织选举的有关规定（被选举人获得的赞成票超过实到会有选举权人数的一半始得当选）",
    "secretary_min_party_standing_years": "《中国共产党支部工作条例（试行）》第二十三条",
    "committee_required_full_members": "《中国共产党支部工作条例（试行）》第二十条（正式党员 7 人以上的应当设立支部委员会）",
    "committee_size": "《中国共产党支部工作条例（试行）》及基层党组织委员职数的有关规定",
    "joint_branch_max_units": "《中国共产党支部工作条例（试行）》第二章（联合党支部覆盖单位一般不超过 5 个）",
    "deputy_secretaries_max": "基层党组织设置副书记的有关规定（一般为 1—2 名）",
    "committee_meeting_quorum": "《中国共产党支部工作条例（试行）》第十二条（有半数以上委员到会方能举行）",
    # Citations of setup rules that carry no number of their own.
    "secretary_required": "《中国共产党支部工作条例（试行）》第二十一条（书记由选举产生，报上级党组织批准）",
    "group_members": "《中国共产党支部工作条例（试行）》第十三条（党员人数较多或党员工作地、居住地比较分散的党支部，按照便于组织开展活动的原则划分若干党小组）",
    "lost_contact_suspend_months": "《中国共产党党员教育管理工作条例》第二十四条",
    "suspended_removal_years": "《中国共产党党员教育管理工作条例》第二十四条",
    "abroad_study_suspend_years": "《中国共产党党员教育管理工作条例》第二十四条",
    "probation_within_party_max_years": "《中国共产党章程》第四十条、《中国共产党基层组织选举工作条例》第五条",
    "mobile_certificate_review_months": "《流动党员活动证》使用管理的有关规定（每年年审一次）",
    "mobile_contact_interval_months": "《中国共产党党员教育管理工作条例》第三十二条、第三十四条",
    "rectification_days": "本地规定（督办整改时限）",
    "probation_overdue_red_months": "《中国共产党发展党员工作细则》（预备期满，党支部应当及时讨论其能否转为正式党员）",
    "sanction_impact_months": "《中国共产党纪律处分条例》关于处分影响期的规定、《中国共产党发展党员工作细则》第十四条",
    # Organisational life (组织生活).
    "orglife_frequency": "《中国共产党支部工作条例（试行）》第十一至十三条（党员大会一般每季度、支委会一般每月、党小组会一般每月）、"
                         "《中国共产党党员教育管理工作条例》第十六至十八条（主题党日每月、组织生活会每年至少一次、民主评议一般每年一次）；"
                         "党课每季度为本地规定",
    "heart_talk_frequency": "《中国共产党支部工作条例（试行）》组织生活有关规定（谈心谈话每年至少 1 次）",
    "study_hours_per_year": "《中国共产党党员教育管理工作条例》第二十条（每年集中学习培训不少于 32 学时）",
    "study_hour_kinds": "本地规定（计入学时的组织生活类别）",
    "study_hour_minutes": "本地规定（每学时分钟数）",
    "study_pace_red_share": "本地规定（学时进度预警）",
    "appraisal_excellent_share": "民主评议党员的有关规定（评定为优秀的一般不超过参评党员的三分之一）",
    "checkin_token_seconds": "本平台签到安全设置（签到码每 30 秒更换）",
    "checkin_margin_minutes": "本地规定（会议开始前、结束后可签到的时间）",
    "checkin_radius_metres": "本地规定（签到位置范围）",
    "orglife_reminder_days": "本地规定（周期结束前提醒天数）",
    "general_meeting_vote": "《中国共产党支部工作条例（试行）》第十一条（有表决权的到会党员超过半数方可进行表决，赞成人数超过应到会"
                            "有表决权党员的半数为通过）",
    "vitality_points": "本地规定（党员活力指数各类行为的计分）",
    "vitality_active_days": "本地规定（党组织活跃度统计天数）",
    "branch_vitality_weights": "本地规定（支部活力指数的构成权重）",
    **RECRUITMENT_CITATIONS,
}


# The local ([LOCAL]) and unverified ([V-2nd], practice) values the system administrator may set in the app, with the
# name the settings page shows. Statutory numbers (age 18, one-year probation, 6 months of arrears …) are not here.
ADJUSTABLE = {
    "branch_max_members": "党支部党员人数上限",
    "dues_farmer_monthly": "农民党员每月党费（元）",
    "dues_back_pay_months": "补缴党费最多月数",
    "dues_prepay_months": "预缴党费最多月数",
    "dues_arrears_notice_months": "欠缴党费提醒月数",
    "transfer_letter_valid_months": "组织关系介绍信有效期（月）",
    "transfer_steps": "组织关系转接审批环节",
    "term_on_time_window_months": "按期换届时间窗口（届满前月数）",
    "term_reminder_months": "换届提醒（届满前月数）",
    "election_quorum": "选举到会人数比例（须超过）",
    "election_candidate_margin": "委员候选人差额比例",
    "by_election_candidate_margin": "补选候选人差额比例",
    "election_win_share": "当选所需赞成票比例（须超过）",
    "committee_size": "委员会职数（最少、一般最多、最多）",
    "deputy_secretaries_max": "副书记职数上限",
    "sanction_impact_months": "处分影响期（月）",
    "rectification_days": "督办整改时限（天）",
    "probation_overdue_red_months": "预备期满未转正转红灯月数",
    "orglife_frequency": "组织生活开展频次（月、季、年）",
    "orglife_reminder_days": "组织生活周期结束前提醒天数",
    "study_hour_kinds": "计入学时的组织生活类别",
    "study_hour_minutes": "每学时分钟数",
    "study_pace_red_share": "学时低于进度此比例为红灯",
    "checkin_margin_minutes": "会前会后可签到分钟数",
    "checkin_radius_metres": "签到位置范围（米）",
    "admission_approver_org_types": "可审批接收预备党员的党组织类型",
    "recruitment_due_soon_days": "发展党员时限提前提醒天数",
    "vitality_points": "党员活力指数计分（每项分值、上限）",
    "vitality_active_days": "党组织活跃度统计天数",
    "branch_vitality_weights": "支部活力指数构成权重（%）",
    "township_committee_codes": "乡镇（街道）党委的组织代码（其所属基层党委只审议不审批预备党员）",
    "township_authorised_approver_codes": "经县级党委授权可审批预备党员的乡镇（街道）所属基层党委代码",
    "thought_report_months": "入党积极分子、预备党员递交思想汇报间隔（月）",
}
SETTINGS_TTL_SECONDS = 5.0  # another process sees a change made in the app within this time
_settings = {"loaded_at": float("-inf"), "values": {}}


def forget_settings() -> None:
    """Drop the cached in-app settings (after a change, and between tests)."""
    _settings["loaded_at"] = float("-inf")


def _in_app_settings() -> dict:
    now = time.monotonic()
    if now - _settings["loaded_at"] > SETTINGS_TTL_SECONDS:
        from django.db import DatabaseError, transaction

        from dangjian.core.models import RuleSetting

        try:
            with transaction.atomic():  # a savepoint: before the table exists (migrating), nothing is set
                values = dict(RuleSetting.objects.values_list("name", "value"))
        except DatabaseError:
            values = {}
        _settings.update(loaded_at=now, values=values)
    return _settings["values"]


def source(name: str) -> str:
    """Where the value in force comes from: 'app' (set by the administrator), 'deployment' or 'regulation'."""
    if name in _in_app_settings():
        return "app"
    return "deployment" if name in _overrides() else "regulation"


def _overrides() -> dict:
    """A typo in the deployment must stop the system with a clear message, not surface as errors at random."""
    raw = os.environ.get("DANGJIAN_RULE_OVERRIDES", "")
    if not raw:
        return {}
    return _parsed_overrides(raw)


@functools.lru_cache(maxsize=8)  # read once per distinct setting, not on every rule lookup
def _parsed_overrides(raw: str) -> dict:
    try:
        overrides = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DANGJIAN_RULE_OVERRIDES 不是有效的 JSON：{exc}") from None
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured('DANGJIAN_RULE_OVERRIDES 应为 JSON 对象，如 {"branch_max_members": 40}')
    unknown = sorted(set(overrides) - set(VERSIONS[-1].values))
    if unknown:
        raise ImproperlyConfigured(f"DANGJIAN_RULE_OVERRIDES 含有未知的规则名：{'、'.join(unknown)}")
    return overrides


def version_at(on: dt.date | None = None) -> RuleVersion:
    on = on or dt.date.today()
    applicable = [v for v in VERSIONS if v.effective <= on]
    return applicable[-1] if applicable else VERSIONS[0]


def value(name: str, on: dt.date | None = None):
    in_app = _in_app_settings()
    if name in in_app:
        return in_app[name]
    overrides = _overrides()
    if name in overrides:
        return overrides[name]
    return version_at(on).values[name]


def regulation_value(name: str, on: dt.date | None = None):
    """The value the rule version in force on `on` gives, ignoring every override."""
    return version_at(on).values[name]


def citation(name: str) -> str:
    return CITATIONS.get(name, "")
