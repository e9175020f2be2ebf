"""Tampering trials on the audit chain (battery T9): whoever edits the table directly — bypassing the chain —
is found by `audit.verify()`, which names the first record that no longer fits."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection, transaction

from dangjian.accounts import actions as account_actions
from dangjian.core import audit
from dangjian.core.models import AuditChainHead, AuditRecord
from dangjian.members import actions as member_actions
from dangjian.orgs import actions as org_actions
from factories import member_data


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def chain(world, as_database_superuser):
    """A chain of varied records: log-ins, member and org changes, a role grant."""
    account_actions.authenticate_password("secretary", "wrong")
    account_actions.authenticate_password("secretary", world.password)
    for _ in range(3):
        member_actions.do_create_member(data=member_data(), org=world.br1, actor=world.secretary)
    member_actions.do_update_member(world.members["BR1"][1], data={"native_place": "河北"}, actor=world.secretary)
    org_actions.do_update_organization(world.br2, data={"contact_name": "王五"}, actor=world.organizer)
    org_actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer)
    account_actions.do_assign_role(world.nobody, role="member", org=world.br1, actor=world.secadmin)
    result = audit.verify()
    assert result.ok and result.checked == AuditRecord.objects.count() >= 20
    return list(AuditRecord.objects.order_by("seq"))


# Each column of the record, and a raw SQL value that differs from any value the chain wrote.
COLUMN_EDITS = {
    "occurred_at": lambda rec: rec.occurred_at + dt.timedelta(seconds=1),
    "actor_id": lambda rec: (rec.actor_id or 0) + 1000,
    "actor_name": lambda rec: rec.actor_name + "x",
    "source_ip": lambda rec: "203.0.113.9",
    "request_id": lambda rec: "f" * 32,
    "source": lambda rec: "api" if rec.source != "api" else "web",
    "action": lambda rec: "audit.view",
    "object_type": lambda rec: rec.object_type + "x",
    "object_id": lambda rec: rec.object_id + "9",
    "object_repr": lambda rec: rec.object_repr + "改",
    "result": lambda rec: "success" if rec.result != "success" else "failure",
    "detail": lambda rec: rec.detail + "改",
    "prev_mac": lambda rec: "0" * 63 + "1",
    "mac": lambda rec: "0" * 63 + "1",
}


@pytest.mark.parametrize("column", list(COLUMN_EDITS))
def test_changing_any_column_of_any_record_is_detected_at_that_record(chain, column):
    for index in (0, len(chain) // 2, len(chain) - 1):
        rec = chain[index]
        original = getattr(rec, column)
        raw(f"UPDATE core_auditrecord SET {column} = %s WHERE id = %s", [COLUMN_EDITS[column](rec), rec.id])
        result = audit.verify()
        assert not result.ok and result.first_bad_seq == rec.seq, (column, index, result)
        raw(f"UPDATE core_auditrecord SET {column} = %s WHERE id = %s", [original, rec.id])
        assert audit.verify().ok


@pytest.mark.parametrize("column", ["before", "after"])
def test_changing_the_recorded_values_is_detected(chain, column):
    rec = next(r for r in chain if getattr(r, column))
    AuditRecord.objects.filter(pk=rec.pk).update(**{column: {**getattr(rec, column), "forged": True}})
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == rec.seq
    AuditRecord.objects.filter(pk=rec.pk).update(**{column: None})
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == rec.seq


def test_a_hundred_random_tamperings_are_all_detected_with_their_position(chain):
    rng = random.Random(20260524)
    kinds = ["edit", "delete", "swap", "insert"]
    detected = 0
    for trial in range(100):
        kind = kinds[trial % 4]
        sid = transaction.savepoint()
        records = list(AuditRecord.objects.order_by("seq"))
        i = rng.randrange(0, len(records) - 1)
        rec = records[i]
        if kind == "edit":
            column = rng.choice(list(COLUMN_EDITS))
            raw(f"UPDATE core_auditrecord SET {column} = %s WHERE id = %s", [COLUMN_EDITS[column](rec), rec.id])
            expected = rec.seq
        elif kind == "delete":
            raw("DELETE FROM core_auditrecord WHERE id = %s", [rec.id])
            expected = rec.seq
        elif kind == "swap":
            other = records[i + 1]
            raw("UPDATE core_auditrecord SET seq = -1 WHERE id = %s", [rec.id])
            raw("UPDATE core_auditrecord SET seq = %s WHERE id = %s", [rec.seq, other.id])
            raw("UPDATE core_auditrecord SET seq = %s WHERE id = %s", [other.seq, rec.id])
            expected = rec.seq
        else:  # a forged record appended, linked to the real last record, with a made-up MAC
            last = records[-1]
            AuditRecord.objects.create(seq=last.seq + 1, occurred_at=last.occurred_at, actor_name="intruder",
                                       action="member.update", prev_mac=last.mac, mac=f"{trial:064x}")
            AuditChainHead.objects.filter(id=1).update(last_seq=last.seq + 1, last_mac=f"{trial:064x}")
            expected = last.seq + 1
        result = audit.verify()
        assert not result.ok and result.first_bad_seq == expected, (trial, kind, result)
        detected += 1
        transaction.savepoint_rollback(sid)
        assert audit.verify().ok
    assert detected == 100


def test_deleting_the_tail_and_leaving_the_head_is_detected(chain):
    raw("DELETE FROM core_auditrecord WHERE seq > %s", [chain[-4].seq])
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == chain[-3].seq


def test_emptying_the_log_is_detected_while_the_head_remains(chain):
    raw("DELETE FROM core_auditrecord")
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 1


def test_a_forged_record_with_a_valid_looking_link_but_no_key_is_detected(chain):
    last = chain[-1]
    forged = AuditRecord(seq=last.seq + 1, occurred_at=last.occurred_at, actor_name="intruder", action="role.grant",
                         prev_mac=last.mac)
    # Without the audit key, the best a forger can do is an unkeyed digest of the same canonical form.
    import hashlib

    forged.mac = hashlib.new("sm3", audit.canonical(forged)).hexdigest()
    forged.save()
    AuditChainHead.objects.filter(id=1).update(last_seq=forged.seq, last_mac=forged.mac)
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == forged.seq


def test_a_chain_written_under_another_audit_key_does_not_verify(chain, settings):
    from dangjian.core import crypto

    settings.DATA_KEY = "ff" * 16
    crypto.reset_provider()
    result = audit.verify()
    assert not result.ok and result.first_bad_seq == 1
