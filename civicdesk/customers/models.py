"""Customers: the people and businesses a council serves, and how to reach them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Concat, Lower

from civicdesk.core.models import TimeStampedModel

from .choices import (
    CustomerKind,
    DetailKind,
    PreferredChannel,
    Relationship,
    SignInMethod,
    SupportNeedKind,
)
from .normalise import is_uk_mobile

# Leading house numbers and punctuation, stripped to find an address by its street alone.
HOUSE_NUMBER_CHARACTERS = "0123456789 ,/-"


def _strip_leading(expression: F, characters: str) -> Func:
    """LTRIM(text, characters): the same function on SQLite and PostgreSQL."""
    return Func(expression, Value(characters), function="LTRIM", output_field=models.CharField())


def _prefix_index(field: str, name: str) -> models.Index:
    """An index for "starts with" searches within an organisation. On PostgreSQL the pattern
    operator class lets LIKE 'prefix%' use it whatever the database's collation; other
    databases ignore the operator class and search it by range."""
    return models.Index(
        fields=["organisation", field], name=name, opclasses=["int8_ops", "varchar_pattern_ops"]
    )


class Customer(TimeStampedModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="customers"
    )
    kind = models.CharField(max_length=10, choices=CustomerKind.choices, default="person")
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    business_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address_line_1 = models.CharField(max_length=200, blank=True)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True, db_index=True)
    uprn = models.CharField(
        max_length=12, blank=True, help_text="Unique Property Reference Number."
    )
    preferred_channel = models.CharField(
        max_length=10, choices=PreferredChannel.choices, default=PreferredChannel.EMAIL
    )
    search_name = models.CharField(max_length=300, db_index=True, editable=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
        help_text="The resident's own online account, if they have one.",
    )
    account_created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member of staff who set up the account with the resident, if any.",
    )
    # Until an account is confirmed it shows nothing from before it was set up: a member of
    # staff may have set it up with an email address nobody has tied to this resident.
    account_confirmed_at = models.DateTimeField(null=True, blank=True)
    account_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member of staff who checked the resident's identity, if it was checked "
        "at the desk.",
    )
    account_confirmation = models.CharField(
        max_length=200, blank=True, help_text="How the account was confirmed as the resident's."
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    # Search keys the database keeps up to date however a row is written (bulk loads too),
    # each indexed with the organisation so that a prefix is a range scan on either database.
    search_surname_first = models.GeneratedField(
        expression=Lower(Concat(F("last_name"), Value(" "), F("first_name"))),
        output_field=models.CharField(max_length=201),
        db_persist=True,
    )
    search_address = models.GeneratedField(
        expression=Lower(F("address_line_1")),
        output_field=models.CharField(max_length=200),
        db_persist=True,
    )
    search_street = models.GeneratedField(
        expression=Lower(_strip_leading(F("address_line_1"), HOUSE_NUMBER_CHARACTERS)),
        output_field=models.CharField(max_length=200),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name", "business_name"]
        indexes = [
            _prefix_index("search_name", "customer_name"),
            _prefix_index("search_surname_first", "customer_surname"),
            _prefix_index("search_address", "customer_address"),
            _prefix_index("search_street", "customer_street"),
            _prefix_index("postcode", "customer_postcode"),
            # Insight recounts the days of customers merged since its last run: few rows.
            models.Index(
                fields=["merged_at"],
                name="customer_recently_merged",
                condition=models.Q(merged_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.BUSINESS:
            return self.business_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def address_lines(self) -> list[str]:
        lines = [self.address_line_1, self.address_line_2, self.town, self.postcode]
        return [line for line in lines if line]


class ContactDetail(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="details")
    kind = models.CharField(max_length=10, choices=DetailKind.choices)
    value = models.CharField(max_length=254)
    normalised = models.CharField(max_length=254, db_index=True, editable=False)
    label = models.CharField(max_length=40, blank=True, help_text="Mobile, home, work...")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.value

    @property
    def is_mobile(self) -> bool:
        """A number that can receive text messages: a UK mobile, whatever its label says, as
        GOV.UK Notify refuses texts to anything else (070 personal numbers and 076 pagers
        start with 07 but are not mobiles)."""
        return self.kind == DetailKind.PHONE and is_uk_mobile(self.normalised)


class SupportNeed(models.Model):
    """A vulnerability or support need, only ever recorded with the customer's consent."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="support_needs")
    kind = models.CharField(max_length=20, choices=SupportNeedKind.choices)
    details = models.TextField(blank=True)
    consent_given_at = models.DateTimeField()
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.get_kind_display()


class Representative(models.Model):
    """Someone acting for a customer, with the authority they have been given."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="represented_by")
    representative = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="represents"
    )
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    authority = models.TextField(blank=True, help_text="What they may do and how it was given.")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.representative} for {self.customer}"


class AccountSignIn(models.Model):
    """One sign-in to a resident's account, kept so the council can count active accounts."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="sign_ins")
    method = models.CharField(max_length=20, choices=SignInMethod.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer_id} at {self.at:%Y-%m-%d %H:%M}"
