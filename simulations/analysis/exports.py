"""CSV, JSONL and Parquet files of flat records (actions, posts, per-step metrics).

One schema drives all three formats: the dataclass's own fields and type hints (str, int,
float, bool, a StrEnum, or any of them or None). So a file written here reads back into
equal records, and a customer's spreadsheet or notebook sees the same column names as the
API. In CSV an empty cell is None for optional fields and "" for text fields.

CSV text cells are neutralised against formula injection (OWASP "CSV Injection"): a text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, after any single quotes, gets
one more single quote in front, so a spreadsheet shows it as text instead of running it (a
persona's reply ``=HYPERLINK(...)`` stays a string). Reading takes that quote off again, so files
still round-trip. Numeric columns are written from Python numbers and stay numbers (a sentiment
of -0.5 must sort and sum in a spreadsheet); a number cannot carry a formula.
"""

from __future__ import annotations

import csv
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from simulations.analysis.jsonable import to_jsonable
from simulations.analysis.records import ActionRecord

T = TypeVar("T")
_SCALARS: dict[type, pa.DataType] = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}
# A text a spreadsheet would read as a formula; quotes first, so a quoted one round-trips too.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def neutralise_formula(text: str) -> str:
    """``text`` with a leading single quote when a spreadsheet would run it as a formula."""
    return "'" + text if _FORMULA_START.match(text) else text


def restore_formula(text: str) -> str:
    """The text ``neutralise_formula`` was given."""
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text[1:]) else text


@dataclass(frozen=True)
class HandledAction(ActionRecord):
    """An action as exported: a reader recognises handles, not agent keys.

    ``target_handle`` is the persona followed, unfollowed or muted, else the author of the post
    acted on, else empty. The extra columns come last, so the file still reads back as
    ``ActionRecord``.
    """

    agent_handle: str = ""
    target_handle: str = ""


def with_handles(
    actions: Sequence[ActionRecord], handles: Mapping[str, str], post_authors: Mapping[str, str]
) -> list[HandledAction]:
    """``actions`` with their handles; ``handles`` maps agent keys, ``post_authors`` post ids to agent keys."""
    rows = []
    for action in actions:
        target = action.target_persona_id or post_authors.get(action.target_post_id or "")
        rows.append(
            HandledAction(
                **asdict(action),
                agent_handle=handles.get(action.persona_id, ""),
                target_handle=handles.get(target, "") if target else "",
            )
        )
    return rows


def _column_types(record_type: type) -> dict[str, tuple[type, bool]]:
    """field name -> (scalar type, optional?) for a flat dataclass; TypeError otherwise."""
    if not is_dataclass(record_type):
        raise TypeError(f"{record_type!r} is not a dataclass")
    hints = typing.get_type_hints(record_type)
    columns = {}
    for f in fields(record_type):
        hint, optional = hints[f.name], False
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            members = [a for a in typing.get_args(hint) if a is not type(None)]
            optional = len(members) < len(typing.get_args(hint))
            hint = members[0] if len(members) == 1 else hint
        if not (hint in _SCALARS or (isinstance(hint, type) and issubclass(hint, Enum))):
            raise TypeError(f"{record_type.__name__}.{f.name} is not a flat column ({hint!r})")
        columns[f.name] = (hint, optional)
    return columns


def _parse(kind: type, value: Any) -> Any:
    if issubclass(kind, Enum):
        return kind(value)
    if kind is bool and isinstance(value, str):
        if value not in ("true", "false"):
            raise ValueError(f"not a boolean: {value!r}")
        return value == "true"
    return kind(value)


def _record(record_type: Callable[..., T], columns: dict[str, tuple[type, bool]], row: dict[str, Any]) -> T:
    values = {}
    for name, (kind, optional) in columns.items():
        value = row.get(name)
        if value is None or (value == "" and (optional or kind is not str)):
            if not optional and kind is not str:
                raise ValueError(f"column {name!r} needs a value")
            values[name] = None if optional else ""
        else:
            values[name] = _parse(kind, value)
    return record_type(**values)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return neutralise_formula(str(value.value))
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return neutralise_formula(str(value))


def write_csv(path: str | Path, records: Sequence[Any], record_type: type) -> None:
    columns = _column_types(record_type)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for record in records:
            writer.writerow(_cell(getattr(record, name)) for name in columns)


def read_csv(path: str | Path, record_type: type[T]) -> list[T]:
    columns = _column_types(record_type)
    texts = [name for name, (kind, _) in columns.items() if kind is str or issubclass(kind, Enum)]
    with open(path, newline="", encoding="utf-8") as handle:
        return [_record(record_type, columns, _restored(row, texts)) for row in csv.DictReader(handle)]


def _restored(row: dict[str, Any], texts: Sequence[str]) -> dict[str, Any]:
    return {**row, **{name: restore_formula(row[name]) for name in texts if row.get(name)}}


def write_jsonl(path: str | Path, records: Sequence[Any], record_type: type) -> None:
    columns = _column_types(record_type)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            row = {name: to_jsonable(getattr(record, name)) for name in columns}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: str | Path, record_type: type[T]) -> list[T]:
    columns = _column_types(record_type)
    with open(path, encoding="utf-8") as handle:
        return [_record(record_type, columns, json.loads(line)) for line in handle if line.strip()]


def _arrow_schema(columns: dict[str, tuple[type, bool]]) -> pa.Schema:
    return pa.schema(
        [
            pa.field(name, _SCALARS.get(kind, pa.string()), nullable=optional)
            for name, (kind, optional) in columns.items()
        ]
    )


def write_parquet(path: str | Path, records: Sequence[Any], record_type: type) -> None:
    columns = _column_types(record_type)
    rows = [{name: to_jsonable(getattr(record, name)) for name in columns} for record in records]
    pq.write_table(pa.Table.from_pylist(rows, schema=_arrow_schema(columns)), path)


def read_parquet(path: str | Path, record_type: type[T]) -> list[T]:
    columns = _column_types(record_type)
    return [_record(record_type, columns, row) for row in pq.read_table(path).to_pylist()]


WRITERS = {".csv": write_csv, ".jsonl": write_jsonl, ".parquet": write_parquet}
READERS = {".csv": read_csv, ".jsonl": read_jsonl, ".parquet": read_parquet}


def export_records(path: str | Path, records: Sequence[Any], record_type: type) -> None:
    """Write by file extension: .csv, .jsonl or .parquet."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise ValueError(f"unknown export format {suffix!r}; use one of {', '.join(WRITERS)}")
    WRITERS[suffix](path, records, record_type)


def load_records(path: str | Path, record_type: type[T]) -> list[T]:
    """Read a file written by ``export_records`` back into records."""
    suffix = Path(path).suffix.lower()
    if suffix not in READERS:
        raise ValueError(f"unknown export format {suffix!r}; use one of {', '.join(READERS)}")
    return READERS[suffix](path, record_type)
