"""Finding customers: search by anything a caller might give, likely duplicates, what to
choose between when two records are merged, and the values a merge did not keep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.errors import NotFound
from civicdesk.core.models import AuditEvent
from civicdesk.organisations.models import StaffMember
from civicdesk.organisations.selectors import is_staff_user

from .choices import CustomerKind, DetailKind
from .models import AccountSignIn, ContactDetail, Customer, Representative, SupportNeed
from .normalise import (
    looks_like_outcode,
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


def customers_matching(*, organisation_id: int, text: str, limit: int = 25) -> list[Customer]:
    """Live customers of an organisation matching what a caller gives: name, phone, email,
    address or postcode, best match first.

    Exact identifiers (an email address, a phone number in any format, a full postcode) are
    looked up directly. Otherwise the words are matched against the start of the name (first
    name first, or surname first), of the first address line (with or without the house
    number) and of the postcode: a name that matches exactly comes first, then other names,
    then addresses. Every look-up is an index range, so the time does not grow with the number
    of customers. Staff search through ``cases.selectors.customer_search``, which also finds a
    customer by the reference of a case the member of staff may see.
    """
    text = text.strip()
    if not text:
        return []
    base = customers_of(organisation_id=organisation_id)
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
        return list(
            base.filter(postcode=normalise_postcode(text)).order_by("search_name", "id")[:limit]
        )
    words = normalise_name(text.replace(",", " "))
    if not words:
        return []
    # Where a customer is found decides their place: the name, surname first, the address.
    searches = [
        ("search_name", words),
        ("search_surname_first", words),
        ("search_address" if words[0].isdigit() else "search_street", words),
    ]
    if looks_like_partial_postcode(text):
        district = normalise_postcode(text)
        # "TF1" is the district TF1, not TF10 to TF13 as well.
        searches.append(("postcode", f"{district} " if looks_like_outcode(district) else district))
    exact: list[Customer] = []
    found: list[Customer] = []
    for field, prefix in searches:
        for customer in _starting_with(base, field, prefix, limit):
            if getattr(customer, field) == prefix and field != "postcode":
                exact.append(customer)
            else:
                found.append(customer)
    ranked: dict[int, Customer] = {}
    for customer in exact + found:
        ranked.setdefault(customer.pk, customer)
    return list(ranked.values())[:limit]


def _starting_with(
    customers: QuerySet[Customer], field: str, prefix: str, limit: int
) -> list[Customer]:
    """Customers whose ``field`` starts with ``prefix``, in order of that field.

    On PostgreSQL, LIKE 'prefix%' uses the pattern index whatever the collation. Elsewhere the
    same condition is bounded by a range, which the index answers under binary ordering.
    A postcode district (TF3) holds thousands of customers, all equally good matches: the
    first ``limit`` the index gives are taken without sorting the whole district.
    """
    matching = customers.filter(**{f"{field}__startswith": prefix})
    if connection.vendor != "postgresql":
        following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        matching = matching.filter(**{f"{field}__gte": prefix, f"{field}__lt": following})
    if field == "postcode":
        found = list(matching.order_by()[:limit])
        return sorted(
            found, key=lambda customer: (customer.postcode, customer.search_name, customer.pk)
        )
    return list(matching.order_by(field, "id")[:limit])


def customer_duplicates(*, customer: Customer) -> list[Customer]:
    """Other live customers who are probably the same person or business: they share an email
    address or phone number, or the same name at the same postcode or date of birth.

    One query, a UNION of one indexed look-up per rule, so the check costs the same on any
    size of council and for a record with any number of contact details. It is written as
    SQL because every customer page asks it, and building the UNION through the ORM took
    several times as long as the database took to answer it.
    """
    rules = [_SAME_DETAIL]
    params: list[Any] = [customer.pk]
    if customer.search_name and customer.postcode:
        rules.append(_SAME_NAME_AND_POSTCODE)
        params += [customer.organisation_id, customer.search_name, customer.postcode]
    if customer.search_name and customer.date_of_birth:
        rules.append(_SAME_NAME_AND_BIRTH)
        params += [
            customer.organisation_id,
            customer.search_name,
            connection.ops.adapt_datefield_value(customer.date_of_birth),
        ]
    sql = _LIVE_OTHERS.format(rules=" UNION ".join(rules))
    return list(Customer.objects.raw(sql, [*params, customer.organisation_id, customer.pk]))


# The rules of ``customer_duplicates``, each a look-up on an index of its own.
_SAME_DETAIL = (
    "SELECT theirs.customer_id FROM customers_contactdetail mine"
    " JOIN customers_contactdetail theirs"
    " ON theirs.kind = mine.kind AND theirs.normalised = mine.normalised"
    " WHERE mine.customer_id = %s"
)
_SAME_NAME_AND_POSTCODE = (
    "SELECT id FROM customers_customer"
    " WHERE organisation_id = %s AND search_name = %s AND postcode = %s"
)
_SAME_NAME_AND_BIRTH = (
    "SELECT id FROM customers_customer"
    " WHERE organisation_id = %s AND search_name = %s AND date_of_birth = %s"
)
_LIVE_OTHERS = (
    "SELECT * FROM customers_customer WHERE id IN ({rules})"
    " AND organisation_id = %s AND merged_into_id IS NULL AND id <> %s ORDER BY id"
)


# What an adviser chooses between when two records are merged, in the order the page asks.
# The address is one choice, kept whole with its UPRN: half of one address and half of another
# is nobody's address.
MERGE_CHOICES = {
    "title": "Title",
    "first_name": "First name",
    "last_name": "Last name",
    "business_name": "Business name",
    "date_of_birth": "Date of birth",
    "address": "Address",
}
ADDRESS_FIELDS = ("address_line_1", "address_line_2", "town", "postcode", "uprn")
NAME_FIELDS = ("title", "first_name", "last_name", "business_name")


def merge_value(customer: Customer, choice: str) -> str:
    """One of ``MERGE_CHOICES`` on a record, as the merge page offers it and the merge is told
    which to keep: text, a date as YYYY-MM-DD, an address as its lines and UPRN."""
    if choice == "address":
        lines = ", ".join(customer.address_lines)
        return f"{lines} (UPRN {customer.uprn})" if customer.uprn else lines
    if choice == "date_of_birth":
        return customer.date_of_birth.isoformat() if customer.date_of_birth else ""
    return str(getattr(customer, choice))


@dataclass(frozen=True)
class MergeDifference:
    key: str
    label: str
    survivor: str
    duplicate: str
    suggested: str


def merge_differences(*, survivor: Customer, duplicate: Customer) -> list[MergeDifference]:
    """The values on which two records differ, each with the one the page selects first: the
    record that stays keeps its own, unless it has none or the other record has the fuller
    form of the same name ('Liam' where it has 'L')."""
    differences = []
    for key, label in MERGE_CHOICES.items():
        kept, other = merge_value(survivor, key), merge_value(duplicate, key)
        if kept == other:
            continue
        fuller = key in NAME_FIELDS and _is_fuller_form(other, of=kept)
        suggested = other if not kept or fuller else kept
        differences.append(MergeDifference(key, label, kept, other, suggested))
    return differences


def _is_fuller_form(name: str, *, of: str) -> bool:
    short = of.replace(".", "").strip().casefold()
    return bool(short) and len(name) > len(short) and name.casefold().startswith(short)


def known_as(customer: Customer) -> str:
    """The name a record goes by, with its title, as the merge history keeps it."""
    if customer.kind == CustomerKind.BUSINESS:
        return customer.business_name
    return " ".join(
        part for part in (customer.title, customer.first_name, customer.last_name) if part
    )


@dataclass(frozen=True)
class PreviousValues:
    """What merges did not keep on a customer's record, oldest first, from the merge entries of
    the audit trail (which subject access exports and erasure clears with the record)."""

    names: list[str]
    addresses: list[str]
    dates_of_birth: list[date]

    def __bool__(self) -> bool:
        return bool(self.names or self.addresses or self.dates_of_birth)


def customer_previous_values(*, customer: Customer) -> PreviousValues:
    """The names, addresses and dates of birth a customer's record had before merges, counting
    the merges of the records folded into it."""
    subject_ids = Customer.objects.filter(Q(pk=customer.pk) | Q(merged_into_id=customer.pk))
    found: dict[str, list[str]] = {"names": [], "addresses": [], "dates_of_birth": []}
    entries = AuditEvent.objects.filter(
        subject_type="customer", subject_id__in=subject_ids.values("pk"), action="merged_from"
    ).order_by("at", "id")
    for entry in entries:
        previously = entry.after.get("previously")
        if not isinstance(previously, dict):
            continue
        for kind, values in found.items():
            for value in previously.get(kind) or []:
                if isinstance(value, str) and value and value not in values:
                    values.append(value)
    return PreviousValues(
        names=found["names"],
        addresses=found["addresses"],
        dates_of_birth=[day for day in map(_date_or_none, found["dates_of_birth"]) if day],
    )


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:  # cleared when the customer's data was erased
        return None


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


def account_history_from(customer: Customer) -> datetime | None:
    """From when a resident's account may show their record: None for a confirmed account
    (everything), otherwise the moment the account was set up."""
    if customer.account_confirmed_at is not None:
        return None
    if customer.user is None:
        return timezone.now()
    return customer.user.date_joined


def account_contact_details(customer: Customer) -> list[ContactDetail]:
    """The contact details a resident's account shows: all of them once it is confirmed,
    otherwise only those added since it was set up."""
    since = account_history_from(customer)
    details = customer.details.all()
    if since is not None:
        details = details.filter(created_at__gte=since)
    return list(details)


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


def support_needs_of(
    customer: Customer, *, staff: StaffMember, record_view: bool = False
) -> list[SupportNeed]:
    """A customer's current support needs. Reading them is sensitive: with ``record_view``
    the audit trail records who looked (the caller decides whether the role may see them)."""
    needs = list(customer.support_needs.filter(ended_at=None).order_by("consent_given_at", "id"))
    if record_view and needs:
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="support_needs_viewed",
            actor=Actor.for_user(staff.user),
        )
    return needs


def representatives_of(customer: Customer) -> list[Representative]:
    """People currently acting for the customer."""
    return list(customer.represented_by.filter(ended_at=None).select_related("representative"))
