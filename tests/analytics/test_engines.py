"""The same indicator expressions give identical figures on DuckDB, PostgreSQL and Spark.

PostgreSQL: when the suite runs on PostgreSQL the engine reads the OLTP tables of the test database itself; on SQLite
the staged tables are loaded into a scratch database on DANGJIAN_ANALYTICS_TEST_PG (default 127.0.0.1:5432, user
postgres). Without a reachable PostgreSQL the test fails: it is never skipped. One Spark session serves the module."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid

import pytest
from django.db import connection

from dangjian.analytics import extract as staging
from dangjian.analytics.engines import DuckDBEngine, PostgresEngine, SparkEngine
from dangjian.analytics.extract import SOURCES
from dangjian.analytics.refresh import compute

from analytics.dataset import build, seat, today

PG_SERVER = os.environ.get("DANGJIAN_ANALYTICS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "VARCHAR": "text", "DATE": "date",
            "TIMESTAMP": "timestamp with time zone", "DOUBLE": "numeric(12, 2)", "BOOLEAN": "boolean"}


def figures(eng, as_of):
    computed = compute(eng, as_of)
    values = sorted((c, o, k, *(None if x is None else round(x, 6) for x in (v, n, d)))
                    for c, o, k, v, n, d in computed.values)
    scores = sorted((m, o, round(s, 6), sorted((k, d["count"], round(d["quantity"], 6), round(d["points"], 6))
                                                for k, d in detail.items()))
                    for m, o, s, detail in computed.scores)
    return values, scores


def scratch_postgres(duck) -> tuple[str, callable]:
    """A new database on the PostgreSQL server holding the staged tables under their OLTP names."""
    import psycopg

    name = f"analytics_eq_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL for the engine comparison is not reachable at {PG_SERVER}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        for source in SOURCES:
            columns = ", ".join(f'"{c}" {PG_TYPES[t]}' for c, t in source.columns.items())
            pg.execute(f'CREATE TABLE "{source.table}" ({columns})')
            with tempfile.NamedTemporaryFile(suffix=".csv") as out:
                duck.execute(f"COPY {source.table} TO '{out.name}' (FORMAT csv, HEADER false)")
                with pg.cursor().copy(f'COPY "{source.table}" FROM STDIN WITH (FORMAT csv)') as copy:
                    copy.write(open(out.name, "rb").read())

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return url, drop


@pytest.mark.django_db(transaction=True)
def test_every_indicator_is_identical_on_duckdb_postgresql_and_spark(world):
    from dangjian.orglife.models import Appraisal
    from dangjian.orgs.models import GroupMembership

    build(world)
    # A committee seated and a 党小组 given a member during the window (so part of the 支委会 and 党小组会 are owed),
    # and a 民主评议 decided.
    seat(world.br1, world.members["BR1"], today() - dt.timedelta(days=100))
    GroupMembership.objects.create(group=world.br1g1, member=world.members["BR1"][0],
                                   started_on=today() - dt.timedelta(days=200), ended_on=today() - dt.timedelta(days=20))
    Appraisal.objects.create(org=world.br2, year=today().year - 1, state=Appraisal.State.DECIDED,
                             decided_on=dt.date(today().year - 1, 12, 20), created_by=world.organizer)
    days = [today(), today() - dt.timedelta(days=45)]
    with staging.connect() as duck:
        staging.extract(duck)
        expected = {day: figures(DuckDBEngine(duck=duck), day) for day in days}
        spark = SparkEngine(duck=duck)  # one day: a Spark job costs seconds whatever the size of the data
        assert figures(spark, days[0]) == expected[days[0]], "Spark differs"
        if connection.vendor == "postgresql":
            pg, drop = PostgresEngine(), None
        else:
            url, drop = scratch_postgres(duck)
            pg = PostgresEngine(url)
    try:
        for day in days:
            assert figures(pg, day) == expected[day], f"PostgreSQL differs on {day}"
    finally:
        pg.close()
        if drop:
            drop()
    values, scores = expected[today()]
    assert len({v[0] for v in values}) == 16 and len(scores) == 9  # every code, every member: not an empty match
