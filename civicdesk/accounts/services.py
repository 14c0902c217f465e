"""Residents' online accounts: signing up (alone or helped by staff), sign-in links, passwords
and preferences. The records are the customers app's; the rules for accounts are here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from civicdesk.cases.selectors import cases_hidden_from
from civicdesk.contacts.choices import ContactOutcome, ContactReason
from civicdesk.contacts.services import ContactDetails, contact_log
from civicdesk.core.audit import Actor
from civicdesk.core.choices import Channel
from civicdesk.core.errors import DomainError, NotPermitted, ValidationFailed
from civicdesk.core.ratelimit import attempts_add, attempts_exceeded, attempts_forgotten
from civicdesk.customers.choices import DetailKind, SignInMethod
from civicdesk.customers.models import AccountSignIn, Customer
from civicdesk.customers.normalise import (
    normalise_email,
    normalise_phone,
)
from civicdesk.customers.services import (
    RESIDENT,
    CustomerDetails,
    PostalAddress,
    contact_detail_error,
    contact_detail_store,
    customer_add_contact_detail,
    customer_audit_record,
    customer_create,
    customer_set_postal_address,
    customer_set_preferred_channel,
    postal_address_problems,
)
from civicdesk.notifications.services import notification_queue_email
from civicdesk.organisations.models import Organisation, StaffMember

ACCOUNT_LINK_MINUTES = 30
# The salt predates this module; changing it would expire every link already sent.
_LINK_SALT = "civicdesk.customers.account-link"
PASSWORD_FAILURE_WINDOW_SECONDS = 15 * 60
PASSWORD_FAILURES_PER_ACCOUNT = 5
PASSWORD_FAILURES_PER_ADDRESS = 20
LINK_WINDOW_SECONDS = 60 * 60
LINKS_PER_ACCOUNT = 5

# How an account came to be confirmed as the resident's (Customer.account_confirmation).
CONFIRMED_BY_EMAIL_ON_RECORD = "Sign-in links go to an email address already on their record"
CONFIRMED_AS_NEW_RECORD = "Set up with a new record, which had no history"
# What a member of staff may accept at the desk as proof of who the resident is.
DESK_EVIDENCE = {
    "photo_id": "Photo ID, such as a passport or driving licence",
    "council_letter": "A letter we sent to them at the address on their record",
    "bill_or_statement": "A recent bill or bank statement with their name and address",
}


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
            customer, confirmation = matches[0], CONFIRMED_BY_EMAIL_ON_RECORD
        else:
            confirmation = CONFIRMED_AS_NEW_RECORD
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
            confirmation=confirmation,
        )
    return AccountRequest(customer=customer, created=True)


def _account_for_chosen_customer(
    *, customer: Customer, email: str, actor: Actor, created_by: User | None
) -> AccountRequest:
    """An account for this customer record and no other. An email address that already signs
    in to someone else's account is refused (the records may be duplicates to merge), as is a
    second account for a record that has one.

    Set up with an email address already on the record, the account is confirmed: only whoever
    reads that address can use its sign-in link. Any other address may be the member of
    staff's own, so the account stays unconfirmed, showing nothing from before it was set up,
    and the address is not added to the record (where updates on the resident's cases would
    go to it) until the resident's identity is checked at the desk."""
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
        on_record = customer.details.filter(kind=DetailKind.EMAIL, normalised=normalised).exists()
        _account_create(
            customer=customer,
            email=normalised,
            first_name=customer.first_name or customer.display_name,
            last_name=customer.last_name,
            actor=actor,
            created_by=created_by,
            confirmation=CONFIRMED_BY_EMAIL_ON_RECORD if on_record else "",
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
    confirmation: str,
) -> None:
    """A sign-in for the resident (only ever by emailed link until they set a password),
    tied to their record; confirmed as theirs when ``confirmation`` says how."""
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
    customer.account_confirmed_at = user.date_joined if confirmation else None
    customer.account_confirmed_by = None
    customer.account_confirmation = confirmation
    customer.save(
        update_fields=[
            "user",
            "account_created_by",
            "account_confirmed_at",
            "account_confirmed_by",
            "account_confirmation",
            "updated_at",
        ]
    )
    customer_audit_record(
        customer=customer,
        action="account_created",
        actor=actor,
        after={"assisted": created_by is not None, "confirmed": bool(confirmation)},
    )


def account_confirm_at_desk(*, staff: StaffMember, customer: Customer, evidence: str) -> Customer:
    """A member of staff has seen proof of who the resident is, in person, and confirms that
    the account is theirs: it then shows their whole record, and its email address joins the
    record. Who, when and what proof are kept on the record and in the audit trail.

    Nobody may confirm an account for a record with cases they may not see themselves, or
    the account would show them what the workspace refuses; a member of the team handling
    those cases confirms it instead."""
    if evidence not in DESK_EVIDENCE:
        raise ValidationFailed(
            "Select the proof of identity you have seen.",
            fields={"evidence": "Select the proof of identity you have seen"},
        )
    if cases_hidden_from(staff=staff, customer=customer):
        raise NotPermitted(
            "This customer has cases you cannot see, so you cannot confirm their account. "
            "Ask the team that handles those cases to check their identity."
        )
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=customer.pk)
        )
        if customer.user is None:
            raise ValidationFailed("This customer has no online account.")
        if customer.account_confirmed_at is not None:
            raise ValidationFailed("This customer's online account is already confirmed.")
        email = customer.user.email
        if not customer.details.filter(kind=DetailKind.EMAIL, normalised=email).exists():
            contact_detail_store(
                customer,
                DetailKind.EMAIL,
                email,
                primary=not customer.details.filter(kind=DetailKind.EMAIL).exists(),
            )
        customer.account_confirmed_at = timezone.now()
        customer.account_confirmed_by = staff.user
        customer.account_confirmation = f"Identity checked at the desk: {DESK_EVIDENCE[evidence]}"
        customer.save(
            update_fields=[
                "account_confirmed_at",
                "account_confirmed_by",
                "account_confirmation",
                "updated_at",
            ]
        )
        customer_audit_record(
            customer=customer,
            action="account_confirmed",
            actor=Actor.for_user(staff.user),
            after={"how": "desk", "evidence": evidence},
        )
        contact_log(
            organisation=staff.organisation,
            customer=customer,
            handled_by=staff.user,
            details=ContactDetails(
                channel=Channel.FACE_TO_FACE,
                reason=ContactReason.OTHER,
                outcome=ContactOutcome.RESOLVED_FIRST_CONTACT,
                assisted=True,
                summary="Checked the resident's identity and confirmed their online account.",
            ),
        )
    return customer


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


def account_record_sign_ins(
    *, customer: Customer, sign_ins: Iterable[tuple[str, datetime]]
) -> list[AccountSignIn]:
    """Several past sign-ins of one account (``(method, at)`` each) in one insert, by the same
    rule as account_record_sign_in: for records brought over from an old system, or a demo."""
    rows = [AccountSignIn(customer=customer, method=method, at=at) for method, at in sign_ins]
    if any(row.method not in SignInMethod.values for row in rows):
        raise DomainError("Unknown way of signing in.")
    return AccountSignIn.objects.bulk_create(rows)


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
        customer_audit_record(
            customer=customer, action="account_password_set", actor=Actor.for_user(user)
        )


def account_save_preferences(
    *,
    customer: Customer,
    channel: str,
    phone: str,
    actor: Actor,
    address: PostalAddress | None = None,
) -> Customer:
    """A signed-in resident chooses how we contact them and may add a phone number or give
    their postal address. A way we could not use is refused, saying what is missing: text
    messages need a mobile number, phone calls a number, letters an address.

    Email addresses are not added here: the account's email address is the one its sign-in
    link proved, and an address nobody has proved must not be stored against the account,
    where it could be mistaken for the resident's. A number the record already has, however
    it is written, is not added twice.

    An account not yet confirmed as the resident's changes nothing here: a number added, or
    a channel chosen, would send updates on the resident's cases to whoever set it up.
    """
    if customer.account_confirmed_at is None:
        raise NotPermitted(
            "You can change how we contact you once we have confirmed your account is yours.",
            fields={"preferred_channel": _NOT_CONFIRMED_PREFERENCES},
        )
    phone = phone.strip()
    errors: dict[str, str] = {}
    problem = contact_detail_error(DetailKind.PHONE, phone) if phone else None
    if problem:
        errors["phone"] = problem
    if address is not None and address.given:
        errors.update(postal_address_problems(address))
    if errors:
        raise ValidationFailed(" ".join(errors.values()), fields=errors)
    with transaction.atomic():
        known = customer.details.filter(
            kind=DetailKind.PHONE, normalised=normalise_phone(phone)
        ).exists()
        if phone and not known:
            customer_add_contact_detail(
                customer=customer, kind=DetailKind.PHONE, value=phone, actor=actor
            )
        if address is not None and address.given:
            customer_set_postal_address(customer=customer, address=address, actor=actor)
        customer_set_preferred_channel(customer=customer, channel=channel, actor=actor)
    return customer


_NOT_CONFIRMED_PREFERENCES = (
    "You can change how we contact you once we have confirmed your account is yours"
)


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
