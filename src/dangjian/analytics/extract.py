"""Extract: copy what the indicators read from the OLTP database into the analytics file (DuckDB).

The staged tables keep the OLTP table and column names, so the indicator expressions read the same names on every
engine. After every extract each staged table equals the selected columns of its OLTP table, whatever wrote the
changes: the platform's actions, `QuerySet.update()`, raw SQL, deletes. Timestamps such as `updated_at` are not
trusted for this (a raw UPDATE does not touch them, and `analytics_fact.at` has no index).

PostgreSQL, incrementally (a nightly extract):

* Changed rows are found by their row version: every INSERT and UPDATE, by any path, writes a new version whose
  `xmin` is the writing transaction. Each extract records, per table, the snapshot it read under
  (`pg_current_snapshot()` in a REPEATABLE READ transaction, so every read of that table sees exactly that snapshot);
  next time, the rows whose `xmin` is not older than that snapshot's xmin are read again (`age(xmin) <= distance`,
  a cheap filter in the scan). That includes every transaction still running at the previous snapshot (its
  subtransactions too, which the snapshot's list does not name) and some that had committed just before it; those are
  compared with the staged rows and only the differing ones are written. A row above the previous high-water mark is
  always among them. The 32-bit ids are compared modulo 2^32, which is exact while fewer than 2^31 transactions
  separate the two extracts: beyond `XID_HORIZON` transactions, when the counter went back (a restored database),
  in another database or cluster (or timeline, when readable), or when the staged columns changed, the table is
  copied whole instead.
* Deleted rows are found by counting. Once the changed rows are merged, every staged id is either a current row
  (an unchanged row is staged exactly as it is) or a deleted one, so the staged table holds more rows than PostgreSQL
  exactly when rows were deleted. Only then are the rows of each bucket of 8,192 ids (`id >> 13`) counted on both
  sides, and the buckets that differ read again (primary-key ranges) and replaced.
* So a nightly extract costs, per table, a `count(*)` (a parallel scan) and one filtered scan that returns just the
  changed rows (serial: `age()` is parallel-restricted; `xmin::text::bigint` arithmetic may run in parallel but
  measured slower on 2 cores); the tables are read concurrently on their own connections (`WORKERS`). At 1 M members and
  20 M facts on 2 shared cores this is 6.7-10.3 s a night, the fact table's scans taking most of it (the figures are
  in docs/indicators.md); a shorter night needs a change log kept by the database (triggers), not a scan.
  No timestamp or index is needed: `updated_at` is not trusted (a raw UPDATE or `QuerySet.update()` leaves it), and a
  BRIN index on `analytics_fact.at` would find the new facts but not the changed ones.
* A full copy (first extract, rebuild) streams `COPY (…) TO STDOUT` as CSV blocks into temporary files that DuckDB
  reads in parallel (no row is formatted in Python); a big table is split into id ranges (`CHUNK_IDS`) copied
  concurrently, each on its own connection. The snapshot recorded for a table is taken before any of its reads
  begins, so a row changed while the ranges are read is read again next time, never missed.

When the caller's connection is inside a transaction (`atomic`), the extract reads through that connection,
one table after another, so that the transaction's own writes are seen; it then reads under the caller's isolation
level (under READ COMMITTED a delete committed by others during the extract may be found only by the next one).

Tables below `SMALL_TABLE_ROWS` staged rows (except the fact and dues tables, always incremental) are simply copied
whole: that costs no more than finding their changes.

SQLite (small deployments, tests, demos): each table is read whole through the cursor in batches handed to DuckDB as
Arrow tables and compared with the staged table in DuckDB: new and changed rows are written, vanished ones deleted."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection as default_connection

# No longer used to find changes (row versions are); kept for callers that date rows "long before an extract".
SAFETY_MARGIN = dt.timedelta(hours=1)
BATCH_ROWS = 100_000
SMALL_TABLE_ROWS = 20_000  # staged rows below which a table is copied whole on every extract
BUCKET_BITS = 13  # ids per bucket: 8,192
XID_HORIZON = 2**31 - 2**28  # transactions between two extracts beyond which row versions cannot be compared
WORKERS = 2  # tables read concurrently, each on its own connection (and as many ranges of a big table)
CHUNK_IDS = 2_500_000  # a full copy of a bigger table is split into id ranges of this size
MAX_RANGES = 32  # more id ranges than this are read in one scan
_WRAP = 2**32


@dataclass(frozen=True)
class Source:
    table: str
    columns: dict[str, str]  # column → DuckDB type
    changed: tuple[str, ...] = ()  # OLTP timestamp columns that mark a row written or changed (documentation only)
    incremental: bool = False  # always extracted incrementally, however small
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
STATE_COLUMNS = {"name": "VARCHAR PRIMARY KEY", "signature": "VARCHAR", "high_water": "BIGINT",
                 "started": "TIMESTAMP", "snapshot": "VARCHAR", "origin": "VARCHAR"}


def analytics_path() -> Path:
    folder = Path(settings.ANALYTICS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "analytics.duckdb"


def connect(path: Path | None = None):
    import duckdb

    return duckdb.connect(str(path or analytics_path()))


@dataclass
class ExtractReport:
    rows: dict[str, int] = field(default_factory=dict)  # table → rows new or changed (all rows when copied whole)
    full: dict[str, bool] = field(default_factory=dict)  # table → copied whole
    seconds: dict[str, float] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)  # table → rows transferred from the OLTP database
    deleted: dict[str, int] = field(default_factory=dict)  # table → staged rows removed (deleted in the OLTP table)


@dataclass
class _State:
    signature: str | None = None
    high_water: int | None = None
    snapshot: str | None = None
    origin: str | None = None
    exists: bool = False
    staged: int = 0


@dataclass
class _Outcome:
    rows: int = 0
    read: int = 0
    deleted: int = 0
    whole: bool = False
    snapshot: str | None = None
    seconds: float = 0.0


def extract(duck=None, *, connection=None, full: bool = False) -> ExtractReport:
    """Bring the staged tables up to date. `full`: copy every table whole (after a restore, or to rebuild)."""
    own = duck is None
    duck = duck or connect()
    connection = connection or default_connection
    report = ExtractReport()
    try:
        states = _prepare(duck)
        started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        origin = None
        if connection.vendor == "postgresql":
            outcomes, origin = _extract_postgresql(duck, connection, states, full)
        else:
            outcomes = {s.table: _extract_cursor(duck, connection, s, states[s.table], full) for s in SOURCES}
        for source in SOURCES:
            outcome = outcomes[source.table]
            statement = f"SELECT max({source.id_column}) FROM {source.table}"
            high = duck.execute(statement).fetchall()[0][0]
            statement = f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?, ?)"
            _run(duck, statement, [source.table, source.signature, high, started, outcome.snapshot, origin])
            report.rows[source.table], report.full[source.table] = outcome.rows, outcome.whole
            report.read[source.table], report.deleted[source.table] = outcome.read, outcome.deleted
            report.seconds[source.table] = round(outcome.seconds, 4)
    finally:
        if own:
            duck.close()
    return report


def _prepare(duck) -> dict[str, _State]:
    """The state the previous extract left, per table (an older state table is replaced: every table is copied)."""
    have = [r[0] for r in duck.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                       "ORDER BY ordinal_position", [STATE_TABLE]).fetchall()]
    if have and have != list(STATE_COLUMNS):
        statement = f"DROP TABLE {STATE_TABLE}"
        _run(duck, statement)
    columns = ", ".join(f"{c} {t}" for c, t in STATE_COLUMNS.items())
    statement = f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} ({columns})"
    _run(duck, statement)
    tables = {r[0] for r in duck.execute("SELECT table_name FROM information_schema.tables "
                                         "WHERE table_schema = 'main'").fetchall()}
    states = {}
    for source in SOURCES:
        statement = f"SELECT signature, high_water, snapshot, origin FROM {STATE_TABLE} WHERE name = ?"
        rows = duck.execute(statement, [source.table]).fetchall()
        state = _State(*rows[0]) if rows else _State()
        state.exists = source.table in tables
        if state.exists:
            statement = f"SELECT count(*) FROM {source.table}"
            state.staged = duck.execute(statement).fetchall()[0][0]
        states[source.table] = state
    return states


def _copy_whole(source: Source, state: _State, full: bool) -> bool:
    if full or not state.exists or state.signature != source.signature:
        return True
    return not source.incremental and state.staged < SMALL_TABLE_ROWS


def _q(name: str) -> str:
    return f'"{name}"'


def _columns_ddl(source: Source) -> str:
    return ", ".join(f"{_q(c)} {t}" for c, t in source.columns.items())


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


# -- merging into the staged tables (both databases) ----------------------------------------------------------------

def _run(duck, statement: str, params=None) -> list:
    """Execute and fetch to the end: DuckDB keeps a connection busy until a result is consumed."""
    return duck.execute(statement, params or []).fetchall()


@contextmanager
def _transaction(duck):
    _run(duck, "BEGIN")
    try:
        yield
    except BaseException:
        _run(duck, "ROLLBACK")
        raise
    _run(duck, "COMMIT")


def _replace_table(duck, source: Source, loaded: str) -> None:
    """`loaded` (a table holding the whole OLTP table) becomes the staged table."""
    with _transaction(duck):
        statement = f"DROP TABLE IF EXISTS {source.table}"
        _run(duck, statement)
        statement = f"ALTER TABLE {loaded} RENAME TO {source.table}"
        _run(duck, statement)


def _merge(duck, source: Source, incoming: str) -> int:
    """Write the rows of `incoming` that are new or differ from the staged ones; returns how many."""
    key = source.id_column
    statement = (f"CREATE OR REPLACE TEMP TABLE _differing AS SELECT * FROM {incoming} EXCEPT "
                 f"SELECT s.* FROM {source.table} s SEMI JOIN {incoming} i ON s.{key} = i.{key}")
    _run(duck, statement)
    changed = duck.execute("SELECT count(*) FROM _differing").fetchall()[0][0]
    if changed:
        statement = f"DELETE FROM {source.table} WHERE {key} IN (SELECT {key} FROM _differing)"
        _run(duck, statement)
        statement = f"INSERT INTO {source.table} SELECT * FROM _differing ORDER BY {key}"
        _run(duck, statement)
    _run(duck, "DROP TABLE _differing")
    return changed


# -- SQLite (and any database without row versions): read whole, compare in DuckDB ----------------------------------

def _extract_cursor(duck, connection, source: Source, state: _State, full: bool) -> _Outcome:
    began = time.perf_counter()
    whole = _copy_whole(source, state, full)
    target = f"_new_{source.table}" if whole else "_incoming"
    statement = f"DROP TABLE IF EXISTS {target}"
    _run(duck, statement)
    temp = "" if whole else "TEMP "
    statement = f"CREATE {temp}TABLE {target} ({_columns_ddl(source)})"
    _run(duck, statement)
    query = f"SELECT {_select_list(source, connection.vendor)} FROM {_q(source.table)}"
    read = _copy_cursor(duck, connection, source, query, [], target)
    outcome = _Outcome(read=read, whole=whole)
    if whole:
        _replace_table(duck, source, target)
        outcome.rows = read
    else:
        with _transaction(duck):
            key = source.id_column
            statement = f"DELETE FROM {source.table} WHERE {key} NOT IN (SELECT {key} FROM _incoming)"
            outcome.deleted = duck.execute(statement).fetchall()[0][0]
            outcome.rows = _merge(duck, source, "_incoming")
        _run(duck, "DROP TABLE _incoming")
    outcome.seconds = time.perf_counter() - began
    return outcome


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
            _run(duck, statement)
            duck.unregister("_batch")
            total += len(batch)
    return total


# -- PostgreSQL: row versions, bucket counts, concurrent COPY -------------------------------------------------------

class _Links:
    """PostgreSQL connections for the worker threads (one per thread, opened on first use), or the caller's own
    connection when the extract must read inside the caller's transaction."""

    def __init__(self, connection, duck):
        self.connection, self.duck = connection, duck
        self.inside = connection.in_atomic_block
        self.local = threading.local()
        self.opened: list = []
        self.lock = threading.Lock()

    def pg(self):
        if self.inside:
            self.connection.ensure_connection()
            return self.connection.connection
        link = getattr(self.local, "pg", None)
        if link is None:
            import psycopg

            params = self.connection.get_connection_params()
            params.pop("cursor_factory", None)
            link = psycopg.connect(**params, autocommit=True)
            link.execute("SET DateStyle = 'ISO, YMD'")
            self.local.pg = link
            with self.lock:
                self.opened.append(link)
        return link

    def duck_cursor(self):
        if self.inside:
            return self.duck
        cursor = getattr(self.local, "duck", None)
        if cursor is None:
            with self.lock:
                cursor = self.local.duck = self.duck.cursor()
                self.opened.append(cursor)
        return cursor

    @contextmanager
    def reading(self):
        """One consistent snapshot for the reads of one table (REPEATABLE READ, read only)."""
        pg = self.pg()
        if self.inside:
            yield pg
            return
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        pg.execute("SET LOCAL jit = off")  # compiling the scan's filter costs more than it saves here
        try:
            yield pg
        finally:
            pg.execute("ROLLBACK")

    def close(self):
        for link in self.opened:
            try:
                link.close()
            except Exception:  # noqa: BLE001 - closing after a failure must not hide the failure
                pass


def _origin(pg) -> str:
    """What identifies the transaction counter the snapshots belong to: cluster, database, and timeline when
    readable (a point-in-time restore starts a new timeline and reuses transaction ids)."""
    row = pg.execute("SELECT d.oid::text, has_function_privilege('pg_control_system()', 'execute'), "
                     "has_function_privilege('pg_control_checkpoint()', 'execute') "
                     "FROM pg_database d WHERE d.datname = current_database()").fetchone()
    parts = [row[0]]
    if row[1]:
        parts.append(str(pg.execute("SELECT system_identifier FROM pg_control_system()").fetchone()[0]))
    if row[2]:
        parts.append(str(pg.execute("SELECT timeline_id FROM pg_control_checkpoint()").fetchone()[0]))
    return "/".join(parts)


def _snapshot(pg) -> tuple[str, int, int]:
    """This transaction's snapshot, its xmax, and the reference transaction id of `age()` (32 bits)."""
    row = pg.execute("SELECT s::text, pg_snapshot_xmax(s)::text::bigint, age('3'::xid) "
                     "FROM pg_current_snapshot() s").fetchone()
    return row[0], int(row[1]), (int(row[2]) + 3) % _WRAP


def _distance(state: _State, origin: str, xmax: int, reference: int) -> int | None:
    """How many transactions separate `age()`'s reference from the previous snapshot's xmin, if the two can be
    compared; None: copy the table whole."""
    if not state.snapshot or state.origin != origin:
        return None
    previous_xmin, previous_xmax = (int(x) for x in state.snapshot.split(":")[:2])
    if xmax < previous_xmax or xmax - previous_xmin >= XID_HORIZON:
        return None  # the counter went back (a restore), or too far to compare 32-bit ids
    distance = (reference - previous_xmin) % _WRAP
    return distance if distance < XID_HORIZON else None


def _changed_sql(distance: int) -> str:
    """True for a row version written by a transaction not older than the previous snapshot's xmin: `age()` is the
    32-bit distance back from the reference (negative for a transaction newer than it; a frozen old row whose id
    came round again is merely read once more)."""
    return f"age(xmin) <= {distance}"


def _ranges(buckets) -> list[tuple[int, int]]:
    """Contiguous runs of bucket numbers as [low, high) id ranges."""
    runs: list[list[int]] = []
    for b in sorted(buckets):
        if runs and runs[-1][1] == b:
            runs[-1][1] = b + 1
        else:
            runs.append([b, b + 1])
    return [(lo << BUCKET_BITS, hi << BUCKET_BITS) for lo, hi in runs]


def _in_buckets(key: str, buckets) -> str:
    """A condition on `key` for the rows of `buckets`: primary-key ranges when they are few (index scans), else a
    hashed list of bucket numbers (one scan)."""
    ranges = _ranges(buckets)
    if len(ranges) <= MAX_RANGES:
        return "(" + " OR ".join(f"({key} >= {lo} AND {key} < {hi})" for lo, hi in ranges) + ")"
    listed = ",".join(str(int(b)) for b in sorted(buckets))
    return f"(({key} >> {BUCKET_BITS}) IN ({listed}))"


def _stream_postgresql(pg, source: Source, where: str, out) -> int:
    """Stream `SELECT … WHERE where` as CSV blocks into the open file `out`; returns the bytes written."""
    query = f"SELECT {_select_list(source, 'postgresql')} FROM {_q(source.table)}"
    if where:
        query += f" WHERE {where}"
    statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"
    with pg.cursor() as cursor, cursor.copy(statement) as copy:
        for block in copy:
            out.write(block)
    out.flush()
    return out.tell()


def _load_csv(duck, source: Source, files: list[str], target: str) -> int:
    """Append CSV files to `target` in one statement (DuckDB reads them in parallel); returns the rows."""
    if not files:
        return 0
    types = "{" + ", ".join(f"'{c}': '{t}'" for c, t in source.columns.items()) + "}"
    names = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    statement = (f"INSERT INTO {target} SELECT * FROM read_csv({names}, header=false, columns={types}, "
                 "allow_quoted_nulls=false, nullstr='', quote='\"', escape='\"', auto_detect=false)")
    return duck.execute(statement).fetchall()[0][0]


def _copy_postgresql(pg, duck, source: Source, where: str, target: str) -> int:
    """Stream `SELECT … WHERE where` into a temporary file and append it to `target` in DuckDB."""
    with tempfile.NamedTemporaryFile(suffix=".csv", dir=analytics_path().parent) as out:
        if not _stream_postgresql(pg, source, where, out):
            return 0
        return _load_csv(duck, source, [out.name], target)


def _extract_postgresql(duck, connection, states: dict[str, _State], full: bool) -> tuple[dict[str, _Outcome], str]:
    links = _Links(connection, duck)
    try:
        origin = _origin(links.pg())
        if links.inside:
            return {s.table: _table_postgresql(links, None, s, states[s.table], origin, full) for s in SOURCES}, origin
        # Biggest first, so that the long copies start at once and the small tables fill the gaps.
        order = sorted(SOURCES, key=lambda s: -states[s.table].staged)
        with ThreadPoolExecutor(WORKERS) as tables, ThreadPoolExecutor(WORKERS) as chunks:
            futures = {s.table: tables.submit(_table_postgresql, links, chunks, s, states[s.table], origin, full)
                       for s in order}
            return {table: future.result() for table, future in futures.items()}, origin
    finally:
        links.close()


def _table_postgresql(links: _Links, chunks, source: Source, state: _State, origin: str, full: bool) -> _Outcome:
    began = time.perf_counter()
    duck = links.duck_cursor()
    whole = _copy_whole(source, state, full)
    with links.reading() as pg:
        snapshot, xmax, reference = _snapshot(pg)
        distance = None if whole else _distance(state, origin, xmax, reference)
        if distance is None:
            outcome = _whole_postgresql(links, chunks, pg, duck, source)
        else:
            outcome = _changes_postgresql(pg, duck, source, distance)
    outcome.snapshot = snapshot
    outcome.seconds = time.perf_counter() - began
    return outcome


def _whole_postgresql(links: _Links, chunks, pg, duck, source: Source) -> _Outcome:
    loaded = f"_new_{source.table}"
    statement = f"DROP TABLE IF EXISTS {loaded}"
    _run(duck, statement)
    statement = f"CREATE TABLE {loaded} ({_columns_ddl(source)})"
    _run(duck, statement)
    key = _q(source.id_column)
    statement = f"SELECT min({key}), max({key}) FROM {_q(source.table)}"
    low, high = pg.execute(statement).fetchone()
    if chunks is None or low is None or high - low < 2 * CHUNK_IDS:
        read = _copy_postgresql(pg, duck, source, "", loaded)
    else:
        # Each range on its own connection and snapshot: the snapshot recorded is the one taken before them all,
        # so a row changed while the ranges are read is read again next time.
        bounds = list(range(low, high + 1, CHUNK_IDS)) + [high + 1]

        # The ranges are streamed concurrently into files that one statement then loads (DuckDB reads them in
        # parallel; concurrent appends to one table would contend).
        folder = tempfile.mkdtemp(prefix="extract-", dir=analytics_path().parent)

        def part(lo, hi):
            name = os.path.join(folder, f"{lo}.csv")
            with links.reading() as link, open(name, "wb") as out:
                return name if _stream_postgresql(link, source, f"{key} >= {lo} AND {key} < {hi}", out) else None

        try:
            files = [f.result() for f in [chunks.submit(part, lo, hi) for lo, hi in zip(bounds, bounds[1:])]]
            read = _load_csv(duck, source, [f for f in files if f], loaded)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    _replace_table(duck, source, loaded)
    return _Outcome(rows=read, read=read, whole=True)


def _changes_postgresql(pg, duck, source: Source, distance: int) -> _Outcome:
    table = _q(source.table)
    # Two scans that PostgreSQL runs in parallel: the rows (for deletes), and the changed rows themselves (a row
    # above the previous high-water mark is always among them: had it been visible then, it would be staged).
    statement = f"SELECT count(*) FROM {table}"
    total = pg.execute(statement).fetchone()[0]
    outcome = _Outcome()
    statement = f"CREATE OR REPLACE TEMP TABLE _incoming ({_columns_ddl(source)})"
    _run(duck, statement)
    outcome.read = _copy_postgresql(pg, duck, source, _changed_sql(distance), "_incoming")
    with _transaction(duck):
        if outcome.read:
            outcome.rows = _merge(duck, source, "_incoming")
        # Every staged id is now a current row or a deleted one: more staged rows than in PostgreSQL means deletes.
        statement = f"SELECT count(*) FROM {source.table}"
        if duck.execute(statement).fetchall()[0][0] != total:
            _remove_deleted(pg, duck, source, outcome)
    _run(duck, "DROP TABLE _incoming")
    return outcome


def _remove_deleted(pg, duck, source: Source, outcome: _Outcome) -> None:
    """Count the rows of each bucket of ids on both sides and read again the buckets that differ."""
    key, plain = _q(source.id_column), source.id_column
    statement = f"SELECT {key} >> {BUCKET_BITS}, count(*) FROM {_q(source.table)} GROUP BY 1"
    counted = dict(pg.execute(statement).fetchall())
    statement = f"SELECT {plain} >> {BUCKET_BITS}, count(*) FROM {source.table} GROUP BY 1"
    staged = dict(duck.execute(statement).fetchall())
    differing = [b for b in set(staged) | set(counted) if staged.get(b, 0) != counted.get(b, 0)]
    _run(duck, "DELETE FROM _incoming")
    outcome.read += _copy_postgresql(pg, duck, source, _in_buckets(key, differing), "_incoming")
    statement = (f"SELECT count(*) FROM {source.table} WHERE {_in_buckets(plain, differing)} "
                 f"AND {plain} NOT IN (SELECT {plain} FROM _incoming)")
    outcome.deleted = duck.execute(statement).fetchall()[0][0]
    statement = f"DELETE FROM {source.table} WHERE {_in_buckets(plain, differing)}"
    _run(duck, statement)
    statement = f"INSERT INTO {source.table} SELECT * FROM _incoming ORDER BY {plain}"
    _run(duck, statement)
