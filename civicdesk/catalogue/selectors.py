"""Reading the service catalogue."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from civicdesk.core.errors import NotFound

from .cached import catalogue_service
from .models import CharterTarget, RequestType, ServiceArea


def request_type_get(*, organisation_id: int, key: str) -> RequestType:
    """An active service with its questions, charter targets, area and team, from the
    catalogue each process keeps (``cached.py``): no database read while nothing changes."""
    request_type = catalogue_service(organisation_id=organisation_id, key=key)
    if request_type is None or not request_type.active:
        raise NotFound(f"There is no service called '{key}' in this council's catalogue.")
    return request_type


def charter_target_for(
    *, request_type: RequestType, priority: str, channel: str
) -> CharterTarget | None:
    """The most specific target: priority and channel, then priority, then channel, then any."""
    candidates = [
        target
        for target in request_type.charter_targets.all()
        if target.priority in ("", priority) and target.channel in ("", channel)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda t: (t.priority != "", t.channel != ""))


# Everyday words residents use, mapped to the words the catalogue uses.
_SYNONYMS = {
    "rubbish": "waste bin",
    "emptied": "missed collection",
    "collected": "missed collection",
    "hole": "pothole road",
    "light": "street light",
    "lamp": "street light",
    "dumped": "fly-tipping",
    "tipping": "fly-tipping",
    "flood": "flooding drain",
    "tree": "tree fallen",
    "car": "vehicle parking",
    "rats": "pest",
    "mice": "pest",
    "wasps": "pest",
    "homeless": "homelessness",
    "evicted": "homelessness",
    "school": "school admissions",
    "baby": "birth register",
    "died": "death register",
    "noisy": "noise",
    "music": "noise",
    "complain": "complaint",
    "fine": "parking fine",
}
_STOP_TEXT = """
    a an and are at be been by can do for from has have how i in is isnt it its me my no not of
    on or our the their to was wasn't wasnt were what when where which who why will with you your
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def _words(text: str) -> list[str]:
    words = []
    for raw in re.findall(r"[a-z']+", text.lower()):
        word = raw.strip("'")
        if word and word not in _STOP_WORDS:
            words.append(word)
    return words


def _stem(word: str) -> str:
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def request_types_search(*, organisation_id: int, query: str, limit: int = 10) -> list[RequestType]:
    """Services whose name, description or area share words with what the resident typed,
    best match first. Everyday words ("rubbish", "emptied") count as the catalogue's own."""
    words = _words(query)
    wanted = {_stem(word) for word in words}
    for word in words:
        wanted |= {_stem(extra) for extra in _words(_SYNONYMS.get(word, ""))}
    if not wanted:
        return []
    scored = []
    for request_type in RequestType.objects.filter(
        organisation_id=organisation_id, active=True
    ).select_related("service_area"):
        name = {_stem(word) for word in _words(request_type.name)}
        rest = {
            _stem(word)
            for word in _words(
                f"{request_type.description} {request_type.service_area.name} {request_type.key}"
            )
        }
        score = 3 * len(wanted & name) + len(wanted & rest)
        if score:
            scored.append((-score, request_type.name, request_type))
    return [request_type for _, _, request_type in sorted(scored)[:limit]]


def charter_promises(request_type: RequestType) -> list[str]:
    """The charter timescales in plain words, most urgent first: "Emergency: make it safe
    within 24 hours"."""
    promises = []
    for target in sorted(
        request_type.charter_targets.all(),
        key=lambda t: (_PRIORITY_ORDER.get(t.priority, 9), t.channel),
    ):
        what = target.summary or "respond"
        amount = _amount(target.amount, target.unit)
        condition = []
        if target.priority:
            condition.append(f"{target.get_priority_display().lower()} requests")
        if target.channel:
            condition.append(f"by {target.get_channel_display().lower()}")
        prefix = f"For {' '.join(condition)}, we" if condition else "We"
        promises.append(f"{prefix} aim to {what} within {amount}.")
    return promises


_PRIORITY_ORDER = {"emergency": 0, "urgent": 1, "standard": 2, "": 3}


def _amount(amount: int, unit: str) -> str:
    if unit == "working_days" and amount == 0:
        return "the same working day"
    names = {
        "working_days": ("working day", "working days"),
        "working_hours": ("working hour", "working hours"),
        "calendar_days": ("day", "days"),
        "calendar_hours": ("hour", "hours"),
        "calendar_months": ("month", "months"),
    }
    one, many = names[unit]
    if unit == "calendar_days" and amount % 7 == 0 and amount >= 14:
        return f"{amount // 7} weeks"
    return f"{amount} {one if amount == 1 else many}"


def service_areas_of(*, organisation_id: int) -> QuerySet[ServiceArea]:
    """An organisation's service areas, by name."""
    return ServiceArea.objects.filter(organisation_id=organisation_id).order_by("name")


def service_area_of(*, organisation_id: int, area_id: int) -> ServiceArea | None:
    """One of an organisation's service areas, or None for an area of another or none."""
    return ServiceArea.objects.filter(organisation_id=organisation_id, pk=area_id).first()


def request_types_active(*, organisation_id: int) -> QuerySet[RequestType]:
    """The services an organisation offers now, by name."""
    return RequestType.objects.filter(organisation_id=organisation_id, active=True).order_by("name")


def request_type_names(*, organisation_id: int, keys: list[str]) -> dict[str, str]:
    """The names of an organisation's services with these keys, by key (unknown keys left out)."""
    return dict(
        RequestType.objects.filter(organisation_id=organisation_id, key__in=keys).values_list(
            "key", "name"
        )
    )
