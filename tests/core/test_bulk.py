"""Fast inserts without model instances: defaults filled, dates and JSON prepared, encrypted fields encrypted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dangjian.alerts.models import Finding
from dangjian.core import bulk
from dangjian.members.models import DisciplinaryAction

pytestmark = pytest.mark.django_db


def test_inserted_dicts_read_back_as_the_orm_would_have_written_them(world):
    bulk.insert_dicts(Finding, [{"key": "k1", "rule": "r", "org_id": world.br1.pk, "level": "red", "message": "m",
                                 "evidence": {"ids": [1, 2], "名称": "支部"}, "first_seen": dt.date(2026, 2, 28),
                                 "last_seen": dt.date(2026, 2, 28)}])
    finding = Finding.objects.get(key="k1")
    assert finding.evidence == {"ids": [1, 2], "名称": "支部"} and finding.first_seen == dt.date(2026, 2, 28)
    assert (finding.recurrences, finding.citation, finding.member_id, finding.resolved_on) == (0, "", None, None)


def test_an_encrypted_field_is_encrypted_by_the_fast_insert(world):
    member = world.members["BR1"][0]
    bulk.insert_dicts(DisciplinaryAction, [{"member_id": member.pk, "kind": "warning", "decided_on": dt.date(2026, 1, 5),
                                            "deciding_body": "党委", "starts_on": dt.date(2026, 1, 5),
                                            "reason": "违反工作纪律的具体情节", "recorded_by_id": world.secretary.pk}])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reason FROM {DisciplinaryAction._meta.db_table}")
        (stored,) = cursor.fetchone()
    assert "违反工作纪律" not in str(stored)
    assert DisciplinaryAction.objects.get().reason == "违反工作纪律的具体情节"


def test_json_of_dates_and_decimals_is_written_as_the_django_encoder_writes_it(world):
    from decimal import Decimal

    evidence = {"on": dt.date(2026, 2, 28), "amount": Decimal("12.50"), "名称": "支部", "ids": [1, None, True]}
    bulk.insert_dicts(Finding, [{"key": "k1", "rule": "r", "org_id": world.br1.pk, "level": "red", "message": "m",
                                 "evidence": evidence, "first_seen": dt.date(2026, 2, 28),
                                 "last_seen": dt.date(2026, 2, 28)}])
    assert Finding.objects.get(key="k1").evidence == {"on": "2026-02-28", "amount": "12.50", "名称": "支部",
                                                      "ids": [1, None, True]}


def test_a_value_json_cannot_hold_is_refused_before_anything_is_written(world):
    with pytest.raises(TypeError):
        bulk.insert_dicts(Finding, [{"key": f"k{i}", "rule": "r", "org_id": world.br1.pk, "level": "red",
                                     "message": "m", "evidence": {"x": object() if i else 1},
                                     "first_seen": dt.date(2026, 2, 28), "last_seen": dt.date(2026, 2, 28)}
                                    for i in range(2)])
    assert not Finding.objects.exists()


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="the foreign-key triggers are switched off on PostgreSQL only")


def _finding(org_id, key="k1", member_id=None):
    return {"key": key, "rule": "r", "org_id": org_id, "member_id": member_id, "level": "red", "message": "m",
            "evidence": {}, "first_seen": dt.date(2026, 2, 28), "last_seen": dt.date(2026, 2, 28)}


def _replication_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        return cursor.fetchone()[0]


def test_the_triggers_are_switched_off_on_postgresql_only(world):
    with bulk.references_proven_at_end(Finding) as off:
        bulk.insert_dicts(Finding, [_finding(world.br1.pk)])
    assert off is (connection.vendor == "postgresql") and Finding.objects.count() == 1


@on_postgresql
def test_rows_written_with_the_triggers_off_have_their_references_proven(world):
    from django.db import transaction

    with transaction.atomic():
        with bulk.references_proven_at_end(Finding) as off:
            assert off is True and _replication_role() == "replica"
            bulk.insert_dicts(Finding, [_finding(world.br1.pk, "k1", world.members["BR1"][0].pk),
                                        _finding(world.br2.pk, "k2")])
        assert _replication_role() == "origin"
    assert Finding.objects.count() == 2


@on_postgresql
def test_a_dangling_reference_written_with_the_triggers_off_is_refused_and_nothing_stays(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="党组织不存在"):
        with transaction.atomic():
            with bulk.references_proven_at_end(Finding):
                bulk.insert_dicts(Finding, [_finding(world.br1.pk, "k1"), _finding(987654321, "k2")])
    assert not Finding.objects.exists() and _replication_role() == "origin"


@on_postgresql
def test_an_account_that_may_not_switch_the_triggers_off_takes_the_ordinary_path(world):
    """The whole evaluation under a role without superuser or SET privilege: the same findings and tasks."""
    import os

    from django.db import transaction

    from dangjian.alerts import actions
    from dangjian.alerts.models import InboxMessage, RectificationTask

    from decimal import Decimal

    from dangjian.dues.models import DuesBill, DuesStandard

    role = f"dj_plain_{os.getpid()}"
    on, member = dt.date(2026, 6, 15), world.members["BR1"][1]
    standard = DuesStandard.objects.create(member=member, effective_from=dt.date(2020, 1, 1), category="employed",
                                           monthly_amount=Decimal("50.00"), explanation="测试", status="confirmed",
                                           declared_by=world.secretary)
    for month in (3, 4, 5):  # three months unpaid before June: a yellow finding and its task
        DuesBill.objects.create(member=member, month=dt.date(2026, month, 1), amount=Decimal("50.00"),
                                standard=standard, org=member.org)
    with connection.cursor() as cursor:  # all inside the test's transaction: rolled back with it
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        cursor.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        cursor.execute(f'SET LOCAL ROLE "{role}"')
    try:
        with transaction.atomic():
            with bulk.references_proven_at_end(Finding) as off:
                assert off is False and _replication_role() == "origin"
        run = actions.do_run_evaluation(on, codes=["dues_arrears"])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert (run.opened, run.tasks_opened) == (1, 1)
    assert RectificationTask.objects.count() == 1 and InboxMessage.objects.count() == 2


def test_one_column_of_many_rows_is_set_and_no_other_row_or_column_changes(world):
    bulk.insert_dicts(Finding, [_finding(world.br1.pk, f"k{i}") for i in range(3)])
    first, second, third = Finding.objects.order_by("pk")
    assert bulk.update_column(Finding, "digest", [(first.pk, "a" * 32), (third.pk, "c" * 32)], size=1) == 2
    assert list(Finding.objects.order_by("pk").values_list("digest", "message")) == [
        ("a" * 32, "m"), ("", "m"), ("c" * 32, "m")]
