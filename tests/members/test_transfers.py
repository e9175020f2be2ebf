"""组织关系转接 inside the system: apply → sending 党委 approves → receiver accepts; send back; withdraw."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core import audit
from dangjian.members import actions
from dangjian.members.models import Member, Transfer
from dangjian.members.periods import add_months


def apply(world, member=None, to=None, actor=None):
    return actions.do_apply_transfer(member or world.members["BR1"][1], to_org=to or world.br3, reason="工作调动",
                                     actor=actor or world.secretary)


@pytest.mark.django_db
def test_a_transfer_runs_branch_then_committee_then_receiver_and_the_member_moves_only_on_receipt(world):
    member = world.members["BR1"][1]
    transfer = apply(world, member)
    assert Member.objects.get(pk=member.pk).org == world.br1  # the sender stays responsible
    with pytest.raises(Http404):  # a branch cannot approve its own transfer out
        actions.do_approve_transfer(transfer, actor=world.secretary)
    with pytest.raises(ValidationError, match="不能接收"):
        actions.do_receive_transfer(transfer, actor=world.organizer)
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    assert Member.objects.get(pk=member.pk).org == world.br1
    with pytest.raises(Http404):  # only the receiving side accepts
        actions.do_receive_transfer(transfer, actor=world.committee_organizer)
    actions.do_receive_transfer(transfer, actor=world.organizer)
    member.refresh_from_db()
    assert member.org == world.br3 and member.version == 2
    assert [step["step"] for step in Transfer.objects.get().history] == ["申请", "转出党委审批", "接收"]
    assert audit.verify().ok


@pytest.mark.django_db
def test_send_back_returns_one_step_with_a_reason_and_the_branch_may_resubmit_or_withdraw(world):
    transfer = apply(world)
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    with pytest.raises(ValidationError, match="退回原因"):
        actions.do_send_back_transfer(transfer, reason="", actor=world.organizer)
    back = actions.do_send_back_transfer(transfer, reason="接收单位信息有误", actor=world.organizer)
    assert back.state == Transfer.State.APPLIED
    back = actions.do_send_back_transfer(transfer, reason="请补充材料", actor=world.committee_organizer)
    assert (back.state, back.note) == (Transfer.State.RETURNED, "请补充材料")
    assert actions.do_resubmit_transfer(transfer, actor=world.secretary).state == Transfer.State.APPLIED
    assert actions.do_withdraw_transfer(transfer, actor=world.secretary).state == Transfer.State.WITHDRAWN
    assert Member.objects.get(pk=transfer.member_id).org == world.br1


@pytest.mark.django_db
def test_withdraw_is_possible_only_before_the_committee_has_acted(world):
    transfer = apply(world)
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    with pytest.raises(ValidationError, match="不能撤回"):
        actions.do_withdraw_transfer(transfer, actor=world.secretary)


@pytest.mark.django_db
def test_bad_applications_are_refused_in_chinese(world):
    member = world.members["BR1"][1]
    with pytest.raises(ValidationError, match="相同"):
        apply(world, member, to=world.br1)
    with pytest.raises(ValidationError, match="党小组"):
        apply(world, member, to=world.br1g1)
    with pytest.raises(Http404):  # not the applicant's member
        apply(world, world.members["BR2"][0])
    apply(world, member)
    with pytest.raises(ValidationError, match="正在办理"):
        apply(world, member, to=world.br2)
    from dangjian.members.actions import do_update_member

    with pytest.raises(ValidationError, match="正在办理"):  # not moved around the transfer either
        do_update_member(member, data={}, org=world.br2, actor=world.committee_organizer)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transfers_of_one_member_let_exactly_one_proceed(world):
    member = world.members["BR1"][1]
    barrier, outcomes = threading.Barrier(2), []

    def attempt(to):
        from django.db import connections

        try:
            barrier.wait()
            apply(world, member, to=to, actor=world.committee_organizer)
            outcomes.append("applied")
        except ValidationError as exc:
            outcomes.append("refused" if "正在办理" in str(exc) else str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(org,)) for org in (world.br2, world.br3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied", "refused"]
    assert Transfer.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_the_transfer_pages_take_each_side_through_its_step(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    bad = client.post(f"/members/{member.pk}/transfer/", {"to_org": "NOPE", "reason": "工作调动"})
    assert "找不到组织代码" in bad.content.decode() and not Transfer.objects.exists()
    client.post(f"/members/{member.pk}/transfer/", {"to_org": "br3", "reason": "工作调动"})
    transfer = Transfer.objects.get()
    assert "待转出党委审批" in client.get("/members/transfers/").content.decode()
    client.force_login(world.committee_organizer)
    client.post("/members/transfers/", {"transfer": transfer.pk, "action": "approve"}, follow=True)
    client.force_login(world.secretary2)  # a neighbouring branch sees nothing of it
    assert member.name not in client.get("/members/transfers/").content.decode()
    assert client.post("/members/transfers/", {"transfer": transfer.pk, "action": "receive"}).status_code == 404
    client.force_login(world.organizer)
    client.post("/members/transfers/", {"transfer": transfer.pk, "action": "receive"})
    assert Member.objects.get(pk=member.pk).org == world.br3


@pytest.mark.django_db
def test_a_letter_to_outside_carries_number_validity_and_dues_and_the_receipt_closes_it(world, client):
    import datetime as dt
    import io

    from docx import Document

    from dangjian.dues import actions as dues
    from dangjian.dues.months import month_of
    from dangjian.members.choices import MemberStatus
    from dangjian.members.models import TransferLetter

    member = world.members["BR1"][1]
    this_month = month_of(dt.date.today())
    dues.do_set_standard(member, category="employed", base="5000", effective_from=this_month, actor=world.secretary)
    dues.do_record_payment(member, months=[this_month], actor=world.secretary, idempotency_key="L-1")
    letter = actions.do_issue_transfer_letter(member, to_org_name="中共某省某市某局机关委员会", reason="调往外省工作",
                                              actor=world.secretary)
    assert letter.number.startswith(f"{letter.issued_on:%Y}-")
    assert letter.valid_until == add_months(letter.issued_on, 3) - dt.timedelta(days=1)
    assert letter.dues_paid_until == this_month
    with pytest.raises(ValidationError, match="正在办理"):
        apply(world, member)
    client.force_login(world.secretary)
    document = client.get(f"/members/transfers/letter.docx?letter={letter.pk}")
    text = "\n".join(p.text for p in Document(io.BytesIO(document.content)).paragraphs)
    assert letter.number in text and "中共某省某市某局机关委员会" in text and "回执" in text
    assert Member.objects.get(pk=member.pk).status == MemberStatus.NORMAL  # still ours until the receipt
    client.post("/members/transfers/", {"letter": letter.pk, "action": "receipt",
                                        "receipt_org_name": "中共某省某市某局机关委员会",
                                        "receipt_on": dt.date.today().isoformat()})
    assert TransferLetter.objects.get().state == "received"
    assert Member.objects.get(pk=member.pk).status == MemberStatus.TRANSFERRED_OUT
    client.force_login(world.secretary2)
    assert client.get(f"/members/transfers/letter.docx?letter={letter.pk}").status_code == 404


@pytest.mark.django_db
def test_each_side_finds_its_waiting_transfer_step_on_the_home_page(world, client):
    import datetime as dt

    transfer = apply(world)
    client.force_login(world.committee_organizer)
    assert "待审批的组织关系转出" in client.get("/").content.decode()
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    client.force_login(world.organizer)
    page = client.get("/").content.decode()
    assert "待接收的组织关系转入" in page and "待审批的组织关系转出" not in page
    letter = actions.do_issue_transfer_letter(world.members["BR1"][2], to_org_name="中共某市某区某街道工作委员会",
                                              reason="迁居外地", issued_on=dt.date.today() - dt.timedelta(days=120),
                                              actor=world.secretary)
    assert letter.valid_until < dt.date.today()
    client.force_login(world.secretary)
    assert "介绍信已过有效期未收到回执" in client.get("/").content.decode()


# -- steps configured per level (rulebook "transfer_steps") ------------------------------------------------------

def steps(monkeypatch, within, across):
    import json

    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES",
                       json.dumps({"transfer_steps": {"within_committee": within, "across_committees": across}}))


@pytest.mark.django_db
def test_a_receiving_committee_step_when_configured_comes_between_the_sender_approval_and_the_receipt(world,
                                                                                                      monkeypatch):
    steps(monkeypatch, ["sender_committee"], ["sender_committee", "receiver_committee"])
    transfer = apply(world)  # BR1 (under STA) → BR3 (under STB): across committees
    assert transfer.receiver_approval and transfer.sender_approval
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    with pytest.raises(ValidationError, match="不能接收"):
        actions.do_receive_transfer(transfer, actor=world.organizer)
    with pytest.raises(Http404):  # STA's organiser is not the receiving 党委 (STB)
        actions.do_agree_transfer(transfer, actor=world.committee_organizer)
    actions.do_agree_transfer(transfer, actor=world.organizer)
    back = actions.do_send_back_transfer(transfer, reason="材料不全", actor=world.organizer)
    assert back.state == Transfer.State.APPROVED  # the receiver sends back to the receiving 党委
    actions.do_agree_transfer(transfer, actor=world.organizer)
    actions.do_receive_transfer(transfer, actor=world.organizer)
    assert [s["step"] for s in Transfer.objects.get().history] == [
        "申请", "转出党委审批", "接收党委同意", "接收方退回", "接收党委同意", "接收"]
    assert Member.objects.get(pk=transfer.member_id).org == world.br3


@pytest.mark.django_db
def test_a_transfer_within_one_committee_may_skip_the_sending_committee_when_configured(world, monkeypatch):
    steps(monkeypatch, [], ["sender_committee"])
    within = apply(world, to=world.br2)  # BR1 → BR2, both under STA
    assert within.state == Transfer.State.APPROVED and not within.sender_approval
    with pytest.raises(ValidationError, match="不需要接收党委同意"):
        actions.do_agree_transfer(within, actor=world.committee_organizer)
    actions.do_withdraw_transfer(within, actor=world.secretary)  # nobody has acted on it yet
    again = apply(world, to=world.br2)
    back = actions.do_send_back_transfer(again, reason="暂不接收", actor=world.secretary2)
    assert back.state == Transfer.State.RETURNED  # nobody in between: back to the branch
    actions.do_resubmit_transfer(again, actor=world.secretary)
    actions.do_receive_transfer(again, actor=world.secretary2)
    assert Member.objects.get(pk=again.member_id).org == world.br2
    across = apply(world, member=world.members["BR1"][2])  # to BR3: the sending 党委 still approves
    assert across.state == Transfer.State.APPLIED


@pytest.mark.django_db
def test_an_unknown_step_in_the_configuration_stops_with_a_clear_message(world, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    steps(monkeypatch, ["branch_vote"], [])
    with pytest.raises(ImproperlyConfigured, match="transfer_steps"):
        apply(world, to=world.br2)
    assert not Transfer.objects.exists()


@pytest.mark.django_db
def test_the_receiving_committee_finds_its_step_on_the_home_page_and_the_transfer_page(world, client, monkeypatch):
    steps(monkeypatch, ["sender_committee"], ["sender_committee", "receiver_committee"])
    transfer = apply(world)
    actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    client.force_login(world.organizer)
    assert "待同意的组织关系转入" in client.get("/").content.decode()
    page = client.get("/members/transfers/").content.decode()
    assert 'value="agree"' in page
    response = client.post("/members/transfers/", {"transfer": transfer.pk, "action": "agree"})
    assert response.status_code == 302 and Transfer.objects.get().state == Transfer.State.AGREED


# -- letters from outside the system, and the API ---------------------------------------------------------------

def incoming(world, **letter):
    import datetime as dt

    from factories import member_data

    data = {"number": "沪组转 2026-0815", "from_org_name": "中共上海市某街道第三支部委员会",
            "issued_on": dt.date(2026, 8, 1), "valid_until": dt.date(2026, 10, 31), "received_on": dt.date(2026, 8, 20),
            "dues_paid_until": dt.date(2026, 7, 1), **letter}
    return data, member_data(category="probationary", joined_on=dt.date(2026, 3, 1), converted_on=None,
                             applied_on=dt.date(2024, 9, 1), activist_on=dt.date(2024, 12, 1))


@pytest.mark.django_db
def test_an_incoming_letter_places_the_member_from_the_day_they_reported_with_their_probation_carried_over(world):
    import datetime as dt

    from dangjian.members.history import counts_on

    letter, person = incoming(world)
    registered = actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person,
                                                     actor=world.secretary2)
    member = registered.member
    assert (member.org, member.category, member.joined_on, member.activist_on) == (
        world.br2, "probationary", dt.date(2026, 3, 1), dt.date(2024, 12, 1))
    assert registered.dues_paid_until == dt.date(2026, 7, 1)
    assert counts_on(world.br2, dt.date(2026, 8, 19))["total"] == 3
    assert counts_on(world.br2, dt.date(2026, 8, 20))["probationary"] == 1
    with pytest.raises(ValidationError, match="已经登记过"):
        actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person, actor=world.secretary2)
    assert audit.verify().ok


@pytest.mark.django_db
def test_an_incoming_letter_past_its_validity_needs_an_explanation_and_bad_letters_change_nothing(world):
    import datetime as dt

    letter, person = incoming(world, received_on=dt.date(2026, 11, 3))
    with pytest.raises(ValidationError) as refused:
        actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person, actor=world.secretary2)
    assert "逾期原因" in str(refused.value)
    letter, person = incoming(world, issued_on=dt.date(2026, 9, 1), received_on=dt.date(2026, 8, 20), number="")
    with pytest.raises(ValidationError) as refused:
        actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person, actor=world.secretary2)
    assert {"number", "received_on"} <= set(refused.value.message_dict)
    assert Member.objects.count() == 9
    letter, person = incoming(world, received_on=dt.date(2026, 11, 3), overdue_note="因病住院，附支部证明")
    actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person, actor=world.secretary2)
    with pytest.raises(Http404):  # a secretary registers only into their own branch
        actions.do_register_incoming_letter(org=world.br3, letter={**letter, "number": "x-2"}, member_data=person,
                                            actor=world.secretary2)


@pytest.mark.django_db
def test_a_member_who_once_transferred_out_returns_to_the_same_record_but_a_current_member_is_refused(world):
    import datetime as dt

    member = world.members["BR1"][1]
    out = actions.do_issue_transfer_letter(member, to_org_name="中共外省某支部委员会", reason="迁居", actor=world.secretary,
                                           issued_on=dt.date(2026, 2, 1))
    actions.do_record_letter_receipt(out, receipt_org_name="中共外省某支部委员会", receipt_on=dt.date(2026, 2, 20),
                                     actor=world.secretary)
    letter, person = incoming(world)
    person = {**person, "id_number": member.id_number, "name": member.name, "birth_date": member.birth_date,
              "category": "full", "joined_on": member.joined_on, "converted_on": member.converted_on,
              "applied_on": None, "activist_on": None}
    registered = actions.do_register_incoming_letter(org=world.br2, letter=letter, member_data=person,
                                                     actor=world.secretary2)
    assert registered.member.pk == member.pk and registered.member.status == "normal"
    assert Member.objects.get(pk=member.pk).org == world.br2
    current = world.members["BR3"][0]
    with pytest.raises(ValidationError, match="档案已在本系统中"):
        actions.do_register_incoming_letter(
            org=world.br2, letter={**letter, "number": "x-3"},
            member_data={**person, "id_number": current.id_number, "birth_date": current.birth_date},
            actor=world.secretary2)


@pytest.mark.django_db
def test_the_incoming_letter_page_registers_and_shows_errors_beside_the_fields(world, client):
    client.force_login(world.secretary2)
    page = client.post("/members/transfers/incoming/", {"number": "", "from_org_name": "中共外省某支部委员会",
                                                         "org": world.br2.pk})
    assert page.status_code == 200 and "number_errors" in page.content.decode()
    assert Member.objects.filter(org=world.br2).count() == 3
    letter, person = incoming(world)
    form = {**{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in {**letter, **person}.items()
               if v is not None}, "org": world.br2.pk}
    response = client.post("/members/transfers/incoming/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Member.objects.filter(org=world.br2).count() == 4


@pytest.mark.django_db
def test_the_api_takes_a_transfer_through_its_steps_with_the_same_rules_and_scope(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    bad = client.post("/api/v1/transfers/", {"member": member.pk, "to_org": world.br1.pk, "reason": "调动"},
                      content_type="application/json")
    assert bad.status_code == 400 and "相同" in str(bad.json())
    made = client.post("/api/v1/transfers/", {"member": member.pk, "to_org": world.br3.pk, "reason": "工作调动"},
                       content_type="application/json")
    assert made.status_code == 201 and made.json()["awaiting"] == "sender_committee"
    pk = made.json()["id"]
    assert client.post(f"/api/v1/transfers/{pk}/approve/").status_code == 404  # not the branch's step
    client.force_login(world.committee_organizer)
    assert client.post(f"/api/v1/transfers/{pk}/approve/").json()["awaiting"] == "receiver"
    assert client.post(f"/api/v1/transfers/{pk}/receive/").status_code == 404  # STA is not the receiver
    client.force_login(world.organizer)
    future = client.post(f"/api/v1/transfers/{pk}/receive/", {"received_on": "2999-01-01"},
                         content_type="application/json")
    assert future.status_code == 400
    done = client.post(f"/api/v1/transfers/{pk}/receive/", {}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "received"
    client.force_login(world.member_user)
    assert client.get(f"/api/v1/transfers/{pk}/").status_code == 404  # another member's transfer


@pytest.mark.django_db
def test_the_level_of_a_transfer_is_read_at_the_nearest_party_committee_above_each_side(world, monkeypatch):
    from dangjian.orgs import actions as org_actions

    steps(monkeypatch, [], ["sender_committee"])
    general = org_actions.do_create_organization(parent=world.sta, data={
        "code": "GB1", "name": "中共东华街道某总支部委员会", "org_type": "general_branch"}, actor=world.organizer)
    below = org_actions.do_create_organization(parent=general, data={
        "code": "GB1B1", "name": "中共东华街道某总支第一支部委员会", "org_type": "branch"}, actor=world.organizer)
    within = apply(world, to=below)  # BR1 and the branch under the 总支 are both under STA's 党工委
    assert not within.sender_approval and within.state == Transfer.State.APPROVED
