"""The Jinja2 environment for resident pages: GOV.UK Frontend macros, static files, URLs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, Undefined

from civicdesk.core.calendar import LONDON


def environment(**options: Any) -> Environment:
    # The design system's macros test for missing parameters, so a missing value must be
    # empty, not the debugging placeholder Django's backend uses when DEBUG is on.
    options["undefined"] = Undefined
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescaping on
    design_system = PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")})
    env.loader = ChoiceLoader([env.loader, design_system] if env.loader else [design_system])
    env.globals.update(static=static, url=_url)
    env.filters.update(uk_date=uk_date, uk_datetime=uk_datetime)
    return env


def uk_date(moment: datetime | date) -> str:
    """'23 November 2026', in UK time."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(LONDON)
    return f"{moment.day} {moment:%B %Y}"


def uk_datetime(moment: datetime) -> str:
    """'23 November 2026 at 2:05pm', in UK time."""
    local = moment.astimezone(LONDON)
    clock = f"{local.hour % 12 or 12}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    return f"{uk_date(local)} at {clock}"


def _url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)
