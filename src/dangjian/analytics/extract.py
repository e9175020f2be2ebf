"""Extract: copy what the indicators read from the OLTP database into the analytics file (DuckDB).

The staged tables keep the OLTP table and column names, so the indicator expressions read the same names on every
engine. After every extract each staged table equals the selected columns of its OLTP table, whatever wrote the
changes: the platform's actions, `QuerySet.update()`, raw SQL, deletes. Timestamps such as `updated_at` are not
trusted for this (a raw UPDATE does not touch them, and `analytics_fact.at` has no index).

PostgreSQL, incrementally (a nightly extract):

* The database logs the id of every row inserted, updated or deleted in the staged tables, by any path
  (`analytics_change`, kept by statement-level triggers: migration analytics 0005). Each extract claims the log rows
  it can see, reads the current rows of the ids claimed (an id claimed but no longer in the table was deleted),
  merges them into the staged table and commits DuckDB, and only then deletes the claimed log rows. A change
  committed while the extract runs stays in the log for the next one; a failure before the delete leaves the log as
  it was, so the same changes are read again (merging is idempotent).
* Each extract also leaves a fresh random token, per table, in the database (`analytics_change_mark`) and in the
  analytics file. The log is used only when the two agree: a restored database or analytics file, another database,
  a TRUNCATE (its trigger forgets the mark) or a half-finished extract makes them differ, and the table is copied
  whole instead.
* So a nightly extract reads just the changed rows through the primary key: no table is scanned or counted.
* A full copy (first extract, rebuild) streams `COPY (…) TO STDOUT` as CSV blocks into temporary files that DuckDB
  reads in parallel (no row is formatted in Python); a big table is split into id ranges (`CHUNK_IDS`) copied
  concurrently, each on its own connection. The log rows are claimed before any range is read, so every change they
  record is in the copy.

When the caller's connection is inside a transaction (`atomic`), the extract reads through that connection,
one table after another, so that the transaction's own writes are seen (the log rows claimed are deleted in the
caller's transaction). Under READ COMMITTED the rows are read after the log is claimed, so they hold at least the
changes claimed.

Tables below `SMALL_TABLE_ROWS` staged rows (except the fact and dues tables, always incremental) are simply copied
whole (their log rows are claimed and released all the same): a copy of a few thousand rows costs milliseconds and
leaves nothing to reason about.

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
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection as default_connection

BATCH_ROWS = 100_000
SMALL_TABLE_ROWS = 20_000  # staged rows below which a table is copied whole on every extract
WORKERS = 2  # tables read concurrently, each on its own connection (and as many ranges of a big table)
CHUNK_IDS = 2_500_000  # a full copy of a bigger table is split into id ranges of this size
CHANGE_LOG, CHANGE_MARK = "analytics_change", "analytics_change_mark"  # kept by triggers (migration 0005)


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
    # Whether a 支委会 or a 党小组会 is owed (a committee in office, a group with members), and 民主评议 decided.
    Source("orgs_committeemember", {"id": "BIGINT", "org_id": "BIGINT", "started_on": "DATE", "ended_on": "DATE"}),
    Source("orgs_groupmembership", {"id": "BIGINT", "group_id": "BIGINT", "started_on": "DATE", "ended_on": "DATE"}),
    Source("orglife_appraisal", {"id": "BIGINT", "org_id": "BIGINT", "year": "INTEGER", "state": "VARCHAR"}),
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
STATE_COLUMNS = {"name": "VARCHAR PRIMARY KEY", "signature": "VARCHAR", "started": "TIMESTAMP", "token": "VARCHAR"}


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
    token: str | None = None
    exists: bool = False
    staged: int = 0


@dataclass
class _Outcome:
    rows: int = 0
    read: int = 0
    deleted: int = 0
    whole: bool = False
    token: str | None = None
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
        if connection.vendor == "postgresql":
            outcomes = _extract_postgresql(duck, connection, states, full)
        else:
            outcomes = {s.table: _extract_cursor(duck, connection, s, states[s.table], full) for s in SOURCES}
        for source in SOURCES:
            outcome = outcomes[source.table]
            statement = f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?)"
            _run(duck, statement, [source.table, source.signature, started, outcome.token])
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
        statement = f"SELECT signature, token FROM {STATE_TABLE} WHERE name = ?"
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


# -- SQLite (and any database without the change log): read whole, compare in DuckDB -------------------------------

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


# -- PostgreSQL: the change log, concurrent COPY ---------------------------------------------------------------------

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
        """One consistent snapshot for the work on one table (REPEATABLE READ), committed at the end: the claimed
        log rows are deleted there (after DuckDB has committed what they recorded)."""
        pg = self.pg()
        if self.inside:
            yield pg
            return
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        pg.execute("SET LOCAL jit = off")  # compiling the scan's filter costs more than it saves here
        try:
            yield pg
        except BaseException:
            pg.execute("ROLLBACK")
            raise
        pg.execute("COMMIT")

    def close(self):
        for link in self.opened:
            try:
                link.close()
            except Exception:  # noqa: BLE001 - closing after a failure must not hide the failure
                pass


def _claim(pg, source: Source) -> None:
    """Claim the log rows of `source` visible now (temporary table `_claimed`): the changes this extract applies."""
    pg.execute("DROP TABLE IF EXISTS _claimed")
    statement = f"CREATE TEMP TABLE _claimed AS SELECT id, row_id FROM {CHANGE_LOG} WHERE source = %s"
    pg.execute(statement, [source.table])


def _mark(pg, source: Source) -> str | None:
    statement = f"SELECT token FROM {CHANGE_MARK} WHERE source = %s"
    row = pg.execute(statement, [source.table]).fetchone()
    return row[0] if row else None


def _release(pg, source: Source) -> str:
    """The claimed changes are staged (DuckDB committed): delete them from the log and leave a new mark."""
    token = uuid.uuid4().hex
    statement = f"DELETE FROM {CHANGE_LOG} WHERE id IN (SELECT id FROM _claimed)"
    pg.execute(statement)
    statement = (f"INSERT INTO {CHANGE_MARK} (source, token) VALUES (%s, %s) "
                 "ON CONFLICT (source) DO UPDATE SET token = EXCLUDED.token")
    pg.execute(statement, [source.table, token])
    pg.execute("DROP TABLE _claimed")
    return token


def _stream_postgresql(pg, source: Source, where: str, out) -> int:
    """Stream `SELECT … WHERE where` as CSV blocks into the open file `out`; returns the bytes written."""
    query = f"SELECT {_select_list(source, 'postgresql')} FROM {_q(source.table)}"
    if where:
        query += f" WHERE {where}"
    return _stream_query(pg, query, out)


def _stream_query(pg, query: str, out) -> int:
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


def _copy_postgresql(pg, duck, source: Source, where: str, target: str, query: str | None = None) -> int:
    """Stream `SELECT … WHERE where` (or `query`, whose columns are those of `source`) into a temporary file and append
    it to `target` in DuckDB."""
    with tempfile.NamedTemporaryFile(suffix=".csv", dir=analytics_path().parent) as out:
        written = _stream_query(pg, query, out) if query else _stream_postgresql(pg, source, where, out)
        if not written:
            return 0
        return _load_csv(duck, source, [out.name], target)


def _extract_postgresql(duck, connection, states: dict[str, _State], full: bool) -> dict[str, _Outcome]:
    links = _Links(connection, duck)
    try:
        if links.inside:
            return {s.table: _table_postgresql(links, None, s, states[s.table], full) for s in SOURCES}
        # Biggest first, so that the long copies start at once and the small tables fill the gaps.
        order = sorted(SOURCES, key=lambda s: -states[s.table].staged)
        with ThreadPoolExecutor(WORKERS) as tables, ThreadPoolExecutor(WORKERS) as chunks:
            futures = {s.table: tables.submit(_table_postgresql, links, chunks, s, states[s.table], full)
                       for s in order}
            return {table: future.result() for table, future in futures.items()}
    finally:
        links.close()


def _table_postgresql(links: _Links, chunks, source: Source, state: _State, full: bool) -> _Outcome:
    began = time.perf_counter()
    duck = links.duck_cursor()
    with links.reading() as pg:
        _claim(pg, source)
        whole = _copy_whole(source, state, full) or state.token is None or _mark(pg, source) != state.token
        if whole:
            outcome = _whole_postgresql(links, chunks, pg, duck, source)
        else:
            outcome = _changes_postgresql(pg, duck, source)
        outcome.token = _release(pg, source)
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
        # Each range on its own connection and snapshot, taken after the log was claimed: every change claimed is
        # in the copy; a change committed meanwhile is also in the log for the next extract.
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


def _changes_postgresql(pg, duck, source: Source) -> _Outcome:
    """Apply the claimed changes: the current rows of the ids claimed replace the staged ones; a claimed id no
    longer in the table was deleted."""
    key = _q(source.id_column)
    outcome = _Outcome()
    touched = Source("_touched", {source.id_column: "BIGINT"})
    for table, ddl in (("_incoming", _columns_ddl(source)), ("_touched", _columns_ddl(touched))):
        statement = f"CREATE OR REPLACE TEMP TABLE {table} ({ddl})"
        _run(duck, statement)
    if not _copy_postgresql(pg, duck, touched, "", "_touched", query="SELECT DISTINCT row_id FROM _claimed"):
        return outcome
    outcome.read = _copy_postgresql(pg, duck, source, f"{key} IN (SELECT row_id FROM _claimed)", "_incoming")
    with _transaction(duck):
        plain = source.id_column
        statement = (f"DELETE FROM {source.table} WHERE {plain} IN (SELECT {plain} FROM _touched) "
                     f"AND {plain} NOT IN (SELECT {plain} FROM _incoming)")
        outcome.deleted = duck.execute(statement).fetchall()[0][0]
        if outcome.read:
            outcome.rows = _merge(duck, source, "_incoming")
    _run(duck, "DROP TABLE _incoming")
    _run(duck, "DROP TABLE _touched")
    return outcome
