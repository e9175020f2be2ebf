"""The application's own database connection cannot change audit records (等保 安全审计 c; battery T9)."""

import pytest
from django.db import DatabaseError, connection, transaction

from dangjian.core import audit
from dangjian.core.models import AuditChainHead, AuditRecord


@pytest.fixture
def records(world):
    audit.record("audit.view", actor=world.auditor, detail="x")
    return list(AuditRecord.objects.order_by("seq"))


def refused(run):
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        run()
    return str(exc.value)


def test_an_audit_record_cannot_be_updated(records):
    rec = records[-1]
    message = refused(lambda: AuditRecord.objects.filter(pk=rec.pk).update(detail="改"))
    assert "审计记录只能追加" in message
    with connection.cursor() as cursor:
        refused(lambda: cursor.execute("UPDATE core_auditrecord SET result = 'failure' WHERE id = %s", [rec.pk]))
    assert AuditRecord.objects.get(pk=rec.pk).detail == "x"
    assert audit.verify().ok


def test_an_audit_record_cannot_be_deleted_on_postgresql(records):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps rows deletable (test isolation); the chain still finds the gap")
    rec = records[len(records) // 2]
    assert "审计记录只能追加" in refused(lambda: AuditRecord.objects.filter(pk=rec.pk).delete())
    assert "审计记录只能追加" in refused(lambda: AuditChainHead.objects.all().delete())
    assert AuditRecord.objects.filter(pk=rec.pk).exists() and audit.verify().ok


def test_new_records_are_still_appended(records):
    before = AuditRecord.objects.count()
    audit.record("audit.verify", detail="ok")
    assert AuditRecord.objects.count() == before + 1 and audit.verify().ok
