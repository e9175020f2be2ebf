"""One test per rule of RULES.md §1, for both rule versions where they differ, with boundary dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.accounts import actions as account_actions
from dangjian.accounts.roles import RoleName
from dangjian.members.actions.discipline import do_record_disciplinary_action
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.recruitment.choices import Outcome, PersonRole, Stage, StepKind as K
from recruiting import (
    SCHEDULE_2014, add_member, apply, candidate_2014, candidate_2026, record, walk,
)

pytestmark = pytest.mark.django_db
D = dt.date


def refused(field, call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


# -- 1.1 age ---------------------------------------------------------------------------------------------------------

def test_applicant_born_29_february_is_18_on_28_february(world):
    message = refused("applied_on", apply, world, D(2026, 2, 27), birth=D(2008, 2, 29))
    assert "年满 18 周岁" in message and "第五条" in message
    assert apply(world, D(2026, 2, 28), birth=D(2008, 2, 29)).stage == Stage.APPLICANT


def test_application_date_in_the_future_is_refused(world):
    refused("applied_on", apply, world, dt.date.today() + dt.timedelta(days=1))


def test_temporary_branch_cannot_take_applications(world):
    temp = Organization.objects.add_child(world.br1, instance=Organization(
        code="TMP", name="临时党支部", short_name="临时", org_type="temporary_branch"))
    assert "临时党支部" in refused("org", apply, world, org=Organization.objects.get(pk=temp.pk))


# -- 1.2 #1 talk within one month --------------------------------------------------------------------------------------

def test_talk_later_than_one_month_after_31_january_needs_acknowledgement(world):
    on_time = apply(world, D(2023, 1, 31))
    record(world, on_time, K.APPLICATION_TALK, D(2023, 2, 28))  # 31 January + 1 month = 28 February
    late = apply(world, D(2023, 1, 31))
    message = refused("acknowledge", record, world, late, K.APPLICATION_TALK, D(2023, 3, 1))
    assert "1 个月内" in message and "第七条" in message
    step = record(world, late, K.APPLICATION_TALK, D(2023, 3, 1), ack=True)
    assert "1 个月内" in step.warnings


def test_steps_are_never_dated_in_the_future_nor_before_the_step_they_follow(world):
    candidate = apply(world, D(2023, 3, 1))
    assert "晚于今天" in refused("on", record, world, candidate, K.APPLICATION_TALK, dt.date.today() + dt.timedelta(days=1))
    assert "递交入党申请书" in refused("on", record, world, candidate, K.APPLICATION_TALK, D(2023, 2, 28))
    assert "请先登记" in refused("kind", record, world, candidate, K.ACTIVIST_DETERMINATION, D(2023, 4, 1))
    record(world, candidate, K.APPLICATION_TALK, D(2023, 3, 20))
    assert "不能早于" in refused("on", record, world, candidate, K.ACTIVIST_DETERMINATION, D(2023, 3, 19))


def test_activist_decision_names_its_meeting(world):
    candidate = walk(world, apply(world), SCHEDULE_2014, until=K.ACTIVIST_DETERMINATION)
    refused("meeting_type", record, world, candidate, K.ACTIVIST_DETERMINATION, D(2023, 4, 1), meeting_type="")


# -- #3 contact persons ------------------------------------------------------------------------------------------------

def test_contact_persons_are_one_or_two_full_members(world):
    candidate = candidate_2014(world, until=K.CONTACT_PERSONS)
    members = world.members["BR1"]
    refused("contacts", record, world, candidate, K.CONTACT_PERSONS, D(2023, 4, 10), people={PersonRole.CONTACT: []})
    refused("contacts", record, world, candidate, K.CONTACT_PERSONS, D(2023, 4, 10),
            people={PersonRole.CONTACT: members[:3]})
    probationary = add_member(world.br1, category="probationary", converted_on=None, joined_on=D(2022, 7, 1))
    assert "不是正式党员" in refused("contacts", record, world, candidate, K.CONTACT_PERSONS, D(2023, 4, 10),
                                    people={PersonRole.CONTACT: [probationary]})
    assert record(world, candidate, K.CONTACT_PERSONS, D(2023, 4, 10), people={PersonRole.CONTACT: members[:1]})


# -- #4 and #6: half-yearly assessments; one year as an activist ---------------------------------------------------------

def _activist_on_29_february(world):
    candidate = apply(world, D(2023, 12, 1))
    record(world, candidate, K.APPLICATION_TALK, D(2023, 12, 10))
    record(world, candidate, K.ACTIVIST_DETERMINATION, D(2024, 2, 29))
    record(world, candidate, K.CONTACT_PERSONS, D(2024, 3, 1))
    record(world, candidate, K.ACTIVIST_ASSESSMENT, D(2024, 8, 29))
    return candidate


def test_development_target_requires_one_year_as_activist_from_29_february(world):
    candidate = _activist_on_29_february(world)
    record(world, candidate, K.ACTIVIST_ASSESSMENT, D(2025, 2, 27))
    message = refused("on", record, world, candidate, K.TARGET_DETERMINATION, D(2025, 2, 27))
    assert "1 年以上" in message and "2025年2月28日" in message and "第十三条" in message
    assert record(world, candidate, K.TARGET_DETERMINATION, D(2025, 2, 28)).rule_version == "2014"


def test_missing_half_yearly_activist_assessment_needs_acknowledgement(world):
    candidate = _activist_on_29_february(world)  # due 29 Aug 2024 (recorded) and 28 Feb 2025 (missing)
    message = refused("acknowledge", record, world, candidate, K.TARGET_DETERMINATION, D(2025, 2, 28))
    assert "每半年考察一次" in message and "缺 1 次" in message
    record(world, candidate, K.TARGET_DETERMINATION, D(2025, 2, 28), ack=True)


# -- #6 细则2026: the higher 党委 agrees and a 公示 of 5 working days; 细则2014: 备案 -------------------------------------

def test_development_target_under_2026_needs_the_higher_committee_consent(world):
    candidate = candidate_2026(world, until=K.TARGET_CONSENT)
    message = refused("kind", record, world, candidate, K.TARGET_DETERMINATION, D(2026, 10, 12))
    assert "上级党委同意" in message


def test_development_target_under_2014_needs_no_consent_and_no_public_notice(world):
    candidate = candidate_2014(world, until=K.TARGET_DETERMINATION)
    assert "细则2014" in refused("kind", record, world, candidate, K.TARGET_CONSENT, D(2024, 4, 1))
    assert "细则2014" in refused("kind", record, world, candidate, K.PUBLIC_NOTICE, D(2024, 3, 20))
    record(world, candidate, K.TARGET_DETERMINATION, D(2024, 4, 2))
    assert record(world, candidate, K.TARGET_FILING, D(2024, 4, 10)).rule_version == "2014"


def test_filing_instead_of_consent_is_refused_under_2026(world):
    candidate = candidate_2026(world, until=K.INTRODUCERS)
    assert "细则2026" in refused("kind", record, world, candidate, K.TARGET_FILING, D(2026, 10, 13))


def test_public_notice_spanning_national_day_counts_only_working_days(world):
    candidate = candidate_2026(world, until=K.PUBLIC_NOTICE)
    # 29 Sep – 8 Oct 2026: 29, 30 Sep and 8 Oct are working days; 1–7 Oct is the holiday.
    message = refused("ends_on", record, world, candidate, K.PUBLIC_NOTICE, D(2026, 9, 29), ends_on=D(2026, 10, 8))
    assert "只有 3 个工作日" in message and "5 个工作日" in message and "2026年10月10日" in message
    # Saturday 10 October 2026 is an adjusted working day (调休上班): 29 Sep – 10 Oct has five.
    assert record(world, candidate, K.PUBLIC_NOTICE, D(2026, 9, 29), ends_on=D(2026, 10, 10))


def test_development_target_is_listed_only_after_the_public_notice_ends(world):
    candidate = candidate_2026(world, until=K.TARGET_DETERMINATION)  # 公示 28 Sep – 9 Oct 2026
    assert "公示期满后" in refused("on", record, world, candidate, K.TARGET_DETERMINATION, D(2026, 10, 9))
    assert record(world, candidate, K.TARGET_DETERMINATION, D(2026, 10, 10))


def test_public_notice_with_a_problem_bars_the_listing(world):
    candidate = candidate_2026(world, until=K.PUBLIC_NOTICE)
    record(world, candidate, K.PUBLIC_NOTICE, D(2026, 9, 28), passed=False, opinion="群众反映问题属实")
    assert "影响发展" in refused("kind", record, world, candidate, K.TARGET_DETERMINATION, D(2026, 10, 12))


def test_working_days_fall_back_to_monday_to_friday_and_entered_holidays(world):
    from dangjian.recruitment.actions import do_set_holiday
    from dangjian.recruitment.workdays import covered_by_builtin, working_days_between

    assert not covered_by_builtin(2099)
    assert working_days_between(D(2099, 10, 1), D(2099, 10, 7)) == 5  # Thu 1 – Wed 7 Oct: Mon–Fri only
    do_set_holiday(day=D(2099, 10, 1), is_working_day=False, name="国庆节", actor=world.sysadmin)
    do_set_holiday(day=D(2099, 10, 3), is_working_day=True, name="国庆调休上班", actor=world.sysadmin)
    assert working_days_between(D(2099, 10, 1), D(2099, 10, 7)) == 5
    with pytest.raises(Exception):
        do_set_holiday(day=D(2099, 10, 2), is_working_day=False, name="国庆节", actor=world.secretary)


# -- #7 introducers ----------------------------------------------------------------------------------------------------

def test_introducers_are_exactly_two_full_members(world):
    candidate = candidate_2014(world, until=K.INTRODUCERS)
    members = world.members["BR1"]
    assert "2 名正式党员" in refused("introducers", record, world, candidate, K.INTRODUCERS, D(2024, 4, 15),
                                     people={PersonRole.INTRODUCER: members[:1]})
    refused("introducers", record, world, candidate, K.INTRODUCERS, D(2024, 4, 15),
            people={PersonRole.INTRODUCER: members[:3]})
    probationary = add_member(world.br1, category="probationary", converted_on=None, joined_on=D(2023, 7, 1))
    refused("introducers", record, world, candidate, K.INTRODUCERS, D(2024, 4, 15),
            people={PersonRole.INTRODUCER: [members[0], probationary]})


def _sanction(world, member, kind, starts_on, ends_on=None):
    do_record_disciplinary_action(member, data={
        "kind": kind, "decided_on": starts_on, "starts_on": starts_on, "ends_on": ends_on,
        "deciding_body": "区纪委", "reason": "违反工作纪律"}, actor=world.organizer)


def test_introducer_under_probation_within_party_is_refused(world):
    candidate = candidate_2014(world, until=K.INTRODUCERS)
    introducer = world.members["BR1"][1]
    _sanction(world, introducer, "probation_within_party", D(2024, 1, 1), D(2025, 1, 1))
    message = refused("introducers", record, world, candidate, K.INTRODUCERS, D(2024, 4, 15))
    assert "留党察看" in message and "不能作入党介绍人" in message


def test_introducer_within_a_warning_impact_period_needs_acknowledgement_under_2026(world):
    candidate = candidate_2026(world, until=K.INTRODUCERS)
    introducer = world.members["BR1"][1]
    _sanction(world, introducer, "warning", D(2026, 3, 1))
    message = refused("acknowledge", record, world, candidate, K.INTRODUCERS, D(2026, 10, 13))
    assert "不宜作入党介绍人" in message
    assert record(world, candidate, K.INTRODUCERS, D(2026, 10, 13), ack=True).warnings


def test_introducer_within_a_warning_impact_period_is_accepted_under_2014(world):
    candidate = candidate_2014(world, until=K.INTRODUCERS)
    _sanction(world, world.members["BR1"][1], "warning", D(2024, 3, 1))
    assert record(world, candidate, K.INTRODUCERS, D(2024, 4, 15)).warnings == ""


# -- #8 political review, #9 training --------------------------------------------------------------------------------

def test_failed_political_review_bars_the_committee_review(world):
    candidate = candidate_2014(world, until=K.POLITICAL_REVIEW)
    record(world, candidate, K.POLITICAL_REVIEW, D(2024, 5, 1), passed=False, opinion="不合格")
    record(world, candidate, K.TRAINING, D(2024, 5, 10))
    assert "请先登记" in refused("kind", record, world, candidate, K.COMMITTEE_REVIEW, D(2024, 6, 1))


def test_training_needs_three_days_or_24_hours(world):
    candidate = candidate_2014(world, until=K.TRAINING)
    message = refused("training_days", record, world, candidate, K.TRAINING, D(2024, 5, 10), training_days=2,
                      training_hours=23)
    assert "3 天" in message and "24 个学时" in message and "第十七条" in message
    assert record(world, candidate, K.TRAINING, D(2024, 5, 10), training_days=None, training_hours=24)


# -- #10, #11 pre-review, leaving the unit, branch meeting within a month (2026) -----------------------------------------

def test_application_form_needs_a_passed_pre_review(world):
    candidate = candidate_2014(world, until=K.PRE_REVIEW)
    refused("kind", record, world, candidate, K.APPLICATION_FORM, D(2024, 6, 15))
    record(world, candidate, K.PRE_REVIEW, D(2024, 6, 10), passed=False, opinion="材料不全")
    refused("kind", record, world, candidate, K.APPLICATION_FORM, D(2024, 6, 15))


def test_leaving_the_unit_within_three_months_blocks_admission(world):
    candidate = candidate_2014(world, until=K.PRE_REVIEW, expected_leave_on=D(2024, 9, 9))
    message = refused("kind", record, world, candidate, K.PRE_REVIEW, D(2024, 6, 10))
    assert "3 个月内将离开" in message and "第十八条" in message
    leaving_later = candidate_2014(world, until=K.PRE_REVIEW, expected_leave_on=D(2024, 9, 10))
    assert record(world, leaving_later, K.PRE_REVIEW, D(2024, 6, 10))


def _pre_review_on_31_may_2026(world):
    candidate = apply(world, D(2025, 3, 1))
    walk(world, candidate, [
        (K.APPLICATION_TALK, D(2025, 3, 20)), (K.ACTIVIST_DETERMINATION, D(2025, 5, 1)),
        (K.CONTACT_PERSONS, D(2025, 5, 5)), (K.ACTIVIST_ASSESSMENT, D(2025, 11, 1)),
        (K.ACTIVIST_ASSESSMENT, D(2026, 5, 1)), (K.TARGET_CONSENT, D(2026, 5, 11))])
    record(world, candidate, K.PUBLIC_NOTICE, D(2026, 5, 12), ends_on=D(2026, 5, 18))
    walk(world, candidate, [
        (K.TARGET_DETERMINATION, D(2026, 5, 19)), (K.INTRODUCERS, D(2026, 5, 20)),
        (K.POLITICAL_REVIEW, D(2026, 5, 21)), (K.TRAINING, D(2026, 5, 22)), (K.COMMITTEE_REVIEW, D(2026, 5, 25)),
        (K.PRE_REVIEW, D(2026, 5, 31)), (K.APPLICATION_FORM, D(2026, 6, 1))])
    return candidate


def test_branch_meeting_within_one_month_of_the_pre_review_under_2026(world):
    candidate = _pre_review_on_31_may_2026(world)
    message = refused("on", record, world, candidate, K.ADMISSION_MEETING, D(2026, 7, 1))
    assert "1 个月内" in message and "2026年6月30日" in message
    assert record(world, candidate, K.ADMISSION_MEETING, D(2026, 6, 30)).passed


def test_branch_meeting_months_after_the_pre_review_is_accepted_under_2014(world):
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)  # pre-review 10 June 2024
    assert record(world, candidate, K.ADMISSION_MEETING, D(2024, 10, 1)).passed


# -- #12 quorum and pass -----------------------------------------------------------------------------------------------

def test_branch_meeting_where_exactly_half_of_those_due_vote_yes_fails(world):
    add_member(world.br1)  # 4 voting members due
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    step = record(world, candidate, K.ADMISSION_MEETING, D(2024, 7, 1), present_count=4, yes_count=2, no_count=2)
    assert step.due_count == 4 and step.passed is False
    assert "请先登记" in refused("kind", record, world, candidate, K.COMMITTEE_TALK, D(2024, 7, 10))
    again = record(world, candidate, K.ADMISSION_MEETING, D(2024, 7, 20), present_count=3, yes_count=3)
    assert again.passed is True


def test_branch_meeting_without_more_than_half_present_is_refused(world):
    add_member(world.br1)
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    message = refused("present_count", record, world, candidate, K.ADMISSION_MEETING, D(2024, 7, 1),
                      present_count=2, yes_count=2)
    assert "不足法定人数" in message and "第十九条" in message


def test_probationary_members_and_members_under_probation_within_party_are_not_counted(world):
    add_member(world.br1, category="probationary", converted_on=None, joined_on=D(2023, 12, 1))
    watched = add_member(world.br1)
    _sanction(world, watched, "probation_within_party", D(2024, 1, 1), D(2025, 1, 1))
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    step = record(world, candidate, K.ADMISSION_MEETING, D(2024, 7, 1), present_count=2, yes_count=2)
    assert (step.due_count, step.excluded_count, step.passed) == (3, 2, True)
    refused("present_count", record, world, candidate_2014(world, until=K.ADMISSION_MEETING), K.ADMISSION_MEETING,
            D(2024, 7, 1), present_count=4, yes_count=4)


# -- #14–#17 approval: only a 党委, after its talk, within 3 months (never past 6) ---------------------------------------

def test_general_branch_reviews_but_cannot_approve(world):
    general = Organization.objects.get(pk=Organization.objects.add_child(world.sta, instance=Organization(
        code="GB", name="总支", short_name="总支", org_type="general_branch")).pk)
    branch = Organization.objects.get(pk=Organization.objects.add_child(general, instance=Organization(
        code="GBB", name="总支第一支部", short_name="一支部", org_type="branch")).pk)
    for _ in range(3):
        add_member(branch)
    account_actions.do_assign_role(world.secretary, role=RoleName.SECRETARY, org=branch)
    world.secretary.forget_assignments()
    world.members["GBB"] = list(Member.objects.filter(org=branch))
    candidate = walk(world, apply(world, org=branch), SCHEDULE_2014, until=K.ADMISSION_APPROVAL)
    record(world, candidate, K.GENERAL_BRANCH_REVIEW, D(2024, 7, 5), org=general, opinion="同意",
           actor=world.committee_organizer)
    message = refused("org", record, world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), org=general)
    assert "党总支只能审议" in message and "第二十二条" in message
    assert record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1)).org == world.sta


def test_branch_secretary_cannot_approve_admission(world):
    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)
    with pytest.raises(Http404):
        record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), actor=world.secretary)


def test_approval_needs_the_committee_talk_first(world):
    candidate = candidate_2014(world, until=K.COMMITTEE_TALK)
    assert "上级党委派人谈话" in refused("kind", record, world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1))


def test_approval_after_three_months_warns_and_after_six_is_refused(world):
    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)  # branch meeting 1 July 2024
    assert "超过 3 个月" in refused("acknowledge", record, world, candidate, K.ADMISSION_APPROVAL, D(2024, 10, 2))
    message = refused("on", record, world, candidate, K.ADMISSION_APPROVAL, D(2025, 1, 2), ack=True)
    assert "不得超过 6 个月" in message and "第二十五条" in message
    assert record(world, candidate, K.ADMISSION_APPROVAL, D(2025, 1, 1), ack=True).passed


def test_approval_within_three_months_needs_no_acknowledgement(world):
    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)
    assert record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 10, 1)).warnings == ""


# -- #18 oath within a month (2026) ------------------------------------------------------------------------------------

def test_oath_later_than_one_month_after_approval_warns_under_2026(world):
    candidate = _pre_review_on_31_may_2026(world)
    walk(world, candidate, [(K.ADMISSION_MEETING, D(2026, 6, 30)), (K.COMMITTEE_TALK, D(2026, 7, 5)),
                            (K.ADMISSION_APPROVAL, D(2026, 7, 31))])
    message = refused("acknowledge", record, world, candidate, K.OATH, D(2026, 9, 1))
    assert "1 个月内" in message and "2026年8月31日" in message and "第二十九条" in message
    assert record(world, candidate, K.OATH, D(2026, 8, 31)).warnings == ""


def test_oath_has_no_time_limit_under_2014(world):
    candidate = candidate_2014(world, until=K.OATH)  # approved 1 Aug 2024
    assert record(world, candidate, K.OATH, D(2024, 12, 20)).warnings == ""


# -- #19–#23 probation, extension, conversion, postponement ---------------------------------------------------------

def test_conversion_is_discussed_only_after_one_year_from_the_branch_meeting(world):
    candidate = candidate_2014(world, until=K.CONVERSION_MEETING)  # branch meeting 1 July 2024
    message = refused("on", record, world, candidate, K.CONVERSION_MEETING, D(2025, 6, 30))
    assert "2025年7月1日" in message


def test_probation_from_a_branch_meeting_on_29_february_ends_on_28_february(world):
    candidate = walk(world, apply(world, D(2022, 1, 1)), [
        (K.APPLICATION_TALK, D(2022, 1, 10)), (K.ACTIVIST_DETERMINATION, D(2022, 2, 1)),
        (K.CONTACT_PERSONS, D(2022, 2, 5)), (K.ACTIVIST_ASSESSMENT, D(2022, 8, 1)),
        (K.ACTIVIST_ASSESSMENT, D(2023, 2, 1)), (K.TARGET_DETERMINATION, D(2023, 2, 2)),
        (K.INTRODUCERS, D(2023, 3, 1)), (K.POLITICAL_REVIEW, D(2023, 3, 2)), (K.TRAINING, D(2023, 3, 3)),
        (K.COMMITTEE_REVIEW, D(2024, 1, 20)), (K.PRE_REVIEW, D(2024, 2, 1)), (K.APPLICATION_FORM, D(2024, 2, 2)),
        (K.ADMISSION_MEETING, D(2024, 2, 29)), (K.COMMITTEE_TALK, D(2024, 3, 5)),
        (K.ADMISSION_APPROVAL, D(2024, 3, 10)), (K.CONVERSION_APPLICATION, D(2025, 2, 1))])
    assert "2025年2月28日" in refused("on", record, world, candidate, K.CONVERSION_MEETING, D(2025, 2, 27))
    record(world, candidate, K.CONVERSION_MEETING, D(2025, 2, 28))
    record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 3, 10))
    candidate.refresh_from_db()
    assert candidate.member.converted_on == D(2025, 2, 28)


def test_probation_is_extended_once_by_six_to_twelve_months(world):
    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)  # probation ends 1 July 2025
    for months in (5, 13):
        assert "6 个月" in refused("months", record, world, candidate, K.CONVERSION_MEETING, D(2025, 7, 1),
                                   outcome=Outcome.EXTEND, months=months)
    record(world, candidate, K.CONVERSION_MEETING, D(2025, 7, 1), outcome=Outcome.EXTEND, months=6)
    assert "尚待上级党委审批" in refused("kind", record, world, candidate, K.CONVERSION_MEETING, D(2025, 7, 2),
                                         outcome=Outcome.EXTEND, months=6)
    record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 7, 20))
    refused("on", record, world, candidate, K.CONVERSION_MEETING, D(2025, 12, 31), outcome=Outcome.CONVERT)
    assert "只能延长一次" in refused("outcome", record, world, candidate, K.CONVERSION_MEETING, D(2026, 1, 1),
                                      outcome=Outcome.EXTEND, months=6)
    record(world, candidate, K.CONVERSION_APPLICATION, D(2025, 12, 1))
    record(world, candidate, K.CONVERSION_MEETING, D(2026, 1, 5), outcome=Outcome.CONVERT)
    record(world, candidate, K.CONVERSION_APPROVAL, D(2026, 2, 1))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.FULL and candidate.member.converted_on == D(2026, 1, 1)


def test_conversion_approval_later_than_three_months_needs_acknowledgement(world):
    candidate = candidate_2014(world, until=K.CONVERSION_APPROVAL)  # conversion meeting 1 July 2025
    assert "3 个月内" in refused("acknowledge", record, world, candidate, K.CONVERSION_APPROVAL, D(2025, 10, 2))
    assert record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 10, 1)).warnings == ""


def test_cancelled_probation_leaves_the_party_roll(world):
    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)
    record(world, candidate, K.CONVERSION_MEETING, D(2025, 7, 2), outcome=Outcome.CANCEL)
    record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 8, 1))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.CANCELLED and candidate.member.status == "left"
    assert "发展程序已经结束" in refused("kind", record, world, candidate, K.PROBATION_ASSESSMENT, D(2025, 9, 1))


def test_transferred_in_probationary_member_conversion_may_be_postponed_up_to_six_months(world):
    from dangjian.recruitment.actions import do_open_probation_file

    member = add_member(world.br1, category="probationary", converted_on=None, joined_on=D(2024, 9, 1),
                        applied_on=D(2022, 1, 1))
    candidate = do_open_probation_file(member, actor=world.secretary)
    assert "不超过 6 个月" in refused("months", record, world, candidate, K.CONVERSION_POSTPONEMENT, D(2025, 8, 1),
                                      months=7)
    record(world, candidate, K.CONVERSION_POSTPONEMENT, D(2025, 8, 1), months=6)
    record(world, candidate, K.CONVERSION_APPLICATION, D(2025, 12, 1))
    record(world, candidate, K.CONVERSION_MEETING, D(2026, 1, 10))
    record(world, candidate, K.CONVERSION_APPROVAL, D(2026, 2, 1))
    member.refresh_from_db()
    assert member.converted_on == D(2025, 9, 1)  # still the end of probation


def test_only_a_transferred_in_probationary_member_may_have_conversion_postponed(world):
    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)
    assert "转入的预备党员" in refused("kind", record, world, candidate, K.CONVERSION_POSTPONEMENT, D(2025, 6, 1),
                                       months=3)


def test_another_branch_cannot_record_steps(world):
    candidate = candidate_2014(world, until=K.APPLICATION_TALK)
    with pytest.raises(Http404):
        record(world, candidate, K.APPLICATION_TALK, D(2023, 3, 15), actor=world.secretary2)
