"""Audit chain: every write leaves a record; any edit, deletion, insertion or reordering is detected."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from factories import member_data
from dangjian.core import audit
from dangjian.core.models import AuditChainHead, AuditRecord
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs import actions as org_actions
from dangjian.orgs.models import Organization


@pytest.fixture
def chain(world, as_database_superuser):
    for i in range(4):
        member_actions.do_create_member(data=member_data(), org=world.br1, actor=world.secretary)
    assert audit.verify().ok
    return AuditRecord.objects.order_by("seq")


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_clean_chain_verifies(chain):
    result = audit.verify()
    assert result.ok and result.checked == chain.count()


def test_editing_a_record_is_detected_at_that_record(chain):
    target = chain[5]
    raw("UPDATE core_auditrecord SET actor_name = %s WHERE id = %s", ["someone_else", target.id])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == target.seq


def test_editing_the_before_after_values_is_detected(chain):
    target = chain.filter(action="member.create").last()
    AuditRecord.objects.filter(pk=target.pk).update(after={"name": "伪造"})
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == target.seq


def test_deleting_a_middle_record_is_detected(chain):
    target = chain[3]
    raw("DELETE FROM core_auditrecord WHERE id = %s", [target.id])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == target.seq


def test_deleting_the_last_record_is_detected_by_the_chain_head(chain):
    last = chain.last()
    raw("DELETE FROM core_auditrecord WHERE id = %s", [last.id])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == last.seq


def test_inserting_a_forged_record_is_detected(chain):
    victim = chain[4]
    # Shift later records up by one and slip a forged record in, copying a valid-looking link.
    raw("UPDATE core_auditrecord SET seq = seq + 100000 WHERE seq > %s", [victim.seq])
    raw("UPDATE core_auditrecord SET seq = seq - 100000 + 1 WHERE seq > 100000")
    forged = AuditRecord(seq=victim.seq + 1, occurred_at=victim.occurred_at, actor_name="intruder",
                         action="member.update", prev_mac=victim.mac, mac="f" * 64)
    forged.save()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == victim.seq + 1


def test_reordering_two_records_is_detected(chain):
    a, b = chain[2], chain[3]
    raw("UPDATE core_auditrecord SET seq = -1 WHERE id = %s", [a.id])
    raw("UPDATE core_auditrecord SET seq = %s WHERE id = %s", [a.seq, b.id])
    raw("UPDATE core_auditrecord SET seq = %s WHERE id = %s", [b.seq, a.id])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == a.seq


def test_audit_verify_command_exits_non_zero_and_names_the_first_bad_record(chain):
    call_command("audit", "verify")
    target = chain[2]
    raw("UPDATE core_auditrecord SET result = 'failure' WHERE id = %s", [target.id])
    with pytest.raises(CommandError, match=f"序号 {target.seq}"):
        call_command("audit", "verify")


def test_business_change_rolls_back_when_the_audit_record_cannot_be_written(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    members, orgs = Member.objects.count(), Organization.objects.count()
    with pytest.raises(RuntimeError):
        member_actions.do_create_member(data=member_data(), org=world.br1, actor=world.secretary)
    with pytest.raises(RuntimeError):
        org_actions.do_create_organization(parent=world.br1, data={"code": "G9", "name": "第九党小组",
                                                                    "org_type": "group"}, actor=world.organizer)
    assert (Member.objects.count(), Organization.objects.count()) == (members, orgs)


def test_records_carry_time_actor_event_result_object_source_and_request(world, client):
    client.post("/accounts/login/", {"username": "secretary", "password": world.password})
    rec = AuditRecord.objects.filter(action="auth.login").order_by("seq").last()
    assert rec.occurred_at and rec.actor_id == world.secretary.pk and rec.result == "success"
    assert rec.object_type == "" or rec.object_id is not None
    assert rec.source_ip == "127.0.0.1" and len(rec.request_id) == 32 and rec.source == "web"


def test_audit_records_never_hold_full_id_numbers_or_phones(world):
    data = member_data()
    member = member_actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
    member_actions.do_update_member(member, data={"phone": "13912345678"}, actor=world.secretary)
    member_actions.do_reveal_member(member, actor=world.secretary)
    text = " ".join(str(r.before) + str(r.after) + r.detail for r in AuditRecord.objects.all())
    assert data["id_number"] not in text and "13912345678" not in text and data["phone"] not in text
    assert data["id_number"][:3] + "*" * 11 + data["id_number"][-4:] in text


@pytest.mark.parametrize("event", [
    "member.create", "member.update", "member.status", "member.reveal",
    "org.create", "org.update", "org.move", "org.dissolve",
])
def test_each_business_action_writes_exactly_one_record(world, event):
    before = AuditRecord.objects.filter(action=event).count()
    m = world.members["BR1"][1]
    if event == "member.create":
        member_actions.do_create_member(data=member_data(), org=world.br1, actor=world.secretary)
    elif event == "member.update":
        member_actions.do_update_member(m, data={"native_place": "河北"}, actor=world.secretary)
    elif event == "member.status":
        member_actions.do_change_member_status(m, status="deceased", on=dt.date(2024, 1, 1), reason="病故",
                                               actor=world.secretary)
    elif event == "member.reveal":
        member_actions.do_reveal_member(m, actor=world.secretary)
    elif event == "org.create":
        org_actions.do_create_organization(parent=world.br1, data={"code": "G2", "name": "第二党小组",
                                                                    "org_type": "group"}, actor=world.organizer)
    elif event == "org.update":
        org_actions.do_update_organization(world.br1, data={"contact_name": "王五"}, actor=world.organizer)
    elif event == "org.move":
        org_actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer)
    elif event == "org.dissolve":
        org_actions.do_dissolve_organization(world.br1g1, on=dt.date(2025, 1, 1), reason="合并", actor=world.organizer)
    assert AuditRecord.objects.filter(action=event).count() == before + 1
    assert audit.verify().ok


def test_chain_head_tracks_the_last_record(chain):
    head = AuditChainHead.objects.get()
    last = chain.last()
    assert (head.last_seq, head.last_mac) == (last.seq, last.mac)
