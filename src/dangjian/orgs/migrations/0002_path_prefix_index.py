from django.db import migrations


def create_prefix_index(apps, schema_editor):
    # PostgreSQL only uses a btree for LIKE 'prefix%' with the pattern operator class.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS orgs_organization_path_prefix "
            "ON orgs_organization (path varchar_pattern_ops)"
        )


def drop_prefix_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS orgs_organization_path_prefix")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(create_prefix_index, drop_prefix_index)]
