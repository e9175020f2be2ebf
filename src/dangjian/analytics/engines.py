"""The engines the indicator expressions run on: DuckDB (default, the embedded analytics file the extract fills),
PostgreSQL (reading the OLTP tables directly) and PySpark in local mode (the staged tables as Parquet files written
from DuckDB). Each gives the tables by their OLTP names and executes an expression into plain rows."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.utils.translation import gettext as _

from .extract import SOURCES, analytics_path

ENGINES = ("duckdb", "postgres", "spark")
DUCKDB_TYPES = {"string": "VARCHAR", "float64": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "int64": "BIGINT"}


class EngineError(Exception):
    """The engine cannot run (not configured, not reachable); the message is for the person who asked."""


class Engine:
    name = ""
    together = False  # run every indicator as one query (fewer jobs: Spark's cost is per job, not per row)

    def __init__(self):
        self.con = None
        self._tables = {}

    def table(self, name: str):
        """The table of that name (its schema read once per engine)."""
        if name not in self._tables:
            self._tables[name] = self.con.table(name)
        return self._tables[name]

    def small(self, name: str, data: dict, schema: dict):
        import ibis

        return ibis.memtable(data, schema=schema)

    def keep(self, expr):
        """An intermediate result several indicators read, computed once (a temporary table or Spark cache)."""
        return expr.cache()

    def max_depth(self) -> int:
        t = self.table("orgs_organization")
        value = self.con.execute(t.depth.max())
        return int(value or 1)

    def rows(self, expr) -> list[tuple]:
        frame = self.con.to_pyarrow(expr)
        return list(zip(*[frame.column(i).to_pylist() for i in range(frame.num_columns)])) if frame.num_rows else []

    def close(self) -> None:
        if self.con is not None:
            try:
                self.con.disconnect()
            except Exception:  # noqa: BLE001 - closing twice or after a failure is harmless
                pass
            self.con = None
        self._tables = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, path: Path | None = None, *, duck=None):
        super().__init__()
        import ibis

        self.duck = duck
        if duck is not None:
            self.con = ibis.duckdb.from_connection(duck)
        else:
            self.con = ibis.duckdb.connect(str(path or analytics_path()))

    def max_depth(self) -> int:
        if self.duck is None:
            return super().max_depth()
        value = self.duck.execute("SELECT max(depth) FROM orgs_organization").fetchall()[0][0]
        return int(value or 1)

    def small(self, name: str, data: dict, schema: dict):
        """A temporary table filled by parameters: an in-memory table would build Arrow arrays from Python lists,
        which imports pandas (about half a second of every refresh)."""
        import uuid

        duck = self.duck if self.duck is not None else self.con.con
        table = f"_small_{name}_{uuid.uuid4().hex[:8]}"
        columns = ", ".join(f"{column} {DUCKDB_TYPES[kind]}" for column, kind in schema.items())
        statement = f"CREATE TEMP TABLE {table} ({columns})"
        duck.execute(statement)
        rows = list(zip(*[data[column] for column in schema]))
        if rows:
            statement = f"INSERT INTO {table} VALUES ({', '.join('?' for _ in schema)})"
            duck.executemany(statement, rows)
        return self.con.table(table)

    def close(self) -> None:
        if self.duck is None:
            super().close()
        self.con, self._tables = None, {}


class PostgresEngine(Engine):
    """The OLTP PostgreSQL database itself (the Django default connection's settings, or a URL)."""

    name = "postgres"

    def __init__(self, url: str | None = None):
        super().__init__()
        import ibis

        if url:
            self.con = ibis.connect(url.replace("postgresql://", "postgres://", 1))
        else:
            from django.db import connection

            if connection.vendor != "postgresql":
                raise EngineError(_("PostgreSQL 计算引擎需要系统使用 PostgreSQL 数据库"))
            s = connection.settings_dict
            self.con = ibis.postgres.connect(host=s.get("HOST") or None, port=int(s["PORT"]) if s.get("PORT") else None,
                                             user=s.get("USER") or None, password=s.get("PASSWORD") or None,
                                             database=s["NAME"])
        self.con.raw_sql("SET TIME ZONE 'UTC'")
        self.con.raw_sql("SET max_parallel_workers_per_gather = 0")


class SparkEngine(Engine):
    """Spark in local mode over Parquet copies of the staged tables (one session per process)."""

    name = "spark"
    together = True
    _session = None

    def __init__(self, duck=None, folder: Path | None = None):
        super().__init__()
        import ibis

        from .extract import connect

        own = duck is None
        duck = duck or connect()
        self.folder = Path(folder or tempfile.mkdtemp(prefix="parquet-", dir=analytics_path().parent))
        session = self.session()
        try:
            for source in SOURCES:
                target = self.folder / f"{source.table}.parquet"
                statement = f"COPY {source.table} TO '{target}' (FORMAT parquet)"
                duck.execute(statement)
                session.read.parquet(str(target)).createOrReplaceTempView(source.table)
        finally:
            if own:
                duck.close()
        self.con = ibis.pyspark.connect(session)

    @classmethod
    def session(cls):
        if cls._session is None:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
            from pyspark.sql import SparkSession

            cls._session = (SparkSession.builder.master("local[2]").appName("dangjian-analytics")
                            .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                            .config("spark.driver.bindAddress", "127.0.0.1")
                            .config("spark.sql.session.timeZone", "UTC")
                            .config("spark.sql.shuffle.partitions", "2")
                            .config("spark.default.parallelism", "2")
                            .config("spark.ui.showConsoleProgress", "false")
                            .config("spark.sql.ansi.enabled", "false")
                            .getOrCreate())
            cls._session.sparkContext.setLogLevel("ERROR")
        return cls._session

    def small(self, name: str, data: dict, schema: dict):
        import uuid

        types = {"string": "string", "float64": "double", "boolean": "boolean", "date": "date", "int64": "bigint"}
        ddl = ", ".join(f"{column} {types[kind]}" for column, kind in schema.items())
        rows = list(zip(*[data[column] for column in schema]))
        view = f"small_{name}_{uuid.uuid4().hex[:8]}"
        self.session().createDataFrame(rows, ddl).createOrReplaceTempView(view)
        return self.con.table(view)

    def close(self) -> None:
        self.con, self._tables = None, {}  # the session lives on for the next computation of the process


def engine(name: str, *, duck=None) -> Engine:
    if name == "duckdb":
        return DuckDBEngine(duck=duck)
    if name == "postgres":
        return PostgresEngine()
    if name == "spark":
        return SparkEngine(duck=duck)
    raise EngineError(_("未知的计算引擎：%(name)s（可选 duckdb、postgres、spark）") % {"name": name})
