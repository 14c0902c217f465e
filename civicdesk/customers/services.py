"""Writing customer records: creating, contact details, support needs, representatives, merging."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from civicdesk.contacts.models import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotPermitted, ValidationFailed
from civicdesk.core.ratelimit import attempts_add, attempts_exceeded, attempts_forgotten
from civicdesk.notifications.services import notification_queue_email
from civicdesk.organisations.models import Organisation, StaffMember

from .models import (
    UK_MOBILE,
    AccountSignIn,
    ContactDetail,
    Customer,
    CustomerKind,
    DetailKind,
    PreferredChannel,
    Relationship,
    Representative,
    SignInMethod,
    SupportNeed,
    SupportNeedKind,
)
from .normalise import normalise_email, normalise_name, normalise_phone, normalise_postcode


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
    errors = _details_errors(details)
    if errors:
        raise ValidationFailed("There is a problem with the customer's details.", fields=errors)
    with transaction.atomic():
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
        customer.save()
        for position, email in enumerate(details.emails):
            _add_detail(customer, DetailKind.EMAIL, email, primary=position == 0)
        for position, phone in enumerate(details.phones):
            _add_detail(customer, DetailKind.PHONE, phone, primary=position == 0)
        audit_record(
            organisation=organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="created",
            actor=actor,
        )
    return customer


def customer_search_name(customer: Customer) -> str:
    return normalise_name(customer.display_name)


def customer_add_contact_detail(
    *, customer: Customer, kind: str, value: str, label: str = "", actor: Actor
) -> ContactDetail:
    problem = contact_detail_error(kind, value)
    if problem:
        raise ValidationFailed(problem, fields={kind: problem})
    with transaction.atomic():
        primary = not customer.details.filter(kind=kind).exists()
        detail = _add_detail(customer, kind, value, primary=primary, label=label)
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="contact_detail_added",
            actor=actor,
            after={"kind": kind},
        )
    return detail


def customer_set_preferred_channel(*, customer: Customer, channel: str, actor: Actor) -> Customer:
    if channel not in PreferredChannel.values:
        raise ValidationFailed(
            "Choose how the customer wants to hear from us.",
            fields={"preferred_channel": "Choose email, text message, letter or phone"},
        )
    with transaction.atomic():
        before = customer.preferred_channel
        customer.preferred_channel = channel
        customer.save(update_fields=["preferred_channel", "updated_at"])
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="preferences_changed",
            actor=actor,
            before={"preferred_channel": before},
            after={"preferred_channel": channel},
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
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="support_need_recorded",
            actor=actor,
            after={"kind": kind},
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
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="representative_added",
            actor=actor,
            after={"representative_id": representative.pk, "relationship": relationship},
        )
    return link


def customer_merge(*, duplicate: Customer, into: Customer, actor: Actor) -> Customer:
    """Fold ``duplicate`` into ``into``: every record that pointed at it moves across.

    The duplicate is kept, marked as merged, so old references to it still resolve; nothing
    about the customer's history is deleted. Contact details already on the survivor are not
    copied twice.
    """
    if duplicate.pk == into.pk:
        raise DomainError("A customer cannot be merged into themselves.")
    if duplicate.organisation_id != into.organisation_id:
        raise DomainError("Only customers of the same organisation can be merged.")
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
        for field_name in ("first_name", "last_name", "business_name", "address_line_1", "town"):
            if not getattr(into, field_name) and getattr(duplicate, field_name):
                setattr(into, field_name, getattr(duplicate, field_name))
        if not into.postcode and duplicate.postcode:
            into.postcode = duplicate.postcode
        if into.date_of_birth is None:
            into.date_of_birth = duplicate.date_of_birth
        if into.user_id is None and duplicate.user_id is not None:
            # The resident keeps signing in to the same account, now on the surviving record.
            into.user_id, into.account_created_by_id = (
                duplicate.user_id,
                duplicate.account_created_by_id,
            )
            duplicate.user = None
            duplicate.save(update_fields=["user", "updated_at"])
        into.search_name = customer_search_name(into)
        into.save()
        duplicate.merged_into = into
        duplicate.merged_at = timezone.now()
        duplicate.save(update_fields=["merged_into", "merged_at", "updated_at"])
        for subject, action in ((duplicate, "merged_into"), (into, "merged_from")):
            audit_record(
                organisation=into.organisation,
                subject_type="customer",
                subject_id=subject.pk,
                action=action,
                actor=actor,
                before={"customer_id": duplicate.pk},
                after={"customer_id": into.pk, "moved": moved},
            )
    return into


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


def _add_detail(
    customer: Customer, kind: str, value: str, *, primary: bool, label: str = ""
) -> ContactDetail:
    normalised = normalise_email(value) if kind == DetailKind.EMAIL else normalise_phone(value)
    return ContactDetail.objects.create(
        customer=customer,
        kind=kind,
        value=value.strip(),
        normalised=normalised,
        is_primary=primary,
        label=label or ("mobile" if UK_MOBILE.fullmatch(normalised) else ""),
    )


def contact_detail_error(kind: str, value: str) -> str | None:
    """The plain message for an email address or phone number that cannot be kept, or None."""
    if kind == DetailKind.EMAIL:
        try:
            validate_email(value.strip())
        except DjangoValidationError:
            return "Enter an email address in the correct format, like name@example.com"
        return None
    if kind == DetailKind.PHONE:
        digits = normalise_phone(value).lstrip("+")
        if not digits.isdigit() or not 10 <= len(digits) <= 15:
            return "Enter a telephone number, like 01632 960 001 or 07700 900 982"
        return None
    return "Choose email address or phone number"


def _details_errors(details: CustomerDetails) -> dict[str, str]:
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


# Residents' online accounts

ACCOUNT_LINK_MINUTES = 30
RESIDENT = Actor(label="resident")
_LINK_SALT = "civicdesk.customers.account-link"
PASSWORD_FAILURE_WINDOW_SECONDS = 15 * 60
PASSWORD_FAILURES_PER_ACCOUNT = 5
PASSWORD_FAILURES_PER_ADDRESS = 20
LINK_WINDOW_SECONDS = 60 * 60
LINKS_PER_ACCOUNT = 5


@dataclass(frozen=True)
class AccountRequest:
    """The account an email address now has, and whether it was made just now. The resident
    is never told which: an existing account simply gets a sign-in link."""

    customer: Customer
    created: bool


def account_for_email(*, organisation: Organisation, email: str) -> Customer | None:
    """The live customer whose online account signs in with this email address, if any."""
    return (
        Customer.objects.select_related("user", "organisation")
        .filter(
            organisation=organisation,
            merged_into=None,
            user__email=normalise_email(email),
            user__is_staff=False,
            user__is_superuser=False,
        )
        .first()
    )


def account_email_error(email: str) -> str | None:
    if not email.strip():
        return "Enter your email address"
    return contact_detail_error(DetailKind.EMAIL, email)


def account_register(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    actor: Actor,
    created_by: User | None = None,
    customer: Customer | None = None,
) -> AccountRequest:
    """Set up an online account for an email address, or find the one it already has.

    An existing account is left exactly as it is. Otherwise the account is tied to the
    customer record with this email address when there is exactly one, or to a new record.
    Nothing is changed on an existing customer record beyond linking the account.

    Staff setting up an account for the customer in front of them pass that ``customer``: the
    account is tied to that record and no other (see _account_for_chosen_customer).
    """
    errors: dict[str, str] = {}
    if not (first_name.strip() or last_name.strip()):
        errors["first_name"] = "Enter your name"
    problem = account_email_error(email)
    if problem:
        errors["email"] = problem
    if errors:
        raise ValidationFailed("There is a problem with your details.", fields=errors)
    normalised = normalise_email(email)
    if customer is not None:
        return _account_for_chosen_customer(
            customer=customer, email=email, actor=actor, created_by=created_by
        )
    with transaction.atomic():
        existing = account_for_email(organisation=organisation, email=normalised)
        if existing is not None:
            return AccountRequest(customer=existing, created=False)
        # Only records without an account can be matched by a contact detail: an email
        # address on a record that already has an account proves nothing about who owns it,
        # so it must never lead anyone into that account (nor keep its owner out).
        same_email = (
            Customer.objects.filter(
                organisation=organisation,
                merged_into=None,
                user=None,
                details__kind=DetailKind.EMAIL,
                details__normalised=normalised,
            )
            .values_list("pk", flat=True)
            .distinct()[:2]
        )
        matches = list(Customer.objects.select_for_update().filter(pk__in=list(same_email)))
        if len(matches) == 1 and matches[0].user_id is not None:
            # Taken by a request running alongside this one, which waited for our lock.
            raced = account_for_email(organisation=organisation, email=normalised)
            if raced is not None:
                return AccountRequest(customer=raced, created=False)
            matches = []
        if len(matches) == 1:
            customer = matches[0]
        else:
            customer = customer_create(
                organisation=organisation,
                details=CustomerDetails(
                    first_name=first_name, last_name=last_name, emails=[email.strip()]
                ),
                actor=actor,
            )
        _account_create(
            customer=customer,
            email=normalised,
            first_name=first_name,
            last_name=last_name,
            actor=actor,
            created_by=created_by,
        )
    return AccountRequest(customer=customer, created=True)


def _account_for_chosen_customer(
    *, customer: Customer, email: str, actor: Actor, created_by: User | None
) -> AccountRequest:
    """An account for this customer record and no other. An email address that already signs
    in to someone else's account is refused (the records may be duplicates to merge), as is a
    second account for a record that has one; the address given is added to the record."""
    normalised = normalise_email(email)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        existing = account_for_email(organisation=customer.organisation, email=normalised)
        if existing is not None and existing.pk == customer.pk:
            return AccountRequest(customer=existing, created=False)
        if existing is not None:
            raise ValidationFailed(
                "That email address is used by another online account.",
                fields={
                    "email": "That email address is already used by another customer's online "
                    "account. If they are the same person, merge the two records first"
                },
            )
        if customer.user_id is not None:
            raise ValidationFailed(
                "This customer already has an online account.",
                fields={
                    "email": "This customer already has an online account with a different "
                    "email address. Ask them to sign in with that address"
                },
            )
        if not customer.details.filter(kind=DetailKind.EMAIL, normalised=normalised).exists():
            _add_detail(
                customer,
                DetailKind.EMAIL,
                email.strip(),
                primary=not customer.details.filter(kind=DetailKind.EMAIL).exists(),
            )
        _account_create(
            customer=customer,
            email=normalised,
            first_name=customer.first_name or customer.display_name,
            last_name=customer.last_name,
            actor=actor,
            created_by=created_by,
        )
    return AccountRequest(customer=customer, created=True)


def _account_create(
    *,
    customer: Customer,
    email: str,
    first_name: str,
    last_name: str,
    actor: Actor,
    created_by: User | None,
) -> None:
    """A sign-in for the resident (only ever by emailed link until they set a password),
    tied to their record."""
    user = User.objects.create_user(
        username=f"resident-{uuid.uuid4().hex}",
        email=email,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    customer.user = user
    customer.account_created_by = created_by
    customer.save(update_fields=["user", "account_created_by", "updated_at"])
    audit_record(
        organisation=customer.organisation,
        subject_type="customer",
        subject_id=customer.pk,
        action="account_created",
        actor=actor,
        after={"assisted": created_by is not None},
    )


def account_link_token(customer: Customer) -> str:
    """An opaque, signed value for a one-time sign-in link. It names the account by number
    only, and stops working once the account signs in again (its last sign-in changes)."""
    if customer.user is None:
        raise DomainError("This customer has no online account.")
    return signing.dumps(
        {"u": customer.user.pk, "o": customer.organisation_id, "s": _link_state(customer.user)},
        salt=_LINK_SALT,
    )


def account_from_link(
    *, organisation: Organisation, token: str, now: datetime | None = None, lock: bool = False
) -> Customer:
    """The account a sign-in link is for, if the link is genuine, unused and not expired.

    With ``lock`` (inside a transaction) the account's rows stay locked until it ends, so that
    nothing else can use the link meanwhile."""
    expired = ValidationFailed(
        "This link has expired or has already been used.",
        fields={"token": "The link has expired or has already been used"},
    )
    try:
        value = signing.loads(token, salt=_LINK_SALT, max_age=ACCOUNT_LINK_MINUTES * 60)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(value, dict) or value.get("o") != organisation.pk:
        raise expired
    user_id = value.get("u")
    if not isinstance(user_id, int):
        raise expired
    accounts = Customer.objects.select_related("user", "organisation")
    if lock:
        accounts = accounts.select_for_update(of=("self", "user"))
    customer = (
        accounts.filter(organisation=organisation, merged_into=None, user_id=user_id)
        .order_by("pk")
        .first()
    )
    if customer is None or customer.user is None or not customer.user.is_active:
        raise expired
    if customer.user.is_staff or customer.user.is_superuser:
        raise expired
    if not constant_time_compare(str(value.get("s", "")), _link_state(customer.user)):
        raise expired
    return customer


def account_use_link(
    *, organisation: Organisation, token: str, now: datetime | None = None
) -> Customer:
    """Use a sign-in link up: check it and record the sign-in as one step.

    The user's row is locked while the link is checked and its last sign-in moved on, so of
    two presses of the same link at the same moment the second waits for the first, then
    finds the link used. Call it inside the transaction that signs the resident in.
    """
    now = now or timezone.now()
    with transaction.atomic():
        customer = account_from_link(organisation=organisation, token=token, lock=True)
        user = customer.user
        assert user is not None  # account_from_link only returns accounts with a user
        user.last_login = now
        user.save(update_fields=["last_login"])
        account_record_sign_in(customer=customer, method=SignInMethod.EMAIL_LINK, now=now)
    return customer


def account_send_link(*, customer: Customer, link: str) -> bool:
    """Email a sign-in link to the account's own email address, through the outbox.

    At most LINKS_PER_ACCOUNT links go to one account in LINK_WINDOW_SECONDS, so nobody can
    flood a resident's inbox; beyond that nothing is sent, and the resident is told the same.
    """
    if customer.user is None or not customer.user.email:
        raise DomainError("This customer has no online account.")
    sent = attempts_add(
        kind="links", value=str(customer.user.pk), window_seconds=LINK_WINDOW_SECONDS
    )
    if sent > LINKS_PER_ACCOUNT:
        return False
    notification_queue_email(
        organisation=customer.organisation,
        customer=customer,
        email=customer.user.email,
        template="account_sign_in_link",
        context={
            "council": customer.organisation.name,
            "link": link,
            "minutes": str(ACCOUNT_LINK_MINUTES),
        },
    )
    return True


def account_record_sign_in(
    *, customer: Customer, method: str, now: datetime | None = None
) -> AccountSignIn:
    if method not in SignInMethod.values:
        raise DomainError("Unknown way of signing in.")
    return AccountSignIn.objects.create(customer=customer, method=method, at=now or timezone.now())


def account_check_password(
    *, organisation: Organisation, email: str, password: str, address: str
) -> Customer:
    """The account these details sign in to. Failed attempts are counted for the account and
    for the network address; past the limit, sign-in with a password is refused for a while."""
    account = f"{organisation.pk}:{normalise_email(email)}"
    counters = (
        ("account", account, PASSWORD_FAILURES_PER_ACCOUNT),
        ("address", address, PASSWORD_FAILURES_PER_ADDRESS),
    )
    locked = NotPermitted(
        "You have tried to sign in too many times. Wait 15 minutes and try again, or sign in "
        "with a link sent to your email address.",
        fields={"email": "Too many attempts to sign in. Wait 15 minutes, or use a link"},
    )
    if attempts_exceeded(
        kind="account", value=counters[0][1], limit=PASSWORD_FAILURES_PER_ACCOUNT
    ) or attempts_exceeded(
        kind="address", value=counters[1][1], limit=PASSWORD_FAILURES_PER_ADDRESS
    ):
        raise locked
    customer = account_for_email(organisation=organisation, email=email) if email else None
    user = customer.user if customer is not None else None
    if user is None:
        # Take as long as checking a real password, so the time taken does not tell anyone
        # whether the email address has an account.
        User().set_password(password)
    if (
        user is None
        or customer is None
        or not user.is_active
        or not password
        or not user.check_password(password)
    ):
        for kind, value, _ in counters:
            attempts_add(kind=kind, value=value, window_seconds=PASSWORD_FAILURE_WINDOW_SECONDS)
        raise ValidationFailed(
            "The email address or password is not right.",
            fields={"email": "Enter the email address and password of your account"},
        )
    attempts_forgotten(kind="account", value=account)
    return customer


def account_set_password(*, customer: Customer, password: str, confirm: str) -> None:
    """Let a signed-in resident sign in with a password as well as with links."""
    user = customer.user
    if user is None:
        raise DomainError("This customer has no online account.")
    if not password:
        raise ValidationFailed("Enter a password.", fields={"password": "Enter a password"})
    if password != confirm:
        raise ValidationFailed(
            "The passwords do not match.", fields={"confirm": "Enter the same password again"}
        )
    try:
        validate_password(password, user)
    except DjangoValidationError as problem:
        text = " ".join(str(message).rstrip(".") + "." for message in problem.messages)
        raise ValidationFailed(text, fields={"password": text}) from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(
            organisation=customer.organisation,
            subject_type="customer",
            subject_id=customer.pk,
            action="account_password_set",
            actor=Actor.for_user(user),
        )


def account_save_preferences(
    *, customer: Customer, channel: str, phone: str, actor: Actor
) -> Customer:
    """A signed-in resident chooses how we contact them and may add a phone number.

    Email addresses are not added here: the account's email address is the one its sign-in
    link proved, and an address nobody has proved must not be stored against the account,
    where it could be mistaken for the resident's. A number the record already has, however
    it is written, is not added twice.
    """
    phone = phone.strip()
    problem = contact_detail_error(DetailKind.PHONE, phone) if phone else None
    if problem:
        raise ValidationFailed(problem, fields={"phone": problem})
    with transaction.atomic():
        customer_set_preferred_channel(customer=customer, channel=channel, actor=actor)
        known = customer.details.filter(
            kind=DetailKind.PHONE, normalised=normalise_phone(phone)
        ).exists()
        if phone and not known:
            customer_add_contact_detail(
                customer=customer, kind=DetailKind.PHONE, value=phone, actor=actor
            )
    return customer


def _link_state(user: User) -> str:
    last = user.last_login.isoformat() if user.last_login else "never"
    return salted_hmac(_LINK_SALT, f"{user.pk}:{last}:{user.password}").hexdigest()[:24]


def account_request_link(
    *, organisation: Organisation, email: str, link_for: Callable[[str], str]
) -> Customer | None:
    """Send a sign-in link if the email address belongs to an account; otherwise do nothing.
    The caller says the same thing either way."""
    problem = account_email_error(email)
    if problem:
        raise ValidationFailed(problem, fields={"email": problem})
    customer = account_for_email(organisation=organisation, email=email)
    if customer is not None:
        with transaction.atomic():
            account_send_link(customer=customer, link=link_for(account_link_token(customer)))
    return customer


def account_sign_up(
    *,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    link_for: Callable[[str], str],
    created_by: User | None = None,
    customer: Customer | None = None,
) -> AccountRequest:
    """Set up an account (or find the one this email address has) and send it a sign-in link."""
    actor = Actor.for_user(created_by) if created_by is not None else RESIDENT
    with transaction.atomic():
        result = account_register(
            organisation=organisation,
            email=email,
            first_name=first_name,
            last_name=last_name,
            actor=actor,
            created_by=created_by,
            customer=customer,
        )
        account_send_link(
            customer=result.customer, link=link_for(account_link_token(result.customer))
        )
    return result


def account_sign_up_assisted(
    *,
    staff: StaffMember,
    email: str,
    first_name: str,
    last_name: str,
    link_for: Callable[[str], str],
    customer: Customer | None = None,
    channel: str = Channel.FACE_TO_FACE,
) -> AccountRequest:
    """A member of staff sets up an account with a resident who is with them at reception
    (or on the phone: ``channel``), for the ``customer`` record they have open if any.

    The account records who set it up, the visit is logged as an assisted contact, and the
    resident is sent a sign-in link to use when they are ready.
    """
    with transaction.atomic():
        result = account_sign_up(
            organisation=staff.organisation,
            email=email,
            first_name=first_name,
            last_name=last_name,
            link_for=link_for,
            created_by=staff.user,
            customer=customer,
        )
        contact_log(
            organisation=staff.organisation,
            customer=result.customer,
            handled_by=staff.user,
            details=ContactDetails(
                channel=channel,
                reason=ContactReason.OTHER,
                outcome=ContactOutcome.RESOLVED_FIRST_CONTACT,
                assisted=True,
                summary=(
                    "Helped the resident set up their online account."
                    if result.created
                    else "The resident already had an online account; sent a sign-in link."
                ),
            ),
        )
    return result
