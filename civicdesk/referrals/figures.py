"""Referral figures for one organisation, counted from the referrals themselves: what it sent
and received, per organisation and service; how long the receiver took to decide; why
referrals were declined; and the resident's wait from first contact to an answer.

Every figure is a count, a median or a share; none names a case or a person. One query
whatever the number of referrals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from .choices import DeclineReason, ReferralStatus
from .models import Referral


@dataclass(frozen=True)
class FlowRow:
    """Referrals between us and one other organisation about one service."""

    organisation: str
    service: str
    total: int
    accepted: int
    declined: int
    waiting: int
    median_decision_hours: float | None


@dataclass(frozen=True)
class ReferralFigures:
    since: datetime
    sent: list[FlowRow]
    received: list[FlowRow]
    declined_reasons: list[tuple[str, int]]
    median_wait_days: float | None  # first contact to the receiver resolving it
    resolved_count: int
    acceptance_rate: float | None  # of referrals decided, sent or received


def referral_figures(*, organisation_id: int, since: datetime) -> ReferralFigures:
    rows = list(
        Referral.objects.filter(
            Q(from_organisation_id=organisation_id) | Q(to_organisation_id=organisation_id),
            sent_at__gte=since,
        )
        .exclude(status=ReferralStatus.WITHDRAWN)
        .values(
            "from_organisation_id",
            "to_organisation_id",
            "service_name",
            "status",
            "sent_at",
            "decided_at",
            "decline_reason",
            from_name=F("from_organisation__name"),
            to_name=Coalesce(F("to_organisation__name"), F("to_external__name")),
            first_contact_at=F("case__opened_at"),
            contact_at=F("contact__started_at"),
            resolved_at=Coalesce(F("accepted_case__resolved_at"), F("external_resolved_at")),
        )
    )
    sent = [row for row in rows if row["from_organisation_id"] == organisation_id]
    received = [row for row in rows if row["to_organisation_id"] == organisation_id]
    decided = [
        row for row in rows if row["status"] in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
    ]
    waits = [
        (row["resolved_at"] - (row["first_contact_at"] or row["contact_at"] or row["sent_at"]))
        / timedelta(days=1)
        for row in rows
        if row["resolved_at"] is not None
    ]
    reasons = Counter(row["decline_reason"] for row in rows if row["decline_reason"])
    return ReferralFigures(
        since=since,
        sent=_flows(sent, other="to_name"),
        received=_flows(received, other="from_name"),
        declined_reasons=[
            (str(DeclineReason(reason).label), count) for reason, count in reasons.most_common()
        ],
        median_wait_days=round(median(waits), 1) if waits else None,
        resolved_count=len(waits),
        acceptance_rate=(
            round(
                100
                * sum(row["status"] == ReferralStatus.ACCEPTED for row in decided)
                / len(decided)
            )
            if decided
            else None
        ),
    )


def _flows(rows: Sequence[Mapping[str, Any]], *, other: str) -> list[FlowRow]:
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(str(row[other]), str(row["service_name"]))].append(row)
    flows = []
    for (organisation, service), members in sorted(groups.items()):
        hours = [
            (row["decided_at"] - row["sent_at"]) / timedelta(hours=1)
            for row in members
            if row["status"] == ReferralStatus.ACCEPTED and row["decided_at"] is not None
        ]
        flows.append(
            FlowRow(
                organisation=organisation,
                service=service,
                total=len(members),
                accepted=sum(row["status"] == ReferralStatus.ACCEPTED for row in members),
                declined=sum(row["status"] == ReferralStatus.DECLINED for row in members),
                waiting=sum(row["status"] == ReferralStatus.SENT for row in members),
                median_decision_hours=round(median(hours), 1) if hours else None,
            )
        )
    return flows
