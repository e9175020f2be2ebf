"""Fast inserts of many rows, for imports.

Django's bulk_create assembles SQL anew for every batch (on SQLite a batch is at most 999 parameters, about 30
member rows) and spends most of its time there. `insert_rows` prepares each value with the field's own
`get_db_prep_save` (so encrypted fields are encrypted and dates adapted exactly as in `save()`) and sends them
with COPY on PostgreSQL, or one parameterised statement with `executemany` on SQLite. It does not set primary
keys on the objects.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import uuid
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router
from django.db.models import AutoField


PARAMETERS_PER_STATEMENT = 2000  # well below SQLite's cap on the parameters of one statement


def chunks(items, size: int = PARAMETERS_PER_STATEMENT):
    """`items` in lists of at most `size`, for `pk__in` lookups over any number of ids."""
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _fields(model):
    return [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]


def insert_values(model, obj) -> list:
    """The values `insert_rows` sends for one object (the encrypting and adapting is done here)."""
    connection = connections[router.db_for_write(model)]
    return [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in _fields(model)]


def insert_prepared(model, rows: list[list]) -> None:
    """INSERT rows of values made by `insert_values` (possibly in another process)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = _fields(model)
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: several times faster than row-by-row INSERT
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", rows)


def insert_rows(model, objs) -> None:
    insert_prepared(model, [insert_values(model, obj) for obj in objs])


# Field classes (exactly these, never a subclass such as an encrypted field) whose Python values the database
# drivers take as they are: no per-value preparation needed.
_PLAIN = {models.CharField, models.TextField, models.IntegerField, models.PositiveIntegerField,
          models.PositiveSmallIntegerField, models.SmallIntegerField, models.BigIntegerField, models.BooleanField,
          models.ForeignKey, models.OneToOneField, models.FloatField}


# Field classes whose prepared value depends on the value alone (never on a key or a nonce): prepared once per value.
_MEMO = {models.DateField, models.DateTimeField, models.DecimalField}


def json_default(value):
    """What DjangoJSONEncoder writes for the values the C encoder does not know (dates, decimals, UUIDs)."""
    if isinstance(value, (_dt.date, _dt.time, decimal.Decimal, uuid.UUID, _dt.timedelta)):
        return DjangoJSONEncoder().default(value)
    raise TypeError(f"{type(value).__name__} 不能写成 JSON")


json_text = json.JSONEncoder(default=json_default).encode  # the C encoder; the same text as json.dumps


class JSONText(str):
    """JSON already encoded by `json_text`: `insert_dicts` writes it as it is (a caller that needed the text anyway
    does not pay for encoding twice)."""


def _json_text(field):
    """For a plain JSONField (no custom encoder): the JSON text to insert, made by the C encoder in one call per
    row instead of the field's adapter object (several times slower per value). None stays NULL."""
    if type(field) is not models.JSONField or field.encoder not in (None, DjangoJSONEncoder):
        return None
    return lambda value: value if type(value) is JSONText else None if value is None else json_text(value)


def insert_dicts(model, rows) -> int:
    """INSERT rows given as {attname: value} without building model instances (for hundreds of thousands of rows).
    Missing fields take their defaults; auto_now(_add) fields take one timestamp; values of plain types go as
    they are, every other value through the field's own `get_db_prep_save`. Primary keys are not returned."""
    from django.utils import timezone

    connection = connections[router.db_for_write(model)]
    fields = _fields(model)
    now = timezone.now()
    fill, prepare, memo = [], [], []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fill.append(lambda now=now: now)
        else:
            fill.append(field.get_default)  # the declared default, else "" for text that may be blank, else None
        prepare.append(None if type(field) in _PLAIN else field)
        memo.append({} if type(field) in _MEMO else None)
    as_text = [_json_text(field) for field in fields]
    prepared = []
    for row in rows:
        values = []
        for field, default, prep, seen, text in zip(fields, fill, prepare, memo, as_text):
            value = row[field.attname] if field.attname in row else default()
            if prep is None:
                values.append(value)
            elif text is not None:
                values.append(text(value))
            elif seen is not None:  # the same date in every row is adapted once
                if value not in seen:
                    seen[value] = prep.get_db_prep_save(value, connection)
                values.append(seen[value])
            else:
                values.append(prep.get_db_prep_save(value, connection))
        prepared.append(values)
    insert_prepared(model, prepared)
    return len(prepared)


def insert_from_select(model, queryset, columns: dict) -> int:
    """INSERT INTO model's table the rows of a SELECT built from `queryset`, computed by the database (no row comes
    to Python): `columns` maps each column's attname to an expression over `queryset`'s model. Returns the count."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    aliases = {attname: f"c_{attname}" for attname in columns}
    select = queryset.order_by().values(**{aliases[name]: expr for name, expr in columns.items()})
    sql, params = select.query.sql_with_params()
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    picked = ", ".join(f"q.{quote(aliases[name])}" for name in columns)
    # Identifiers come from the model's metadata (quoted); the SELECT and its parameters from Django's compiler.
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({targets}) SELECT {picked} FROM ({sql}) q"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def update_column(model, column: str, pairs, size: int = 1000) -> int:
    """Set one column of many rows, (primary key, value) pairs, a thousand rows per statement (UPDATE … FROM
    VALUES) instead of Django's CASE per row. Plain values only (text, numbers): nothing is prepared."""
    pairs = list(pairs)
    if not pairs:
        return 0
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    target = quote(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        for i in range(0, len(pairs), size):
            part = pairs[i:i + size]
            values = ", ".join(["(%s, %s)"] * len(part))
            if connection.vendor == "postgresql":
                values = ", ".join(["(%s::bigint, %s)"] * len(part))
            # VALUES columns are column1, column2 on both databases (SQLite takes no column list after the alias).
            statement = (f"UPDATE {table} SET {target} = v.column2 FROM (VALUES {values}) AS v "
                         f"WHERE {table}.{pk} = v.column1")
            cursor.execute(statement, [x for pair in part for x in pair])
    return len(pairs)


def refresh_statistics(model, written: int, threshold: int = 10_000) -> None:
    """After writing `written` rows in bulk, let the planner of the statements that follow in the same transaction
    know the table's new size (ANALYZE, PostgreSQL only): a table emptied or just filled otherwise looks tiny, and
    the joins over it go row by row. Autovacuum would only see it after the commit."""
    connection = connections[router.db_for_write(model)]
    if written >= threshold and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            statement = f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
            cursor.execute(statement)


# -- foreign keys of rows written in bulk, proven per key instead of per row (PostgreSQL) -----------------------------


@contextmanager
def references_proven_at_end(*models_written):
    """Inside a transaction on PostgreSQL, for the inserts of hundreds of thousands of rows: the per-row
    foreign-key triggers are off (SET LOCAL session_replication_role = replica) while the body runs, and on the way
    out every foreign key of the rows written meanwhile (primary key above the mark taken on entry) is proven with
    one anti-join, after locking the rows referenced (FOR KEY SHARE, as the triggers would) so none can go away
    before the commit. A missing reference raises IntegrityError and the transaction rolls back.

    Yields True when the triggers are off; False (the ordinary path, every row checked by its trigger) elsewhere:
    on SQLite, outside a transaction, when the account may not change the setting (it needs superuser or GRANT SET
    ON PARAMETER session_replication_role), or when a table has a trigger of its own that replica mode would skip
    (one enabled ALWAYS fires either way)."""
    connection = connections[router.db_for_write(models_written[0])]
    if not _may_switch_off_triggers(connection, models_written):
        yield False
        return
    quote = connection.ops.quote_name
    marks = {}
    with connection.cursor() as cursor:
        for model in models_written:
            pk = quote(model._meta.pk.column)
            statement = f"SELECT COALESCE(MAX({pk}), 0) FROM {quote(model._meta.db_table)}"
            cursor.execute(statement)
            marks[model] = cursor.fetchone()[0]
        cursor.execute("SELECT current_setting('session_replication_role')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
    try:
        yield True
    except BaseException:
        from django.db import DatabaseError

        try:  # a caller that goes on in this transaction gets its triggers back; an aborted one rolls back anyway
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('session_replication_role', %s, true)", [before])
        except DatabaseError:
            pass
        raise
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [before])
    prove_references(connection, marks)


def _may_switch_off_triggers(connection, models_written) -> bool:
    from django.db import DatabaseError, transaction

    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return False
    tables = [model._meta.db_table for model in models_written]
    with connection.cursor() as cursor:
        # Triggers enabled ALWAYS (the analytics change log) fire in replica mode too: they need not stop us.
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'A' "
                       "AND tgrelid = ANY(%s::regclass[])", [tables])
        if cursor.fetchone()[0]:
            return False
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:  # a savepoint
            cursor.execute("SELECT set_config('session_replication_role', "
                           "current_setting('session_replication_role'), true)")
    except DatabaseError:  # permission denied: the transaction goes on as it was
        return False
    return True


def prove_references(connection, marks: dict) -> None:
    """Every foreign key of the rows of each model above its mark points at an existing row (locked FOR KEY SHARE
    unless it was itself written after a mark, in this transaction, where no one else can delete it)."""
    from django.db import IntegrityError

    quote = connection.ops.quote_name
    tables = {model._meta.db_table: mark for model, mark in marks.items()}
    with connection.cursor() as cursor:
        for model, mark in marks.items():
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            for field in model._meta.concrete_fields:
                if not field.is_relation or not getattr(field, "db_constraint", False):
                    continue
                column = quote(field.column)
                parent_table = field.related_model._meta.db_table
                parent, target = quote(parent_table), quote(field.target_field.column)
                new_values = f"SELECT t.{column} FROM {table} t WHERE t.{pk} > %s AND t.{column} IS NOT NULL"
                older, params = "", [mark]
                if parent_table in tables and field.target_field.primary_key:
                    # Rows written in this transaction (above the parent's mark) need no lock: no one else sees them.
                    older, params = f" AND t.{column} <= %s", [mark, tables[parent_table]]
                lock = (f"SELECT count(*) FROM (SELECT 1 FROM {parent} p WHERE p.{target} IN "
                        f"({new_values}{older}) FOR KEY SHARE OF p) locked")
                cursor.execute(lock, params)
                dangling = (f"{new_values} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{target} = t.{column})"
                            " LIMIT 1")
                cursor.execute(dangling, [mark])
                row = cursor.fetchone()
                missing = None if row is None else row[0]
                if missing is not None:
                    raise IntegrityError(f"{model._meta.verbose_name}引用的{field.verbose_name}不存在"
                                         f"（{field.column} = {missing}），本次写入全部撤销")
