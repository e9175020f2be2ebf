"""Member scores keep the newest refresh only (one row per member); refreshes record whether they set the newest
indicators."""

from django.db import migrations, models


# The newest values and the scores are updated in place each night, a fraction of them: room on each page lets
# PostgreSQL update a row where it lies (no new index entries, as no indexed column changes).
FILLFACTOR = {"analytics_indicatorvalue": 80, "analytics_memberscore": 70}


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, percent in FILLFACTOR.items():
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(percent)})")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in FILLFACTOR:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


def keep_newest_scores(apps, schema_editor):
    """Before `as_of` goes: each member keeps the row of the newest date stored."""
    score = apps.get_model("analytics", "MemberScore")
    newest = score.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    if newest is not None:
        score.objects.exclude(as_of=newest).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_more_fact_kinds'),
        ('members', '0008_lifecycle'),
        ('orgs', '0005_committees_terms_elections'),
    ]

    operations = [
        migrations.RunPython(keep_newest_scores, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='memberscore',
            name='member_score_unique',
        ),
        migrations.RemoveIndex(
            model_name='memberscore',
            name='analytics_m_org_id_8619a9_idx',
        ),
        migrations.RemoveField(
            model_name='memberscore',
            name='as_of',
        ),
        migrations.AddField(
            model_name='refreshrun',
            name='latest',
            field=models.BooleanField(default=False, help_text='本次计算的日期不早于此前最新一次，其结果成为最新指标', verbose_name='更新了最新指标'),
        ),
        migrations.AddConstraint(
            model_name='memberscore',
            constraint=models.UniqueConstraint(fields=('member',), name='member_score_one_per_member'),
        ),
        migrations.RunPython(leave_room, fill_pages),
    ]
