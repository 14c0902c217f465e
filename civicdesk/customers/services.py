"""Writing customer records: creating, contact details, support needs, representatives, merging."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from civicdesk.core.audit import Actor, audit_record_of
from civicdesk.core.errors import DomainError, ValidationFailed
from civicdesk.core.known_rows import known_rows_forget, known_rows_set
from civicdesk.core.rows import row_insert
from civicdesk.core.transactions import atomic_step
from civicdesk.organisations.models import Organisation

from .choices import CustomerKind, DetailKind, PreferredChannel, Relationship, SupportNeedKind
from .models import ContactDetail, Customer, Representative, SupportNeed
from .normalise import (
    is_uk_mobile,
    looks_like_postcode,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    phone_number_problem,
)
from .selectors import (
    ADDRESS_FIELDS,
    MERGE_CHOICES,
    MergeDifference,
    known_as,
    merge_differences,
    merge_value,
)

# Whoever acts when residents change their own record (online, through a form).
RESIDENT = Actor(label="resident")


@dataclass
class CustomerDetails:
    """What is known about a customer when they are first recorded."""

    kind: str = CustomerKind.PERSON
    title: str = ""
    first_name: str = ""
    last_name: str = ""
    business_name: str = ""
    date_of_birth: date | None = None
    address_line_1: str = ""
    address_line_2: str = ""
    town: str = ""
    postcode: str = ""
    uprn: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    preferred_channel: str = PreferredChannel.EMAIL


def customer_create(
    *, organisation: Organisation, details: CustomerDetails, actor: Actor
) -> Customer:
    errors = customer_details_problems(details)
    if errors:
        raise ValidationFailed("There is a problem with the customer's details.", fields=errors)
    with atomic_step():
        customer = Customer(
            organisation=organisation,
            kind=details.kind,
            title=details.title.strip(),
            first_name=details.first_name.strip(),
            last_name=details.last_name.strip(),
            business_name=details.business_name.strip(),
            date_of_birth=details.date_of_birth,
            address_line_1=details.address_line_1.strip(),
            address_line_2=details.address_line_2.strip(),
            town=details.town.strip(),
            postcode=normalise_postcode(details.postcode) if details.postcode else "",
            uprn=details.uprn.strip(),
            preferred_channel=details.preferred_channel,
        )
        customer.search_name = customer_search_name(customer)
        row_insert(customer)
        stored = [
            contact_detail_store(customer, DetailKind.EMAIL, email, primary=position == 0)
            for position, email in enumerate(details.emails)
        ] + [
            contact_detail_store(customer, DetailKind.PHONE, phone, primary=position == 0)
            for position, phone in enumerate(details.phones)
        ]
        customer_audit_record(customer=customer, action="created", actor=actor)
    # What a new record holds is known, so whoever writes to the customer next (the case's
    # acknowledgement, the repeat-contact rule) need not read it back.
    known_rows_set(customer, "details", stored)
    known_rows_set(customer, "contacts", [])
    return customer


def customer_search_name(customer: Customer) -> str:
    return normalise_name(customer.display_name)


def customer_audit_record(
    *,
    customer: Customer,
    action: str,
    actor: Actor,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add what was done to the customer's record (and what it was before) to the audit trail."""
    audit_record_of(
        customer, subject_type="customer", action=action, actor=actor, before=before, after=after
    )


def customer_add_contact_detail(
    *, customer: Customer, kind: str, value: str, label: str = "", actor: Actor
) -> ContactDetail:
    problem = contact_detail_error(kind, value)
    if problem:
        raise ValidationFailed(problem, fields={kind: problem})
    with transaction.atomic():
        primary = not customer.details.filter(kind=kind).exists()
        detail = contact_detail_store(customer, kind, value, primary=primary, label=label)
        customer_audit_record(
            customer=customer, action="contact_detail_added", actor=actor, after={"kind": kind}
        )
    return detail


def customer_set_preferred_channel(*, customer: Customer, channel: str, actor: Actor) -> Customer:
    """Record how the customer wants to hear from us, refusing a way we could not use: a text
    message with no mobile number, a phone call with no number, a letter with no address."""
    if channel not in PreferredChannel.values:
        raise ValidationFailed(
            "Choose how the customer wants to hear from us.",
            fields={"preferred_channel": "Choose email, text message, letter or phone"},
        )
    missing = preferred_channel_problems(customer=customer, channel=channel)
    if missing:
        raise ValidationFailed(" ".join(missing.values()), fields=missing)
    with transaction.atomic():
        before = customer.preferred_channel
        customer.preferred_channel = channel
        customer.save(update_fields=["preferred_channel", "updated_at"])
        customer_audit_record(
            customer=customer,
            action="preferences_changed",
            actor=actor,
            before={"preferred_channel": before},
            after={"preferred_channel": channel},
        )
    return customer


def preferred_channel_problems(*, customer: Customer, channel: str) -> dict[str, str]:
    """What the record lacks for us to reach the customer by ``channel``, by the field that
    would supply it; empty when nothing is missing."""
    details = list(customer.details.all())
    if channel == PreferredChannel.SMS and not any(detail.is_mobile for detail in details):
        return {"phone": MOBILE_NEEDED}
    if channel == PreferredChannel.PHONE and not any(
        detail.kind == DetailKind.PHONE for detail in details
    ):
        return {"phone": PHONE_NEEDED}
    if channel == PreferredChannel.LETTER:
        if not customer.address_line_1:
            return {"address_line_1": ADDRESS_NEEDED}
        if not customer.postcode:
            return {"postcode": POSTCODE_NEEDED}
    return {}


MOBILE_NEEDED = "Enter a mobile number to get text messages, like 07700 900982"
PHONE_NEEDED = "Enter a phone number so that we can call you"
ADDRESS_NEEDED = "Enter your address to get letters"
POSTCODE_NEEDED = "Enter your postcode to get letters"


@dataclass(frozen=True)
class PostalAddress:
    """A postal address as a form gives it: any part may be blank."""

    line_1: str = ""
    line_2: str = ""
    town: str = ""
    postcode: str = ""

    @property
    def given(self) -> bool:
        return any(part.strip() for part in (self.line_1, self.line_2, self.town, self.postcode))


def postal_address_problems(address: PostalAddress) -> dict[str, str]:
    """What is wrong with an address to send letters to, by field (empty when nothing is)."""
    errors: dict[str, str] = {}
    limits = (
        ("address_line_1", address.line_1, 200),
        ("address_line_2", address.line_2, 200),
        ("town", address.town, 100),
    )
    if not address.line_1.strip():
        errors["address_line_1"] = "Enter the first line of your address, like 4 Holyhead Road"
    for name, value, limit in limits:
        if len(value.strip()) > limit:
            errors[name] = f"This line of your address must be {limit} characters or fewer"
    if not address.postcode.strip():
        errors["postcode"] = "Enter your postcode, like TF3 4JA"
    elif not looks_like_postcode(address.postcode):
        errors["postcode"] = "Enter a real postcode, like TF3 4JA"
    return errors


def customer_set_postal_address(
    *, customer: Customer, address: PostalAddress, actor: Actor
) -> Customer:
    """Replace the customer's postal address. The audit entry names the lines that changed,
    not what they said: the address itself is only ever on the record."""
    errors = postal_address_problems(address)
    if errors:
        raise ValidationFailed("There is a problem with the address.", fields=errors)
    after = {
        "address_line_1": address.line_1.strip(),
        "address_line_2": address.line_2.strip(),
        "town": address.town.strip(),
        "postcode": normalise_postcode(address.postcode),
    }
    before = {name: getattr(customer, name) for name in after}
    if before == after:
        return customer
    with transaction.atomic():
        for name, value in after.items():
            setattr(customer, name, value)
        # A new address invalidates the old property reference.
        customer.uprn = ""
        customer.save(update_fields=[*after, "uprn", "updated_at"])
        customer_audit_record(
            customer=customer,
            action="address_changed",
            actor=actor,
            after={"changed": [name for name in after if before[name] != after[name]]},
        )
    return customer


def customer_record_support_need(
    *, customer: Customer, kind: str, details: str, consent_given: bool, actor: Actor
) -> SupportNeed:
    """Record a support need. Without the customer's consent nothing is stored."""
    if not consent_given:
        raise ValidationFailed(
            "Ask the customer if they agree to us recording this before you save it.",
            fields={"consent_given": "Confirm the customer has agreed"},
        )
    if kind not in SupportNeedKind.values:
        raise ValidationFailed(
            "Select the kind of support needed.",
            fields={"kind": "Select the kind of support needed"},
        )
    with transaction.atomic():
        need = SupportNeed.objects.create(
            customer=customer,
            kind=kind,
            details=details.strip(),
            consent_given_at=timezone.now(),
            consent_recorded_by=actor.saved_user,
        )
        customer_audit_record(
            customer=customer, action="support_need_recorded", actor=actor, after={"kind": kind}
        )
    return need


def customer_add_representative(
    *,
    customer: Customer,
    representative: Customer,
    relationship: str,
    authority: str,
    actor: Actor,
) -> Representative:
    if customer.pk == representative.pk:
        raise DomainError("A customer cannot be recorded as their own representative.")
    if customer.organisation_id != representative.organisation_id:
        raise DomainError("The representative must be a customer of the same organisation.")
    if relationship not in Relationship.values:
        raise ValidationFailed(
            "Select the relationship.",
            fields={"relationship": "Select how they are related to the customer"},
        )
    with transaction.atomic():
        link = Representative.objects.create(
            customer=customer,
            representative=representative,
            relationship=relationship,
            authority=authority.strip(),
        )
        customer_audit_record(
            customer=customer,
            action="representative_added",
            actor=actor,
            after={"representative_id": representative.pk, "relationship": relationship},
        )
    return link


def customer_merge(
    *,
    duplicate: Customer,
    into: Customer,
    actor: Actor,
    keep: Mapping[str, str] | None = None,
) -> Customer:
    """Fold ``duplicate`` into ``into``: every record that pointed at it moves across.

    ``keep`` says, for each of ``MERGE_CHOICES`` the two records differ on, which of the two
    values stays, as ``merge_value`` gives it; a value not chosen is the one the merge page
    suggests (``merge_differences``). The values not kept are the record's history: the
    merge's audit entry keeps them, and the customer page shows them.

    The duplicate is kept, marked as merged, so old references to it still resolve; nothing
    about the customer's history is deleted. Contact details already on the survivor are not
    copied twice.
    """
    if duplicate.pk == into.pk:
        raise DomainError("A customer cannot be merged into themselves.")
    if duplicate.organisation_id != into.organisation_id:
        raise DomainError("Only customers of the same organisation can be merged.")
    keep = dict(keep or {})
    unknown = sorted(set(keep) - set(MERGE_CHOICES))
    if unknown:
        raise ValidationFailed(
            "A merge keeps only names, a date of birth and an address.",
            fields={key: "This is not a value a merge can keep" for key in unknown},
        )
    with transaction.atomic():
        duplicate = Customer.objects.select_for_update().get(pk=duplicate.pk)
        into = Customer.objects.select_for_update().get(pk=into.pk)
        if duplicate.merged_into_id is not None or into.merged_into_id is not None:
            raise DomainError("One of these customers has already been merged into another.")
        if duplicate.user_id is not None and into.user_id is not None:
            raise DomainError(
                "Both records have an online account. Ask the resident which account to keep, "
                "and close the other before merging."
            )
        chosen = _merge_chosen(into, duplicate, keep)
        survivor_before = _history_values(into)
        existing = set(into.details.values_list("kind", "normalised"))
        moved: dict[str, int] = {}
        for detail in duplicate.details.all():
            if (detail.kind, detail.normalised) in existing:
                continue
            detail.customer = into
            detail.is_primary = False
            detail.save(update_fields=["customer", "is_primary"])
            moved["details"] = moved.get("details", 0) + 1
        for relation in Customer._meta.related_objects:
            if relation.related_model in (ContactDetail, Customer) or not relation.one_to_many:
                continue
            count = _move_related(relation.related_model, relation.field.name, duplicate, into)
            if count:
                moved[relation.related_model._meta.label_lower] = (
                    moved.get(relation.related_model._meta.label_lower, 0) + count
                )
        Customer.objects.filter(merged_into=duplicate).update(merged_into=into)
        Representative.objects.filter(customer=into, representative=into).delete()
        for difference in chosen:
            if difference.suggested == difference.duplicate:
                _take_value(into, duplicate, difference.key)
        if into.user_id is None and duplicate.user_id is not None:
            # The resident keeps signing in to the same account, now on the surviving record.
            into.user_id, into.account_created_by_id = (
                duplicate.user_id,
                duplicate.account_created_by_id,
            )
            into.account_confirmed_at = duplicate.account_confirmed_at
            into.account_confirmed_by_id = duplicate.account_confirmed_by_id
            into.account_confirmation = duplicate.account_confirmation
            duplicate.user = None
            duplicate.save(update_fields=["user", "updated_at"])
        into.search_name = customer_search_name(into)
        into.save()
        duplicate.merged_into = into
        duplicate.merged_at = timezone.now()
        duplicate.save(update_fields=["merged_into", "merged_at", "updated_at"])
        previously = _values_not_kept(
            survivor_before, _history_values(duplicate), now=_history_values(into)
        )
        for subject, action in ((duplicate, "merged_into"), (into, "merged_from")):
            customer_audit_record(
                customer=subject,
                action=action,
                actor=actor,
                before={
                    "customer_id": duplicate.pk,
                    "values": {item.key: item.survivor for item in chosen},
                    "duplicate_values": {item.key: item.duplicate for item in chosen},
                },
                after={
                    "customer_id": into.pk,
                    "moved": moved,
                    "values": {item.key: item.suggested for item in chosen},
                    "previously": previously,
                },
            )
    return into


def _merge_chosen(
    into: Customer, duplicate: Customer, keep: dict[str, str]
) -> list[MergeDifference]:
    """The values the two records differ on, each with the one to keep: the adviser's choice,
    which must be one of the two records' values, or else the suggested one."""
    errors = {
        key: "Choose one of the two records' values. The records may have changed: check them again"
        for key, value in keep.items()
        if value not in (merge_value(into, key), merge_value(duplicate, key))
    }
    if errors:
        raise ValidationFailed("Choose which value to keep from the two records.", fields=errors)
    return [
        dataclasses.replace(difference, suggested=keep.get(difference.key, difference.suggested))
        for difference in merge_differences(survivor=into, duplicate=duplicate)
    ]


def _take_value(into: Customer, duplicate: Customer, key: str) -> None:
    for field_name in ADDRESS_FIELDS if key == "address" else (key,):
        setattr(into, field_name, getattr(duplicate, field_name))


def _values_not_kept(*records: dict[str, str], now: dict[str, str]) -> dict[str, list[str]]:
    """Each record's name, address and date of birth that the merged record no longer has."""
    not_kept: dict[str, list[str]] = {}
    for kind, kept in now.items():
        values = dict.fromkeys(record[kind] for record in records)
        if gone := [value for value in values if value and value != kept]:
            not_kept[kind] = gone
    return not_kept


def _history_values(customer: Customer) -> dict[str, str]:
    """What the customer page's history lists, as one record has it."""
    return {
        "names": known_as(customer),
        "addresses": merge_value(customer, "address"),
        "dates_of_birth": merge_value(customer, "date_of_birth"),
    }


def _move_related(model: type[Model], field_name: str, duplicate: Customer, into: Customer) -> int:
    """Point ``model`` rows at the survivor. A row that would repeat one the survivor already
    has (a uniqueness rule says so, such as following the same case twice) is dropped."""
    rows = model._default_manager.filter(**{field_name: duplicate})
    try:
        with transaction.atomic():
            return rows.update(**{field_name: into})
    except IntegrityError:
        moved = 0
        for row in rows:
            try:
                with transaction.atomic():
                    model._default_manager.filter(pk=row.pk).update(**{field_name: into})
                    moved += 1
            except IntegrityError:
                row.delete()
        return moved


def contact_detail_store(
    customer: Customer, kind: str, value: str, *, primary: bool, label: str = ""
) -> ContactDetail:
    normalised = normalise_email(value) if kind == DetailKind.EMAIL else normalise_phone(value)
    known_rows_forget(customer, "details")
    detail = ContactDetail(
        customer=customer,
        kind=kind,
        value=value.strip(),
        normalised=normalised,
        is_primary=primary,
        label=label or ("mobile" if is_uk_mobile(normalised) else ""),
    )
    row_insert(detail)
    return detail


def contact_detail_error(kind: str, value: str) -> str | None:
    """The plain message for an email address or phone number that cannot be kept, or None."""
    if kind == DetailKind.EMAIL:
        try:
            validate_email(value.strip())
        except DjangoValidationError:
            return "Enter an email address in the correct format, like name@example.com"
        return None
    if kind == DetailKind.PHONE:
        return phone_number_problem(value)
    return "Choose email address or phone number"


def customer_details_problems(details: CustomerDetails) -> dict[str, str]:
    """What is wrong with new customer details, by field (empty when nothing is): what
    ``customer_create`` refuses, for importers that check every row before writing any."""
    errors: dict[str, str] = {}
    if details.kind not in CustomerKind.values:
        errors["kind"] = "Choose person or business"
    elif details.kind == CustomerKind.BUSINESS and not details.business_name.strip():
        errors["business_name"] = "Enter the name of the business"
    elif details.kind == CustomerKind.PERSON and not (
        details.first_name.strip() or details.last_name.strip()
    ):
        errors["last_name"] = "Enter the customer's name"
    if details.preferred_channel not in PreferredChannel.values:
        errors["preferred_channel"] = "Choose how the customer wants to hear from us"
    for email in details.emails:
        problem = contact_detail_error(DetailKind.EMAIL, email)
        if problem:
            errors["emails"] = problem
    for phone in details.phones:
        problem = contact_detail_error(DetailKind.PHONE, phone)
        if problem:
            errors["phones"] = problem
    return errors
