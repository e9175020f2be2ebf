"""Storing a refresh's results in the summary tables the pages read, and reading them by date.

A refresh computes every indicator for every organisation (about 2 million figures at a million members) and a score
for every member. Pages ask for the newest day, the month-ends of the last year and the month-end a year back. So:

- **The newest values** are kept once, under `IndicatorValue.LATEST`, with the member scores (one row per member).
  A refresh for a day not before the newest one rewrites only the figures that changed: the analytics file keeps a
  copy of what was stored last (`_latest_values`, `_latest_scores`, tagged with the run that stored it), so the
  difference is found there, not by reading the summaries back. When the copy cannot be trusted (the first refresh,
  a lost analytics file, a refresh on another engine in between) the newest values are replaced whole.
- **Dated copies** are written for month-ends and for a day refreshed after a later one (a correction of the past).

`latest_day()` is the date the newest values hold for; `stored_dates()` maps the dates a page asks for to the dates
the rows are stored under."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.db import connection

from dangjian.core import bulk

from .models import IndicatorValue, MemberScore, RefreshRun, RefreshState

LATEST = IndicatorValue.LATEST
VALUE_DIGITS = 9  # stored values are rounded, so every engine stores the same figures
RESULT_VALUES, RESULT_SCORES, RESULT_POINTS = "_result_values", "_result_scores", "_result_points"
MIRROR_VALUES, MIRROR_SCORES, MIRROR_STATE = "_latest_values", "_latest_scores", "_latest_state"
# The next copy, written while PostgreSQL applies the differences; `remember()` renames it into place.
NEXT_COPY = {MIRROR_VALUES: ("_next_latest_values", RESULT_VALUES),
             MIRROR_SCORES: ("_next_latest_scores", RESULT_SCORES)}
VALUE_COLUMNS = ("code", "org_id", "key", "value", "numerator", "denominator")
SCORE_COLUMNS = ("member_id", "org_id", "score", "detail")
# The results of one computation, in DuckDB. A member's score carries a digest of the member's points per kind, so
# that a change in the points (not only in the score) is found without comparing the points row by row; the points
# are turned into the JSON detail the vitality page reads only for the scores written.
RESULT_DDL = {
    RESULT_VALUES: "code VARCHAR, org_id BIGINT, key VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE",
    RESULT_POINTS: "member_id BIGINT, kind VARCHAR, count BIGINT, quantity DOUBLE, points DOUBLE",
    RESULT_SCORES: "member_id BIGINT, org_id BIGINT, score DOUBLE, digest UBIGINT",
}


# -- reading --------------------------------------------------------------------------------------------------------

def latest_run():
    """The finished refresh whose results are the newest values (None before the first)."""
    return (RefreshRun.objects.filter(state=RefreshState.DONE, latest=True)
            .order_by("-as_of", "-finished_at", "-pk").first())


def latest_day() -> dt.date | None:
    run = latest_run()
    return run.as_of if run is not None else None


def stored_dates(days, latest: dt.date | None = None) -> dict[dt.date, dt.date]:
    """The date each of `days` is stored under → that day: the newest day's values are under `LATEST`."""
    latest = latest_day() if latest is None else latest
    return {(LATEST if day == latest else day): day for day in days}


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


# -- the results of one computation (DuckDB) --------------------------------------------------------------------------

def create_results(duck) -> None:
    for table, ddl in RESULT_DDL.items():
        statement = f"CREATE OR REPLACE TEMP TABLE {table} ({ddl})"
        duck.execute(statement)


def rounded(column: str) -> str:
    return f"round({column}, {VALUE_DIGITS})"


def insert_values(duck, code: str, query: str) -> None:
    """One indicator's rows (org_id, key, value, numerator, denominator) into the results."""
    statement = (f"INSERT INTO {RESULT_VALUES} SELECT ?, org_id, coalesce(key, ''), {rounded('value')}, "
                 f"{rounded('numerator')}, {rounded('denominator')} FROM ({query})")
    duck.execute(statement, [code])


def insert_scores(duck, points_query: str, scores_query: str) -> None:
    """The members' points per kind (member_id, kind, n, quantity, points) and scores (member_id, org_id, score)."""
    statement = (f"INSERT INTO {RESULT_POINTS} SELECT member_id, kind, n::BIGINT, {rounded('quantity')}, "
                 f"{rounded('points')} FROM ({points_query})")
    duck.execute(statement)
    statement = f"""
        INSERT INTO {RESULT_SCORES}
        SELECT s.member_id, s.org_id, {rounded('s.score')}, coalesce(d.digest, 0)
        FROM ({scores_query}) s LEFT JOIN (
            SELECT member_id, bit_xor(hash(kind, count, quantity, points)) AS digest FROM {RESULT_POINTS}
            GROUP BY member_id) d USING (member_id)"""
    duck.execute(statement)


def load_results(duck, values: list[tuple], scores: list[tuple]) -> None:
    """Results computed elsewhere (rows in Python) into the result tables of `duck`, rounded as DuckDB rounds."""
    import pyarrow as pa

    create_results(duck)
    by_code: dict[str, list] = {}
    for code, *row in values:
        by_code.setdefault(code, []).append(row)
    for code, rows in by_code.items():
        duck.register("_loaded", pa.table(dict(zip(VALUE_COLUMNS[1:], map(list, zip(*rows))))))
        insert_values(duck, code, "SELECT * FROM _loaded")
        duck.unregister("_loaded")
    points = [(member_id, kind, part["count"], part["quantity"], part["points"])
              for member_id, _org, _score, detail in scores for kind, part in detail.items()]
    duck.register("_points", pa.table({
        "member_id": pa.array([p[0] for p in points], pa.int64()), "kind": pa.array([p[1] for p in points], pa.string()),
        "n": pa.array([p[2] for p in points], pa.int64()), "quantity": pa.array([p[3] for p in points], pa.float64()),
        "points": pa.array([p[4] for p in points], pa.float64())}))
    duck.register("_scores", pa.table({
        "member_id": pa.array([s[0] for s in scores], pa.int64()), "org_id": pa.array([s[1] for s in scores], pa.int64()),
        "score": pa.array([s[2] for s in scores], pa.float64())}))
    insert_scores(duck, "SELECT * FROM _points", "SELECT * FROM _scores")
    duck.unregister("_points")
    duck.unregister("_scores")


# -- writing the summaries --------------------------------------------------------------------------------------------

def store(as_of: dt.date, duck, run: RefreshRun) -> dict:
    """Write the results in `duck` (`_result_values`, `_result_scores`) for `as_of`. Call inside a transaction;
    returns the counts (and sets `run.latest`). The copy in the analytics file is brought up to date afterwards, by
    `remember()`, once the transaction has committed."""
    newest = latest_run()
    run.latest = newest is None or as_of >= newest.as_of
    _drop_next_copy(duck)  # whatever a failed refresh left: a next copy found later is this refresh's
    counts = {"values": _count(duck, RESULT_VALUES), "scores": _count(duck, RESULT_SCORES) if run.latest else 0,
              "changed_values": 0, "changed_scores": 0, "dated": 0}
    whole = f"SELECT * FROM {RESULT_VALUES}"
    if is_month_end(as_of) or not run.latest:
        IndicatorValue.objects.filter(as_of=as_of).delete()
        with bulk.references_proven_at_end(IndicatorValue):
            counts["dated"] = _insert_values(duck, whole, as_of)
    if run.latest:
        if newest is not None and _mirror_run(duck) == newest.pk:
            counts["changed_values"], counts["changed_scores"] = _apply_changes(duck)
        else:
            IndicatorValue.objects.filter(as_of=LATEST).delete()
            MemberScore.objects.all().delete()
            with bulk.references_proven_at_end(IndicatorValue, MemberScore):
                counts["changed_values"] = _insert_values(duck, whole, LATEST)
                counts["changed_scores"] = _insert_scores(duck, f"SELECT * FROM {RESULT_SCORES}")
    return counts


def remember(duck, run: RefreshRun) -> None:
    """After the summaries committed: keep what the newest values now are, for the next refresh's difference (the
    next copy written during the store, or one written now)."""
    if not run.latest:
        return
    if not _in_file(duck, [name for name, _result in NEXT_COPY.values()]):
        _write_next_copy(duck)
    duck.execute("BEGIN")
    for mirror, (name, _result) in NEXT_COPY.items():
        statement = f"DROP TABLE IF EXISTS {mirror}"
        duck.execute(statement)
        statement = f"ALTER TABLE {name} RENAME TO {mirror}"
        duck.execute(statement)
    statement = f"CREATE OR REPLACE TABLE {MIRROR_STATE} (run_id BIGINT)"
    duck.execute(statement)
    statement = f"INSERT INTO {MIRROR_STATE} VALUES (?)"
    duck.execute(statement, [run.pk])
    duck.execute("COMMIT")


def forget(duck) -> None:
    """The copy no longer matches the summaries (a failed refresh may have left it half written)."""
    statement = f"DROP TABLE IF EXISTS {MIRROR_STATE}"
    duck.execute(statement)
    _drop_next_copy(duck)


def _write_next_copy(duck) -> None:
    """The results, copied into the analytics file beside the copy (`remember()` renames them into place)."""
    for name, result in NEXT_COPY.values():
        statement = f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {result}"
        duck.execute(statement)


def _drop_next_copy(duck) -> None:
    for name, _result in NEXT_COPY.values():
        statement = f"DROP TABLE IF EXISTS {name}"
        duck.execute(statement)


def _count(duck, table: str) -> int:
    statement = f"SELECT count(*) FROM {table}"
    return duck.execute(statement).fetchall()[0][0]


def _in_file(duck, tables: list[str]) -> bool:
    """Whether every one of `tables` is in the analytics file (not a temporary table)."""
    marks = ", ".join("?" for _ in tables)
    statement = f"SELECT count(*) FROM duckdb_tables() WHERE table_name IN ({marks}) AND NOT temporary"
    return duck.execute(statement, tables).fetchall()[0][0] == len(tables)


def _mirror_run(duck):
    if not _in_file(duck, [MIRROR_VALUES, MIRROR_SCORES, MIRROR_STATE]):
        return None
    statement = f"SELECT max(run_id) FROM {MIRROR_STATE}"
    return duck.execute(statement).fetchall()[0][0]


def _apply_changes(duck) -> tuple[int, int]:
    """Upsert the figures that differ from the copy, delete those no longer computed."""
    keys = "org_id, code, key"
    changed_values = f"SELECT * FROM {RESULT_VALUES} EXCEPT SELECT * FROM {MIRROR_VALUES}"
    gone_values = f"SELECT {keys} FROM {MIRROR_VALUES} EXCEPT SELECT {keys} FROM {RESULT_VALUES}"
    # Kept in a table: the detail is built for these rows only, which reads them twice.
    statement = (f"CREATE OR REPLACE TEMP TABLE _changed_scores AS "
                 f"SELECT * FROM {RESULT_SCORES} EXCEPT SELECT * FROM {MIRROR_SCORES}")
    duck.execute(statement)
    changed_scores = "SELECT * FROM _changed_scores"
    gone_scores = f"SELECT member_id FROM {MIRROR_SCORES} EXCEPT SELECT member_id FROM {RESULT_SCORES}"
    if connection.vendor == "postgresql":
        return _apply_postgresql(duck, changed_values, gone_values, changed_scores, gone_scores)
    values = duck.execute(changed_values).fetchall()
    bulk_values = [IndicatorValue(as_of=LATEST, code=code, org_id=org_id, key=key or "", value=value,
                                  numerator=numerator, denominator=denominator)
                   for code, org_id, key, value, numerator, denominator in values]
    IndicatorValue.objects.bulk_create(bulk_values, batch_size=2000, update_conflicts=True,
                                       unique_fields=["as_of", "org", "code", "key"],
                                       update_fields=["value", "numerator", "denominator"])
    for org_id, code, key in duck.execute(gone_values).fetchall():
        IndicatorValue.objects.filter(as_of=LATEST, org_id=org_id, code=code, key=key or "").delete()
    scores = duck.execute(_as_json(changed_scores)).fetchall()
    MemberScore.objects.bulk_create(
        [MemberScore(member_id=m, org_id=o, score=s, detail=json.loads(d)) for m, o, s, d in scores],
        batch_size=2000, update_conflicts=True, unique_fields=["member"], update_fields=["org", "score", "detail"])
    gone = [row[0] for row in duck.execute(gone_scores).fetchall()]
    for start in range(0, len(gone), 500):
        MemberScore.objects.filter(member_id__in=gone[start:start + 500]).delete()
    return len(values), len(scores)


# -- the two databases ------------------------------------------------------------------------------------------------

def _insert_values(duck, query: str, as_of: dt.date) -> int:
    # By indicator, then organisation: the figures that change from night to night (the vitality indicators, the dues
    # rate) then sit together in few pages, which are all a nightly update writes (after a checkpoint each page
    # written costs its full image in the WAL).
    rows = (f"SELECT DATE '{as_of.isoformat()}' AS as_of, {', '.join(VALUE_COLUMNS)} FROM ({query}) "
            "ORDER BY code, org_id, key")
    if connection.vendor == "postgresql":
        return _copy_in(duck, rows, "analytics_indicatorvalue", ("as_of", *VALUE_COLUMNS))
    return bulk.insert_dicts(IndicatorValue, (
        {"as_of": as_of, "org_id": org_id, "code": code, "key": key or "", "value": value, "numerator": numerator,
         "denominator": denominator} for _day, code, org_id, key, value, numerator, denominator
        in duck.execute(rows).fetchall()))


def _as_json(query: str) -> str:
    """Score rows (member_id, org_id, score, …) with the detail stored: the JSON object {kind: {count, quantity,
    points}} of the member's points, built only for the rows of `query`."""
    detail = ("'{' || string_agg(to_json(kind) || ':' || json_object('count', count, 'quantity', quantity, "
              "'points', points), ',' ORDER BY kind) || '}'")
    return (f"SELECT s.member_id, s.org_id, s.score, coalesce(d.detail, '{{}}') AS detail FROM ({query}) s "
            f"LEFT JOIN (SELECT member_id, {detail} AS detail FROM {RESULT_POINTS} "
            f"WHERE member_id IN (SELECT member_id FROM ({query})) GROUP BY member_id) d USING (member_id)")


def _insert_scores(duck, query: str) -> int:
    if connection.vendor == "postgresql":
        return _copy_in(duck, _as_json(query) + " ORDER BY member_id", "analytics_memberscore", SCORE_COLUMNS)
    return bulk.insert_dicts(MemberScore, (
        {"member_id": member_id, "org_id": org_id, "score": score, "detail": json.loads(detail)}
        for member_id, org_id, score, detail in duck.execute(_as_json(query)).fetchall()))


def _copy_in(duck, query: str, table: str, columns: tuple[str, ...]) -> int:
    """The rows of a DuckDB query (in the order of `columns`) into a PostgreSQL table by COPY."""
    target = _export(duck, query, columns)
    try:
        return _load(target, table, columns)
    finally:
        target.unlink(missing_ok=True)


def _export(duck, query: str, columns: tuple[str, ...]) -> Path:
    """The rows of a DuckDB query as a CSV file beside the analytics file (no row passes through Python). Text
    columns are quoted (an empty key stays an empty string; an unquoted empty field is NULL)."""
    from .extract import analytics_path

    handle, name = tempfile.mkstemp(suffix=".csv", dir=analytics_path().parent)
    os.close(handle)
    target = Path(name)
    try:
        texts = [c for c in columns if c in ("code", "key", "detail")]
        quoted = f", FORCE_QUOTE ({', '.join(texts)})" if texts else ""
        statement = f"COPY ({query}) TO '{target}' (FORMAT csv, HEADER false{quoted})"
        duck.execute(statement)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _load(source: Path, table: str, columns: tuple[str, ...]) -> int:
    """A CSV file of `_export` into a PostgreSQL table, streamed in blocks."""
    with connection.cursor() as cursor:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
        with cursor.cursor.copy(statement) as copy, open(source, "rb") as stream:
            while block := stream.read(1 << 20):
                copy.write(block)
        return cursor.cursor.rowcount


VALUE_UPSERT = """
    INSERT INTO analytics_indicatorvalue (as_of, org_id, code, key, value, numerator, denominator)
    SELECT %s, org_id, code, key, value, numerator, denominator FROM _changed_values
    ON CONFLICT ON CONSTRAINT indicator_value_unique DO UPDATE
    SET value = EXCLUDED.value, numerator = EXCLUDED.numerator, denominator = EXCLUDED.denominator"""
VALUE_DELETE = """
    DELETE FROM analytics_indicatorvalue v USING _gone_values g
    WHERE v.as_of = %s AND v.org_id = g.org_id AND v.code = g.code AND v.key = g.key"""
SCORE_UPSERT = """
    INSERT INTO analytics_memberscore (member_id, org_id, score, detail)
    SELECT member_id, org_id, score, detail::jsonb FROM _changed_scores
    ON CONFLICT ON CONSTRAINT member_score_one_per_member DO UPDATE
    SET org_id = EXCLUDED.org_id, score = EXCLUDED.score, detail = EXCLUDED.detail"""
SCORE_DELETE = "DELETE FROM analytics_memberscore s USING _gone_scores g WHERE s.member_id = g.member_id"
STAGING = {
    "_changed_values": "org_id bigint, code varchar, key varchar, value float8, numerator float8, denominator float8",
    "_gone_values": "org_id bigint, code varchar, key varchar",
    "_changed_scores": "member_id bigint, org_id bigint, score float8, detail text",
    "_gone_scores": "member_id bigint",
}


def _apply_postgresql(duck, changed_values, gone_values, changed_scores, gone_scores) -> tuple[int, int]:
    """The differences into temporary tables by COPY, then one upsert and one delete per summary table. DuckDB
    writes the differences to files in a thread of its own while PostgreSQL loads and applies the ones already
    written (the value upsert overlaps the building of the scores' detail), then stages the next copy."""
    queries = {
        "_changed_values": f"SELECT org_id, code, key, value, numerator, denominator FROM ({changed_values}) "
                           "ORDER BY code, org_id, key",
        "_gone_values": gone_values,
        "_changed_scores": _as_json(changed_scores) + " ORDER BY member_id",
        "_gone_scores": gone_scores,
    }
    applied = {"_changed_values": [VALUE_UPSERT, [LATEST]], "_gone_values": [VALUE_DELETE, [LATEST]],
               "_changed_scores": [SCORE_UPSERT, None], "_gone_scores": [SCORE_DELETE, None]}
    columns = {table: tuple(part.split()[0] for part in ddl.split(", ")) for table, ddl in STAGING.items()}
    counts = {}
    with ThreadPoolExecutor(max_workers=1) as exporter:
        files = {table: exporter.submit(_export, duck, queries[table], columns[table]) for table in STAGING}
        next_copy = exporter.submit(_write_next_copy, duck)  # the next copy, while PostgreSQL applies the scores
        try:
            with connection.cursor() as cursor:
                for table, ddl in STAGING.items():
                    statement = f"CREATE TEMP TABLE {table} ({ddl}) ON COMMIT DROP"
                    cursor.execute(statement)
                    counts[table] = _load(files[table].result(), table, columns[table])
                    cursor.execute(*applied[table])
                    statement = f"DROP TABLE {table}"
                    cursor.execute(statement)
        except BaseException:
            next_copy.cancel()
            raise
        finally:
            for future in files.values():
                if not future.cancel() and future.exception() is None:
                    future.result().unlink(missing_ok=True)
    return counts["_changed_values"], counts["_changed_scores"]
