"""Moving in from the council's previous system: its customers, and its open and recent cases,
from the two CSV exports described in docs/legacy-import.md.

Every line of both files is checked before anything is written, and one bad line stops the
whole import with a report of every problem, by file and line. Then the records are written
through the services every other channel uses (``customer_create``, ``case_import``), in short
transactions of a few lines each, so that none keeps residents' requests waiting however long
the files are (ADR 23).

Importing again finds what the last import brought over, customers by the old system's id and
cases by their old reference, and never makes a second copy: new email addresses and phone
numbers are added to a customer, a case the old system has closed since is closed here at the
old system's date, and everything else is left as it is (staff may have worked on it since).
If an import stops half way, running it again carries on where it stopped.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from civicdesk.catalogue.models import RequestType
from civicdesk.core.audit import Actor, audit_record
from civicdesk.core.calendar import LONDON
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.errors import ValidationFailed
from civicdesk.core.references import legacy_reference_key
from civicdesk.customers.choices import CustomerKind, DetailKind, PreferredChannel
from civicdesk.customers.models import ContactDetail, Customer
from civicdesk.customers.normalise import looks_like_postcode, normalise_email, normalise_phone
from civicdesk.customers.services import (
    CustomerDetails,
    customer_add_contact_detail,
    customer_create,
    customer_details_problems,
)
from civicdesk.organisations.models import Organisation

from .choices import OPEN_STATUSES, CaseStatus
from .lifecycle import (
    FINISHED_STATUSES,
    IMPORTED_STATUSES,
    CaseImport,
    case_import,
    case_import_finished,
)
from .models import Case, LegacyCustomer

CUSTOMER_COLUMNS = (
    "id",
    "title",
    "first_name",
    "last_name",
    "business_name",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "uprn",
    "email",
    "phone",
)
CUSTOMER_REQUIRED = ("id",)
CASE_COLUMNS = (
    "reference",
    "service",
    "status",
    "received",
    "closed",
    "customer_id",
    "priority",
    "channel",
    "description",
    "location",
    "notes",
)
CASE_REQUIRED = ("reference", "service", "status", "received")
# A transaction takes no more lines once it has been open this long. A line (a case, with its
# audit entry and note) takes a few milliseconds to write, so each transaction commits well
# within the 200 ms a resident's request may wait behind it (ADR 23), whatever the server's load.
TRANSACTION_SECONDS = 0.08
# Lines whose customers (or cases) are read together, before the transactions that write them.
READ_AHEAD = 200
# The old system's words for "just received", as councils' exports often have them.
_STATUS_WORDS = {"open": CaseStatus.NEW, "in progress": CaseStatus.IN_PROGRESS}
_LENGTHS = {
    "title": 20,
    "first_name": 100,
    "last_name": 100,
    "business_name": 200,
    "address_line_1": 200,
    "address_line_2": 200,
    "town": 100,
}
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UPRN = re.compile(r"\d{1,12}")
_IN_CLAUSE = 500
_T = TypeVar("_T")


@dataclass(frozen=True)
class LegacyLine:
    """One line of an export: where it is in the file, and its values by column."""

    line: int
    values: Mapping[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass(frozen=True)
class LegacyProblem:
    file: str  # "customers" or "cases"
    line: int
    column: str
    message: str

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line}" + (f", {self.column}" if self.column else "")


class LegacyImportRefused(ValidationFailed):
    """The files have mistakes: ``problems`` lists every one, and nothing was written."""

    def __init__(self, problems: list[LegacyProblem]) -> None:
        count = len(problems)
        super().__init__(
            f"Nothing was imported: the files have {count} problem{'s' if count != 1 else ''} "
            "to put right first.",
            fields={problem.where: problem.message for problem in problems},
        )
        self.problems = problems


@dataclass(frozen=True)
class LegacyPlan:
    """What importing the files does (or did)."""

    customers_new: int
    customers_with_new_details: int
    customers_unchanged: int
    cases_new: int
    cases_finished_since: int  # brought over open, and finished in the old system since
    cases_unchanged: int


@dataclass(frozen=True)
class LegacyImportResult:
    plan: LegacyPlan
    overdue: int  # open cases brought over that are already past their charter target
    transactions: int
    longest_transaction_seconds: float


def legacy_import_check(
    *,
    organisation: Organisation,
    customers: Sequence[LegacyLine],
    cases: Sequence[LegacyLine],
    now: datetime | None = None,
) -> LegacyPlan:
    """What importing the lines would do, writing nothing; LegacyImportRefused listing every
    problem if any line is wrong."""
    return _work_out(organisation, customers, cases, now or timezone.now()).plan


def legacy_import(
    *,
    organisation: Organisation,
    customers: Sequence[LegacyLine],
    cases: Sequence[LegacyLine],
    actor: Actor,
    transaction_seconds: float = TRANSACTION_SECONDS,
    now: datetime | None = None,
) -> LegacyImportResult:
    """Bring the customers and cases over (see the module's description). Nothing is written
    unless every line is right; then in transactions that each take lines for no longer than
    ``transaction_seconds``."""
    now = now or timezone.now()
    work = _work_out(organisation, customers, cases, now)
    writer = _ShortTransactions(seconds=transaction_seconds)
    customer_ids = dict(work.known_customers)

    def customer_new(new: _NewCustomer) -> None:
        customer = customer_create(organisation=organisation, details=new.details, actor=actor)
        LegacyCustomer.objects.create(
            organisation=organisation, legacy_id=new.legacy_id, customer=customer
        )
        customer_ids[new.legacy_id] = customer.pk

    writer.write_all(work.customers_new, customer_new)

    def details_add(entry: tuple[Customer, list[tuple[str, str]]]) -> None:
        customer, additions = entry
        for kind, value in additions:
            customer_add_contact_detail(customer=customer, kind=kind, value=value, actor=actor)

    for more in _batches(work.customers_new_details, READ_AHEAD):
        people = Customer.objects.in_bulk([customer_id for customer_id, _ in more])
        writer.write_all([(people[pk], additions) for pk, additions in more], details_add)
    overdue: list[int] = []
    services = {
        service.key: service
        for service in RequestType.objects.filter(organisation=organisation, active=True)
        .select_related("service_area__team")
        .prefetch_related("charter_targets")
    }

    def case_new(entry: tuple[_NewCase, Customer | None]) -> None:
        new, customer = entry
        case = case_import(
            organisation=organisation,
            details=replace(new.details, customer=customer),
            actor=actor,
            services=services,
        )
        if case.is_open and case.due_at is not None and case.due_at <= now:
            overdue.append(case.pk)

    for new_cases in _batches(work.cases_new, READ_AHEAD):
        theirs = Customer.objects.in_bulk(
            {customer_ids[new.customer_id] for new in new_cases if new.customer_id}
        )
        writer.write_all(
            [
                (new, theirs[customer_ids[new.customer_id]] if new.customer_id else None)
                for new in new_cases
            ],
            case_new,
        )

    def case_finished(entry: tuple[Case, str, datetime]) -> None:
        case, status, closed_at = entry
        case_import_finished(case=case, status=status, closed_at=closed_at, actor=actor)

    for finished in _batches(work.cases_finished_since, READ_AHEAD):
        open_cases = Case.objects.in_bulk([case_id for case_id, _, _ in finished])
        writer.write_all(
            [(open_cases[case_id], status, at) for case_id, status, at in finished], case_finished
        )
    audit_record(
        organisation=organisation,
        subject_type="organisation",
        subject_id=organisation.pk,
        action="legacy_imported",
        actor=actor,
        after={
            "customers_new": work.plan.customers_new,
            "customers_with_new_details": work.plan.customers_with_new_details,
            "cases_new": work.plan.cases_new,
            "cases_finished_since": work.plan.cases_finished_since,
        },
    )
    return LegacyImportResult(
        plan=work.plan,
        overdue=len(overdue),
        transactions=writer.count,
        longest_transaction_seconds=writer.longest,
    )


# Working out what to do


@dataclass(frozen=True)
class _NewCustomer:
    legacy_id: str
    details: CustomerDetails


@dataclass(frozen=True)
class _NewCase:
    customer_id: str  # the old system's id, or empty
    details: CaseImport


@dataclass
class _Work:
    plan: LegacyPlan
    known_customers: dict[str, int]  # old id -> customer, of those brought over before
    customers_new: list[_NewCustomer] = field(default_factory=list)
    customers_new_details: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)
    cases_new: list[_NewCase] = field(default_factory=list)
    cases_finished_since: list[tuple[int, str, datetime]] = field(default_factory=list)


def _work_out(
    organisation: Organisation,
    customer_lines: Sequence[LegacyLine],
    case_lines: Sequence[LegacyLine],
    now: datetime,
) -> _Work:
    problems: list[LegacyProblem] = []
    customers: dict[str, tuple[int, CustomerDetails]] = {}
    for line in customer_lines:
        legacy_id, details, found = _customer_read(line)
        if legacy_id in customers:
            found["id"] = f"{legacy_id} is also the id on line {customers[legacy_id][0]}"
        problems += [
            LegacyProblem("customers", line.line, column, message)
            for column, message in found.items()
        ]
        if legacy_id and legacy_id not in customers:
            customers[legacy_id] = (line.line, details)
    services = _services_by_name(organisation)
    cases: dict[str, tuple[int, str, CaseImport]] = {}
    wanted_customers = set(customers)
    for line in case_lines:
        customer_id, case, wrong = _case_read(line, organisation, services, now)
        key = legacy_reference_key(case.legacy_reference)
        if key in cases:
            wrong["reference"] = (
                f"{case.legacy_reference} is also the reference on line {cases[key][0]}"
            )
        problems += [
            LegacyProblem("cases", line.line, column, message) for column, message in wrong.items()
        ]
        if key and key not in cases:
            cases[key] = (line.line, customer_id, case)
        wanted_customers.add(customer_id)
    wanted_customers.discard("")
    known_customers = _customers_brought_over(organisation, wanted_customers)
    for line_number, customer_id, _ in cases.values():
        if customer_id and customer_id not in customers and customer_id not in known_customers:
            problems.append(
                LegacyProblem(
                    "cases",
                    line_number,
                    "customer_id",
                    f"there is no customer {customer_id} in the customers file, and none was "
                    "brought over before",
                )
            )
    if not customer_lines and not case_lines:
        problems.append(LegacyProblem("files", 0, "", "there is nothing to import"))
    if problems:
        raise LegacyImportRefused(sorted(problems, key=lambda p: (p.file != "customers", p.line)))
    return _work_planned(organisation, customers, cases, known_customers)


def _work_planned(
    organisation: Organisation,
    customers: dict[str, tuple[int, CustomerDetails]],
    cases: dict[str, tuple[int, str, CaseImport]],
    known_customers: dict[str, int],
) -> _Work:
    held = _details_held(set(known_customers.values()))
    work = _Work(plan=LegacyPlan(0, 0, 0, 0, 0, 0), known_customers=known_customers)
    unchanged_customers = 0
    for legacy_id, (_, details) in customers.items():
        customer_id = known_customers.get(legacy_id)
        if customer_id is None:
            work.customers_new.append(_NewCustomer(legacy_id, details))
            continue
        wanted: list[tuple[str, str]] = [(DetailKind.EMAIL, email) for email in details.emails]
        wanted += [(DetailKind.PHONE, phone) for phone in details.phones]
        have = set(held.get(customer_id, set()))
        new = []
        for kind, value in wanted:
            if (kind, _normalised(kind, value)) not in have:
                have.add((kind, _normalised(kind, value)))
                new.append((kind, value))
        if new:
            work.customers_new_details.append((customer_id, new))
        else:
            unchanged_customers += 1
    existing = _cases_brought_over(organisation, set(cases))
    unchanged_cases = 0
    for key, (_, owner, case) in cases.items():
        found = existing.get(key)
        if found is None:
            work.cases_new.append(_NewCase(owner, case))
        elif found[1] in OPEN_STATUSES and case.closed_at is not None:
            work.cases_finished_since.append((found[0], case.status, case.closed_at))
        else:
            unchanged_cases += 1
    work.plan = LegacyPlan(
        customers_new=len(work.customers_new),
        customers_with_new_details=len(work.customers_new_details),
        customers_unchanged=unchanged_customers,
        cases_new=len(work.cases_new),
        cases_finished_since=len(work.cases_finished_since),
        cases_unchanged=unchanged_cases,
    )
    return work


def _customer_read(line: LegacyLine) -> tuple[str, CustomerDetails, dict[str, str]]:
    """The old id and details on a customers line, and what is wrong with them by column."""
    problems: dict[str, str] = {}
    legacy_id = line.get("id")
    if not legacy_id:
        problems["id"] = "the customer's id in the old system is missing"
    elif len(legacy_id) > 60:
        problems["id"] = "the id is longer than 60 characters"
    for column, limit in _LENGTHS.items():
        if len(line.get(column)) > limit:
            problems[column] = f"longer than {limit} characters"
    postcode = line.get("postcode")
    if postcode and not looks_like_postcode(postcode):
        # The value itself stays out of the report: it is personal data.
        problems["postcode"] = "this is not a UK postcode, like TF1 1AA"
    uprn = line.get("uprn")
    if uprn and not _UPRN.fullmatch(uprn):
        problems["uprn"] = "a UPRN is a number of up to 12 digits"
    named = bool(line.get("first_name") or line.get("last_name"))
    emails, phones = _several(line.get("email")), _several(line.get("phone"))
    details = CustomerDetails(
        kind=CustomerKind.BUSINESS
        if line.get("business_name") and not named
        else CustomerKind.PERSON,
        title=line.get("title"),
        first_name=line.get("first_name"),
        last_name=line.get("last_name"),
        business_name=line.get("business_name"),
        address_line_1=line.get("address_line_1"),
        address_line_2=line.get("address_line_2"),
        town=line.get("town"),
        postcode=postcode,
        uprn=uprn,
        emails=emails,
        phones=phones,
        preferred_channel=(
            PreferredChannel.EMAIL
            if emails
            else PreferredChannel.LETTER
            if line.get("address_line_1") and postcode
            else PreferredChannel.PHONE
            if phones
            else PreferredChannel.LETTER
        ),
    )
    for name, message in customer_details_problems(details).items():
        column = {"emails": "email", "phones": "phone", "last_name": "name"}.get(name, name)
        if column == "name":
            message = "give a first_name, last_name or business_name"
        problems.setdefault(column, _lower_first(message))
    return legacy_id, details, problems


def _case_read(
    line: LegacyLine,
    organisation: Organisation,
    services: Mapping[str, list[RequestType]],
    now: datetime,
) -> tuple[str, CaseImport, dict[str, str]]:
    """The old customer id and the case on a cases line, and what is wrong by column."""
    problems: dict[str, str] = {}
    reference = line.get("reference")
    if not reference:
        problems["reference"] = "the case's reference in the old system is missing"
    elif len(reference) > 60:
        problems["reference"] = "the reference is longer than 60 characters"
    elif not legacy_reference_key(reference):
        problems["reference"] = f"'{reference}' has no letters or digits"
    service, problem = _service_of(line.get("service"), services)
    if problem:
        problems["service"] = problem
    status = _status_of(line.get("status"))
    if status is None:
        problems["status"] = (
            f"'{line.get('status')}' is not a status: use one of "
            f"{', '.join(str(s) for s in IMPORTED_STATUSES)}"
        )
    received = _moment_of(line.get("received"), at=organisation.opens, now=now)
    if isinstance(received, str):
        problems["received"] = received
    closed = (
        _moment_of(line.get("closed"), at=organisation.closes, now=now)
        if line.get("closed")
        else None
    )
    if isinstance(closed, str):
        problems["closed"] = closed
    if status in FINISHED_STATUSES and closed is None and "closed" not in problems:
        problems["closed"] = f"a {status} case needs the date it was closed"
    if status in OPEN_STATUSES and line.get("closed"):
        problems["closed"] = f"a case that is {status} has not been closed: leave it empty"
    if isinstance(received, datetime) and isinstance(closed, datetime) and closed < received:
        problems["closed"] = "it was closed before it was received"
    priority = line.get("priority").lower()
    if priority and priority not in Priority.values:
        problems["priority"] = f"'{priority}' is not a priority: use emergency, urgent or standard"
    channel = _channel_of(line.get("channel"))
    if channel is None:
        problems["channel"] = (
            f"'{line.get('channel')}' is not a way in: use one of {', '.join(Channel.values)}"
        )
    if len(line.get("location")) > 300:
        problems["location"] = "longer than 300 characters"
    details = CaseImport(
        request_type_key=service.key if service else "",
        channel=channel or Channel.PHONE,
        legacy_reference=reference,
        received_at=received if isinstance(received, datetime) else now,
        status=status or CaseStatus.NEW,
        closed_at=closed if isinstance(closed, datetime) else None,
        priority=priority or None,
        description=line.get("description"),
        location_text=line.get("location"),
        notes=line.get("notes"),
    )
    return line.get("customer_id"), details, problems


def _services_by_name(organisation: Organisation) -> dict[str, list[RequestType]]:
    """The organisation's services by key and by name, written plainly."""
    services: dict[str, list[RequestType]] = {}
    for request_type in RequestType.objects.filter(organisation=organisation).order_by("pk"):
        for name in {request_type.key.lower(), _plain(request_type.name)}:
            services.setdefault(name, []).append(request_type)
    return services


def _service_of(
    text: str, services: Mapping[str, list[RequestType]]
) -> tuple[RequestType | None, str]:
    if not text:
        return None, "the service is missing"
    found = services.get(_plain(text), [])
    by_key = [request_type for request_type in found if request_type.key == text.lower()]
    found = by_key or found
    if not found:
        return None, (
            f"there is no service '{text}' in the catalogue: give a service's name or key as "
            "the catalogue has it"
        )
    if len(found) > 1:
        return None, f"more than one service is called '{text}': give its key instead"
    request_type = found[0]
    if not request_type.opens_cases:
        return None, f"{request_type.name} is information only: it has no cases"
    if not request_type.active:
        return None, (
            f"{request_type.name} is retired: bring it back in the catalogue to import its cases"
        )
    return request_type, ""


def _status_of(text: str) -> str | None:
    plain = _plain(text)
    status = _STATUS_WORDS.get(plain, plain.replace(" ", "_"))
    return status if status in IMPORTED_STATUSES else None


def _channel_of(text: str) -> str | None:
    if not text:
        return Channel.PHONE
    plain = _plain(text).replace(" ", "_").replace("-", "_")
    return plain if plain in Channel.values else None


def _moment_of(text: str, *, at: clock_time, now: datetime) -> datetime | str:
    """The moment a date (and perhaps time) in the file names, in UK time; a date alone is at
    ``at`` that day. A string says what is wrong."""
    if not text:
        return "the date is missing"
    moment = _moment_parsed(text, at=at)
    if moment is None:
        return f"'{text}' is not a date: write it like 2025-03-31 or 31/03/2025"
    if moment > now + timedelta(minutes=5):
        return f"{text} is in the future"
    return moment


def _moment_parsed(text: str, *, at: clock_time) -> datetime | None:
    try:
        if _ISO_DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), at, tzinfo=LONDON)
        moment = datetime.fromisoformat(text)
    except ValueError:
        uk = _UK_DATE.fullmatch(text)
        if uk is None:
            return None
        day, month, year, hour, minute, second = (int(part or 0) for part in uk.groups())
        try:
            day_of = date(year, month, day)
            moment = (
                datetime.combine(day_of, clock_time(hour, minute, second))
                if uk.group(4)
                else datetime.combine(day_of, at)
            )
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LONDON)


def _customers_brought_over(organisation: Organisation, legacy_ids: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _batches(sorted(legacy_ids), _IN_CLAUSE):
        found.update(
            LegacyCustomer.objects.filter(
                organisation=organisation, legacy_id__in=chunk
            ).values_list("legacy_id", "customer_id")
        )
    return found


def _cases_brought_over(organisation: Organisation, keys: set[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in _batches(sorted(keys), _IN_CLAUSE):
        for key, case_id, status in Case.objects.filter(
            organisation=organisation, legacy_reference_key__in=chunk
        ).values_list("legacy_reference_key", "pk", "status"):
            found[key] = (case_id, status)
    return found


def _details_held(customer_ids: set[int]) -> dict[int, set[tuple[str, str]]]:
    held: dict[int, set[tuple[str, str]]] = {}
    for chunk in _batches(sorted(customer_ids), _IN_CLAUSE):
        for customer_id, kind, normalised in ContactDetail.objects.filter(
            customer_id__in=chunk
        ).values_list("customer_id", "kind", "normalised"):
            held.setdefault(customer_id, set()).add((kind, normalised))
    return held


def _normalised(kind: str, value: str) -> str:
    return normalise_email(value) if kind == DetailKind.EMAIL else normalise_phone(value)


def _several(text: str) -> list[str]:
    return [value.strip() for value in text.split(";") if value.strip()]


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def _batches(items: Sequence[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class _ShortTransactions:
    """Writes lines in transactions that take no more lines once they have been open for
    ``seconds``, and keeps how long the longest was open."""

    def __init__(self, *, seconds: float) -> None:
        self.seconds = seconds
        self.count = 0
        self.longest = 0.0

    def write_all(self, items: Sequence[_T], write: Callable[[_T], None]) -> None:
        position = 0
        while position < len(items):
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    while position < len(items):
                        write(items[position])
                        position += 1
                        if time.perf_counter() - started >= self.seconds:
                            break
            finally:
                self.count += 1
                self.longest = max(self.longest, time.perf_counter() - started)
