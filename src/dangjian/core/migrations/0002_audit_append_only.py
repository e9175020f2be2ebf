"""Audit records can be added, never changed or removed, by the application's database role (等保 安全审计 c).

PostgreSQL: row triggers refuse UPDATE and DELETE on the records, and DELETE of the chain head. SQLite (demo and
single-unit installs, not 等保 level 3): UPDATE is refused; rows stay deletable so the test suite can empty the
database between tests, and a deleted record is still found by the chain. A database superuser can switch the
triggers off; the keyed chain (dangjian audit verify) is what catches that.
"""

from django.db import migrations

MESSAGE = "审计记录只能追加，不能修改或删除"

PG_FORWARD = [
    f"""CREATE OR REPLACE FUNCTION dangjian_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER core_auditrecord_append_only BEFORE UPDATE OR DELETE ON core_auditrecord
       FOR EACH ROW EXECUTE FUNCTION dangjian_audit_append_only()""",
    """CREATE TRIGGER core_auditchainhead_keep BEFORE DELETE ON core_auditchainhead
       FOR EACH ROW EXECUTE FUNCTION dangjian_audit_append_only()""",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditchainhead_keep ON core_auditchainhead",
    "DROP TRIGGER IF EXISTS core_auditrecord_append_only ON core_auditrecord",
    "DROP FUNCTION IF EXISTS dangjian_audit_append_only()",
]
SQLITE_FORWARD = [
    f"""CREATE TRIGGER core_auditrecord_append_only BEFORE UPDATE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS core_auditrecord_append_only"]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            run({"postgresql": PG_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
