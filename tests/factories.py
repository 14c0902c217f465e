"""Factories for the domain models: small, valid records to build test scenarios from."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from civicdesk.assistant.models import Article
from civicdesk.cases.models import Case
from civicdesk.catalogue.models import CharterTarget, Question, RequestType, ServiceArea
from civicdesk.contacts.models import Contact
from civicdesk.customers.models import Customer
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation, StaffMember, Team


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Council {n}")
    slug = factory.Sequence(lambda n: f"council-{n}")
    kind = "unitary"
    opens = time(9, 0)
    closes = time(17, 0)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    email = factory.Sequence(lambda n: f"team{n}@council.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Officer{n}")
    email = factory.Sequence(lambda n: f"user{n}@council.example")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.OFFICER

    @factory.post_generation
    def teams(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.teams.set(extracted)


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")
    team = factory.SubFactory(TeamFactory, organisation=factory.SelfAttribute("..organisation"))


class RequestTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequestType

    organisation = factory.SubFactory(OrganisationFactory)
    service_area = factory.SubFactory(
        ServiceAreaFactory, organisation=factory.SelfAttribute("..organisation")
    )
    key = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Report problem {n}")
    kind = "report"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    request_type = factory.SubFactory(RequestTypeFactory)
    key = factory.Sequence(lambda n: f"question-{n}")
    label = "What is the problem?"
    kind = "text"
    required = True


class CharterTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharterTarget

    request_type = factory.SubFactory(RequestTypeFactory)
    amount = 5
    unit = "working_days"
    summary = "deal with it"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Resident{n}")
    search_name = factory.LazyAttribute(lambda c: f"{c.first_name} {c.last_name}".lower())
    address_line_1 = "1 High Street"
    town = "Telford"
    postcode = "TF3 4JA"


class CaseFactory(factory.django.DjangoModelFactory):
    """A case written straight to the table, for read-side tests (insight, exports) that need
    cases at chosen moments; behaviour tests open cases through ``case_open``."""

    class Meta:
        model = Case

    organisation = factory.SubFactory(OrganisationFactory)
    reference = factory.Sequence(lambda n: f"F{n:07d}"[:9])
    request_type = factory.SubFactory(
        RequestTypeFactory, organisation=factory.SelfAttribute("..organisation")
    )
    channel = "web"
    opened_at = factory.LazyFunction(timezone.now)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organisation = factory.SubFactory(OrganisationFactory)
    channel = "phone"
    started_at = factory.LazyFunction(timezone.now)
    reason = "new_request"
    outcome = "resolved_first_contact"


class ArticleFactory(factory.django.DjangoModelFactory):
    """A knowledge-base answer; published unless told otherwise."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Question {n}")
    body = "The answer in plain words."
    status = "published"
    review_by = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))

    @factory.post_generation
    def services(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.services.set(extracted)
