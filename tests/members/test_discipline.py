"""党纪处分: five kinds; 留党察看 at most two years, with no vote or election rights during it; 开除党籍 ends membership;
the reason is encrypted, masked in every list and revealed only to roles that may, with an audit record."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from dangjian.core.models import AuditRecord
from dangjian.members import actions
from dangjian.members.choices import MemberStatus
from dangjian.members.lifecycle_rules import introducer_sanction_refusal, recent_sanction, sanctions_in_effect
from dangjian.members.models import DisciplinaryAction, Member
from dangjian.members.periods import add_months, add_years
from dangjian.members.rules import voting_refusal

TODAY = dt.date.today()
SECRET = "收受管理服务对象礼金二万元"


AUTO = object()


def record(world, member, kind="probation_within_party", starts_on=None, ends_on=AUTO, actor=None, **extra):
    starts_on = starts_on or add_months(TODAY, -1)
    if ends_on is AUTO:  # a one-year 留党察看; the impact period of the others comes from the rulebook
        ends_on = add_years(starts_on, 1) if kind == "probation_within_party" else None
    data = {"kind": kind, "decided_on": starts_on, "deciding_body": "中共示范区纪律检查委员会",
            "document_number": "示纪〔2026〕3号", "starts_on": starts_on, "ends_on": ends_on, "reason": SECRET, **extra}
    return actions.do_record_disciplinary_action(member, data=data, actor=actor or world.committee_organizer)


@pytest.mark.django_db
def test_probation_within_party_of_twenty_five_months_is_refused(world):
    member = world.members["BR1"][1]
    start = add_months(TODAY, -1)
    with pytest.raises(ValidationError) as exc:
        record(world, member, starts_on=start, ends_on=add_months(start, 25))
    assert "最长不超过 2 年" in exc.value.message_dict["ends_on"][0]
    assert not DisciplinaryAction.objects.exists()
    assert record(world, member, starts_on=start, ends_on=add_years(start, 2)).ends_on == add_years(start, 2)


@pytest.mark.django_db
def test_probation_within_party_needs_its_end_date(world):
    with pytest.raises(ValidationError, match="察看期满日期"):
        record(world, world.members["BR1"][1], ends_on=None)


@pytest.mark.django_db
def test_voting_is_refused_during_probation_within_party_and_restored_after(world):
    member = world.members["BR1"][1]
    start = add_years(TODAY, -1) - dt.timedelta(days=10)
    action = record(world, member, starts_on=start, ends_on=add_years(start, 1))
    during = action.ends_on - dt.timedelta(days=1)
    assert "留党察看" in voting_refusal(member, during)
    assert voting_refusal(member, action.ends_on) is None  # rights restored when the period ends
    assert voting_refusal(member, start - dt.timedelta(days=1)) is None
    assert voting_refusal(member, TODAY) is None


@pytest.mark.django_db
def test_introducers_under_probation_are_blocked_and_within_a_warning_impact_period_are_warned(world):
    member, other = world.members["BR1"][1], world.members["BR1"][2]
    record(world, member, ends_on=add_years(add_months(TODAY, -1), 1))
    level, reason = introducer_sanction_refusal(member)
    assert level == "block" and "不能作入党介绍人" in reason
    warning = record(world, other, kind="warning")
    assert warning.ends_on == add_months(warning.starts_on, 12)  # the impact period from the rulebook
    level, reason = introducer_sanction_refusal(other)
    assert level == "warn" and "不宜" in reason
    assert introducer_sanction_refusal(other, warning.ends_on) is None
    assert list(sanctions_in_effect(other)) == [warning]
    assert recent_sanction(other, within_months=3) == warning
    assert recent_sanction(other, on=add_months(TODAY, 6), within_months=3) is None


@pytest.mark.django_db
def test_expulsion_sets_the_status_to_left_and_keeps_the_record(world):
    member = world.members["BR1"][1]
    record(world, member, kind="expulsion", starts_on=TODAY)
    member = Member.objects.get(pk=member.pk)
    assert member.status == MemberStatus.LEFT and "开除党籍" in member.status_reason
    with pytest.raises(ValidationError, match="不能登记处分"):
        record(world, member, kind="warning")


@pytest.mark.django_db
def test_only_the_committee_records_sanctions_and_only_in_its_scope(world):
    with pytest.raises(Http404):
        record(world, world.members["BR1"][1], actor=world.secretary)
    with pytest.raises(Http404):
        record(world, world.members["BR3"][0], actor=world.committee_organizer)
    with pytest.raises(ValidationError) as exc:
        record(world, world.members["BR1"][1], deciding_body="", reason="")
    assert set(exc.value.message_dict) >= {"deciding_body", "reason"}


@pytest.mark.django_db
def test_the_reason_is_encrypted_at_rest(world):
    action = record(world, world.members["BR1"][1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM members_disciplinaryaction WHERE id = %s", [action.pk])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored
    assert DisciplinaryAction.objects.get(pk=action.pk).reason == SECRET


@pytest.mark.django_db
def test_the_reason_never_appears_unmasked_in_the_list_page_or_the_api_list(world, client):
    member = world.members["BR1"][1]
    action = record(world, member)
    for user in (world.secretary, world.committee_organizer, world.organizer):
        client.force_login(user)
        for url in ("/members/discipline/", f"/members/{member.pk}/lifecycle/", "/api/v1/disciplinary-actions/",
                    f"/api/v1/disciplinary-actions/{action.pk}/"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert SECRET not in response.content.decode(), url
    listed = client.get("/api/v1/disciplinary-actions/").json()["results"]
    assert [row["reason"] for row in listed] == [DisciplinaryAction.MASK]
    assert not AuditRecord.objects.filter(action="discipline.reveal").exists()


@pytest.mark.django_db
def test_revealing_the_reason_is_for_the_committee_only_and_is_audited(world, client):
    member = world.members["BR1"][1]
    action = record(world, member)
    client.force_login(world.secretary)  # the branch sees the sanction, not its reason
    assert client.post(f"/members/discipline/{action.pk}/reveal/", {"reason": "核查"}).status_code == 404
    assert client.post(f"/api/v1/disciplinary-actions/{action.pk}/reveal/", {}, content_type="application/json").status_code == 404
    client.force_login(world.committee_organizer)
    page = client.post(f"/members/discipline/{action.pk}/reveal/", {"reason": "干部考察"})
    assert SECRET in page.content.decode()
    api = client.post(f"/api/v1/disciplinary-actions/{action.pk}/reveal/", {"reason": "干部考察"},
                      content_type="application/json")
    assert api.json()["reason"] == SECRET
    reveals = AuditRecord.objects.filter(action="discipline.reveal")
    assert reveals.count() == 2 and all(SECRET not in str(r.after) + r.detail for r in reveals)
    client.force_login(world.secretary2)  # another branch: not even the sanction
    assert client.get(f"/api/v1/disciplinary-actions/{action.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_discipline_form_and_api_refuse_bad_input_in_chinese_and_write_nothing(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.committee_organizer)
    start = add_months(TODAY, -1)
    page = client.post(f"/members/{member.pk}/discipline/", {
        "kind": "probation_within_party", "decided_on": start, "deciding_body": "区纪委", "starts_on": start,
        "ends_on": add_months(start, 30), "reason": SECRET})
    assert "最长不超过" in page.content.decode() and not DisciplinaryAction.objects.exists()
    api = client.post("/api/v1/disciplinary-actions/", {
        "member": member.pk, "kind": "probation_within_party", "decided_on": start.isoformat(),
        "deciding_body": "区纪委", "starts_on": start.isoformat(), "ends_on": add_months(start, 25).isoformat(),
        "reason": SECRET}, content_type="application/json")
    assert api.status_code == 400 and "最长不超过" in api.json()["ends_on"][0]
    created = client.post("/api/v1/disciplinary-actions/", {
        "member": member.pk, "kind": "serious_warning", "decided_on": start.isoformat(), "deciding_body": "区纪委",
        "starts_on": start.isoformat(), "reason": SECRET}, content_type="application/json")
    assert created.status_code == 201 and created.json()["reason"] == DisciplinaryAction.MASK
    foreign = client.post("/api/v1/disciplinary-actions/", {**created.json(), "member": world.members["BR3"][0].pk,
                                                            "reason": SECRET}, content_type="application/json")
    assert foreign.status_code == 400 and "member" in foreign.json()
