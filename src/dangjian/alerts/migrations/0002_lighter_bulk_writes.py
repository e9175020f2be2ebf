import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The nightly evaluation rewrites `last_seen` of every active finding. With room left in each page PostgreSQL
# writes the new row version beside the old one without touching the indexes (a HOT update), so a night costs a
# fraction of the writes. Only pages written after the change keep the room.
# (Tasks change rarely after they are opened: their table stays dense.)
TABLES = ("alerts_finding",)
FILLFACTOR = 50


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="digest",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        # Fewer indexes to keep up on every row written: no pattern-matching copies of `key` and `rule`, no single
        # column indexes the composite ones already serve.
        migrations.AlterField(
            model_name='finding',
            name='key',
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name='finding',
            name='org',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                    to='orgs.organization', verbose_name='党组织'),
        ),
        migrations.AlterField(
            model_name='finding',
            name='rule',
            field=models.CharField(max_length=64, verbose_name='预警规则'),
        ),
        migrations.AlterField(
            model_name='inboxmessage',
            name='user',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='inbox',
                                    to=settings.AUTH_USER_MODEL, verbose_name='收件人'),
        ),
        migrations.AlterField(
            model_name='rectificationtask',
            name='org',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                    to='orgs.organization', verbose_name='责任党组织'),
        ),
        migrations.AddIndex(
            model_name='finding',
            index=models.Index(fields=['rule'], name='alerts_finding_rule_idx'),
        ),
        migrations.AddConstraint(
            model_name='finding',
            constraint=models.UniqueConstraint(fields=('key',), name='alerts_finding_key_unique'),
        ),
        migrations.RunPython(leave_room, fill_pages),
    ]
