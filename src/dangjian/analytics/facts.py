"""Writing behaviour facts. Call from inside the action's transaction, so a fact exists exactly when what it
records does; a rolled-back action leaves no fact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from dangjian.core import bulk

from .models import Fact, FactKind


def record(kind: str, *, on: dt.date, org_id: int, member_id: int | None = None, quantity=1, ref: str = "",
           detail: dict | None = None) -> None:
    record_many([fact(kind, on=on, org_id=org_id, member_id=member_id, quantity=quantity, ref=ref, detail=detail)])


def fact(kind: str, *, on: dt.date, org_id: int, member_id: int | None = None, quantity=1, ref: str = "",
         detail: dict | None = None) -> dict:
    if kind not in FactKind.values:
        raise ValueError(f"unknown fact kind {kind!r}")
    return {"kind": kind, "on": on, "org_id": org_id, "member_id": member_id, "quantity": Decimal(quantity),
            "ref": ref[:64], "detail": detail or {}}


def record_many(rows: list[dict]) -> int:
    return bulk.insert_dicts(Fact, rows)


def ref_of(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"
