"""The readable copy of a subject access export: one HTML file a resident can open anywhere.

Plain English, a heading per kind of record, each record as a list of labels and values, dates
written out in full, no scripts and no outside files, so it works offline and with a screen
reader.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from civicdesk.customers.models import Customer

    from .registry import Kind
    from .selectors import SubjectAccess

STYLE = """
body { font-family: Arial, sans-serif; font-size: 1.1875rem; line-height: 1.5; color: #0b0c0c;
       max-width: 48rem; margin: 0 auto; padding: 1rem; }
h1, h2, h3 { line-height: 1.25; }
dl { display: grid; grid-template-columns: minmax(8rem, 14rem) 1fr; gap: 0.25rem 1rem;
     border-top: 1px solid #b1b4b6; padding-top: 0.5rem; margin-bottom: 1.5rem; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; font-family: inherit; margin: 0; }
a { color: #1d70b8; }
a:focus { outline: 3px solid #ffdd00; background: #ffdd00; color: #0b0c0c; }
"""


def subject_access_html(
    *, customer: Customer, access: SubjectAccess, documents: dict[str, str]
) -> str:
    produced = timezone.localtime()
    with_records = [records for records in access.kinds if records.rows]
    without_records = [records for records in access.kinds if not records.rows]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>The personal information we hold about you</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        '<a href="#main">Skip to the information</a>',
        '<main id="main">',
        "<h1>The personal information we hold about you</h1>",
        f"<p>{escape(customer.organisation.name)} made this copy on "
        f"{escape(_when(produced))}, because you asked to see the personal information we hold "
        "about you. It is everything we found linked to your customer record.</p>",
        "<p>Some details may have been blacked out (redacted) because they are about other "
        "people. If anything here is wrong, tell us and we will correct it.</p>",
        "<h2>Contents</h2>",
        "<ul>",
    ]
    for records in with_records:
        parts.append(
            f'<li><a href="#{records.kind.key}">{escape(records.kind.title)}</a> '
            f"({_count(len(records.rows))})</li>"
        )
    parts.append("</ul>")
    for records in with_records:
        kind = records.kind
        parts.append(f'<section aria-labelledby="{kind.key}">')
        parts.append(f'<h2 id="{kind.key}">{escape(kind.title)}</h2>')
        parts.append(f"<p>{escape(kind.explanation)}</p>")
        for number, row in enumerate(records.rows, start=1):
            parts.append(f"<h3>{escape(kind.title)}: {number} of {len(records.rows)}</h3>")
            parts.append("<dl>")
            for name, value in row.items():
                if name == "id":
                    continue
                parts.append(f"<dt>{escape(_label(kind, name))}</dt>")
                parts.append(f"<dd>{_value_html(kind, name, value)}</dd>")
            parts.append("</dl>")
        parts.append("</section>")
    if access.documents:
        parts.append('<section aria-labelledby="documents">')
        parts.append('<h2 id="documents">Copies of your documents</h2>')
        parts.append("<ul>")
        for document in access.documents:
            name = escape(document.original_name or "Document")
            relative = documents.get(document.storage_name)
            if relative:
                parts.append(f'<li><a href="{escape(relative)}">{name}</a></li>')
            else:
                parts.append(f"<li>{name} (we could not find the file itself)</li>")
        parts.append("</ul>")
        parts.append("</section>")
    if without_records:
        parts.append("<h2>Records we looked for and do not hold</h2>")
        parts.append("<ul>")
        parts.extend(f"<li>{escape(records.kind.title)}</li>" for records in without_records)
        parts.append("</ul>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _count(number: int) -> str:
    return "1 record" if number == 1 else f"{number} records"


def _field(kind: Kind, name: str) -> models.Field[Any, Any] | None:
    try:
        model_field = kind.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return model_field if isinstance(model_field, models.Field) else None


# Column names that read badly as they are.
LABELS = {
    "uprn": "Property reference (UPRN)",
    "author_label": "Written by",
    "actor_label": "Changed by",
    "uploaded_label": "Added by",
    "object_repr": "Record changed",
}


def _label(kind: Kind, name: str) -> str:
    if name in LABELS:
        return LABELS[name]
    model_field = _field(kind, name)
    text = str(model_field.verbose_name) if model_field is not None else name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _value_html(kind: Kind, name: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    model_field = _field(kind, name)
    if model_field is not None and model_field.choices:
        value = dict(model_field.flatchoices).get(value, value)
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        return escape(_when(datetime.fromisoformat(value)))
    if isinstance(model_field, models.DateField) and isinstance(value, str):
        day = date.fromisoformat(value)
        return escape(f"{day.day} {day:%B %Y}")
    if isinstance(value, dict | list):
        return f"<pre>{escape(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
    return f"<pre>{escape(str(value))}</pre>" if "\n" in str(value) else escape(str(value))
