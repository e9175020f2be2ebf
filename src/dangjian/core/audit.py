"""Writing and verifying the audit chain.

`record()` must be called inside the transaction of the change it describes: if the record cannot
be written, the exception propagates and the business change rolls back (等保 安全审计 d).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone

from django.db import transaction
from django.utils import timezone

from . import context
from .crypto import provider
from .models import AuditChainHead, AuditRecord

GENESIS_MAC = "0" * 64


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _normalise(value):
    """Round-trip through JSON so the MAC is computed over what the database will return."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def canonical(rec: AuditRecord) -> bytes:
    occurred = rec.occurred_at
    if isinstance(occurred, datetime):
        occurred = occurred.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
    payload = [
        rec.seq, occurred, rec.actor_id, rec.actor_name, rec.source_ip, rec.request_id, rec.source,
        rec.action, rec.object_type, rec.object_id, rec.object_repr, rec.before, rec.after,
        rec.result, rec.detail, rec.prev_mac,
    ]
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def record(
    action: str,
    *,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    result: str = AuditRecord.Result.SUCCESS,
    detail: str = "",
    actor_name: str = "",
) -> AuditRecord:
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        rec = AuditRecord(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            actor_name=actor_name or (getattr(actor, "username", "") or ""),
            source_ip=ctx.ip or "",
            request_id=ctx.request_id,
            source=ctx.source,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:200],
            before=_normalise(before),
            after=_normalise(after),
            result=result,
            detail=detail[:500],
            prev_mac=head.last_mac,
        )
        rec.mac = provider().audit_mac(canonical(rec))
        rec.save(force_insert=True)
        head.last_seq = rec.seq
        head.last_mac = rec.mac
        head.save(update_fields=["last_seq", "last_mac"])
    return rec


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Walk the chain from the first record; report the first record that breaks it."""
    expected_seq = 1
    prev_mac = GENESIS_MAC
    checked = 0
    p = provider()
    for rec in AuditRecord.objects.order_by("seq", "id").iterator(chunk_size=2000):
        if rec.seq != expected_seq:
            if rec.seq < expected_seq:
                return VerifyResult(False, checked, rec.seq, f"序号 {rec.seq} 重复或顺序被改动")
            return VerifyResult(False, checked, expected_seq, f"缺少序号 {expected_seq} 的记录（被删除）")
        if rec.prev_mac != prev_mac:
            return VerifyResult(False, checked, rec.seq, f"记录 {rec.seq} 的前序校验值与上一条不一致（被插入或重排）")
        if not p.audit_mac_matches(canonical(rec), rec.mac):
            return VerifyResult(False, checked, rec.seq, f"记录 {rec.seq} 的校验值不符（内容被修改）")
        prev_mac = rec.mac
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq = head.last_seq if head else 0
    last_mac = head.last_mac if head else GENESIS_MAC
    if last_seq != checked or last_mac != prev_mac:
        return VerifyResult(False, checked, checked + 1 if last_seq > checked else last_seq,
                            f"链尾与记录不符：链尾记录序号 {last_seq}，实际 {checked}（末尾记录被删除或篡改）")
    return VerifyResult(True, checked)
