"""The periodic job that brings back the status of referrals sent to other systems (ADR 45)."""

from __future__ import annotations

from django.utils import timezone

from civicdesk.core.jobs import ids_in_batches

from .choices import EndpointKind, ReferralStatus
from .external import open311_statuses
from .models import ExternalOrganisation, Referral
from .services import referral_external_report

# References asked about in one Open311 call: short enough for any server's URL limit.
REFERENCES_PER_CALL = 50


def external_referrals_poll() -> int:
    """Ask each Open311 receiver about the referrals it has that are not finished; record
    each change in its own short transaction. Returns how many referrals changed."""
    changed = 0
    for destination in ExternalOrganisation.objects.filter(
        endpoint_kind=EndpointKind.OPEN311, active=True
    ):
        waiting = Referral.objects.filter(
            to_external=destination,
            status__in=(ReferralStatus.SENT, ReferralStatus.ACCEPTED),
            external_resolved_at__isnull=True,
        ).exclude(external_reference="")
        for ids in ids_in_batches(waiting, size=REFERENCES_PER_CALL):
            references = dict(
                Referral.objects.filter(pk__in=ids).values_list("external_reference", "pk")
            )
            reports = open311_statuses(destination, references=sorted(references))
            if reports is None:
                break
            now = timezone.now()
            for reference, report in reports.items():
                if reference in references:
                    changed += referral_external_report(
                        referral_id=references[reference], report=report, now=now
                    )
    return changed
