"""Reading the service catalogue."""

from __future__ import annotations

from civicdesk.core.errors import NotFound

from .models import CharterTarget, RequestType


def request_type_get(*, organisation_id: int, key: str) -> RequestType:
    request_type = (
        RequestType.objects.select_related("service_area__team", "organisation")
        .prefetch_related("questions", "charter_targets")
        .filter(organisation_id=organisation_id, key=key, active=True)
        .first()
    )
    if request_type is None:
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
