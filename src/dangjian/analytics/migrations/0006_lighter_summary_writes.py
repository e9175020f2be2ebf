import django.db.models.deletion
from django.db import migrations, models

# The newest figures are now written by indicator (summaries._insert_values), so the figures that change from night
# to night share a few pages, where up to a third of the rows change; the 20 % room of 0004 left most of those
# updates unable to stay in their page (a HOT update, without new index entries). The scores keep 0004's 30 %.
# Only pages written after the change get the room; the dated month-end copies get it too, unused.
TABLE, FILLFACTOR, BEFORE = "analytics_indicatorvalue", 70, 80


def more_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILLFACTOR})")


def room_as_before(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {BEFORE})")


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
        migrations.RunPython(more_room, room_as_before),
    ]
