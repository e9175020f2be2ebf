"""Extract: copy what the indicators read from the OLTP database into the analytics file (DuckDB).

The small tables (organisations, members and their periods, meetings, recruitment steps, warning findings) are
copied whole on every refresh; the big ones (behaviour facts, dues bills and payments) incrementally: the rows above
the high-water mark of `id`, plus every row written or changed since the previous extract began, less a safety
margin (a row committed late with a lower id, a payment reversed, a bill recalculated). The staged tables keep the
OLTP table and column names, so the indicator expressions read the same names on every engine.

PostgreSQL is read with `COPY (…) TO STDOUT` (CSV, streamed to a temporary file that DuckDB reads in parallel);
SQLite through its cursor in batches handed to DuckDB as Arrow tables."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection as default_connection

# A row written before the previous extract began but committed after it is read again if it was written at most
# this long before that start (transactions of the platform last seconds).
SAFETY_MARGIN = dt.timedelta(hours=1)
BATCH_ROWS = 100_000


@dataclass(frozen=True)
class Source:
    table: str
    columns: dict[str, str]  # column → DuckDB type
    changed: tuple[str, ...] = ()  # OLTP timestamp columns that mark a row written or changed (read, not staged)
    incremental: bool = False
    id_column: str = "id"
    extra: dict = field(default_factory=dict)

    @property
    def signature(self) -> str:
        return hashlib.sha1(repr(sorted(self.columns.items())).encode()).hexdigest()[:12]


SOURCES = [
    Source("orgs_organization", {"id": "BIGINT", "path": "VARCHAR", "depth": "INTEGER", "org_type": "VARCHAR",
                                 "status": "VARCHAR", "founded_on": "DATE", "dissolved_on": "DATE"}),
    Source("members_member", {"id": "BIGINT", "gender": "VARCHAR", "ethnicity": "VARCHAR", "birth_date": "DATE",
                              "education": "VARCHAR", "occupation_category": "VARCHAR", "joined_on": "DATE",
                              "converted_on": "DATE", "category": "VARCHAR"}),
    Source("members_memberperiod", {"id": "BIGINT", "member_id": "BIGINT", "org_id": "BIGINT", "status": "VARCHAR",
                                    "valid_from": "DATE", "valid_to": "DATE"}),
    Source("orglife_meeting", {"id": "BIGINT", "org_id": "BIGINT", "kind": "VARCHAR", "also_counts_as": "VARCHAR",
                               "starts_at": "TIMESTAMP", "state": "VARCHAR"}),
    Source("recruitment_step", {"id": "BIGINT", "kind": "VARCHAR", "on": "DATE", "org_id": "BIGINT",
                                "passed": "BOOLEAN", "outcome": "VARCHAR"}),
    Source("alerts_finding", {"id": "BIGINT", "org_id": "BIGINT", "level": "VARCHAR", "first_seen": "DATE",
                              "resolved_on": "DATE"}),
    Source("analytics_fact", {"id": "BIGINT", "kind": "VARCHAR", "on": "DATE", "org_id": "BIGINT",
                              "member_id": "BIGINT", "quantity": "DOUBLE"},
           changed=("at",), incremental=True),
    Source("dues_duesbill", {"id": "BIGINT", "member_id": "BIGINT", "org_id": "BIGINT", "month": "DATE",
                             "amount": "DOUBLE"}, changed=("updated_at",), incremental=True),
    Source("dues_duespayment", {"id": "BIGINT", "bill_id": "BIGINT", "amount": "DOUBLE", "paid_on": "DATE",
                                "active": "BOOLEAN", "reversed_at": "TIMESTAMP"},
           changed=("recorded_at", "reversed_at"), incremental=True),
]
BY_TABLE = {s.table: s for s in SOURCES}
STATE_TABLE = "_extract_state"


def analytics_path() -> Path:
    folder = Path(settings.ANALYTICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "analytics.duckdb"


def connect(path: Path | None = None):
    import duckdb

    return duckdb.connect(str(path or analytics_path()))


@dataclass
class ExtractReport:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows read this time
    full: dict[str, bool] = field(default_factory=dict)  # table → copied whole
    seconds: dict[str, float] = field(default_factory=dict)


def extract(duck=None, *, connection=None, full: bool = False) -> ExtractReport:
    """Bring the staged tables up to date. `full`: copy every table whole (after a restore, or to rebuild)."""
    own = duck is None
    duck = duck or connect()
    connection = connection or default_connection
    report = ExtractReport()
    try:
        statement = (f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name VARCHAR PRIMARY KEY, signature VARCHAR, "
                     "high_water BIGINT, started TIMESTAMP)")
        duck.execute(statement)
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        for source in SOURCES:
            began = time.perf_counter()
            statement = f"SELECT signature, high_water, started FROM {STATE_TABLE} WHERE name = ?"
            state = duck.execute(statement,
                                 [source.table]).fetchone()
            exists = bool(duck.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                       [source.table]).fetchone()[0])
            whole = full or not source.incremental or state is None or state[0] != source.signature or not exists
            where, params = "", []
            if not whole:
                high_water, since = state[1], state[2] - SAFETY_MARGIN
                conditions = [f"{_q(source.id_column)} > %s"] + [f"{_q(c)} >= %s" for c in source.changed]
                where = " WHERE " + " OR ".join(conditions)
                params = [high_water] + [_aware(since)] * len(source.changed)
            rows = _copy(duck, connection, source, where, params, replace=whole)
            statement = f"SELECT coalesce(max({source.id_column}), 0) FROM {source.table}"
            high = duck.execute(statement).fetchone()[0]
            statement = f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?)"
            duck.execute(statement,
                         [source.table, source.signature, high, started])
            report.rows[source.table], report.full[source.table] = rows, whole
            report.seconds[source.table] = round(time.perf_counter() - began, 4)
    finally:
        if own:
            duck.close()
    return report


def _q(name: str) -> str:
    return f'"{name}"'


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)


def _select_list(source: Source, vendor: str) -> str:
    parts = []
    for column, kind in source.columns.items():
        ref = _q(column)
        if vendor == "postgresql":
            if kind == "TIMESTAMP":
                ref = f"({ref} AT TIME ZONE 'UTC')"
            elif column == "also_counts_as":
                ref = f"{ref}::text"
        elif kind == "DOUBLE":
            ref = f"CAST({ref} AS REAL)"
        parts.append(f"{ref} AS {_q(column)}")
    return ", ".join(parts)


def _cast_list(source: Source) -> str:
    return ", ".join(f"CAST({_q(c)} AS {t}) AS {_q(c)}" for c, t in source.columns.items())


def _copy(duck, connection, source: Source, where: str, params: list, *, replace: bool) -> int:
    columns = ", ".join(f"{_q(c)} {t}" for c, t in source.columns.items())
    if replace:
        statement = f"DROP TABLE IF EXISTS {source.table}"
        duck.execute(statement)
        statement = f"CREATE TABLE {source.table} ({columns})"
        duck.execute(statement)
    else:
        duck.execute("DROP TABLE IF EXISTS _incoming")
        statement = f"CREATE TEMP TABLE _incoming ({columns})"
        duck.execute(statement)
    target = source.table if replace else "_incoming"
    query = f"SELECT {_select_list(source, connection.vendor)} FROM {_q(source.table)}{where}"
    if connection.vendor == "postgresql":
        rows = _copy_postgresql(duck, connection, source, query, params, target)
    else:
        rows = _copy_cursor(duck, connection, source, query, params, target)
    if not replace:
        statement = f"DELETE FROM {source.table} WHERE {source.id_column} IN (SELECT {source.id_column} FROM _incoming)"
        duck.execute(statement)
        statement = f"INSERT INTO {source.table} SELECT * FROM _incoming"
        duck.execute(statement)
        duck.execute("DROP TABLE _incoming")
    return rows


def _copy_postgresql(duck, connection, source, query, params, target) -> int:
    connection.ensure_connection()
    raw = connection.connection
    with tempfile.NamedTemporaryFile(suffix=".csv", dir=analytics_path().parent) as out:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY ({query.replace('%s', '{}')}) TO STDOUT WITH (FORMAT csv)".format(
                    *[_literal(p) for p in params])) as copy:
                for block in copy:
                    out.write(block)
        out.flush()
        types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in source.columns.items()) + "}"
        statement = f"SELECT count(*) FROM {target}"
        before = duck.execute(statement).fetchone()[0]
        statement = (f"INSERT INTO {target} SELECT * FROM read_csv('{out.name}', header=false, columns={types}, "
                     "allow_quoted_nulls=false, nullstr='', quote='\"', escape='\"', auto_detect=false)")
        duck.execute(statement)
        statement = f"SELECT count(*) FROM {target}"
        return duck.execute(statement).fetchone()[0] - before


def _literal(value) -> str:
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::timestamptz"
    return str(int(value))


def _copy_cursor(duck, connection, source, query, params, target) -> int:
    import pyarrow as pa

    names = list(source.columns)
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        while True:
            batch = cursor.fetchmany(BATCH_ROWS)
            if not batch:
                break
            columns = list(zip(*batch))
            arrow = pa.table({name: pa.array([None if v is None else str(v) for v in values], pa.string())
                              if source.columns[name] in ("DATE", "TIMESTAMP") else pa.array(values)
                              for name, values in zip(names, columns)})
            duck.register("_batch", arrow)
            statement = f"INSERT INTO {target} SELECT {_cast_list(source)} FROM _batch"
            duck.execute(statement)
            duck.unregister("_batch")
            total += len(batch)
    return total
