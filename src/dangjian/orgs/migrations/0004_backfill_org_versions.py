"""Organisations recorded before history was kept get their versions from the record (founding, dissolution)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from dangjian.orgs.history import open_missing_versions

    open_missing_versions()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_org_versions")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
