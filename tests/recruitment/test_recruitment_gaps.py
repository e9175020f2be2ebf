"""The rules of RULES.md §1 added after the first implementation: the roll of the meeting day, the facts of every
step, the 乡镇（街道）党委's power to approve, what follows a 不批准, 不予承认, holidays, thought reports, moving a file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.members.history import record_periods, voting_members_on
from dangjian.members.models import Member
from dangjian.recruitment.choices import Stage, StepKind as K
from recruiting import add_member, candidate_2014, record

pytestmark = pytest.mark.django_db
D = dt.date


def refused(field, call, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        call(*args, **kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


def _move(member, org, on):
    member = Member.objects.get(pk=member.pk)
    member.org = org
    member.save(update_fields=["org"])
    record_periods([member], on)
    return member


def _leave(member, on):
    member = Member.objects.get(pk=member.pk)
    member.status = "left"
    member.status_changed_on = on
    member.save(update_fields=["status", "status_changed_on"])
    record_periods([member], on)
    return member


# -- #12 the voting members are those of the meeting day ---------------------------------------------------------------

def test_branch_meeting_counts_the_voting_roll_of_the_meeting_date_not_today(world):
    # 3 full members since 2010; three more whose standing changed after the meeting of 1 July 2024.
    newcomer = _move(add_member(world.br2), world.br1, D(2024, 8, 1))  # joined the branch after the meeting
    add_member(world.br1, category="full", joined_on=D(2023, 6, 1), converted_on=D(2024, 7, 2))  # converted after
    _leave(add_member(world.br1), D(2024, 9, 1))  # left after the meeting: still had a vote that day
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    step = record(world, candidate, K.ADMISSION_MEETING, D(2024, 7, 1), present_count=3, yes_count=3)
    assert (step.due_count, step.excluded_count, step.passed) == (4, 1, True)  # today the roll would be 5 due
    assert newcomer.pk not in {m.pk for m in voting_members_on(world.br1, D(2024, 7, 1))}
    assert newcomer.pk in {m.pk for m in voting_members_on(world.br1, D(2024, 8, 1))}


def test_member_converted_on_the_meeting_date_votes_and_the_day_before_does_not(world):
    convert = add_member(world.br1, category="full", joined_on=D(2023, 7, 1), converted_on=D(2024, 7, 1))
    assert convert.pk in {m.pk for m in voting_members_on(world.br1, D(2024, 7, 1))}
    assert convert.pk not in {m.pk for m in voting_members_on(world.br1, D(2024, 6, 30))}


def test_member_who_left_the_day_after_the_meeting_is_due_and_on_the_day_of_leaving_is_not(world):
    gone = _leave(add_member(world.br1), D(2024, 7, 2))
    assert gone.pk in {m.pk for m in voting_members_on(world.br1, D(2024, 7, 1))}
    assert gone.pk not in {m.pk for m in voting_members_on(world.br1, D(2024, 7, 2))}


# -- behaviour facts: every recorded step, in its transaction ----------------------------------------------------------

def test_every_recorded_step_writes_a_recruitment_step_fact_for_the_branch(world):
    from dangjian.analytics.models import Fact, FactKind

    candidate = candidate_2014(world)
    candidate.refresh_from_db()
    rows = list(Fact.objects.filter(kind=FactKind.RECRUITMENT_STEP).order_by("id"))
    steps = list(candidate.steps.order_by("id"))
    assert [r.detail["step"] for r in rows] == [s.kind for s in steps]
    assert [r.on for r in rows] == [s.on for s in steps] and {r.org_id for r in rows} == {world.br1.pk}
    approval = next(r for r in rows if r.detail["step"] == K.ADMISSION_APPROVAL)
    assert rows[0].member_id is None and approval.member_id == candidate.member_id  # the archive, once it exists
    assert rows[-1].ref == f"recruitment.step:{steps[-1].pk}"


def test_a_refused_step_writes_no_fact(world):
    from dangjian.analytics.models import Fact

    candidate = candidate_2014(world, until=K.TRAINING)
    before = Fact.objects.count()
    refused("training_days", record, world, candidate, K.TRAINING, D(2024, 5, 10), training_days=2)
    assert Fact.objects.count() == before


# -- the demo names only people who were full members on the step date -------------------------------------------------

def test_demo_seed_of_many_candidates_names_only_members_full_on_the_step_date(world):
    import random

    from dangjian.recruitment.demo import seed_recruitment
    from dangjian.recruitment.models import Candidate, StepPerson

    today = dt.date.today()
    recent = today - dt.timedelta(days=200)
    # The branch's first members were converted recently; two others long ago.
    Member.objects.filter(pk__in=[m.pk for m in world.members["BR1"]]).update(
        joined_on=recent - dt.timedelta(days=365), converted_on=recent)
    veterans = [add_member(world.br1, joined_on=D(2001, 7, 1), converted_on=D(2002, 7, 1)) for _ in range(2)]
    plan = [(days, None) for days in range(12, 1300, 45)]
    assert seed_recruitment(world.br1, world.secretary, world.organizer, random.Random(7), plan=plan) == len(plan)
    assert Candidate.objects.count() == len(plan)
    named = set(StepPerson.objects.values_list("member_id", flat=True))
    assert named and named <= {m.pk for m in veterans}


# -- #14 a 基层党委 under a 乡镇（街道）党委 reviews but cannot approve (细则 第二十二条) --------------------------------------

def _committee_under_street(world):
    from dangjian.accounts import actions as account_actions
    from dangjian.accounts.roles import RoleName
    from dangjian.orgs.models import Organization

    sub = Organization.objects.get(pk=Organization.objects.add_child(world.sta, instance=Organization(
        code="SUBC", name="中共东华街道某公司委员会", short_name="某公司党委", org_type="committee")).pk)
    branch = Organization.objects.get(pk=Organization.objects.add_child(sub, instance=Organization(
        code="SUBB", name="某公司第一支部", short_name="一支部", org_type="branch")).pk)
    for _ in range(3):
        add_member(branch)
    account_actions.do_assign_role(world.secretary, role=RoleName.SECRETARY, org=branch)
    world.secretary.forget_assignments()
    world.members["SUBB"] = list(Member.objects.filter(org=branch))
    return sub, branch


def test_committee_under_a_township_committee_cannot_approve_admission_without_authorisation(world):
    from dangjian.core.rule_settings import do_set_rule_value
    from dangjian.recruitment.actions import approving_org
    from recruiting import SCHEDULE_2014, apply, walk

    sub, branch = _committee_under_street(world)
    candidate = walk(world, apply(world, org=branch), SCHEDULE_2014, until=K.ADMISSION_APPROVAL)
    assert approving_org(candidate) == sub  # no township committee named: the nearest 党委 approves
    do_set_rule_value("township_committee_codes", ["STA"], reason="本县乡镇（街道）党委", actor=world.sysadmin)
    assert approving_org(candidate) == world.sta
    message = refused("org", record, world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), org=sub)
    assert "只能审议，不能审批" in message and "第二十二条" in message
    do_set_rule_value("township_authorised_approver_codes", ["SUBC"], reason="县委授权", actor=world.sysadmin)
    assert approving_org(candidate) == sub
    assert record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), org=sub).org == sub


def test_township_committee_codes_must_name_existing_committees(world):
    from dangjian.core.rule_settings import do_set_rule_value

    message = refused("value", do_set_rule_value, "township_committee_codes", ["NOPE", "BR1"], reason="试",
                      actor=world.sysadmin)
    assert "NOPE、BR1" in message and "不是系统中的党委或党工委" in message


# -- what follows the 党委's 不批准 -----------------------------------------------------------------------------------

def test_after_the_committee_does_not_approve_admission_a_new_branch_meeting_may_be_approved(world):
    from dangjian.recruitment.queries import candidate_deadlines, next_step

    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)
    record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), passed=False, opinion="材料不齐全")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DEVELOPMENT_TARGET and candidate.member is None
    assert "重新召开支部党员大会" in next_step(candidate)
    assert not [d for d in candidate_deadlines(candidate) if d.code.startswith("admission_approval")]
    assert "没有待审批" in refused("kind", record, world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 2))
    record(world, candidate, K.ADMISSION_MEETING, D(2024, 9, 2), present_count=3, yes_count=3)
    assert "尚待上级党委审批" in refused("kind", record, world, candidate, K.ADMISSION_MEETING, D(2024, 9, 3))
    record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 10, 8))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROBATIONARY
    assert candidate.member.joined_on == D(2024, 9, 2)  # probation counts from the meeting the 党委 approved


def test_after_the_committee_does_not_approve_admission_the_file_may_be_closed_with_a_reason(world):
    from dangjian.recruitment.queries import next_step

    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)
    record(world, candidate, K.ADMISSION_APPROVAL, D(2024, 8, 1), passed=False)
    assert "原因" in refused("opinion", record, world, candidate, K.CLOSURE, D(2024, 8, 5))
    record(world, candidate, K.CLOSURE, D(2024, 8, 5), opinion="上级党委不批准，本人同意终止")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.CLOSED and next_step(candidate) == ""
    assert "发展程序已经结束" in refused("kind", record, world, candidate, K.ADMISSION_MEETING, D(2024, 9, 1))


def test_a_probationary_member_cannot_be_closed_only_decided_on(world):
    candidate = candidate_2014(world, until=K.OATH)
    assert "不能终止发展" in refused("kind", record, world, candidate, K.CLOSURE, D(2024, 9, 1), opinion="x")


def test_after_the_committee_does_not_approve_conversion_the_branch_discusses_it_again(world):
    from dangjian.recruitment.choices import Outcome
    from dangjian.recruitment.queries import history_of, next_step

    candidate = candidate_2014(world, until=K.CONVERSION_APPROVAL)  # conversion meeting 1 July 2025
    record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 8, 1), passed=False, opinion="考察材料不充分")
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROBATIONARY and "重新召开支部党员大会讨论转正" in next_step(candidate)
    record(world, candidate, K.CONVERSION_MEETING, D(2025, 8, 20), outcome=Outcome.EXTEND, months=6)
    record(world, candidate, K.CONVERSION_APPROVAL, D(2025, 9, 1))
    candidate.refresh_from_db()
    assert candidate.stage == Stage.PROBATIONARY
    assert history_of(candidate).probation_end() == D(2026, 1, 1)


# -- #26 不予承认 (细则 第四十一条) -------------------------------------------------------------------------------------

def test_not_recognised_probationary_member_leaves_the_roll_with_the_reason_and_the_file_closes(world):
    from dangjian.core.models import AuditRecord

    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)
    assert "原因" in refused("opinion", record, world, candidate, K.NOT_RECOGNISED, D(2025, 3, 1))
    record(world, candidate, K.NOT_RECOGNISED, D(2025, 3, 1), opinion="入党时隐瞒受处分情况，不符合党员条件")
    candidate.refresh_from_db()
    member = candidate.member
    assert candidate.stage == Stage.NOT_RECOGNISED
    assert member.status == "left" and member.status_changed_on == D(2025, 3, 1)
    assert "不予承认" in member.status_reason and "第四十一条" in member.status_reason
    assert "隐瞒受处分情况" in member.status_reason
    assert AuditRecord.objects.filter(action="member.status", object_id=str(member.pk)).exists()
    assert "发展程序已经结束" in refused("kind", record, world, candidate, K.CONVERSION_MEETING, D(2025, 7, 2))


def test_not_recognised_is_decided_by_the_committee_not_the_branch(world):
    from django.http import Http404

    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)
    with pytest.raises(Http404):
        record(world, candidate, K.NOT_RECOGNISED, D(2025, 3, 1), opinion="违规发展", actor=world.secretary)


def test_not_recognised_applies_only_once_admitted(world):
    candidate = candidate_2014(world, until=K.ADMISSION_MEETING)
    assert "终止发展" in refused("kind", record, world, candidate, K.NOT_RECOGNISED, D(2024, 7, 1), opinion="x")


# -- working days: holidays entered for a year the built-in calendar does not cover -----------------------------------

def test_holiday_entered_for_an_uncovered_year_shortens_the_public_notice_working_days(world):
    from dangjian.recruitment import rules
    from dangjian.recruitment.actions import do_set_holiday

    v = rules.Verdict()
    rules._check_notice(v, {"ends_on": D(2099, 10, 7), "passed": True}, D(2099, 10, 1))
    assert not v.errors  # Thu 1 – Wed 7 October 2099: five weekdays
    do_set_holiday(day=D(2099, 10, 1), is_working_day=False, name="国庆节", actor=world.sysadmin)
    v = rules.Verdict()
    rules._check_notice(v, {"ends_on": D(2099, 10, 7), "passed": True}, D(2099, 10, 1))
    assert "只有 4 个工作日" in v.errors["ends_on"] and "2099年10月8日" in v.errors["ends_on"]


def test_holidays_of_a_year_the_builtin_calendar_covers_are_refused(world):
    from dangjian.recruitment.actions import do_set_holiday
    from dangjian.recruitment.models import Holiday

    assert "内置日历" in refused("day", do_set_holiday, day=D(2025, 10, 1), is_working_day=False, name="国庆节",
                                 actor=world.sysadmin)
    assert "周六或周日" in refused("is_working_day", do_set_holiday, day=D(2099, 10, 5), is_working_day=True,
                                  name="调休", actor=world.sysadmin)  # 5 October 2099 is a Monday
    assert "名称" in refused("name", do_set_holiday, day=D(2099, 10, 5), is_working_day=False, name=" ",
                            actor=world.sysadmin)
    assert not Holiday.objects.exists()


def test_holidays_through_the_api_are_audited_and_only_for_the_calendar_keeper(world):
    from rest_framework.test import APIClient

    from dangjian.core.models import AuditRecord

    def api(user):
        c = APIClient()
        c.force_authenticate(user)
        return c

    url = "/api/v1/recruitment-holidays/"
    assert api(world.secretary).get(url).status_code == 404
    admin = api(world.sysadmin)
    created = admin.post(url, {"day": "2099-10-01", "name": "国庆节", "is_working_day": False}, format="json")
    assert created.status_code == 201, created.json()
    bad = admin.post(url, {"day": "2026-10-01", "name": "国庆节"}, format="json")
    assert bad.status_code == 400 and "内置日历" in bad.json()["day"][0]
    assert admin.post(url, {"day": "2099-13-01", "name": "x"}, format="json").status_code == 400
    listed = admin.get(url + "?year=2099").json()
    assert [row["day"] for row in listed.get("results", listed)] == ["2099-10-01"]
    assert admin.get(url + "2099-10-01/").json()["name"] == "国庆节"
    assert admin.delete(url + "2099-10-01/").status_code == 204
    assert admin.get(url + "2099-10-01/").status_code == 404
    assert set(AuditRecord.objects.filter(object_type="recruitment.holiday").values_list("action", flat=True)) == {
        "recruitment.holiday", "recruitment.holiday_delete"}


def test_holiday_page_enters_and_deletes_a_day_with_chinese_errors(world):
    from django.test import Client

    from dangjian.recruitment.models import Holiday

    c = Client()
    c.force_login(world.sysadmin)
    page = c.post("/recruitment/holidays/", {"day": "2026-10-01", "name": "国庆节"})
    assert page.status_code == 200 and "内置日历" in page.content.decode()
    assert c.post("/recruitment/holidays/", {"day": "2099-10-01", "name": "国庆节"}).status_code == 302
    assert "2099-10-01" in c.get("/recruitment/holidays/").content.decode()
    assert c.post("/recruitment/holidays/delete/", {"day": "2099-10-01"}).status_code == 302
    assert not Holiday.objects.exists()
    assert Client().post("/recruitment/holidays/delete/", {"day": "2099-10-01"}).status_code == 302  # to log in
    s = Client()
    s.force_login(world.secretary)
    assert s.post("/recruitment/holidays/delete/", {"day": "2099-10-01"}).status_code == 404


# -- 思想汇报: activists and 预备党员 hand one in at least every `thought_report_months` [LOCAL] -------------------------

def _deadline(candidate, code):
    from dangjian.recruitment.queries import candidate_deadlines

    candidate.refresh_from_db()
    found = [d for d in candidate_deadlines(candidate) if d.code == code]
    return found[0] if found else None


def test_thought_report_is_due_three_months_after_the_last_one_from_31_may_to_31_august(world):
    from dangjian.recruitment.actions import do_record_thought_report

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)  # activist since 1 April 2023
    assert _deadline(candidate, "thought_report").due_on == D(2023, 7, 1)
    do_record_thought_report(candidate, submitted_on=D(2023, 5, 31), summary="学习党章的体会", actor=world.secretary)
    due = _deadline(candidate, "thought_report")
    assert due.due_on == D(2023, 8, 31) and "思想汇报" in due.title and "本地规定" in due.citation


def test_thought_report_interval_is_a_local_setting(world):
    from dangjian.core.rule_settings import do_set_rule_value

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)
    do_set_rule_value("thought_report_months", 2, reason="本单位每两个月一次", actor=world.sysadmin)
    assert _deadline(candidate, "thought_report").due_on == D(2023, 6, 1)


def test_overdue_thought_report_appears_among_the_branch_deadlines(world):
    from dangjian.recruitment.models import Candidate
    from dangjian.recruitment.queries import OVERDUE, deadlines

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)
    found = [d for d in deadlines(Candidate.objects.filter(pk=candidate.pk), D(2023, 7, 2)) if d.code == "thought_report"]
    assert found and found[0].state == OVERDUE and found[0].responsible == "branch"


def test_thought_reports_are_for_activists_and_probationary_members_only(world):
    from dangjian.recruitment.actions import do_record_thought_report
    from recruiting import apply

    applicant = apply(world)
    assert _deadline(applicant, "thought_report") is None
    assert "入党积极分子" in refused("candidate", do_record_thought_report, applicant, submitted_on=D(2023, 3, 5),
                                   summary="x", actor=world.secretary)
    activist = candidate_2014(world, until=K.ACTIVIST_FILING)
    assert "不能早于确定为入党积极分子" in refused("submitted_on", do_record_thought_report, activist,
                                             submitted_on=D(2023, 3, 31), summary="x", actor=world.secretary)
    assert "主要内容" in refused("summary", do_record_thought_report, activist, submitted_on=D(2023, 5, 1),
                              summary=" ", actor=world.secretary)
    assert "晚于今天" in refused("submitted_on", do_record_thought_report, activist,
                             submitted_on=dt.date.today() + dt.timedelta(days=1), summary="x", actor=world.secretary)


def test_thought_report_original_is_checked_by_its_content(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.recruitment.actions import do_record_thought_report
    from dangjian.recruitment.models import ThoughtReport

    activist = candidate_2014(world, until=K.ACTIVIST_FILING)
    fake = SimpleUploadedFile("汇报.pdf", b"not a pdf at all")
    assert "只接受" in refused("file", do_record_thought_report, activist, submitted_on=D(2023, 5, 1), summary="x",
                             upload=fake, actor=world.secretary)
    renamed = SimpleUploadedFile("汇报.docx", b"%PDF-1.4 content")
    assert "后缀" in refused("file", do_record_thought_report, activist, submitted_on=D(2023, 5, 1), summary="x",
                           upload=renamed, actor=world.secretary)
    assert not ThoughtReport.objects.exists()
    report = do_record_thought_report(activist, submitted_on=D(2023, 5, 1), summary="x",
                                      upload=SimpleUploadedFile("汇报.pdf", b"%PDF-1.4 content"), actor=world.secretary)
    assert report.content_type == "application/pdf" and bytes(report.content) == b"%PDF-1.4 content"


def test_thought_report_on_the_timeline_reviewed_and_its_original_downloaded_through_the_pages(world):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from dangjian.core.models import AuditRecord
    from dangjian.recruitment.models import ThoughtReport

    activist = candidate_2014(world, until=K.ACTIVIST_FILING)
    c = Client()
    c.force_login(world.secretary)
    page = c.get(f"/recruitment/{activist.pk}/").content.decode()
    assert 'data-testid="thought-report-form"' in page
    response = c.post(f"/recruitment/{activist.pk}/thought-reports/", {
        "submitted_on": "2023-05-01", "summary": "学习体会", "file": SimpleUploadedFile("汇报.pdf", b"%PDF-1.4 x")})
    assert response.status_code == 302
    report = ThoughtReport.objects.get()
    assert c.post(f"/recruitment/thought-reports/{report.pk}/review/", {"comment": ""}).status_code == 302
    assert ThoughtReport.objects.get().comment == ""
    c.post(f"/recruitment/thought-reports/{report.pk}/review/", {"comment": "认识深刻，继续努力"})
    page = c.get(f"/recruitment/{activist.pk}/").content.decode()
    assert 'data-testid="thought-report"' in page and "认识深刻，继续努力" in page
    download = c.get(f"/recruitment/thought-reports/{report.pk}/file/")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 x"
    other = Client()
    other.force_login(world.secretary2)
    assert other.get(f"/recruitment/thought-reports/{report.pk}/file/").status_code == 404
    assert {"recruitment.thought_report", "recruitment.thought_report_review", "recruitment.thought_report_file"} <= set(
        AuditRecord.objects.values_list("action", flat=True))


def test_thought_reports_through_the_api(world):
    from rest_framework.test import APIClient

    activist = candidate_2014(world, until=K.ACTIVIST_FILING)
    api = APIClient()
    api.force_authenticate(world.secretary)
    url = "/api/v1/recruitment-thought-reports/"
    bad = api.post(url, {"candidate": activist.pk, "submitted_on": "2023-03-01", "summary": "x"}, format="json")
    assert bad.status_code == 400 and "入党积极分子" in bad.json()["submitted_on"][0]
    created = api.post(url, {"candidate": activist.pk, "submitted_on": "2023-05-01", "summary": "体会"}, format="json")
    assert created.status_code == 201, created.json()
    rid = created.json()["id"]
    reviewed = api.post(f"{url}{rid}/review/", {"comment": "很好"}, format="json")
    assert reviewed.status_code == 200 and reviewed.json()["comment"] == "很好"
    listed = api.get(f"{url}?candidate={activist.pk}").json()
    assert [r["id"] for r in listed.get("results", listed)] == [rid]
    other = APIClient()
    other.force_authenticate(world.secretary2)
    assert other.get(f"{url}{rid}/").status_code == 404
    assert other.post(url, {"candidate": activist.pk, "submitted_on": "2023-05-02", "summary": "x"},
                      format="json").status_code == 400


# -- moving a file to another branch (细则 第十二条: the training time counts on) ----------------------------------------

def _both_branches(world):
    from dangjian.accounts import actions as account_actions
    from dangjian.accounts.roles import RoleName

    account_actions.do_assign_role(world.secretary, role=RoleName.SECRETARY, org=world.br2)
    world.secretary.forget_assignments()


def test_moved_file_keeps_its_history_and_the_receiving_branch_continues_the_steps(world):
    from django.http import Http404

    from dangjian.analytics.models import Fact
    from dangjian.core.models import AuditRecord
    from dangjian.recruitment.actions import do_move_file

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)  # activist since 1 April 2023 in BR1
    _both_branches(world)
    step = do_move_file(candidate, to_org=world.br2, on=D(2023, 6, 1), reason="工作单位变动", actor=world.secretary)
    candidate.refresh_from_db()
    assert candidate.org == world.br2 and step.kind == K.FILE_MOVED and "工作单位变动" in step.opinion
    assert candidate.steps.get(kind=K.ACTIVIST_DETERMINATION).org == world.br1  # the history stays as it was
    record(world, candidate, K.ACTIVIST_ASSESSMENT, D(2023, 10, 1), actor=world.secretary2)
    # the year as an activist counts from the determination in BR1
    record(world, candidate, K.ACTIVIST_ASSESSMENT, D(2024, 4, 1), actor=world.secretary2)
    assert record(world, candidate, K.TARGET_DETERMINATION, D(2024, 4, 2), actor=world.secretary2).org == world.br2
    assert Fact.objects.filter(detail__step=K.FILE_MOVED, org=world.br2).exists()
    assert AuditRecord.objects.filter(action="recruitment.move", object_id=str(candidate.pk)).exists()
    with pytest.raises(Http404):  # the old branch no longer holds the file
        do_move_file(candidate, to_org=world.br1, on=D(2024, 5, 1), reason="调回", actor=world.officer)


def test_moving_a_file_needs_rights_over_the_receiving_branch(world):
    from dangjian.recruitment.actions import do_move_file

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)
    assert "管理权限" in refused("org", do_move_file, candidate, to_org=world.br2, on=D(2023, 6, 1), reason="调动",
                             actor=world.secretary)
    _both_branches(world)
    assert "不能早于" in refused("on", do_move_file, candidate, to_org=world.br2, on=D(2023, 4, 9), reason="调动",
                              actor=world.secretary)
    assert "原因" in refused("reason", do_move_file, candidate, to_org=world.br2, on=D(2023, 6, 1), reason="",
                           actor=world.secretary)
    assert "相同" in refused("org", do_move_file, candidate, to_org=world.br1, on=D(2023, 6, 1), reason="调动",
                           actor=world.secretary)
    candidate.refresh_from_db()
    assert candidate.org == world.br1


def test_a_probationary_members_file_follows_the_organisation_relationship(world):
    from dangjian.recruitment.actions import do_move_file

    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)
    _both_branches(world)
    assert "组织关系转接" in refused("org", do_move_file, candidate, to_org=world.br2, on=D(2025, 3, 1),
                                  reason="调动", actor=world.secretary)


def test_move_page_and_api(world):
    from django.test import Client
    from rest_framework.test import APIClient

    candidate = candidate_2014(world, until=K.ACTIVIST_ASSESSMENT)
    c = Client()
    c.force_login(world.secretary)
    assert 'data-testid="move-file"' in c.get(f"/recruitment/{candidate.pk}/").content.decode()
    page = c.post(f"/recruitment/{candidate.pk}/move/", {"org": world.br2.pk, "on": "2023-06-01", "reason": "调动"})
    assert page.status_code == 200 and "所选对象不存在或不在您的管理范围内" in page.content.decode()
    _both_branches(world)
    api = APIClient()
    api.force_authenticate(world.secretary)
    bad = api.post(f"/api/v1/recruitment-candidates/{candidate.pk}/move/",
                   {"org": world.br2.pk, "on": "2023-06-01", "reason": ""}, format="json")
    assert bad.status_code == 400
    moved = api.post(f"/api/v1/recruitment-candidates/{candidate.pk}/move/",
                     {"org": world.br2.pk, "on": "2023-06-01", "reason": "调动"}, format="json")
    assert moved.status_code == 201 and moved.json()["kind"] == K.FILE_MOVED
    candidate.refresh_from_db()
    assert candidate.org == world.br2
