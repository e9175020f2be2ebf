"""The change log (0005) also for the tables that say whether a 支委会 or a 党小组会 is owed and whether the 民主评议
was decided: committee members, group members, appraisals (staged since the compliance indicator reads them)."""

from importlib import import_module

from django.db import migrations

change_log = import_module("dangjian.analytics.migrations.0005_change_log")

TABLES = ["orgs_committeemember", "orgs_groupmembership", "orglife_appraisal"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        change_log.create_triggers(schema_editor, TABLES)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        change_log.drop_triggers(schema_editor, TABLES)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0006_lighter_summary_writes'),
        ('orgs', '0005_committees_terms_elections'),
        ('orglife', '0001_initial'),
    ]

    operations = [migrations.RunPython(create, drop)]
