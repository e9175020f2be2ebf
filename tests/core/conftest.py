import pytest
from django.db import connection


@pytest.fixture
def as_database_superuser(db):
    """Tamper the way a database superuser could: with the append-only triggers switched off for this session.

    PostgreSQL: session_replication_role = replica skips ordinary triggers (superuser only). SQLite: the trigger is
    dropped inside the test's transaction, so the rollback at the end of the test restores it.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditrecord_append_only")
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
