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
