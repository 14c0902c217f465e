"""New rows written by one INSERT whose text each process builds once per model (ADR 50).

``Model.save()`` compiles its INSERT afresh on every call: every column quoted, every value
walked through the compiler. Opening a case writes seven rows, and on the intake path that
compiling was a fifth of the request's time. ``row_insert`` keeps each model's INSERT text
and column list, prepares the values exactly as ``save()`` does (each field's ``pre_save``
and ``get_db_prep_save``) and sends the same ``pre_save`` and ``post_save`` signals, so the
row, the object and what listens are the same as after ``save()``. It also lets the
database settle a clash on a unique constraint (``ON CONFLICT DO NOTHING``) instead of a
savepoint around an INSERT that may fail.

It is for the rows a service creates, never updates. Models with parents, fields that need
their own SQL placeholder, and values that are expressions (a database default left to the
database is one) are not handled: those go through ``save()``, which is always correct, only
slower (a clash on the ``unless_taken`` fields then costs a savepoint, as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model, signals


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: list[Field[Any, Any]]
    # What the database fills in and says back (the key, generated columns), as save() reads
    # them back; empty where the database cannot say (an old SQLite).
    returned: list[Field[Any, Any]]


_inserts: dict[tuple[str, type[Model], tuple[str, ...]], _Insert | None] = {}


def row_insert(record: Model, *, unless_taken: tuple[str, ...] = ()) -> bool:
    """Insert ``record``, a new object with no primary key yet, and set its key and whatever
    else the database fills in.

    With ``unless_taken`` (the fields of a unique constraint) nothing is written when another
    row already holds the record's values for them: False is returned and the record stays
    unsaved. Otherwise True.
    """
    model = type(record)
    alias = router.db_for_write(model, instance=record)
    connection = connections[alias]
    insert = _insert_for(connection, model, unless_taken)
    if insert is None or record.pk is not None or _holds_expression(record, insert.fields):
        return _saved(record, alias=alias, unless_taken=unless_taken)
    # As save() does: refuses a related object that has not been saved itself.
    record._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    signals.pre_save.send(sender=model, instance=record, raw=False, using=alias, update_fields=None)
    params = [
        field.get_db_prep_save(field.pre_save(record, True), connection) for field in insert.fields
    ]
    with transaction.mark_for_rollback_on_error(alias), connection.cursor() as cursor:
        cursor.execute(insert.sql, params)
        if insert.returned:
            returned = cursor.fetchone()
            if returned is None:
                return False
            for field, value in zip(insert.returned, returned, strict=True):
                setattr(record, field.attname, _from_database(field, value, connection))
        else:
            if unless_taken and cursor.rowcount == 0:
                return False
            record.pk = connection.ops.last_insert_id(
                cursor, model._meta.db_table, _column(model._meta.pk)
            )
    record._state.adding = False
    record._state.db = alias
    signals.post_save.send(
        sender=model, instance=record, created=True, update_fields=None, raw=False, using=alias
    )
    return True


def _saved(record: Model, *, alias: str, unless_taken: tuple[str, ...]) -> bool:
    """What ``row_insert`` cannot write itself, written by ``save()``; a clash on the
    ``unless_taken`` fields is caught in a savepoint of its own."""
    if not unless_taken:
        record.save(force_insert=True, using=alias)
        return True
    try:
        with transaction.atomic(using=alias):
            record.save(force_insert=True, using=alias)
    except IntegrityError:
        taken = {name: getattr(record, name) for name in unless_taken}
        if not type(record)._default_manager.using(alias).filter(**taken).exists():
            raise
        record.pk = None
        record._state.adding = True
        return False
    return True


def _from_database(field: Field[Any, Any], value: Any, connection: BaseDatabaseWrapper) -> Any:
    """A value the database returned, as the ORM would hand it over."""
    column = field.get_col(field.model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + field.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


def _insert_for(
    connection: BaseDatabaseWrapper, model: type[Model], unless_taken: tuple[str, ...]
) -> _Insert | None:
    cache_key = (connection.alias, model, unless_taken)
    if cache_key not in _inserts:
        _inserts[cache_key] = _insert_compiled(connection, model, unless_taken)
    return _inserts[cache_key]


def _insert_compiled(
    connection: BaseDatabaseWrapper, model: type[Model], unless_taken: tuple[str, ...]
) -> _Insert | None:
    meta = model._meta
    if meta.parents or meta.auto_field is None:
        return None
    fields = [
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not getattr(field, "generated", False)
    ]
    if any(hasattr(field, "get_placeholder") for field in fields):
        return None
    quote = connection.ops.quote_name
    # Only names from the model and placeholders: the values travel as parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)}"  # noqa: S608
        f" ({', '.join(quote(_column(field)) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if unless_taken:
        columns = ", ".join(quote(_column(meta.get_field(name))) for name in unless_taken)
        sql += f" ON CONFLICT ({columns}) DO NOTHING"
    returned: list[Field[Any, Any]] = []
    if connection.features.can_return_columns_from_insert:
        returned = list(meta.db_returning_fields)
        sql += f" RETURNING {', '.join(quote(_column(field)) for field in returned)}"
    return _Insert(sql=sql, fields=fields, returned=returned)


def _holds_expression(record: Model, fields: list[Field[Any, Any]]) -> bool:
    return any(hasattr(getattr(record, field.attname), "resolve_expression") for field in fields)


def _column(field: object) -> str:
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{field} has no column of its own")
    return column
