"""The extract: after any inserts, updates (by the actions, `QuerySet.update()` or raw SQL) and deletes, every staged
table equals the selected columns of its OLTP table. On PostgreSQL the changed and deleted rows are those the change
log (kept by triggers) names; on SQLite each table is compared whole. The small-table shortcut (copy whole) is switched off here
where a rule is about the incremental path."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from dangjian.analytics import extract as staging
from dangjian.analytics.models import Fact
from dangjian.members.models import Member

from analytics.dataset import build, today

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the change log is PostgreSQL's")


@pytest.fixture
def incremental(monkeypatch):
    monkeypatch.setattr(staging, "SMALL_TABLE_ROWS", 0)


@pytest.fixture
def duck(tmp_path):
    with staging.connect(tmp_path / "staged.duckdb") as duck:
        yield duck


def _normal(kind, value):
    if value is None:
        return None
    if kind == "DOUBLE":
        return round(float(value), 6)
    if kind == "DATE":
        return str(value)[:10]
    if kind == "TIMESTAMP":
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment.isoformat(sep=" ")
    if kind == "BOOLEAN":
        return bool(value)
    if kind in ("BIGINT", "INTEGER"):
        return int(value)
    return str(value)


def oltp_rows(source) -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in source.columns)
    statement = f'SELECT {columns} FROM "{source.table}" ORDER BY "{source.id_column}"'
    with connection.cursor() as cursor:
        cursor.execute(statement)
        rows = cursor.fetchall()
    kinds = list(source.columns.values())
    return [tuple(_normal(k, v) for k, v in zip(kinds, row)) for row in rows]


def staged_rows(duck, source) -> list[tuple]:
    statement = f"SELECT * FROM {source.table} ORDER BY {source.id_column}"
    kinds = list(source.columns.values())
    return [tuple(_normal(k, v) for k, v in zip(kinds, row)) for row in duck.execute(statement).fetchall()]


def assert_staged_equal(duck):
    for source in staging.SOURCES:
        assert staged_rows(duck, source) == oltp_rows(source), source.table


def raw(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_member_changed_by_queryset_update_is_extracted_again(world, incremental, duck):
    build(world)
    staging.extract(duck)
    member = world.members["BR1"][0]
    Member.objects.filter(pk=member.pk).update(education="postgraduate")  # updated_at untouched
    report = staging.extract(duck)
    assert not report.full["members_member"] and report.rows["members_member"] == 1
    assert duck.execute("SELECT education FROM members_member WHERE id = ?", [member.pk]).fetchone()[0] == \
        "postgraduate"
    assert_staged_equal(duck)


def test_a_fact_changed_by_raw_sql_is_extracted_again_though_its_time_is_old(world, duck):
    build(world)
    Fact.objects.update(at=timezone.now() - dt.timedelta(days=30))
    staging.extract(duck)
    fact = Fact.objects.order_by("id").first()
    raw('UPDATE analytics_fact SET quantity = 9 WHERE id = %s', [fact.pk])
    report = staging.extract(duck)
    assert not report.full["analytics_fact"] and report.rows["analytics_fact"] == 1
    assert duck.execute("SELECT quantity FROM analytics_fact WHERE id = ?", [fact.pk]).fetchone()[0] == 9
    assert_staged_equal(duck)


def test_a_deleted_meeting_leaves_the_staged_table(world, incremental, duck):
    from dangjian.orglife.models import Meeting

    from orglife.helpers import schedule

    build(world)
    meeting = schedule(world, world.br1, "theme_day", today() + dt.timedelta(days=3))
    staging.extract(duck)
    assert duck.execute("SELECT count(*) FROM orglife_meeting WHERE id = ?", [meeting.pk]).fetchone()[0] == 1
    meeting.attendances.all().delete()
    Meeting.objects.filter(pk=meeting.pk).delete()
    report = staging.extract(duck)
    assert not report.full["orglife_meeting"] and report.deleted["orglife_meeting"] == 1
    assert duck.execute("SELECT count(*) FROM orglife_meeting WHERE id = ?", [meeting.pk]).fetchone()[0] == 0
    assert_staged_equal(duck)


def test_a_fact_deleted_and_another_inserted_in_the_same_range_are_both_applied(world, duck):
    build(world)
    staging.extract(duck)
    doomed = Fact.objects.order_by("id").first()
    Fact.objects.filter(pk=doomed.pk).delete()  # the count of the range stays the same with the new one
    Fact.objects.create(kind="login", on=today(), org=world.br1, member=world.members["BR1"][0])
    report = staging.extract(duck)
    assert report.rows["analytics_fact"] == 1 and report.deleted["analytics_fact"] == 1
    assert_staged_equal(duck)


def test_member_periods_ended_and_succeeded_are_staged_as_in_the_database(world, incremental, duck):
    from analytics.dataset import move

    build(world)
    staging.extract(duck)
    member = world.members["BR1"][1]
    move(member, world.br2, today() - dt.timedelta(days=2))
    report = staging.extract(duck)
    assert report.rows["members_memberperiod"] == 2  # the ended one and its successor
    statement = "SELECT org_id FROM members_memberperiod WHERE member_id = ? AND valid_to IS NULL"
    assert duck.execute(statement, [member.pk]).fetchall() == [(world.br2.pk,)]
    assert_staged_equal(duck)


def test_facts_far_apart_in_id_are_read_by_their_ranges_and_deleted_ones_found_in_theirs(world, duck):
    build(world)
    org, member = world.br3, world.members["BR3"][0]
    Fact.objects.bulk_create([Fact(id=100_000 + k * 9_000, kind="login", on=today(), org=org, member=member)
                              for k in range(5)])
    staging.extract(duck)
    Fact.objects.bulk_create([Fact(id=200_000 + k, kind="study", on=today(), org=org, member=member,
                                   quantity=Decimal("1.5")) for k in range(3)])
    Fact.objects.filter(id__in=[100_000, 118_000]).delete()
    Fact.objects.filter(id=127_000).update(quantity=Decimal(4))
    report = staging.extract(duck)
    assert (report.rows["analytics_fact"], report.deleted["analytics_fact"]) == (4, 2)
    assert_staged_equal(duck)


def test_any_sequence_of_writes_leaves_the_staged_tables_equal_to_the_database(world, incremental, duck):
    from dangjian.alerts.models import Finding

    build(world)
    staging.extract(duck)
    rng = random.Random(20261127)
    members = list(Member.objects.all())
    for _round in range(6):
        for _step in range(8):
            choice = rng.randrange(6)
            if choice == 0:
                Fact.objects.create(kind="login", on=today() - dt.timedelta(days=rng.randrange(30)),
                                    org=world.br2, member=rng.choice(members))
            elif choice == 1 and Fact.objects.exists():
                Fact.objects.filter(pk=rng.choice(list(Fact.objects.values_list("pk", flat=True)))).delete()
            elif choice == 2:
                raw("UPDATE analytics_fact SET quantity = quantity + 1 WHERE id %% 3 = %s", [rng.randrange(3)])
            elif choice == 3:
                Member.objects.filter(pk=rng.choice(members).pk).update(
                    category=rng.choice(["full", "probationary"]), birth_date=dt.date(1970 + rng.randrange(30), 1, 1))
            elif choice == 4:
                Finding.objects.create(key=f"seq:{_round}:{_step}", rule="dues_arrears", org=world.br1,
                                       level=rng.choice(["red", "yellow"]), message="测试",
                                       first_seen=today(), last_seen=today())
            else:
                Finding.objects.filter(pk__in=list(Finding.objects.values_list("pk", flat=True))[:1]).delete()
        report = staging.extract(duck)
        assert not any(report.full.values())
        assert_staged_equal(duck)


def test_a_full_extract_or_changed_columns_copy_a_table_whole(world, duck, monkeypatch):
    build(world)
    first = staging.extract(duck)
    assert all(first.full.values())
    assert first.rows["analytics_fact"] == Fact.objects.count()
    assert staging.extract(duck, full=True).full["analytics_fact"]
    source = staging.BY_TABLE["alerts_finding"]
    changed = staging.Source(source.table, {**source.columns, "first_seen": "VARCHAR"})
    monkeypatch.setattr(staging, "SOURCES", [changed if s is source else s for s in staging.SOURCES])
    assert staging.extract(duck).full["alerts_finding"]


# -- PostgreSQL: the change log across transactions ----------------------------------------------------------------

def logged(table) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_change WHERE source = %s", [table])
        return cursor.fetchone()[0]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_only_the_rows_logged_since_the_previous_extract_are_read_again(world, incremental, duck):
    build(world)
    first = staging.extract(duck)
    assert all(first.full.values())
    assert all(logged(source.table) == 0 for source in staging.SOURCES)  # claimed and released
    quiet = staging.extract(duck)
    assert not any(quiet.full.values()) and sum(quiet.read.values()) == 0
    member = world.members["BR2"][0]
    raw("UPDATE members_member SET gender = 'female' WHERE id = %s", [member.pk])
    Fact.objects.create(kind="login", on=today(), org=world.br2, member=member)
    assert logged("members_member") == 1 and logged("analytics_fact") == 1
    report = staging.extract(duck)
    assert report.rows["members_member"] == 1 and report.rows["analytics_fact"] == 1
    assert report.read["members_member"] == 1 and report.read["analytics_fact"] == 1
    assert report.read["orgs_organization"] == 0
    assert logged("members_member") == 0 and logged("analytics_fact") == 0
    assert_staged_equal(duck)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_an_extract_began_is_read_by_the_next_one(world, incremental, duck):
    import psycopg

    build(world)
    staging.extract(duck)
    member = world.members["BR1"][0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params) as other:  # a transaction still running while the extract reads
        other.execute("UPDATE members_member SET ethnicity = '回族' WHERE id = %s", [member.pk])
        other.execute("INSERT INTO analytics_fact (kind, \"on\", at, quantity, ref, detail, org_id) "
                      "VALUES ('task_step', current_date, now() - interval '1 day', 1, '', '{}', %s)", [world.br1.pk])
        staging.extract(duck)
        assert duck.execute("SELECT ethnicity FROM members_member WHERE id = ?", [member.pk]).fetchone()[0] != "回族"
        other.commit()
    report = staging.extract(duck)
    assert report.rows["members_member"] == 1 and report.rows["analytics_fact"] == 1
    assert_staged_equal(duck)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_restored_database_or_analytics_file_or_a_truncate_makes_a_whole_copy(world, incremental, duck):
    build(world)
    staging.extract(duck)
    # The analytics file is older (or newer) than the database's mark: another extract ran in between.
    duck.execute("UPDATE _extract_state SET token = 'elsewhere' WHERE name = 'members_member'")
    raw("TRUNCATE dues_duespayment")
    report = staging.extract(duck)
    assert report.full["members_member"] and report.full["dues_duespayment"]
    assert not report.full["dues_duesbill"] and not report.full["analytics_fact"]
    assert_staged_equal(duck)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_failed_extract_leaves_the_log_and_the_next_one_applies_the_changes(world, incremental, duck, monkeypatch):
    build(world)
    staging.extract(duck)
    fact = Fact.objects.order_by("id").first()
    raw("UPDATE analytics_fact SET quantity = 5 WHERE id = %s", [fact.pk])
    monkeypatch.setattr(staging, "_merge", lambda *args: (_ for _ in ()).throw(RuntimeError("磁盘已满")))
    with pytest.raises(RuntimeError):
        staging.extract(duck)
    assert logged("analytics_fact") == 1
    monkeypatch.undo()
    report = staging.extract(duck)
    assert not report.full["analytics_fact"] and report.rows["analytics_fact"] == 1
    assert_staged_equal(duck)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_rows_written_with_the_foreign_key_triggers_off_are_logged_too(world, incremental, duck):
    from django.db import transaction

    from dangjian.core import bulk

    build(world)
    staging.extract(duck)
    member = world.members["BR3"][0]
    with transaction.atomic():
        with bulk.references_proven_at_end(Fact) as off:
            Fact.objects.bulk_create([Fact(kind="login", on=today(), org=world.br3, member=member)
                                      for _ in range(3)])
    assert off  # the log's triggers (enabled ALWAYS) do not stop the bulk path
    assert logged("analytics_fact") == 3
    report = staging.extract(duck)
    assert report.rows["analytics_fact"] == 3
    assert_staged_equal(duck)
