"""Reading the demo's data files, with errors that say which file, and which line or field in
it, holds the value to fix. What the files hold is described in ``data/README.md``."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


class DemoDataError(ValueError):
    """A demo data file holds a value the demo cannot use."""


@dataclass(frozen=True)
class Row:
    """One line of a CSV table, by column name."""

    file: str
    line: int
    values: dict[str, str]

    def problem(self, message: str) -> DemoDataError:
        return DemoDataError(f"{self.file}, line {self.line}: {message}.")

    def text(self, column: str) -> str:
        value = self.values[column].strip()
        if not value:
            raise self.problem(f"{column} is missing")
        return value

    def number(self, column: str) -> float:
        value = self.number_or_none(column)
        if value is None:
            raise self.problem(f"{column} is missing")
        return value

    def number_or_none(self, column: str) -> float | None:
        """A number of 0 or more, or None for an empty cell."""
        text = self.values[column].strip()
        if not text:
            return None
        value = _number(text)
        if value is None:
            raise self.problem(f"{column} must be a number of 0 or more, not '{text}'")
        return value

    def whole_number_or_none(self, column: str) -> int | None:
        value = self.number_or_none(column)
        if value is not None and not value.is_integer():
            raise self.problem(f"{column} must be a whole number, not {value}")
        return None if value is None else int(value)

    def share(self, column: str) -> float:
        value = self.number(column)
        if value > 1:
            raise self.problem(f"{column} is a share from 0 to 1, not {value}")
        return value

    def flag(self, column: str) -> bool:
        text = self.values[column].strip().lower()
        if text not in ("yes", "no"):
            raise self.problem(f"{column} must be yes or no, not '{text}'")
        return text == "yes"

    def one_of(self, column: str, allowed: Iterable[str]) -> str:
        value = self.text(column)
        if value not in allowed:
            raise self.problem(f"'{value}' is not a known {column} ({_listed(allowed)})")
        return value


def table_read(*, name: str, columns: Iterable[str]) -> list[Row]:
    """The rows of ``data/<name>``, a CSV file with exactly these columns, in any order."""
    wanted = list(columns)
    with (DATA / name).open(encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        _header_check(name, list(reader.fieldnames or []), wanted)
        rows: list[Row] = []
        for values in reader:
            row = Row(file=name, line=reader.line_num, values=values)
            # DictReader files surplus values under None and fills missing ones with None.
            if None in values or None in values.values():
                raise row.problem(f"every line needs {len(wanted)} values, one for each column")
            rows.append(row)
    return rows


def unique_rows(rows: list[Row], *, column: str) -> list[Row]:
    """The rows, having checked that no two have the same value in ``column``."""
    seen: set[str] = set()
    for row in rows:
        value = row.text(column)
        if value in seen:
            raise row.problem(f"{column} '{value}' has a line already")
        seen.add(value)
    return rows


def _header_check(name: str, header: list[str], columns: list[str]) -> None:
    missing = [column for column in columns if column not in header]
    unknown = [column for column in header if column not in columns]
    if missing or unknown or len(set(header)) != len(header):
        raise DemoDataError(
            f"{name}, line 1: the columns must be {', '.join(columns)}, each once "
            f"(missing: {', '.join(missing) or 'none'}; not known: {', '.join(unknown) or 'none'})."
        )


@dataclass(frozen=True)
class Document:
    """A JSON data file: an object whose fields are read by name."""

    file: str
    fields: dict[str, Any]

    def problem(self, where: str, message: str) -> DemoDataError:
        return DemoDataError(f"{self.file}, {where}: {message}.")

    def number(self, field: str) -> float:
        return self._number(field, self.fields[field])

    def text(self, field: str) -> str:
        return self._text(field, self.fields[field])

    def texts(self, field: str) -> tuple[str, ...]:
        return self._texts(field, self.fields[field])

    def numbers_by_name(self, field: str) -> dict[str, float]:
        return {
            name: self._number(f"{field}.{name}", value)
            for name, value in self._object(field).items()
        }

    def text_by_name(self, field: str) -> dict[str, str]:
        return {
            name: self._text(f"{field}.{name}", value)
            for name, value in self._object(field).items()
        }

    def texts_by_name(self, field: str) -> dict[str, tuple[str, ...]]:
        return {
            name: self._texts(f"{field}.{name}", value)
            for name, value in self._object(field).items()
        }

    def _object(self, field: str) -> dict[str, Any]:
        value = self.fields[field]
        if not isinstance(value, dict):
            raise self.problem(field, "it must be an object of named values")
        return value

    def _number(self, where: str, value: Any) -> float:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or _at_least_zero(float(value)) is None:
            raise self.problem(where, f"it must be a number of 0 or more, not {json.dumps(value)}")
        return float(value)

    def _text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.problem(where, f"it must be some text, not {json.dumps(value)}")
        return value

    def _texts(self, where: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.problem(where, "it must be a list of one or more texts")
        return tuple(self._text(f"{where}[{index}]", item) for index, item in enumerate(value))


def document_read(*, name: str, fields: Iterable[str]) -> Document:
    """``data/<name>``, a JSON object with exactly these fields."""
    try:
        content = json.loads((DATA / name).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DemoDataError(
            f"{name}, line {error.lineno}: this is not valid JSON ({error.msg})."
        ) from error
    if not isinstance(content, dict):
        raise DemoDataError(f"{name}: it must be a JSON object of named fields.")
    expected = list(fields)
    missing = [field for field in expected if field not in content]
    unknown = [field for field in content if field not in expected]
    if missing or unknown:
        raise DemoDataError(
            f"{name}: the fields must be {', '.join(expected)} "
            f"(missing: {', '.join(missing) or 'none'}; not known: {', '.join(unknown) or 'none'})."
        )
    return Document(file=name, fields=content)


def _number(text: str) -> float | None:
    """The number written, if it is one of 0 or more."""
    try:
        return _at_least_zero(float(text))
    except ValueError:
        return None


def _at_least_zero(value: float) -> float | None:
    return value if math.isfinite(value) and value >= 0 else None


def _listed(values: Iterable[str]) -> str:
    return "use " + ", ".join(values)
