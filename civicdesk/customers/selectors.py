"""Finding customers: search by anything a caller might give, and likely duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.cases.selectors import cases_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.core.references import reference_normalise
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import is_staff_user

from .models import AccountSignIn, ContactDetail, Customer, DetailKind
from .normalise import (
    looks_like_partial_postcode,
    looks_like_phone,
    looks_like_postcode,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
)


def customers_of(*, organisation_id: int) -> QuerySet[Customer]:
    """Live customer records of one organisation (merged duplicates left out)."""
    return Customer.objects.filter(organisation_id=organisation_id, merged_into=None)


def customer_search(*, staff: StaffMember, query: str, limit: int = 25) -> list[Customer]:
    """Customers matching what a caller gives: name, phone, email, address, postcode or case
    reference. Exact identifiers are tried first; a name matches every word in any order.

    A case reference finds its customer only if the staff member may see the case, so that a
    reference cannot reveal who has a sensitive case.
    """
    text = query.strip()
    if not text:
        return []
    base = customers_of(organisation_id=staff.organisation_id)
    reference = reference_normalise(text)
    if reference is not None:
        visible = cases_visible_to(staff).filter(reference=reference)
        return list(base.filter(cases__in=visible).distinct()[:limit])
    if "@" in text:
        return list(
            base.filter(
                details__kind=DetailKind.EMAIL, details__normalised=normalise_email(text)
            ).distinct()[:limit]
        )
    if looks_like_phone(text):
        return list(
            base.filter(
                details__kind=DetailKind.PHONE, details__normalised=normalise_phone(text)
            ).distinct()[:limit]
        )
    if looks_like_postcode(text):
        return list(base.filter(postcode=normalise_postcode(text)).order_by("search_name")[:limit])
    words = normalise_name(text).split()
    by_name = Q()
    for word in words:
        by_name &= Q(search_name__contains=word)
    by_address = Q(address_line_1__icontains=text) | Q(address_line_2__icontains=text)
    if looks_like_partial_postcode(text):
        by_address |= Q(postcode__startswith=normalise_postcode(text))
    return list(base.filter(by_name | by_address).order_by("search_name", "id")[:limit])


def customer_duplicates(*, customer: Customer) -> list[Customer]:
    """Other live customers who are probably the same person or business: they share an email
    address or phone number, or the same name at the same postcode or date of birth."""
    details = list(customer.details.values_list("kind", "normalised"))
    same_detail = Q(pk__in=[])
    for kind, normalised in details:
        same_detail |= Q(details__kind=kind, details__normalised=normalised)
    same_name = Q(pk__in=[])
    if customer.search_name:
        if customer.postcode:
            same_name |= Q(search_name=customer.search_name, postcode=customer.postcode)
        if customer.date_of_birth:
            same_name |= Q(search_name=customer.search_name, date_of_birth=customer.date_of_birth)
    return list(
        customers_of(organisation_id=customer.organisation_id)
        .filter(same_detail | same_name)
        .exclude(pk=customer.pk)
        .distinct()
        .order_by("id")
    )


def access_customer(*, staff: StaffMember, customer_id: int) -> Customer:
    """A customer of the staff member's organisation, following merges to the surviving record.

    Another organisation's customer is reported as not found, so its existence is not revealed.
    """
    customer = Customer.objects.filter(
        organisation_id=staff.organisation_id, pk=customer_id
    ).first()
    if customer is None:
        raise NotFound("There is no such customer.")
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def resident_account(
    *, user: AbstractBaseUser | AnonymousUser, organisation_id: int
) -> Customer | None:
    """The customer record a signed-in resident's account belongs to on this council's pages.

    Staff accounts are never residents here, so signing in to the admin site cannot open
    anybody's account pages.
    """
    if not user.is_authenticated or is_staff_user(user):
        return None
    return (
        Customer.objects.select_related("organisation", "user")
        .filter(user_id=user.pk, organisation_id=organisation_id, merged_into=None)
        .first()
    )


def contact_details_of(customer: Customer) -> list[ContactDetail]:
    """A customer's email addresses and phone numbers, the main ones first."""
    return list(customer.details.all())


def accounts_total(*, organisation_id: int) -> int:
    """Live customer records with an online account."""
    return customers_of(organisation_id=organisation_id).filter(user__isnull=False).count()


def active_accounts(*, organisation_id: int, days: int, now: datetime | None = None) -> int:
    """Accounts actually used: distinct customers who signed in within the last ``days`` days."""
    since = (now or timezone.now()) - timedelta(days=days)
    return (
        AccountSignIn.objects.filter(customer__organisation_id=organisation_id, at__gte=since)
        .values("customer_id")
        .distinct()
        .count()
    )
