"""流动党员: the home branch registers the outflow and keeps in touch, the inflow organisation registers the inflow, the
活动证 is reviewed once a year, the member joins the inflow organisation's life without voting there."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.members import actions
from dangjian.members.lifecycle_queries import contact_due, home_mobile_records, lifecycle_items, review_overdue
from dangjian.members.models import Member, MobileRecord
from dangjian.members.periods import add_months, add_years
from dangjian.members.rules import voting_refusal

TODAY = dt.date.today()


def outflow(world, member=None, inflow_org=None, **extra):
    data = {"destination": "", "out_since": add_months(TODAY, -2), "reason": "外出务工", "contact_phone": "13912345678",
            "inflow_org": inflow_org, **extra}
    if inflow_org is None and not data["destination"]:
        data["destination"] = "广东省深圳市南山区"
    return actions.do_register_mobile_outflow(member or world.members["BR1"][1], data=data, actor=world.secretary)


@pytest.mark.django_db
def test_outflow_registration_marks_the_member_mobile_and_closing_clears_it(world):
    member = world.members["BR1"][1]
    record = outflow(world, member)
    assert Member.objects.get(pk=member.pk).is_mobile is True
    assert record.home_org == world.br1 and record.state == MobileRecord.State.OUT
    with pytest.raises(ValidationError, match="已登记为流动党员"):
        outflow(world, member)
    with pytest.raises(ValidationError, match="结束原因"):
        actions.do_close_mobile_record(record, closure="", on=TODAY, actor=world.secretary)
    actions.do_close_mobile_record(record, closure="returned", on=TODAY, actor=world.secretary)
    assert Member.objects.get(pk=member.pk).is_mobile is False
    assert MobileRecord.objects.get().get_closure_display() == "已返回"


@pytest.mark.django_db
def test_bad_outflow_input_is_refused_per_field_in_chinese(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_register_mobile_outflow(world.members["BR1"][1], data={
            "out_since": TODAY + dt.timedelta(days=1), "reason": "", "contact_phone": "12345",
            "certificate_number": "LD-1"}, actor=world.secretary)
    errors = exc.value.message_dict
    assert set(errors) >= {"out_since", "reason", "destination", "contact_phone", "certificate_issued_on"}
    assert not MobileRecord.objects.exists() and not Member.objects.get(pk=world.members["BR1"][1].pk).is_mobile


@pytest.mark.django_db
def test_the_inflow_organisation_registers_the_inflow_and_the_home_branch_cannot(world):
    record = outflow(world, inflow_org=world.br3)
    with pytest.raises(Http404):
        actions.do_register_mobile_inflow(record, on=TODAY, actor=world.secretary)
    actions.do_register_mobile_inflow(record, on=TODAY, actor=world.organizer)
    record.refresh_from_db()
    assert (record.state, record.inflow_registered_on) == (MobileRecord.State.IN, TODAY)


@pytest.mark.django_db
def test_a_place_outside_the_system_is_registered_by_the_home_branch(world):
    record = outflow(world)
    assert actions.do_register_mobile_inflow(record, on=TODAY, actor=world.secretary).state == MobileRecord.State.IN


@pytest.mark.django_db
def test_a_mobile_member_takes_part_in_the_inflow_organisation_but_does_not_vote_there(world):
    member = world.members["BR1"][1]
    outflow(world, member, inflow_org=world.br3)
    assert "流动党员" in voting_refusal(member, TODAY, org=world.br3)
    assert voting_refusal(member, TODAY, org=world.br1) is None  # at home the vote stays
    assert voting_refusal(member, TODAY) is None


@pytest.mark.django_db
def test_the_certificate_review_is_overdue_after_a_year(world):
    issued = add_years(TODAY, -1)
    record = outflow(world, certificate_number="LD-2025-001", certificate_issued_on=issued,
                     certificate_valid_until=add_years(TODAY, 2), out_since=issued)
    assert record.review_due_on == TODAY
    assert review_overdue([record], TODAY) == []
    MobileRecord.objects.filter(pk=record.pk).update(certificate_issued_on=issued - dt.timedelta(days=1))
    record.refresh_from_db()
    assert review_overdue([record], TODAY) == [record]
    assert any("逾期未年审" in item.title for item in lifecycle_items(world.secretary))
    actions.do_review_mobile_certificate(record, on=TODAY, note="结合民主评议", actor=world.secretary)
    record.refresh_from_db()
    assert review_overdue([record], TODAY) == [] and record.review_due_on == add_years(TODAY, 1)
    assert [h["step"] for h in record.history][-1] == "活动证年审"


@pytest.mark.django_db
def test_no_review_without_a_certificate_and_not_in_the_future(world):
    record = outflow(world)
    with pytest.raises(ValidationError, match="尚未发放活动证"):
        actions.do_review_mobile_certificate(record, on=TODAY, actor=world.secretary)
    actions.do_issue_mobile_certificate(record, data={"certificate_number": "LD-9", "certificate_issued_on": TODAY,
                                                      "certificate_valid_until": add_years(TODAY, 1)},
                                        actor=world.secretary)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        actions.do_review_mobile_certificate(record, on=TODAY + dt.timedelta(days=1), actor=world.secretary)


@pytest.mark.django_db
def test_the_home_branch_is_warned_after_six_months_without_contact(world):
    member = world.members["BR1"][1]
    record = outflow(world, member, out_since=add_months(TODAY, -6) + dt.timedelta(days=1))
    assert contact_due(home_mobile_records(world.secretary), TODAY) == []
    MobileRecord.objects.filter(pk=record.pk).update(out_since=add_months(TODAY, -6))
    assert [r.pk for r, _ in contact_due(home_mobile_records(world.secretary), TODAY)] == [record.pk]
    actions.do_record_contact(member, on=TODAY, method="phone", reached=False, note="无人接听", actor=world.secretary)
    assert len(contact_due(home_mobile_records(world.secretary), TODAY)) == 1  # an attempt is not contact
    actions.do_record_contact(member, on=TODAY, method="phone", reached=True, note="在深圳务工", actor=world.secretary)
    assert contact_due(home_mobile_records(world.secretary), TODAY) == []


@pytest.mark.django_db
def test_the_mobile_lists_show_each_side_its_own_members(world, client):
    member = world.members["BR1"][1]
    outflow(world, member, inflow_org=world.br3)
    client.force_login(world.secretary)
    assert member.name in client.get("/members/mobile/").content.decode()
    assert member.name not in client.get("/members/mobile/?side=in").content.decode()
    client.force_login(world.secretary2)
    assert member.name not in client.get("/members/mobile/").content.decode()
    client.force_login(world.organizer)
    inflow_page = client.get("/members/mobile/?side=in").content.decode()
    assert member.name in inflow_page and "13912345678" not in inflow_page and "139****5678" in inflow_page
    record = MobileRecord.objects.get()
    client.post("/members/mobile/", {"record": record.pk, "action": "inflow", "on": TODAY.isoformat(), "side": "in"})
    assert MobileRecord.objects.get().state == MobileRecord.State.IN


@pytest.mark.django_db
def test_the_mobile_api_registers_reviews_and_closes_within_the_scope(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    bad = client.post("/api/v1/mobile-records/", {"member": member.pk, "out_since": "2026-13-01", "reason": ""},
                      content_type="application/json")
    assert bad.status_code == 400 and {"out_since", "reason"} <= set(bad.json())
    created = client.post("/api/v1/mobile-records/", {
        "member": member.pk, "inflow_org": world.br3.pk, "out_since": add_months(TODAY, -1).isoformat(),
        "reason": "外出经商", "contact_phone": "13912345678", "certificate_number": "LD-7",
        "certificate_issued_on": add_months(TODAY, -1).isoformat(),
        "certificate_valid_until": add_years(TODAY, 1).isoformat()}, content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["contact_phone"] == "139****5678" and body["destination"] == world.br3.name
    pk = body["id"]
    assert client.post(f"/api/v1/mobile-records/{pk}/inflow/", {"on": TODAY.isoformat()},
                       content_type="application/json").status_code == 404
    review = client.post(f"/api/v1/mobile-records/{pk}/review/", {"on": TODAY.isoformat()},
                         content_type="application/json")
    assert review.status_code == 200 and review.json()["last_reviewed_on"] == TODAY.isoformat()
    listed = client.get("/api/v1/mobile-records/?side=out").json()["results"]
    assert [row["id"] for row in listed] == [pk]
    client.force_login(world.secretary2)
    assert client.get(f"/api/v1/mobile-records/{pk}/").status_code == 404
    client.force_login(world.secretary)
    closed = client.post(f"/api/v1/mobile-records/{pk}/close/", {"on": TODAY.isoformat(), "closure": "transferred"},
                         content_type="application/json")
    assert closed.status_code == 200 and not Member.objects.get(pk=member.pk).is_mobile
