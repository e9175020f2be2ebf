import django.db.models.deletion
from django.db import migrations, models

# A nightly refresh updates in place the newest figures and scores that changed (at a million members about 68,000
# figures and 138,000 scores). With room left in each page PostgreSQL writes the new row version beside the old one
# without touching the indexes (a HOT update; none of the columns rewritten is indexed, except a moved member's
# organisation). The figures are written by indicator, so those that change from night to night share a few pages,
# where up to a third of the rows change: they need the room as much as the scores, spread over every page, do.
# Only pages written after the change keep the room: the next whole write (the first refresh, a refresh on another
# engine) leaves it. The dated copies of month-ends get the same room, unused (about 30 % more space).
FILLFACTOR = {"analytics_memberscore": 70, "analytics_indicatorvalue": 70}


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, percent in FILLFACTOR.items():
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in FILLFACTOR:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0005_change_log"),
        ("members", "0008_lifecycle"),
        ("orgs", "0005_committees_terms_elections"),
    ]

    operations = [
        # No single-column index that the composite index or the unique constraint already serves.
        migrations.AlterField(
            model_name="indicatorvalue",
            name="org",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="orgs.organization", verbose_name="党组织"),
        ),
        migrations.AlterField(
            model_name="memberscore",
            name="member",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="members.member", verbose_name="党员"),
        ),
        migrations.RunPython(leave_room, fill_pages),
    ]
