"""A year of demo contacts and cases for one council, written with bulk inserts.

Every case gets its reference from ``reference_generate``, its charter target from
``charter_target_for`` and its due dates from ``charter_deadlines``, exactly as a case opened
through the services would. Cases older than their timescale are mostly closed, some late; a
few were logged and never finished, so they are open and overdue; some are waiting for the
customer with the clock paused. Contacts include the one that raised each case, chasers about
open or late cases, failure demand after a job was closed badly, officers' calls, and many
questions, payments and signposts that never needed a case.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from django.contrib.auth.models import User

from civicdesk.cases.choices import CaseKind, CaseStatus, ClockState
from civicdesk.cases.clock import charter_deadlines, clock_state_at
from civicdesk.cases.models import Case
from civicdesk.cases.public_words import public_words
from civicdesk.catalogue.choices import QuestionKind, RequestKind
from civicdesk.catalogue.models import Question, RequestType
from civicdesk.catalogue.selectors import charter_target_for
from civicdesk.contacts.choices import AVOIDABLE_REASONS, ContactOutcome, ContactReason, Direction
from civicdesk.contacts.models import Contact
from civicdesk.contacts.services import REPEAT_WINDOW
from civicdesk.core.calendar import LONDON, TimeUnit, local_date
from civicdesk.core.choices import Channel, Priority
from civicdesk.core.models import AuditEvent
from civicdesk.core.references import reference_generate
from civicdesk.organisations.models import Organisation, Team

from . import places
from .demand import demand_read
from .phrasings import phrasings_read
from .residents import Area, Home, Residents

_Choice = TypeVar("_Choice")

BATCH = 1000
LATE_SHARE = 0.18
STUCK_EVERY = 80  # one in this many older cases was logged and never finished
WAITING_EVERY = 6  # one in this many open cases is waiting for the customer
DUPLICATE_SHARE = 0.06
REOPEN_SHARE = 0.05
FAILURE_SHARE = 0.03
OUTBOUND_SHARE = 0.04
OUT_OF_HOURS = (*range(0, 9), *range(17, 24))


@dataclass(frozen=True)
class Volumes:
    contacts: int
    cases: int


@dataclass
class Staffing:
    advisers: list[User]
    officers: dict[int, list[User]]
    on_call: Team | None


@dataclass
class _Draft:
    case: Case
    customer: int | None
    handled_by: User | None
    reopened_at: datetime | None = None
    duplicate_of: _Draft | None = None
    events: list[tuple[datetime, str, dict[str, Any]]] = field(default_factory=list)


def history_create(
    *,
    organisation: Organisation,
    residents: Residents,
    area: Area,
    staffing: Staffing,
    volumes: Volumes,
    signposts: tuple[str, ...],
    now: datetime,
    rng: random.Random,
) -> dict[str, int]:
    history = _History(organisation, residents, area, staffing, signposts, now, rng)
    return history.write(volumes)


class _History:
    def __init__(
        self,
        organisation: Organisation,
        residents: Residents,
        area: Area,
        staffing: Staffing,
        signposts: tuple[str, ...],
        now: datetime,
        rng: random.Random,
    ) -> None:
        self.organisation = organisation
        self.calendar = organisation.calendar
        self.residents = residents
        self.area = area
        self.staffing = staffing
        self.signposts = signposts
        self.now = now
        self.rng = rng
        self.demand = demand_read()
        self.phrasings = phrasings_read()
        self.last_day = local_date(now)
        self.first_day = self.last_day - timedelta(days=364)
        self._deadline_cache: dict[tuple[datetime, int, TimeUnit], tuple[datetime, datetime]] = {}
        self._channel_mixes: dict[tuple[str, date, bool], tuple[list[str], list[float]]] = {}
        # A two-tier council's catalogue also lists the other tier's services, for residents
        # to find; their cases and questions are the other council's, so its year has none.
        self.types = {
            request_type.key: request_type
            for request_type in RequestType.objects.filter(organisation=organisation, active=True)
            .select_related("service_area__team")
            .prefetch_related("charter_targets", "questions")
            if organisation.provides(request_type.provider_tier)
        }

    def write(self, volumes: Volumes) -> dict[str, int]:
        drafts = self._cases(volumes.cases)
        duplicates = self._mark_duplicates(drafts)
        cases = [draft.case for draft in drafts]
        for case, reference in zip(cases, self._references(len(cases)), strict=True):
            case.reference = reference
        Case.objects.bulk_create(cases, batch_size=BATCH)
        for draft in duplicates:
            assert draft.duplicate_of is not None
            draft.case.duplicate_of_id = draft.duplicate_of.case.pk
        Case.objects.bulk_update([draft.case for draft in duplicates], ["duplicate_of"])
        contacts = self._case_contacts(drafts)
        contacts += self._enquiries(max(0, volumes.contacts - len(contacts)))
        _mark_repeats(contacts)
        Contact.objects.bulk_create(contacts, batch_size=BATCH)
        events = self._audit_events(drafts)
        AuditEvent.objects.bulk_create(events, batch_size=BATCH)
        return {"cases": len(cases), "contacts": len(contacts), "audit_events": len(events)}

    # Planning the year

    def _plan(self, weights: dict[str, float], total: int) -> list[tuple[date, str]]:
        """(day, service) pairs, one per contact, following the weekly and seasonal pattern."""
        cells: list[tuple[date, str, float]] = []
        for offset in range(365):
            day = self.first_day + timedelta(days=offset)
            factor = self._day_factor(day)
            for key, weight in weights.items():
                season = self.demand.seasons.get(key)
                cells.append((day, key, weight * factor * (season[day.month - 1] if season else 1)))
        scale = total / sum(weight for _, _, weight in cells)
        plan: list[tuple[date, str]] = []
        for day, key, weight in cells:
            expected = weight * scale
            count = math.floor(expected) + (self.rng.random() < expected % 1)
            plan.extend([(day, key)] * count)
        return plan

    def _day_factor(self, day: date) -> float:
        if day.weekday() < 5 and not self.calendar.is_working_day(day):
            return self.demand.bank_holiday_factor
        return self.demand.day_factors[day.weekday()]

    def _channel(self, key: str, day: date, *, emergency: bool) -> str:
        mix = self._channel_mixes.get((key, day, emergency))
        if mix is None:
            mix = self._channel_mixes[key, day, emergency] = self._channel_mix(key, day, emergency)
        channels, cumulative = mix
        if not channels:
            return Channel.WEB
        return self.rng.choices(channels, cum_weights=cumulative)[0]

    def _channel_mix(self, key: str, day: date, emergency: bool) -> tuple[list[str], list[float]]:
        """The channels open on ``day`` and their cumulative weights for a service."""
        progress = (day - self.first_day).days / 365
        open_day = self.calendar.is_working_day(day)
        affinity = self.demand.channel_affinity.get(key, {})
        channels: list[str] = []
        weights: list[float] = []
        for use in self.demand.channels:
            channel, start = use.channel, use.share_at_start
            out_of_hours_line = emergency and channel == Channel.PHONE
            if not open_day and not use.online and not out_of_hours_line:
                continue
            weight = start + (use.share_at_end - start) * progress
            if weight * affinity.get(channel, 1.0) > 0:
                channels.append(channel)
                weights.append(weight * affinity.get(channel, 1.0))
        return channels, list(itertools.accumulate(weights))

    def _moment(self, day: date, channel: str, *, emergency: bool = False) -> datetime:
        rng = self.rng
        open_day = self.calendar.is_working_day(day)
        if channel in self.demand.online_channels:
            hour = _weighted(rng, self.demand.online_hours)
        elif emergency and channel == Channel.PHONE and (not open_day or rng.random() < 0.25):
            hour = rng.choice(OUT_OF_HOURS)
        else:
            hour = _weighted(rng, self.demand.staffed_hours)
        moment = time(hour, rng.randrange(60), rng.randrange(60))
        # In UTC, as timezone.now() gives the services: the calendar counts calendar hours as
        # real time only when the start is not on the London clock.
        return datetime.combine(day, moment, tzinfo=LONDON).astimezone(UTC)

    def _day_between(self, start: datetime, end: datetime) -> date:
        return local_date(start + (end - start) * self.rng.random())

    # Cases

    def _cases(self, total: int) -> list[_Draft]:
        weights = {
            key: service.cases
            for key, service in self.demand.services.items()
            if service.cases > 0 and key in self.types
        }
        drafts = [self._case(day, key) for day, key in self._plan(weights, total)]
        drafts = sorted(
            (draft for draft in drafts if draft.case.opened_at < self.now),
            key=lambda draft: draft.case.opened_at,
        )
        open_count = 0
        for position, draft in enumerate(drafts):
            open_count += self._lifecycle(draft, position, open_count)
        return drafts

    def _case(self, day: date, key: str) -> _Draft:
        rng = self.rng
        request_type = self.types[key]
        priority = self._priority(key, request_type.emergency)
        urgent = priority in (Priority.EMERGENCY, Priority.URGENT)
        emergency = request_type.emergency or priority == Priority.EMERGENCY
        channel = self._channel(key, day, emergency=emergency)
        opened_at = self._moment(day, channel, emergency=emergency)
        customer = None
        if rng.random() >= self.demand.services[key].anonymous_share:
            customer = (
                self.residents.pick_business(rng)
                if key == "business-rates"
                else self.residents.pick(rng)
            )
        home = self.residents.homes[customer] if customer is not None else self.area.home(rng)
        answers, point, place = self._answers(request_type, urgent, home, customer, opened_at)
        description = rng.choice(self.phrasings.case_descriptions.get(key, ("",)))
        case = Case(
            organisation=self.organisation,
            kind=CaseKind.COMPLAINT
            if request_type.kind == RequestKind.COMPLAINT
            else CaseKind.REQUEST,
            request_type=request_type,
            customer=self.residents.customers[customer] if customer is not None else None,
            channel=channel,
            priority=priority,
            team=self._team(request_type, opened_at),
            description=description,
            public_description=public_words(description),
            answers=answers,
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            location_text=place,
            opened_at=opened_at,
        )
        return _Draft(case=case, customer=customer, handled_by=self._handler(case))

    def _priority(self, key: str, emergency: bool) -> str:
        mix = self.demand.priority_mix.get(key)
        if mix is None:
            return Priority.EMERGENCY if emergency else Priority.STANDARD
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    def _team(self, request_type: RequestType, opened_at: datetime) -> Team | None:
        """The service area's team; an emergency out of hours goes to the on-call team."""
        on_call = self.staffing.on_call
        if request_type.emergency and on_call and not self.calendar.is_working_moment(opened_at):
            return on_call
        return request_type.service_area.team

    def _handler(self, case: Case) -> User | None:
        if case.channel in self.demand.online_channels - {Channel.EMAIL, Channel.SOCIAL}:
            return None
        if case.team is not None and case.team == self.staffing.on_call:
            return self.rng.choice(self.staffing.officers[case.team.pk])
        return self.rng.choice(self.staffing.advisers)

    def _answers(
        self,
        request_type: RequestType,
        urgent: bool,
        home: Home,
        customer: int | None,
        opened_at: datetime,
    ) -> tuple[dict[str, Any], tuple[float, float] | None, str]:
        answers: dict[str, Any] = {}
        point: tuple[float, float] | None = None
        place = ""
        for question in request_type.questions.all():
            if question.kind == QuestionKind.LOCATION:
                location, point = self._location(question, home)
                place = location.get("description") or location.get("address", "")
                answers[question.key] = location
                continue
            value = self._answer(request_type.key, question, urgent, home, customer, opened_at)
            if value is not None:
                answers[question.key] = value
        return answers, point, place

    def _location(
        self, question: Question, home: Home
    ) -> tuple[dict[str, Any], tuple[float, float]]:
        rng = self.rng
        if question.key == "address":
            address = f"{rng.randint(1, 150)} {home.street}, {home.town}"
            point = (home.latitude, home.longitude)
            return {
                "latitude": point[0],
                "longitude": point[1],
                "address": address,
                "postcode": home.postcode,
            }, point
        point = self.area.point_near(rng, home.latitude, home.longitude, 0.006)
        where = rng.choice(("Outside", "Near", "Opposite", "Behind"))
        description = f"{where} {rng.randint(1, 150)} {home.street}, {home.town}"
        return {"latitude": point[0], "longitude": point[1], "description": description}, point

    def _answer(
        self,
        key: str,
        question: Question,
        urgent: bool,
        home: Home,
        customer: int | None,
        opened_at: datetime,
    ) -> Any:
        rng = self.rng
        if not question.required and rng.random() < 0.5:
            return None
        if (key, question.key) in self.phrasings.answers_by_urgency:
            return self.phrasings.answers_by_urgency[key, question.key][0 if urgent else 1]
        opened = local_date(opened_at)
        if question.kind == QuestionKind.CHOICE:
            return rng.choice(question.choices)
        if question.kind == QuestionKind.NUMBER:
            low = question.minimum or 0
            high = question.maximum if question.maximum is not None else low + 10
            return rng.randint(low, min(high, low + max(3, (high - low) // 5)))
        if question.kind == QuestionKind.DATE:
            if question.key == "child-dob":
                return (opened - timedelta(days=rng.randint(4 * 365, 11 * 365))).isoformat()
            return (opened - timedelta(days=rng.randint(0, 10))).isoformat()
        if question.kind == QuestionKind.FILE:
            return None
        return self._text_answer(question, home, customer)

    def _text_answer(self, question: Question, home: Home, customer: int | None) -> str | None:
        rng = self.rng
        letters = "ABCDEFGHJKLMNOPRSTUVWXY"
        generated: dict[str, Callable[[], str]] = {
            "registration": lambda: (
                f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(10, 74)} "
                f"{''.join(rng.choices(letters, k=3))}"
            ),
            "pcn": lambda: f"TW{rng.randint(10_000_000, 99_999_999)}",
            "account-number": lambda: f"{rng.randint(10_000_000, 99_999_999)}",
            "postcode": lambda: home.postcode,
            "new-address": lambda: f"{rng.randint(1, 150)} {rng.choice(places.STREETS)}",
            "old-address": lambda: f"{rng.randint(1, 150)} {home.street}, {home.town}",
            "property": lambda: f"{rng.randint(1, 80)} High Street, {home.town}",
            "account-email": lambda: self._email_of(customer),
        }
        if question.key in generated:
            return generated[question.key]()
        if question.key in self.phrasings.text_answers:
            return rng.choice(self.phrasings.text_answers[question.key])
        return None

    def _email_of(self, customer: int | None) -> str:
        email = self.residents.emails[customer] if customer is not None else ""
        return email or "not known"

    def _lifecycle(self, draft: _Draft, position: int, open_count: int) -> int:
        """Move the case to where it stands today. Returns 1 if it is still open."""
        rng, case = self.rng, draft.case
        target = charter_target_for(
            request_type=case.request_type, priority=case.priority, channel=case.channel
        )
        if target is not None:
            case.target_amount, case.target_unit = target.amount, target.unit
            case.target_summary = target.summary
            self._start_clock(case, case.opened_at)
        if case.due_at is not None:
            span = max(case.due_at - case.opened_at, timedelta(hours=1))
        else:
            span = timedelta(days=rng.uniform(1, 15))
        late = rng.random() < LATE_SHARE
        finish = case.opened_at + span * (
            rng.uniform(1.05, 2.5) if late else rng.uniform(0.1, 0.97)
        )
        stuck = case.opened_at < self.now - timedelta(days=30) and position % STUCK_EVERY == 5
        officer = self._officer(case.team)
        draft.events.append((case.opened_at, "opened", self._opened_after(case)))
        if not stuck and finish <= self.now:
            self._finish(draft, finish, officer)
            return 0
        if case.due_at is not None and open_count % WAITING_EVERY == 1:
            case.status = CaseStatus.WAITING
            case.paused_at = case.opened_at + (min(self.now, case.due_at) - case.opened_at) * (
                rng.uniform(0.3, 0.9)
            )
            case.clock_state = ClockState.PAUSED
            case.assigned_to = officer
            draft.events.append((case.paused_at, "status_changed", _status(case)))
            return 1
        if self.now - case.opened_at < timedelta(days=1) and rng.random() < 0.7:
            case.status = CaseStatus.NEW
        else:
            case.status = rng.choice((CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS))
            case.assigned_to = officer
            assigned_at = case.opened_at + timedelta(minutes=rng.randint(10, 240))
            draft.events.append((min(assigned_at, self.now), "assigned", _status(case)))
        self._flag(case)
        return 1

    def _start_clock(self, case: Case, start: datetime) -> None:
        assert case.target_amount is not None
        case.clock_started_at = start
        case.due_at, case.due_soon_at = self._deadlines(start, case.target_amount, case.target_unit)

    def _deadlines(self, start: datetime, amount: int, unit_name: str) -> tuple[datetime, datetime]:
        """``charter_deadlines``, remembered. Working time only starts counting when the council
        opens, so every case opened while it is closed shares the deadlines of that opening."""
        unit = TimeUnit(unit_name)
        key = (self.calendar.next_working_moment(start), amount, unit)
        if not unit.counts_working_time or key not in self._deadline_cache:
            deadlines = charter_deadlines(
                organisation=self.organisation, amount=amount, unit=unit, start=start
            )
            if not unit.counts_working_time:
                return deadlines
            self._deadline_cache[key] = deadlines
        return self._deadline_cache[key]

    def _finish(self, draft: _Draft, finish: datetime, officer: User | None) -> None:
        rng, case = self.rng, draft.case
        case.assigned_to = officer
        case.resolved_at = finish
        closed_at = finish + timedelta(hours=rng.uniform(0, 72))
        case.status = CaseStatus.CLOSED if closed_at <= self.now else CaseStatus.RESOLVED
        case.closed_at = closed_at if case.status == CaseStatus.CLOSED else None
        case.clock_state = ClockState.STOPPED if case.due_at else ClockState.NO_TARGET
        draft.events.append((case.closed_at or finish, "status_changed", _status(case)))
        recent = self.now - timedelta(days=40)
        if case.closed_at is None or case.closed_at < recent or rng.random() >= REOPEN_SHARE:
            return
        reopened_at = case.closed_at + timedelta(hours=rng.uniform(12, 120))
        if reopened_at >= self.now:
            return
        case.status = CaseStatus.REOPENED
        case.resolved_at = case.closed_at = None
        draft.reopened_at = reopened_at
        if case.target_amount is not None:
            self._start_clock(case, reopened_at)
        self._flag(case)
        draft.events.append((reopened_at, "status_changed", _status(case)))

    def _flag(self, case: Case) -> None:
        """Set the clock as the charter sweep would have left it by now."""
        if case.due_at is None:
            case.clock_state = ClockState.NO_TARGET
            return
        case.clock_state = clock_state_at(case, self.now)
        flagged = {ClockState.OVERDUE: case.due_at, ClockState.DUE_SOON: case.due_soon_at}
        case.clock_flagged_at = flagged.get(ClockState(case.clock_state))

    def _officer(self, team: Team | None) -> User | None:
        officers = self.staffing.officers.get(team.pk) if team is not None else None
        return self.rng.choice(officers) if officers else None

    def _opened_after(self, case: Case) -> dict[str, Any]:
        return {"status": CaseStatus.NEW, "team": case.team_id, "due_at": _iso(case.due_at)}

    def _mark_duplicates(self, drafts: list[_Draft]) -> list[_Draft]:
        """Close some reports as duplicates of one made a few days earlier at the same place."""
        rng = self.rng
        latest: dict[str, _Draft] = {}
        marked: list[_Draft] = []
        for draft in drafts:
            case = draft.case
            key = case.request_type.key
            if not self.demand.services[key].duplicate_prone or case.status != CaseStatus.CLOSED:
                continue
            original = latest.get(key)
            latest[key] = draft
            recent = original and case.opened_at - original.case.opened_at < timedelta(days=5)
            done_at = case.opened_at + timedelta(hours=rng.uniform(1, 4))
            if not original or not recent or rng.random() >= DUPLICATE_SHARE or done_at > self.now:
                continue
            case.latitude, case.longitude = original.case.latitude, original.case.longitude
            case.location_text = original.case.location_text
            case.answers = {**case.answers, "location": original.case.answers.get("location")}
            case.status = CaseStatus.CLOSED
            case.resolved_at = case.closed_at = done_at
            draft.events[1:] = [(done_at, "linked_duplicate", {"duplicate_of": "earlier report"})]
            draft.duplicate_of = original
            marked.append(draft)
        return marked

    def _references(self, count: int) -> list[str]:
        """Fresh references, none already used by any case in the database."""
        references: set[str] = set()
        while len(references) < count:
            wanted = count - len(references)
            fresh = {reference_generate() for _ in range(wanted)} - references
            for chunk in _chunks(sorted(fresh), 500):
                taken = set(
                    Case.objects.filter(reference__in=chunk).values_list("reference", flat=True)
                )
                references.update(set(chunk) - taken)
        return list(references)[:count]

    # Contacts

    def _case_contacts(self, drafts: list[_Draft]) -> list[Contact]:
        contacts: list[Contact] = []
        for draft in drafts:
            contacts.append(self._raising_contact(draft))
            contacts.extend(self._chasers(draft))
            contacts.extend(self._failure_demand(draft))
            if self.rng.random() < OUTBOUND_SHARE and draft.case.assigned_to is not None:
                contacts.extend(self._officer_call(draft))
        return contacts

    def _contact(
        self,
        draft: _Draft | None,
        *,
        channel: str,
        started_at: datetime,
        reason: str,
        outcome: str,
        summary: str,
        request_type: RequestType | None = None,
        customer: int | None = None,
        handled_by: User | None = None,
        direction: str = Direction.INBOUND,
        assisted: bool = False,
        signposted_to: str = "",
    ) -> Contact:
        case = draft.case if draft is not None else None
        if draft is not None:
            customer = draft.customer
        if case is not None:
            request_type = case.request_type
        # Ids rather than objects: tens of thousands of contacts are built here.
        return Contact(
            organisation_id=self.organisation.pk,
            customer_id=self.residents.customers[customer].pk if customer is not None else None,
            case_id=case.pk if case is not None else None,
            request_type_id=request_type.pk if request_type is not None else None,
            channel=channel,
            direction=direction,
            handled_by_id=handled_by.pk if handled_by is not None else None,
            started_at=started_at,
            duration_seconds=self._duration(channel),
            reason=reason,
            outcome=outcome,
            assisted=assisted,
            summary=summary,
            signposted_to=signposted_to,
        )

    def _duration(self, channel: str) -> int | None:
        talk_seconds = self.demand.talk_seconds.get(channel)
        if talk_seconds is None:
            return None
        low, high = talk_seconds
        return int(self.rng.triangular(low, high, low + (high - low) / 4))

    def _raising_contact(self, draft: _Draft) -> Contact:
        case = draft.case
        complaint = case.kind == CaseKind.COMPLAINT
        return self._contact(
            draft,
            channel=case.channel,
            started_at=case.opened_at,
            reason=ContactReason.COMPLAINT if complaint else ContactReason.NEW_REQUEST,
            outcome=ContactOutcome.CASE_CREATED,
            summary=case.request_type.name,
            handled_by=draft.handled_by,
            assisted=case.channel in (Channel.PHONE, Channel.FACE_TO_FACE)
            and self.rng.random() < 0.35,
        )

    def _chasers(self, draft: _Draft) -> list[Contact]:
        """Residents chase cases that run late far more than those that are on time."""
        rng, case = self.rng, draft.case
        if draft.customer is None or draft.duplicate_of is not None:
            return []
        late = case.due_at is not None and (case.resolved_at or self.now) > case.due_at
        chance = 0.6 if late else 0.1
        start = case.opened_at + timedelta(days=1)
        if late and case.due_at is not None:
            start = max(start, case.due_at)
        end = min(case.resolved_at or self.now, self.now)
        contacts: list[Contact] = []
        while end > start and rng.random() < chance and len(contacts) < 4:
            channel = _weighted(rng, self.demand.chasing_channels)
            day = self._day_between(start, end)
            if not self.calendar.is_working_day(day) and channel not in self.demand.online_channels:
                channel = Channel.EMAIL
            started_at = self._moment(day, channel)
            if start <= started_at < end:
                contacts.append(
                    self._contact(
                        draft,
                        channel=channel,
                        started_at=started_at,
                        reason=ContactReason.PROGRESS_CHASING,
                        outcome=ContactOutcome.LINKED_TO_CASE,
                        summary=f"Asked for an update on {case.reference}",
                        handled_by=rng.choice(self.staffing.advisers)
                        if channel in self.demand.staffed_channels
                        else None,
                    )
                )
        return contacts

    def _failure_demand(self, draft: _Draft) -> list[Contact]:
        rng, case = self.rng, draft.case
        if draft.customer is None:
            return []
        if draft.reopened_at is not None:
            at = draft.reopened_at
        elif case.closed_at is not None and rng.random() < FAILURE_SHARE:
            at = case.closed_at + timedelta(days=rng.uniform(1, 10))
        else:
            return []
        day = local_date(at)
        channel = Channel.PHONE if self.calendar.is_working_day(day) else Channel.WEB
        started_at = at
        if draft.reopened_at is None:
            started_at = self._moment(day, channel)
        elif not self.calendar.is_working_moment(at):
            channel = Channel.WEB
        if started_at >= self.now:
            return []
        key = case.request_type.key
        return [
            self._contact(
                draft,
                channel=channel,
                started_at=started_at,
                reason=ContactReason.FAILURE_DEMAND,
                outcome=ContactOutcome.LINKED_TO_CASE,
                summary=self.phrasings.failure_demand.get(
                    key, self.phrasings.failure_demand_otherwise
                ),
                handled_by=rng.choice(self.staffing.advisers) if channel == Channel.PHONE else None,
            )
        ]

    def _officer_call(self, draft: _Draft) -> list[Contact]:
        case = draft.case
        end = min(case.resolved_at or self.now, self.now)
        day = self._day_between(case.opened_at, end)
        if not self.calendar.is_working_day(day):
            return []
        started_at = self._moment(day, Channel.PHONE)
        if not case.opened_at < started_at < end:
            return []
        return [
            self._contact(
                draft,
                channel=Channel.PHONE,
                started_at=started_at,
                reason=ContactReason.OTHER,
                outcome=ContactOutcome.LINKED_TO_CASE,
                summary=self.rng.choice(self.phrasings.officer_calls),
                handled_by=case.assigned_to,
                direction=Direction.OUTBOUND,
            )
        ]

    def _enquiries(self, total: int) -> list[Contact]:
        weights = {key: self.demand.services[key].enquiries for key in self.types}
        weights[""] = self.demand.enquiries_about_other_things  # about nothing in the catalogue
        contacts: list[Contact] = []
        for day, key in self._plan(weights, total):
            contact = self._enquiry(day, self.types.get(key))
            if contact.started_at < self.now:
                contacts.append(contact)
        return contacts

    def _enquiry(self, day: date, request_type: RequestType | None) -> Contact:
        rng = self.rng
        key = request_type.key if request_type is not None else ""
        channel = self._channel(key, day, emergency=False)
        reason, outcome = self._enquiry_outcome(request_type, channel)
        anonymous = {ContactOutcome.ABANDONED: 0.8, ContactOutcome.SIGNPOSTED: 0.6}.get(
            ContactOutcome(outcome), 0.35
        )
        customer = None if rng.random() < anonymous else self.residents.pick(rng)
        signposted_to = ""
        if outcome == ContactOutcome.SIGNPOSTED:
            # The neighbouring council comes first in the list and is where most are sent.
            weights = [3.0] + [1.0] * (len(self.signposts) - 1)
            signposted_to = rng.choices(self.signposts, weights=weights)[0]
        transaction = request_type is not None and request_type.kind == RequestKind.TRANSACTION
        return self._contact(
            None,
            channel=channel,
            started_at=self._moment(day, channel),
            reason=reason,
            outcome=outcome,
            summary=_enquiry_summary(request_type, outcome, signposted_to),
            request_type=request_type,
            customer=customer,
            handled_by=rng.choice(self.staffing.advisers)
            if channel in self.demand.staffed_channels | {Channel.SOCIAL}
            else None,
            assisted=transaction and channel in self.demand.spoken_channels and rng.random() < 0.6,
            signposted_to=signposted_to,
        )

    def _enquiry_outcome(self, request_type: RequestType | None, channel: str) -> tuple[str, str]:
        rng = self.rng
        kind = request_type.kind if request_type is not None else None
        shares: dict[str | None, tuple[float, ...]] = {
            None: (0.3, 0.55, 0.05, 0.1),
            RequestKind.INFORMATION: (0.82, 0.05, 0.05, 0.08),
            RequestKind.TRANSACTION: (0.86, 0.02, 0.04, 0.08),
        }
        outcomes = shares.get(kind, (0.6, 0.1, 0.2, 0.1))
        outcome = rng.choices(
            (
                ContactOutcome.RESOLVED_FIRST_CONTACT,
                ContactOutcome.SIGNPOSTED,
                ContactOutcome.TRANSFERRED,
                ContactOutcome.ABANDONED,
            ),
            weights=outcomes,
        )[0]
        if outcome == ContactOutcome.ABANDONED and channel not in (Channel.PHONE, Channel.CHAT):
            outcome = ContactOutcome.RESOLVED_FIRST_CONTACT
        if kind == RequestKind.TRANSACTION:
            return ContactReason.NEW_REQUEST, outcome
        if kind in (None, RequestKind.INFORMATION):
            return ContactReason.INFORMATION, outcome
        reason = rng.choices(
            (
                ContactReason.INFORMATION,
                ContactReason.FEEDBACK,
                ContactReason.COMPLAINT,
                ContactReason.OTHER,
            ),
            weights=(0.8, 0.08, 0.04, 0.08),
        )[0]
        return reason, outcome

    # Audit trail

    def _audit_events(self, drafts: list[_Draft]) -> list[AuditEvent]:
        events: list[AuditEvent] = []
        for draft in drafts:
            case = draft.case
            for at, action, after in draft.events:
                if action == "linked_duplicate" and draft.duplicate_of is not None:
                    after = {"duplicate_of": draft.duplicate_of.case.reference}
                actor = draft.handled_by if action == "opened" else case.assigned_to
                events.append(
                    AuditEvent(
                        organisation_id=self.organisation.pk,
                        subject_type="case",
                        subject_id=case.pk,
                        action=action,
                        actor_id=actor.pk if actor is not None else None,
                        actor_label=_label(actor, action),
                        after=after,
                        at=at,
                    )
                )
        return events


def _mark_repeats(contacts: list[Contact]) -> None:
    """Flag repeat contacts by the same rule as ``contact_log``, over the whole year at once."""
    contacts.sort(key=lambda contact: contact.started_at)
    last_seen: dict[tuple[int, int], datetime] = {}
    for contact in contacts:
        if contact.direction != Direction.INBOUND:
            continue
        previous = None
        if contact.customer_id is not None and contact.request_type_id is not None:
            key = (contact.customer_id, contact.request_type_id)
            previous = last_seen.get(key)
            last_seen[key] = contact.started_at
        contact.is_repeat = (
            contact.reason in AVOIDABLE_REASONS
            or (contact.case_id is not None and contact.outcome != ContactOutcome.CASE_CREATED)
            or (previous is not None and contact.started_at - previous <= REPEAT_WINDOW)
        )


def _enquiry_summary(request_type: RequestType | None, outcome: str, signposted_to: str) -> str:
    about = request_type.name.lower() if request_type is not None else "something we do not do"
    if outcome == ContactOutcome.SIGNPOSTED:
        return f"Asked about {about}; signposted to {signposted_to}"
    if outcome == ContactOutcome.ABANDONED:
        return "Left the queue before an adviser answered"
    if outcome == ContactOutcome.TRANSFERRED and request_type is not None:
        return f"Put through to {request_type.service_area.name}"
    if request_type is not None and request_type.kind == RequestKind.TRANSACTION:
        return f"{request_type.name}: done while the customer was with us"
    return f"Question answered: {about}"


def _status(case: Case) -> dict[str, Any]:
    return {"status": case.status, "clock_state": case.clock_state, "due_at": _iso(case.due_at)}


def _label(user: User | None, action: str) -> str:
    if user is not None:
        return user.get_full_name() or user.get_username()
    return "self-service" if action == "opened" else "system"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _weighted(rng: random.Random, weights: Mapping[_Choice, float]) -> _Choice:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
