"""Shared pieces of the actions layer: snapshots for the audit record, optimistic locking, access."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class StaleWrite(ValidationError):
    """The object changed since the editor loaded it (optimistic lock)."""

    def __init__(self):
        super().__init__("该记录已被他人修改，请刷新后重新编辑", code="stale")


def snapshot(obj, fields, masked: dict | None = None) -> dict:
    """A JSON-ready picture of `fields`, with sensitive values replaced by their masks."""
    masked = masked or {}
    out = {}
    for name in fields:
        value = masked[name](getattr(obj, name)) if name in masked else getattr(obj, name)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif hasattr(value, "pk"):
            value = value.pk
        out[name] = value
    return out


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def check_version(obj, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleWrite()


def require(user, perm: str, org=None) -> None:
    """Raise unless `user` holds `perm` over `org` (or anywhere, when org is None)."""
    if org is None:
        if not user.has_perm_anywhere(perm):
            raise PermissionDenied("没有执行此操作的权限")
        return
    from dangjian.orgs.models import Organization

    if not Organization.objects.restrict(user, perm).filter(pk=org.pk).exists():
        raise Http404("党组织不存在或不在您的管理范围内")
