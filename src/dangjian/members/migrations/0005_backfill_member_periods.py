"""Members recorded before history was kept get their periods from the record (organisation, status change)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from dangjian.members.history import open_missing_periods

    open_missing_periods()


class Migration(migrations.Migration):
    dependencies = [("members", "0004_member_periods"), ("orgs", "0004_backfill_org_versions")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
