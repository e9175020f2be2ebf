"""Fast inserts of many rows, for imports.

Django's bulk_create assembles SQL anew for every batch (on SQLite a batch is at most 999 parameters, about 30
member rows) and spends most of its time there. `insert_rows` prepares each value with the field's own
`get_db_prep_save` (so encrypted fields are encrypted and dates adapted exactly as in `save()`) and sends one
parameterised statement with `executemany`. It does not set primary keys on the objects.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import AutoField


def insert_rows(model, objs) -> None:
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = [[field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
