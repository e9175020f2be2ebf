"""PostgreSQL logs the rows written in every table the analytics extract stages (`analytics_change`), so that the
nightly extract reads the rows changed since the last one instead of scanning the tables.

Statement-level triggers with transition tables add one row per written row, whatever wrote it (the platform's
actions, `QuerySet.update()`, raw SQL, deletes). They are ENABLE ALWAYS, so they fire also where bulk writes switch
the per-row foreign-key triggers off (`session_replication_role = replica`). A TRUNCATE forgets the extract's mark of
that table (`analytics_change_mark`), so the next extract copies it whole. SQLite needs none of this: its extract
reads each table whole."""

from django.db import migrations

# The staged tables (analytics.extract.SOURCES), listed here as they were when this migration was written.
TABLES = ["orgs_organization", "members_member", "members_memberperiod", "orglife_meeting", "recruitment_step",
          "alerts_finding", "analytics_fact", "dues_duesbill", "dues_duespayment"]

LOG = """
CREATE TABLE analytics_change (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source varchar(63) NOT NULL,
    row_id bigint NOT NULL
);
CREATE TABLE analytics_change_mark (
    source varchar(63) PRIMARY KEY,
    token varchar(32) NOT NULL
);
CREATE FUNCTION analytics_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO analytics_change (source, row_id) SELECT TG_TABLE_NAME, id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO analytics_change (source, row_id)
        SELECT TG_TABLE_NAME, id FROM new_rows UNION SELECT TG_TABLE_NAME, id FROM old_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO analytics_change (source, row_id) SELECT TG_TABLE_NAME, id FROM old_rows;
    ELSE
        DELETE FROM analytics_change_mark WHERE source = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGERS = {
    "insert": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
    "truncate": "AFTER TRUNCATE ON {table}",
}


def create_log(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(LOG)
    create_triggers(schema_editor, TABLES)


def create_triggers(schema_editor, tables):
    """The logging triggers on `tables` (PostgreSQL; the log and its function exist)."""
    for table in tables:
        for event, clause in TRIGGERS.items():
            name = f"analytics_change_{event}"
            statement = (f"CREATE TRIGGER {name} {clause.format(table=table)} "
                         "FOR EACH STATEMENT EXECUTE FUNCTION analytics_log_change()")
            schema_editor.execute(statement)
            statement = f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}"
            schema_editor.execute(statement)


def drop_log(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    drop_triggers(schema_editor, TABLES)
    schema_editor.execute("DROP FUNCTION IF EXISTS analytics_log_change()")
    schema_editor.execute("DROP TABLE IF EXISTS analytics_change, analytics_change_mark")


def drop_triggers(schema_editor, tables):
    for table in tables:
        for event in TRIGGERS:
            statement = f"DROP TRIGGER IF EXISTS analytics_change_{event} ON {table}"
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0004_latest_summaries'),
        ('alerts', '0002_lighter_bulk_writes'),
        ('dues', '0001_initial'),
        ('members', '0008_lifecycle'),
        ('orglife', '0001_initial'),
        ('orgs', '0005_committees_terms_elections'),
        ('recruitment', '0004_posthumous_admission'),
    ]

    operations = [migrations.RunPython(create_log, drop_log)]
