"""Recording, finding and merging customers."""

from __future__ import annotations

from datetime import date

import pytest

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Case
from civicdesk.cases.selectors import customer_search
from civicdesk.contacts.models import Contact
from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.models import AuditEvent
from civicdesk.customers.models import Customer, SupportNeed
from civicdesk.customers.selectors import access_customer, customer_duplicates
from civicdesk.customers.services import (
    CustomerDetails,
    customer_add_contact_detail,
    customer_add_representative,
    customer_create,
    customer_merge,
    customer_record_support_need,
)
from civicdesk.notifications.models import OutboxMessage

from . import factories

pytestmark = pytest.mark.django_db

# What a resident or adviser is told about a phone number that cannot be kept.
FORMAT = "Enter a telephone number, like 01632 960 001 or 07700 900 982"
TOO_SHORT = "Enter a telephone number with all its digits, like 01632 960 001 or 07700 900 982"
TOO_LONG = "Enter a telephone number without extra digits, like 01632 960 001 or 07700 900 982"
PREMIUM = "Enter a number that is not premium rate, like 01632 960 001 or 07700 900 982"
PERSONAL = (
    "Enter a mobile or landline number. Numbers starting 070 are personal numbers, "
    "not mobiles, and cost more to call"
)
PAGER = "Enter a mobile or landline number. Numbers starting 076 are pagers"


def make(council, actor, **details) -> Customer:
    return customer_create(organisation=council, details=CustomerDetails(**details), actor=actor)


def search(council, text: str, staff=None) -> list[Customer]:
    staff = staff or factories.StaffFactory(organisation=council)
    return customer_search(staff=staff, query=text)


def test_a_customer_needs_a_name_and_valid_contact_details(council, actor):
    with pytest.raises(ValidationFailed) as refused:
        make(council, actor, emails=["not-an-email"], phones=["12"])
    assert refused.value.fields == {
        "last_name": "Enter the customer's name",
        "emails": "Enter an email address in the correct format, like name@example.com",
        "phones": TOO_SHORT,
    }
    with pytest.raises(ValidationFailed, match="customer's details"):
        make(council, actor, kind="business")
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    ["07700 900123", "+44 7700 900123", "07700900123", "(07700) 900-123", "0044 7700 900123"],
)
def test_find_by_phone_in_any_format(council, resident, query):
    assert search(council, query) == [resident]


def test_find_by_email_name_postcode_address_and_case_reference(
    council, missed_bin, resident, actor
):
    other = make(council, actor, first_name="Annabel", last_name="Jones", postcode="TF2 6AB")
    assert search(council, "ANN.SMITH@example.com ") == [resident]
    assert search(council, "smith ann") == [resident]
    assert set(search(council, "ann")) == {resident, other}
    assert search(council, "tf11aa") == [resident]
    assert search(council, "holyhead road") == [resident]
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            customer=resident,
            answers={"bin": "Recycling"},
        ),
        actor=actor,
    )
    assert search(council, case.reference.lower().replace("-", " ")) == [resident]
    assert search(council, "") == []


def test_search_never_crosses_into_another_organisation(council, resident, actor):
    elsewhere = factories.OrganisationFactory()
    make(elsewhere, actor, first_name="Ann", last_name="Smith", emails=["ann.smith@example.com"])
    assert search(council, "ann.smith@example.com") == [resident]


def test_likely_duplicates_share_a_detail_or_name_and_postcode(council, resident, actor):
    same_email = make(
        council, actor, first_name="A", last_name="Smith", emails=["Ann.Smith@Example.com"]
    )
    same_name_place = make(council, actor, first_name="Ann", last_name="Smith", postcode="TF1 1AA")
    make(council, actor, first_name="Ann", last_name="Smith", postcode="SY1 1AA")
    assert customer_duplicates(customer=resident) == [same_email, same_name_place]


def test_likely_duplicates_by_phone_or_birth_live_and_of_this_council_only(
    council, resident, actor
):
    born = date(1961, 5, 4)
    born_elsewhere = make(
        council, actor, first_name="Ann", last_name="Smith", postcode="SY1 1AA",
        date_of_birth=born,
    )  # fmt: skip
    same_name_born = make(council, actor, first_name="Ann", last_name="Smith", date_of_birth=born)
    same_phone = make(council, actor, first_name="Bo", last_name="Jones", phones=["+447700900123"])
    # By two rules at once, still listed once.
    both = make(
        council, actor, first_name="Ann", last_name="Smith", postcode="TF1 1AA",
        emails=["ann.smith@example.com"],
    )  # fmt: skip
    merged_away = make(council, actor, first_name="Ann", last_name="Smith", postcode="TF1 1AA")
    customer_merge(duplicate=merged_away, into=both, actor=actor)
    make(
        factories.OrganisationFactory(), actor, first_name="Ann", last_name="Smith",
        postcode="TF1 1AA", phones=["07700 900123"],
    )  # fmt: skip

    assert customer_duplicates(customer=resident) == [same_phone, both]
    assert customer_duplicates(customer=born_elsewhere) == [same_name_born]
    assert customer_duplicates(customer=same_name_born) == [born_elsewhere]


def test_merging_moves_all_history_and_keeps_the_old_record_pointing_on(
    council, missed_bin, resident, actor
):
    duplicate = make(
        council,
        actor,
        first_name="Ann",
        last_name="Smith",
        emails=["ann.smith@example.com", "ann@work.example"],
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="web",
            customer=duplicate,
            answers={"bin": "Recycling"},
        ),
        actor=actor,
    )
    customer_record_support_need(
        customer=duplicate, kind="hearing", details="Prefers text", consent_given=True, actor=actor
    )

    survivor = customer_merge(duplicate=duplicate, into=resident, actor=actor)

    assert Case.objects.get(pk=case.pk).customer == survivor
    assert Contact.objects.filter(customer=survivor, case=case).exists()
    assert OutboxMessage.objects.filter(case=case, customer=survivor).exists()
    assert SupportNeed.objects.get().customer == survivor
    emails = sorted(survivor.details.filter(kind="email").values_list("normalised", flat=True))
    assert emails == ["ann.smith@example.com", "ann@work.example"]
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert search(council, "ann@work.example") == [survivor]
    staff = factories.StaffFactory(organisation=council)
    assert access_customer(staff=staff, customer_id=duplicate.pk) == survivor
    trail = AuditEvent.objects.filter(subject_type="customer", action__startswith="merged")
    assert {event.subject_id for event in trail} == {duplicate.pk, survivor.pk}


def test_merge_refuses_nonsense_and_changes_nothing(council, resident, actor):
    with pytest.raises(DomainError, match="into themselves"):
        customer_merge(duplicate=resident, into=resident, actor=actor)
    stranger = make(factories.OrganisationFactory(), actor, first_name="Ann", last_name="Smith")
    with pytest.raises(DomainError, match="same organisation"):
        customer_merge(duplicate=stranger, into=resident, actor=actor)
    twin = make(council, actor, first_name="Ann", last_name="Smith")
    customer_merge(duplicate=twin, into=resident, actor=actor)
    with pytest.raises(DomainError, match="already been merged"):
        customer_merge(duplicate=twin, into=resident, actor=actor)


def test_support_needs_are_only_recorded_with_consent(resident, actor):
    with pytest.raises(ValidationFailed, match="agree"):
        customer_record_support_need(
            customer=resident, kind="sight", details="Large print", consent_given=False, actor=actor
        )
    assert not SupportNeed.objects.exists()
    need = customer_record_support_need(
        customer=resident, kind="sight", details="Large print", consent_given=True, actor=actor
    )
    assert need.consent_recorded_by == actor.user


def test_representatives(council, resident, actor):
    with pytest.raises(DomainError, match="own representative"):
        customer_add_representative(
            customer=resident,
            representative=resident,
            relationship="carer",
            authority="",
            actor=actor,
        )
    daughter = make(council, actor, first_name="Beth", last_name="Smith")
    link = customer_add_representative(
        customer=resident,
        representative=daughter,
        relationship="family",
        authority="Verbal consent given by phone",
        actor=actor,
    )
    assert list(resident.represented_by.all()) == [link]


def test_adding_a_contact_detail_validates_and_normalises(resident, actor):
    with pytest.raises(ValidationFailed):
        customer_add_contact_detail(customer=resident, kind="email", value="nope", actor=actor)
    detail = customer_add_contact_detail(
        customer=resident, kind="phone", value="+44 (0)1952 380000", actor=actor
    )
    assert detail.normalised == "01952380000"


def test_another_councils_customer_is_not_found(council, resident):
    outsider = factories.StaffFactory()
    with pytest.raises(NotFound):
        access_customer(staff=outsider, customer_id=resident.pk)


@pytest.mark.parametrize(
    ("number", "mobile"),
    [
        ("07700 900123", True),
        ("+44 7911 123456", True),
        ("01952 380000", False),
    ],
)
def test_only_real_uk_mobiles_are_used_for_text_messages(resident, actor, number, mobile):
    detail = customer_add_contact_detail(customer=resident, kind="phone", value=number, actor=actor)
    assert detail.is_mobile is mobile


@pytest.mark.parametrize(
    ("number", "normalised"), [("070 1234 5678", "07012345678"), ("07623 123456", "07623123456")]
)
def test_a_number_kept_before_it_was_checked_is_not_texted_for_its_label(
    resident, number, normalised
):
    # 070 personal numbers and 076 pagers are refused now, but older records may hold them,
    # and a label says nothing about whether GOV.UK Notify will text a number.
    detail = resident.details.create(
        kind="phone", value=number, normalised=normalised, label="mobile"
    )
    assert detail.is_mobile is False


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("07700 9001", TOO_SHORT),
        ("0770 090 012", TOO_SHORT),
        ("+44 1952 38000", TOO_SHORT),
        ("07700 900 1234", TOO_LONG),
        ("01952 380000 ext 2", FORMAT),
        ("07700 900123 (mobile)", FORMAT),
        ("06123 456789", FORMAT),  # no UK number starts 06
        ("+999 1234 5678", FORMAT),  # no such country
        ("070 1234 5678", PERSONAL),
        ("+44 70 1234 5678", PERSONAL),
        ("07623 123456", PAGER),
        ("09065 123456", PREMIUM),
        ("0871 123 4567", PREMIUM),
    ],
)
def test_numbers_gov_uk_notify_would_refuse_are_refused_in_plain_english(
    council, actor, number, problem
):
    with pytest.raises(ValidationFailed) as refused:
        make(council, actor, last_name="Smith", phones=[number])
    assert refused.value.fields == {"phones": problem}
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("number", "normalised", "mobile"),
    [
        ("07700 900123", "07700900123", True),
        ("07700900123", "07700900123", True),
        ("07700 900 123", "07700900123", True),
        ("(07700) 900-123", "07700900123", True),
        ("+44 7700 900123", "07700900123", True),
        ("+44 (0)7700 900123", "07700900123", True),
        ("+447700900123", "07700900123", True),
        ("447700900123", "07700900123", True),
        ("0044 7700 900123", "07700900123", True),
        ("07400 123456", "07400123456", True),
        ("01952 380000", "01952380000", False),
        ("(01952) 380 000", "01952380000", False),
        ("+44 1952 380000", "01952380000", False),
        ("020 7946 0123", "02079460123", False),
        ("0161 496 0000", "01614960000", False),
        ("01632 960 001", "01632960001", False),
        ("0300 123 5000", "03001235000", False),
        ("0800 111 999", "0800111999", False),
        ("+353 1 234 5678", "+35312345678", False),
        ("+1 202 555 0142", "+12025550142", False),
    ],
)
def test_valid_numbers_are_kept_in_one_form_however_they_are_written(
    resident, actor, number, normalised, mobile
):
    detail = customer_add_contact_detail(customer=resident, kind="phone", value=number, actor=actor)
    assert (detail.value, detail.normalised, detail.is_mobile) == (number, normalised, mobile)
    assert search(resident.organisation, number) == [resident]


def test_a_sensitive_case_reference_only_finds_its_customer_for_the_handling_team(
    council, resident, actor
):
    homelessness = factories.RequestTypeFactory(
        organisation=council, key="homelessness", sensitive=True
    )
    case = case_open(
        organisation=council,
        request=CaseRequest(request_type_key="homelessness", channel="phone", customer=resident),
        actor=actor,
    )
    housing = factories.StaffFactory(organisation=council, teams=[homelessness.service_area.team])
    adviser = factories.StaffFactory(organisation=council, role="adviser")
    assert search(council, case.reference, staff=housing) == [resident]
    assert search(council, case.reference, staff=adviser) == []


def test_merging_keeps_the_residents_online_account_and_drops_repeated_follows(
    council, missed_bin, resident, actor
):
    from civicdesk.cases.models import CaseFollower

    account = factories.UserFactory()
    duplicate = make(council, actor, first_name="Ann", last_name="Smith")
    duplicate.user = account
    duplicate.save()
    case = case_open(
        organisation=council,
        request=CaseRequest(
            request_type_key="missed-bin", channel="web", answers={"bin": "Recycling"}
        ),
        actor=actor,
    )
    CaseFollower.objects.create(case=case, customer=resident)
    CaseFollower.objects.create(case=case, customer=duplicate)

    survivor = customer_merge(duplicate=duplicate, into=resident, actor=actor)

    assert survivor.user == account
    assert list(CaseFollower.objects.values_list("customer_id", flat=True)) == [survivor.pk]


def test_two_online_accounts_are_not_merged_silently(council, resident, actor):
    resident.user = factories.UserFactory()
    resident.save()
    other = make(council, actor, first_name="Ann", last_name="Smith")
    other.user = factories.UserFactory()
    other.save()
    with pytest.raises(DomainError, match="Both records have an online account"):
        customer_merge(duplicate=other, into=resident, actor=actor)


def test_a_postcode_district_finds_its_own_customers_and_not_the_next_districts(council, actor):
    near = make(council, actor, first_name="Nia", last_name="Near", postcode="TF1 2AB")
    make(council, actor, first_name="Fay", last_name="Far", postcode="TF10 7XY")
    assert search(council, "tf1") == [near]
    assert search(council, "TF1 2") == [near]


def test_an_exact_name_comes_before_longer_names_and_addresses(council, actor):
    longer = make(council, actor, first_name="Ann", last_name="Smithers")
    exact = make(council, actor, first_name="Ann", last_name="Smith")
    by_street = make(
        council, actor, first_name="Bo", last_name="Lee", address_line_1="2 Ann Smith Way"
    )
    assert search(council, "ann smith") == [exact, longer, by_street]
    assert search(council, "smith ann") == [exact]
