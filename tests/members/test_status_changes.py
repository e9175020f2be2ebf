"""Status changes with approval steps: 失联 ≥ 6 months → 停止党籍; 停止党籍 2 more years → 除名 (自行脱党); abroad for
study > 5 years → 停止党籍; 恢复党籍 where allowed, never after 除名; death keeps the record and stops 党龄."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core import audit
from dangjian.core.models import AuditRecord
from dangjian.members import actions
from dangjian.members.choices import MemberStatus
from dangjian.members.lifecycle_queries import awaiting_decision, due_for_proposal
from dangjian.members.lifecycle_rules import party_standing_years
from dangjian.members.models import Absence, Member, StatusChangeProposal
from dangjian.members.periods import add_months, add_years

TODAY = dt.date.today()
Kind, Ground, State = StatusChangeProposal.Kind, StatusChangeProposal.Ground, StatusChangeProposal.State


def lost(world, member, since, actor=None):
    return actions.do_record_absence(member, kind=Absence.Kind.LOST_CONTACT, since=since, note="电话停机",
                                     actor=actor or world.secretary)


def propose_suspension(world, member, ground=Ground.LOST_CONTACT):
    return actions.do_propose_status_change(member, kind=Kind.SUSPEND, ground=ground, reason="多次联系未果",
                                            actor=world.secretary)


@pytest.mark.django_db
def test_lost_contact_for_five_months_and_twenty_nine_days_is_not_yet_due_for_suspension(world):
    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -6) + dt.timedelta(days=1))
    assert Member.objects.get(pk=member.pk).lost_contact is True
    assert due_for_proposal(world.secretary) == []
    with pytest.raises(ValidationError, match="方可提出") as exc:
        propose_suspension(world, member)
    assert "第二十四条" in str(exc.value)
    assert not StatusChangeProposal.objects.exists()


@pytest.mark.django_db
def test_lost_contact_for_six_months_is_due_for_a_suspension_proposal(world):
    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -6))
    due = due_for_proposal(world.secretary)
    assert [(row.member.pk, row.kind, row.ground) for row in due] == [(member.pk, Kind.SUSPEND, Ground.LOST_CONTACT)]
    assert due_for_proposal(world.secretary2) == []  # another branch does not see it
    proposal = propose_suspension(world, member)
    assert proposal.state == State.PROPOSED
    assert due_for_proposal(world.secretary) == []  # under way now


@pytest.mark.django_db
def test_suspension_changes_the_status_only_when_the_higher_committee_approves(world):
    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -7))
    proposal = propose_suspension(world, member)
    assert Member.objects.get(pk=member.pk).status == MemberStatus.NORMAL
    assert awaiting_decision(world.committee_organizer) == [proposal]
    assert awaiting_decision(world.secretary) == []
    actions.do_approve_status_change(proposal, actor=world.committee_organizer)
    member.refresh_from_db()
    assert (member.status, member.status_changed_on) == (MemberStatus.SUSPENDED, TODAY)
    assert "失去联系" in member.status_reason
    proposal.refresh_from_db()
    assert [h["step"] for h in proposal.history] == ["支部提出", "上级党委批准"]
    assert set(AuditRecord.objects.values_list("action", flat=True)) >= {
        "member.absence", "member.status_propose", "member.status_approve", "member.status"}
    assert audit.verify().ok


@pytest.mark.django_db
def test_approval_by_a_user_outside_the_higher_committee_is_not_found(world):
    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -7))
    proposal = propose_suspension(world, member)
    from dangjian.accounts import actions as account_actions
    from dangjian.accounts.roles import RoleName

    other_committee = account_actions.do_create_account(username="stb_organizer", password=world.password,
                                                        display_name="西城街道党工委组织员")
    account_actions.do_assign_role(other_committee, role=RoleName.COMMITTEE_ORGANIZER, org=world.stb)
    other_committee.forget_assignments()
    for outsider in (world.secretary, world.secretary2, other_committee, world.member_user):
        with pytest.raises(Http404):
            actions.do_approve_status_change(proposal, actor=outsider)
        with pytest.raises(Http404):
            actions.do_send_back_status_change(proposal, reason="不同意", actor=outsider)
    assert Member.objects.get(pk=member.pk).status == MemberStatus.NORMAL
    actions.do_approve_status_change(proposal, actor=world.organizer)  # the 区委 above is a higher 党委 too
    assert Member.objects.get(pk=member.pk).status == MemberStatus.SUSPENDED


@pytest.mark.django_db
def test_send_back_returns_the_proposal_to_the_branch_with_a_reason(world):
    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -8))
    proposal = propose_suspension(world, member)
    with pytest.raises(ValidationError, match="退回原因"):
        actions.do_send_back_status_change(proposal, reason="", actor=world.committee_organizer)
    back = actions.do_send_back_status_change(proposal, reason="请补充联系记录", actor=world.committee_organizer)
    assert (back.state, back.note) == (State.RETURNED, "请补充联系记录")
    with pytest.raises(ValidationError, match="不能办理"):
        actions.do_approve_status_change(proposal, actor=world.committee_organizer)
    assert actions.do_resubmit_status_change(proposal, actor=world.secretary, reason="补充：三次走访").state == State.PROPOSED
    actions.do_approve_status_change(proposal, actor=world.committee_organizer)
    proposal.refresh_from_db()
    assert [h["step"] for h in proposal.history] == ["支部提出", "上级党委退回", "支部重新提交", "上级党委批准"]
    assert AuditRecord.objects.filter(action="member.status_send_back").count() == 1


@pytest.mark.django_db
def test_removal_after_two_years_of_suspension_needs_the_branch_meeting_and_records_self_withdrawal(world):
    member = world.members["BR1"][1]
    lost(world, member, add_years(TODAY, -3))
    actions.do_change_member_status(member, status=MemberStatus.SUSPENDED, on=add_years(TODAY, -2) + dt.timedelta(days=1),
                                    reason="停止党籍", actor=world.committee_organizer)
    assert due_for_proposal(world.secretary) == []  # one day short of two years
    with pytest.raises(ValidationError, match="方可提出"):
        actions.do_propose_status_change(member, kind=Kind.REMOVE, ground=Ground.SELF_WITHDRAWAL, reason="仍无法联系",
                                         branch_meeting_on=TODAY, actor=world.secretary)
    Member.objects.filter(pk=member.pk).update(status_changed_on=add_years(TODAY, -2))
    member.refresh_from_db()
    assert [(r.kind, r.ground) for r in due_for_proposal(world.secretary)] == [(Kind.REMOVE, Ground.SELF_WITHDRAWAL)]
    with pytest.raises(ValidationError) as exc:
        actions.do_propose_status_change(member, kind=Kind.REMOVE, ground=Ground.SELF_WITHDRAWAL, reason="仍无法联系",
                                         actor=world.secretary)
    assert "支部党员大会" in str(exc.value.message_dict["branch_meeting_on"])
    proposal = actions.do_propose_status_change(member, kind=Kind.REMOVE, ground=Ground.SELF_WITHDRAWAL,
                                                reason="仍无法联系", branch_meeting_on=TODAY, actor=world.secretary)
    actions.do_approve_status_change(proposal, actor=world.committee_organizer)
    member.refresh_from_db()
    assert member.status == MemberStatus.LEFT and "自行脱党" in member.status_reason
    proposal.refresh_from_db()
    assert proposal.ground == "self_withdrawal"  # the code the statistics read; the reason shown is Chinese


@pytest.mark.django_db
def test_abroad_for_study_more_than_five_years_is_due_and_exactly_five_is_not(world):
    member = world.members["BR1"][1]
    actions.do_record_absence(member, kind=Absence.Kind.ABROAD_STUDY, since=add_years(TODAY, -5), actor=world.secretary)
    assert due_for_proposal(world.secretary) == []
    with pytest.raises(ValidationError, match="方可提出"):
        propose_suspension(world, member, Ground.ABROAD_STUDY)
    Absence.objects.filter(member=member).update(since=add_years(TODAY, -5) - dt.timedelta(days=1))
    assert [r.ground for r in due_for_proposal(world.secretary)] == [Ground.ABROAD_STUDY]
    assert propose_suspension(world, member, Ground.ABROAD_STUDY).state == State.PROPOSED


@pytest.mark.django_db
def test_restoration_is_possible_after_suspension_once_contact_is_restored(world):
    member = world.members["BR1"][1]
    absence = lost(world, member, add_months(TODAY, -9))
    actions.do_approve_status_change(propose_suspension(world, member), actor=world.committee_organizer)
    with pytest.raises(ValidationError, match="恢复联系"):
        actions.do_propose_status_change(member, kind=Kind.RESTORE, ground=Ground.RESTORED_CONTACT, reason="已返回",
                                         actor=world.secretary)
    actions.do_end_absence(absence, ended_on=TODAY, note="本人已回到本地", actor=world.secretary)
    assert Member.objects.get(pk=member.pk).lost_contact is False
    proposal = actions.do_propose_status_change(member, kind=Kind.RESTORE, ground=Ground.RESTORED_CONTACT,
                                                reason="本人主动联系，表示愿意继续参加组织生活", actor=world.secretary)
    actions.do_approve_status_change(proposal, actor=world.committee_organizer)
    assert Member.objects.get(pk=member.pk).status == MemberStatus.NORMAL


@pytest.mark.django_db
def test_restoration_is_refused_for_a_member_removed_from_the_party(world):
    member = world.members["BR1"][1]
    actions.do_change_member_status(member, status=MemberStatus.LEFT, on=TODAY, reason="除名", actor=world.secretary)
    with pytest.raises(ValidationError, match="重新入党"):
        actions.do_propose_status_change(member, kind=Kind.RESTORE, ground=Ground.RESTORED_CONTACT, reason="申请恢复",
                                         actor=world.secretary)
    assert not StatusChangeProposal.objects.exists()


@pytest.mark.django_db
def test_a_ground_that_does_not_fit_the_kind_is_refused_and_one_proposal_at_a_time(world):
    member = world.members["BR1"][1]
    with pytest.raises(ValidationError, match="依据应为"):
        actions.do_propose_status_change(member, kind=Kind.SUSPEND, ground=Ground.SELF_WITHDRAWAL, reason="说明",
                                         actor=world.secretary)
    with pytest.raises(ValidationError, match="失联情况"):
        propose_suspension(world, member)
    lost(world, member, add_months(TODAY, -7))
    propose_suspension(world, member)
    with pytest.raises(ValidationError, match="正在办理"):
        propose_suspension(world, member)
    with pytest.raises(Http404):  # not the branch's member
        propose_suspension(world, world.members["BR2"][0])


@pytest.mark.django_db
def test_death_keeps_the_record_and_party_standing_stops_at_the_date_of_death(world):
    member = world.members["BR1"][1]  # converted 2011-07-01
    assert party_standing_years(member, dt.date(2021, 6, 30)) == 9
    assert party_standing_years(member, dt.date(2021, 7, 1)) == 10
    died_on = dt.date(2021, 7, 1)
    actions.do_record_member_death(member, died_on=died_on, note="因病去世", actor=world.secretary)
    member = Member.objects.get(pk=member.pk)
    assert (member.status, member.status_changed_on) == (MemberStatus.DECEASED, died_on)
    assert party_standing_years(member) == 10  # not counting on after death
    assert party_standing_years(member, dt.date(2030, 1, 1)) == 10
    with pytest.raises(ValidationError, match="已登记为死亡"):
        actions.do_record_member_death(member, died_on=died_on, actor=world.secretary)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        actions.do_record_member_death(world.members["BR1"][2], died_on=TODAY + dt.timedelta(days=1),
                                       actor=world.secretary)


@pytest.mark.django_db
def test_a_probationary_member_has_no_party_standing_yet(world):
    member = world.members["BR1"][2]
    Member.objects.filter(pk=member.pk).update(category="probationary", converted_on=None)
    assert party_standing_years(Member.objects.get(pk=member.pk)) is None


@pytest.mark.django_db
def test_the_proposal_pages_take_the_branch_and_the_committee_through_their_steps(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    response = client.post(f"/members/{member.pk}/absence/", {"kind": "lost_contact",
                                                              "since": (TODAY + dt.timedelta(days=3)).isoformat()})
    assert "不能晚于今天" in response.content.decode() and not Absence.objects.exists()
    client.post(f"/members/{member.pk}/absence/", {"kind": "lost_contact",
                                                   "since": add_months(TODAY, -6).isoformat(), "note": "电话停机"})
    page = client.get("/members/lifecycle/").content.decode()
    assert member.name in page and "失去联系六个月以上" in page
    client.post(f"/members/{member.pk}/propose/", {"kind": "suspend", "ground": "lost_contact", "reason": "多次联系未果"})
    proposal = StatusChangeProposal.objects.get()
    assert client.post("/members/lifecycle/", {"proposal": proposal.pk, "action": "approve"}).status_code == 404
    client.force_login(world.committee_organizer)
    assert "待上级党委审批" in client.get("/members/lifecycle/").content.decode()
    assert "待上级党委审批的党籍处置" in client.get("/").content.decode()
    client.post("/members/lifecycle/", {"proposal": proposal.pk, "action": "approve"})
    assert Member.objects.get(pk=member.pk).status == MemberStatus.SUSPENDED
    history = client.get(f"/members/{member.pk}/lifecycle/").content.decode()
    assert "上级党委批准" in history


@pytest.mark.django_db
def test_the_status_api_runs_the_same_steps_with_the_same_rules_and_scope(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    early = client.post("/api/v1/member-absences/", {"member": member.pk, "kind": "lost_contact",
                                                     "since": (add_months(TODAY, -6) + dt.timedelta(days=1)).isoformat()},
                        content_type="application/json")
    assert early.status_code == 201 and early.json()["kind"] == "lost_contact"
    refused = client.post("/api/v1/status-proposals/", {"member": member.pk, "kind": "suspend", "ground": "lost_contact",
                                                         "reason": "多次联系未果"}, content_type="application/json")
    assert refused.status_code == 400 and "方可提出" in refused.json()["ground"][0]
    Absence.objects.filter(member=member).update(since=add_months(TODAY, -6))
    assert [row["member"] for row in client.get("/api/v1/status-proposals/due/").json()] == [member.pk]
    foreign = client.post("/api/v1/status-proposals/", {"member": world.members["BR3"][0].pk, "kind": "suspend",
                                                        "ground": "lost_contact", "reason": "说明"},
                          content_type="application/json")
    assert foreign.status_code == 400 and "member" in foreign.json()
    created = client.post("/api/v1/status-proposals/", {"member": member.pk, "kind": "suspend",
                                                        "ground": "lost_contact", "reason": "多次联系未果"},
                          content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert client.post(f"/api/v1/status-proposals/{pk}/approve/", {}, content_type="application/json").status_code == 404
    client.force_login(world.committee_organizer)
    back = client.post(f"/api/v1/status-proposals/{pk}/send-back/", {"reason": ""}, content_type="application/json")
    assert back.status_code == 400 and "退回原因" in back.json()["reason"][0]
    approved = client.post(f"/api/v1/status-proposals/{pk}/approve/", {}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert Member.objects.get(pk=member.pk).status == MemberStatus.SUSPENDED
    death = client.post("/api/v1/member-deaths/", {"member": member.pk, "died_on": TODAY.isoformat()},
                        content_type="application/json")
    assert death.status_code == 200 and death.json()["status"] == "deceased"


@pytest.mark.django_db
def test_the_demo_data_has_a_lost_contact_member_a_mobile_member_and_a_sanction():
    from django.core.management import call_command

    from dangjian.members.models import DisciplinaryAction, MobileRecord

    call_command("seed", members=300)
    assert Member.objects.filter(lost_contact=True).count() == 1
    assert Absence.objects.filter(kind="lost_contact", ended_on__isnull=True).count() == 1
    assert Member.objects.filter(is_mobile=True, mobile_records__state="out").count() == 1
    assert DisciplinaryAction.objects.count() == 1
    assert MobileRecord.objects.get().review_due_on < TODAY  # the demo shows an overdue 年审


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_proposals_for_one_member_let_exactly_one_through(world):
    import threading

    from django.db import connections

    member = world.members["BR1"][1]
    lost(world, member, add_months(TODAY, -7))
    barrier, outcomes = threading.Barrier(2), []

    def attempt(actor):
        try:
            barrier.wait()
            actions.do_propose_status_change(member, kind=Kind.SUSPEND, ground=Ground.LOST_CONTACT,
                                             reason="多次联系未果", actor=actor)
            outcomes.append("proposed")
        except ValidationError as exc:
            outcomes.append("refused" if "正在办理" in str(exc) else str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in (world.secretary, world.officer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["proposed", "refused"]
    assert StatusChangeProposal.objects.filter(member=member).count() == 1
