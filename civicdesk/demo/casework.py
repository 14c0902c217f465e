"""What the demo councils' staff and residents did after the history was written: complaints
taken through the complaints procedure, residents' online accounts with their sign-ins, and
two residents' requests about their personal information.
Everything goes through the complaints and accounts services, as real work does, so the
complaint trends and the "active accounts" figure have something true to show."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from civicdesk.accounts.services import account_record_sign_ins, account_register
from civicdesk.cases.choices import CaseKind, CaseStatus
from civicdesk.cases.models import Case
from civicdesk.complaints.choices import Outcome
from civicdesk.complaints.models import Complaint
from civicdesk.complaints.selectors import complaint_reasons
from civicdesk.complaints.services import (
    complaint_escalate,
    complaint_record,
    complaint_refer_to_ombudsman,
    complaint_respond,
)
from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.customers.choices import DetailKind, SignInMethod
from civicdesk.customers.models import Customer
from civicdesk.customers.services import RESIDENT
from civicdesk.organisations.models import Organisation
from civicdesk.privacy.choices import ERASURE_SERVICE, SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.requests import privacy_request_raise

# Answered within the stage's 10 or 20 working days, mostly; a few late, as in real life.
LATE_SHARE = 0.15
ESCALATED_SHARE = 0.2
OMBUDSMAN_SHARE = 0.25  # of those escalated
OUTCOME_WEIGHTS = {Outcome.UPHELD: 30, Outcome.PARTLY_UPHELD: 30, Outcome.NOT_UPHELD: 40}
RESPONSES = {
    Outcome.UPHELD: "We are sorry: we got this wrong. We have put it right and changed how "
    "we work.",
    Outcome.PARTLY_UPHELD: "We got part of this wrong and have put that part right.",
    Outcome.NOT_UPHELD: "We looked into this carefully and found the service was provided as it "
    "should be. We have explained why.",
}
# About one resident in six with an email address has an online account.
ACCOUNT_SHARE = 1 / 6
SIGN_INS_PER_YEAR = (1, 9)


def demo_complaints_handle(
    *, organisation: Organisation, handler: User, now: datetime, rng: random.Random
) -> int:
    """Record every complaint case, respond to those finished, escalate some and refer a few
    to the Ombudsman, each at a moment in its own history; returns how many were recorded."""
    actor = Actor.for_user(handler)
    reasons = complaint_reasons(organisation_id=organisation.pk)
    recorded = 0
    complaints = Case.objects.filter(organisation=organisation, kind=CaseKind.COMPLAINT)
    for case in complaints.select_related("request_type__service_area").order_by("opened_at"):
        complaint = complaint_record(
            case=case,
            reasons=rng.sample(reasons, k=min(len(reasons), rng.choice((1, 1, 2)))),
            about_service_area=case.request_type.service_area,
            actor=actor,
        )
        recorded += 1
        if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or case.resolved_at is None:
            continue
        answered = _answered_at(complaint.stage_due_at, case.opened_at, now, rng)
        complaint = _respond(complaint, answered, actor, rng)
        if rng.random() >= ESCALATED_SHARE:
            continue
        escalated = answered + timedelta(days=rng.randint(3, 20))
        if escalated >= now:
            continue
        complaint = complaint_escalate(
            complaint=complaint,
            reason="The resident is still unhappy with our answer.",
            actor=actor,
            now=escalated,
        )
        answered = _answered_at(complaint.stage_due_at, escalated, now, rng)
        if answered >= now:
            continue
        complaint = _respond(complaint, answered, actor, rng)
        referred = answered + timedelta(days=rng.randint(10, 60))
        if rng.random() < OMBUDSMAN_SHARE and referred < now:
            complaint_refer_to_ombudsman(
                complaint=complaint,
                reference=f"LGSCO {rng.randint(24, 26)}{rng.randint(100_000, 999_999)}",
                actor=actor,
                now=referred,
            )
    return recorded


def _answered_at(due: datetime, started: datetime, now: datetime, rng: random.Random) -> datetime:
    if rng.random() < LATE_SHARE:
        answered = due + timedelta(days=rng.randint(1, 15))
    else:
        answered = started + (due - started) * rng.uniform(0.3, 0.95)
    return min(answered, now - timedelta(hours=1))


def _respond(
    complaint: Complaint, answered: datetime, actor: Actor, rng: random.Random
) -> Complaint:
    outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
    remedy = "" if outcome == Outcome.NOT_UPHELD else "An apology and the service put right."
    return complaint_respond(
        complaint=complaint,
        outcome=outcome,
        response=RESPONSES[outcome],
        remedy=remedy,
        learning="Shared with the team at its next meeting.",
        actor=actor,
        now=answered,
    )


def demo_accounts_create(*, organisation: Organisation, now: datetime, rng: random.Random) -> int:
    """Online accounts for some residents with an email address, set up on a day of the past
    year, and their sign-ins since; returns how many accounts were made."""
    with_email = list(
        Customer.objects.filter(
            organisation=organisation,
            merged_into=None,
            user=None,
            details__kind=DetailKind.EMAIL,
            details__is_primary=True,
        )
        .values_list("pk", "first_name", "last_name", "details__value")
        .order_by("pk")
    )
    chosen = rng.sample(with_email, k=round(len(with_email) * ACCOUNT_SHARE))
    made = 0
    for pk, first_name, last_name, email in chosen:
        try:
            account = account_register(
                organisation=organisation,
                email=email,
                first_name=first_name,
                last_name=last_name,
                actor=RESIDENT,
            )
        except ValidationFailed:  # a business's record, with no person's name to sign up with
            continue
        if not account.created or account.customer.pk != pk:
            continue
        made += 1
        opened = now - timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 600))
        sign_ins = []
        for _ in range(rng.randint(*SIGN_INS_PER_YEAR)):
            at = opened + (now - opened) * rng.random()
            method = rng.choice((SignInMethod.EMAIL_LINK, SignInMethod.PASSWORD))
            sign_ins.append((method, at))
        account_record_sign_ins(customer=account.customer, sign_ins=sign_ins)
    return made


def demo_privacy_requests_open(*, organisation: Organisation, now: datetime) -> int:
    """Two residents with accounts who asked from them, a few days ago, for a copy of their
    information and for their details to be deleted, so that the data protection officer has
    a request of each kind to answer; returns how many were opened."""
    residents = Customer.objects.filter(
        organisation=organisation, merged_into=None, user__isnull=False
    ).order_by("pk")[:2]
    asked = zip(residents, ((SUBJECT_ACCESS_SERVICE, 9), (ERASURE_SERVICE, 3)), strict=False)
    for resident, (service, days_ago) in asked:
        privacy_request_raise(
            customer=resident,
            service_key=service,
            actor=Actor(label=resident.display_name or "resident", user=resident.user),
            now=now - timedelta(days=days_ago),
        )
    return len(residents)
