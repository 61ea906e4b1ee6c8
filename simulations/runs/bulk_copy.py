"""Many rows into one table inside the caller's transaction: COPY on PostgreSQL, ``bulk_create``
elsewhere.

Why: a step of 5,000 personas inserts about 850 actions, hundreds of posts and a world snapshot of
a few MB. On PostgreSQL, ``bulk_create`` has psycopg quote every value into the statement's text
(Django binds parameters on the client) and asks for every new id back, which the commit never
reads; COPY streams the rows through psycopg's C adapters in one statement. SQLite keeps
``bulk_create``, which is already fast there.

A row is a dict of field attnames (``run_id``, not ``run``) to values the database driver takes as
they are (str, int, bool, Decimal, datetime, None), or anything JSON-able for a JSON field; every
row has the same keys. Fields left out take their model default; the automatic primary key is the
database's.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

Row = Mapping[str, Any]
BATCH = 2000  # rows per ``bulk_create`` statement, under every database's limit on parameters


def insert(model: type[models.Model], rows: Sequence[Row]) -> None:
    """Insert ``rows`` into ``model``'s table, in the current transaction; no ids are returned."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(model, rows)
    else:
        model._base_manager.bulk_create([model(**row) for row in rows], batch_size=BATCH)


def compress_fast() -> None:
    """Within the current transaction on PostgreSQL (14+, built with lz4), compress large values
    with lz4 instead of the default pglz: pglz took about 0.15 s to store a 3 MB world snapshot.
    Stored values say how they were compressed, so reading them needs nothing. Elsewhere nothing."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings"
            " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )


def _stored_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]


def _json_adapter(field: models.JSONField):
    from psycopg.types.json import Jsonb  # PostgreSQL only: psycopg may be absent elsewhere

    dumps = partial(json.dumps, cls=field.encoder, separators=(",", ":"))  # jsonb keeps no spaces anyway
    return lambda value: None if value is None else Jsonb(value, dumps=dumps)


def _copy(model: type[models.Model], rows: Sequence[Row]) -> None:
    stored = {f.attname: f for f in _stored_fields(model)}
    given = list(rows[0])
    unknown = set(given) - set(stored)
    if unknown:
        raise ValueError(f"{model.__name__} has no stored field(s) {', '.join(sorted(unknown))}")
    missing = [f for name, f in stored.items() if name not in rows[0]]
    fields = [stored[name] for name in given] + missing
    as_json = [(i, _json_adapter(f)) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values_of = operator.itemgetter(*given)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # a broken row raises Django's IntegrityError, DataError...
        cursor.cursor.copy(statement) as copy,  # psycopg's own cursor: Django's has no COPY
    ):
        for row in rows:
            values = list(values_of(row)) if len(given) > 1 else [values_of(row)]
            values += [f.get_default() for f in missing]
            for i, adapt in as_json:
                values[i] = adapt(values[i])
            copy.write_row(values)
