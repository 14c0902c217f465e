"""The load a council's CivicDesk sees, for Locust: residents, staff and other systems at once.

``bench/load/run.py`` runs it headless against gunicorn with the production settings; the plan
it reads (``LOAD_PLAN``, written by ``bench/load/prepare.py``) names the council, its services,
the cases residents track, the staff and the API keys.

Every simulated user stands behind the council's reverse proxy, as in production
(``TRUSTED_PROXY_HOPS=1``): each request says it arrived over HTTPS (``X-Forwarded-Proto``) and
names the address it came from (``X-Forwarded-For``). Each resident has an address of their
own, as residents at home do; the staff share their office's one address. So the sign-in and
rate limits count what they count in production, and nothing about them is turned off.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlsplit

import pyotp
from locust import HttpUser, between, constant_pacing, task
from requests.cookies import RequestsCookieJar

PLAN: dict[str, Any] = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
COUNCIL = PLAN["council"]
OFFICE_ADDRESS = "10.20.0.1"
# A place in the middle of Telford, where the council's streets are.
PLACE = (52.6784, -2.4453)
_numbers = itertools.count(1)
_numbers_lock = threading.Lock()


def next_number() -> int:
    with _numbers_lock:
        return next(_numbers)


class BehindTheProxy(RequestsCookieJar):
    """Keeps cookies marked Secure as plain ones, so that they go back over the plain HTTP
    between the proxy and gunicorn: to the server, the requests arrived over HTTPS."""

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


class Form(HTMLParser):
    """The fields of the first form on a page that posts (GOV.UK pages have one main form)."""

    def __init__(self, *, action_contains: str = "") -> None:
        super().__init__()
        self.action_contains = action_contains
        self.inside = False
        self.found = False
        self.action = ""
        self.fields: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.textareas: list[str] = []
        self.selects: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.found:
            action = attributes.get("action", "")
            # A form without an action posts back to the page itself.
            if attributes.get("method", "get").lower() == "post" and (
                not action or self.action_contains in action
            ):
                self.inside = self.found = True
                self.action = action
            return
        if not self.inside:
            return
        name = attributes.get("name", "")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind == "radio":
                self.radios.setdefault(name, []).append(attributes.get("value", ""))
            elif kind in {"checkbox", "file", "submit", "button"}:
                return
            else:
                self.fields[name] = attributes.get("value", "")
        elif tag == "textarea" and name:
            self.textareas.append(name)
            self.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.selects[name] = []
        elif tag == "option" and self._select is not None and attributes.get("value"):
            self.selects[self._select].append(attributes["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None


def form_of(html: str, *, action_contains: str = "") -> Form:
    form = Form(action_contains=action_contains)
    form.feed(html)
    return form


def resident_answer(name: str, value: str, number: int) -> str:
    """What a resident types into a field of the report journey."""
    if value:
        return value
    day = datetime.now(UTC) - timedelta(days=1)
    answers = {
        "-latitude": f"{PLACE[0] + random.uniform(-0.004, 0.004):.5f}",
        "-longitude": f"{PLACE[1] + random.uniform(-0.004, 0.004):.5f}",
        "-day": str(day.day),
        "-month": str(day.month),
        "-year": str(day.year),
        "-description": "Outside the shops on the High Street",
        "email": f"resident{number}@example.com",
        "phone": "07700 900123",
        "name": "Sam Resident",
        "postcode": "TF1 1AA",
    }
    for ending, answer in answers.items():
        if name.endswith(ending):
            return answer
    return "It has been like this since Monday and it is getting worse."


class CouncilUser(HttpUser):
    abstract = True
    address = OFFICE_ADDRESS

    def on_start(self) -> None:
        self.client.cookies = BehindTheProxy()
        host = urlsplit(str(self.host)).netloc
        self.client.headers.update(
            {
                "X-Forwarded-For": self.address,
                "X-Forwarded-Proto": "https",
                "Origin": f"https://{host}",
                "Referer": f"https://{host}/",
            }
        )

    def page(self, path: str, *, name: str, expect: int = 200, **kwargs: Any) -> str:
        """GET a page and return its HTML; any other status is a failure."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} from {name}")
                return ""
            return str(response.text)

    def send(self, path: str, data: dict[str, str], *, name: str, expect: int = 302) -> str:
        """POST a form; returns the Location it sends us on to (or the page, for 200)."""
        form = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        with self.client.post(
            path, data=form, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                detail = _error_summary(response.text) if response.status_code in {200, 400} else ""
                response.failure(f"{response.status_code} from {name} {detail}".strip())
                return ""
            if expect == 302:
                return str(response.headers.get("Location", ""))
            return str(response.text)


def _error_summary(html: str) -> str:
    found = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()[:200] if found else ""


class Resident(CouncilUser):
    """A resident at home: the council's pages, reporting a problem, tracking it, asking."""

    weight = 10
    wait_time = between(1, 4)

    def on_start(self) -> None:
        number = next_number()
        self.number = number
        self.address = f"100.{64 + number // 65536 % 64}.{number // 256 % 256}.{number % 256}"
        super().on_start()

    @task(6)
    def service_pages(self) -> None:
        self.page(f"/{COUNCIL}/", name="resident: council home")
        self.page(f"/{COUNCIL}/services/?q=bin", name="resident: search services")
        key = random.choice(PLAN["services"])
        self.page(f"/{COUNCIL}/services/{key}/", name="resident: service page")

    @task(2)
    def report(self) -> None:
        key = random.choice(PLAN["report_services"])
        location = self._go(f"/{COUNCIL}/report/{key}/", name="resident report: start")
        for _ in range(12):
            if not location:
                return
            step = _report_step(location)
            # Sent; or following a report someone made already; or told whose job it is.
            if step in {"sent", "following", "not-ours"}:
                self.page(location, name=f"resident report: {step}")
                return
            html = self.page(location, name=f"resident report: {step} page")
            form = form_of(html, action_contains="/report/")
            if not form.found:
                if html:
                    self.journey_failed(f"no form on the {step} page")
                return
            data = {
                name: resident_answer(name, value, self.number)
                for name, value in form.fields.items()
            }
            for name, options in form.radios.items():
                data[name] = options[0]
            for name, options in form.selects.items():
                data[name] = options[0] if options else ""
            if "anonymous" in data:
                data.pop("anonymous")
            location = self.send(
                form.action or location, data, name=f"resident report: {step} send"
            )

        self.journey_failed("not sent after 12 pages")

    def journey_failed(self, reason: str) -> None:
        self.environment.events.request.fire(
            request_type="CHECK",
            name="resident report: reached the end",
            response_time=0,
            response_length=0,
            exception=AssertionError(reason),
        )

    def _go(self, path: str, *, name: str) -> str:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code} from {name}")
                return ""
            return str(response.headers["Location"])

    @task(3)
    def track(self) -> None:
        case = random.choice(PLAN["tracking"])
        self.page(f"/{COUNCIL}/track/", name="resident: track form")
        html = self.send(
            f"/{COUNCIL}/track/",
            {"reference": case["reference"], "email_or_phone": case["email"]},
            name="resident: track a case",
            expect=200,
        )
        if html and case["reference"] not in html:
            self.environment.events.request.fire(
                request_type="CHECK",
                name="resident: track a case",
                response_time=0,
                response_length=0,
                exception=AssertionError("the case was not shown"),
            )

    @task(2)
    def ask(self) -> None:
        self.page(f"/{COUNCIL}/ask/", name="resident: Ask")
        question = random.choice(PLAN["ask_questions"])
        location = self.send(
            f"/{COUNCIL}/ask/", {"message": question}, name="resident: Ask a question"
        )
        if location:
            self.page(location, name="resident: Ask's answer")


def _report_step(location: str) -> str:
    parts = urlsplit(location).path.strip("/").split("/")
    # /<council>/report/<key>/<step>/[<question>/]
    return parts[3] if len(parts) > 3 else "start"


class Staff(CouncilUser):
    """A member of staff who signs in with both factors at the start of the shift."""

    abstract = True
    role = ""
    _taken: dict[str, itertools.count[int]] = {}

    def on_start(self) -> None:
        super().on_start()
        accounts = PLAN["staff"][self.role]
        counter = Staff._taken.setdefault(self.role, itertools.count())
        account = accounts[next(counter) % len(accounts)]
        self.sign_in(account)

    def sign_in(self, account: dict[str, str]) -> None:
        self.page("/staff/sign-in/", name="staff: sign-in page")
        sent = self.send(
            "/staff/sign-in/",
            {"username": account["username"], "password": account["password"]},
            name="staff: sign in (password)",
        )
        if not sent:
            return
        self.page("/staff/sign-in/code/", name="staff: sign-in code page")
        code = pyotp.TOTP(account["totp_secret"]).now()
        self.send("/staff/sign-in/code/", {"code": code}, name="staff: sign in (code)")


class Adviser(Staff):
    """The contact centre: finds the caller, reads their record, logs the call."""

    role = "adviser"
    fixed_count = 4
    wait_time = between(2, 5)

    @task
    def caller(self) -> None:
        customer = random.choice(PLAN["customers"])
        query = random.choice([customer["name"], customer["surname"], customer["postcode"]])
        self.page("/staff/", name="adviser: search", params={"q": query})
        self.page(f"/staff/customers/{customer['id']}/", name="adviser: customer view")
        path = f"/staff/customers/{customer['id']}/contacts/new/"
        self.page(path, name="adviser: log a contact form")
        self.send(
            path,
            {
                "channel": "phone",
                "reason": "information",
                "outcome": "resolved_first_contact",
                "summary": "Asked when the garden waste collections start again.",
            },
            name="adviser: log a contact",
        )


CASE_LINK = re.compile(r'href="(/staff/cases/[^/"]+/)"')


class Officer(Staff):
    """A service officer or team lead working through the team's queue."""

    role = "officer"
    fixed_count = 4
    wait_time = between(2, 5)

    @task
    def queue(self) -> None:
        html = self.page("/staff/queue/", name="officer: queue")
        cases = CASE_LINK.findall(html)
        for path in random.sample(cases, min(2, len(cases))):
            self.page(path, name="officer: case page")


class Manager(Staff):
    """A manager reading the dashboard."""

    role = "manager"
    fixed_count = 2
    wait_time = between(3, 8)

    @task(3)
    def dashboard(self) -> None:
        self.page("/staff/insight/", name="manager: dashboard")

    @task(1)
    def team_lead(self) -> None:
        self.page("/staff/team-lead/", name="manager: team lead view")


class FixMyStreet(CouncilUser):
    """FixMyStreet's Open311 client: polls for updates and its reports' states, sends reports."""

    fixed_count = 1
    wait_time = constant_pacing(2)
    address = "192.0.2.10"

    def on_start(self) -> None:
        super().on_start()
        self.sent: list[str] = [case["reference"] for case in PLAN["tracking"][:20]]
        self.key = {
            "jurisdiction_id": PLAN["open311"]["jurisdiction_id"],
            "api_key": PLAN["open311"]["api_key"],
        }

    @task(4)
    def updates(self) -> None:
        now = datetime.now(UTC)
        self.client.get(
            "/open311/v2/servicerequestupdates.xml",
            params={
                **self.key,
                "start_date": (now - timedelta(minutes=15)).isoformat(timespec="seconds"),
                "end_date": now.isoformat(timespec="seconds"),
            },
            name="Open311: poll updates",
        )

    @task(2)
    def states(self) -> None:
        ids = ",".join(random.sample(self.sent, min(10, len(self.sent))))
        self.client.get(
            "/open311/v2/requests.xml",
            params={**self.key, "service_request_id": ids},
            name="Open311: reports' states",
        )

    @task(1)
    def report(self) -> None:
        number = next_number()
        with self.client.post(
            "/open311/v2/requests.xml",
            data={
                **self.key,
                "service_code": "missed-bin",
                "lat": f"{PLACE[0]:.5f}",
                "long": f"{PLACE[1]:.5f}",
                "description": f"Recycling not collected (report {number})",
                "email": f"reporter{number}@example.com",
                "first_name": "Pat",
                "last_name": "Reporter",
                "attribute[bin]": "Recycling",
                "attribute[collection-date]": (datetime.now(UTC) - timedelta(days=1))
                .date()
                .isoformat(),
                "attribute[out-by-7am]": "Yes",
            },
            name="Open311: send a report",
            catch_response=True,
        ) as response:
            found = re.search(r"<service_request_id>([^<]+)<", response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            self.sent.append(found.group(1))


class BackOffice(CouncilUser):
    """The highways contractor's system posting its progress on cases."""

    fixed_count = 1
    wait_time = constant_pacing(1)
    address = "192.0.2.20"

    def on_start(self) -> None:
        super().on_start()
        self.client.headers["Authorization"] = f"Bearer {PLAN['back_office']['api_key']}"

    @task
    def update(self) -> None:
        reference = random.choice(PLAN["back_office"]["references"])
        update_id = uuid.uuid4().hex
        with self.client.post(
            f"/api/v1/cases/{reference}/updates",
            json={
                "update_id": update_id,
                "status": random.choice(["in_progress", "action_scheduled", "investigating"]),
                "description": "Crew booked for this week.",
                "reported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            headers={"Idempotency-Key": update_id},
            name="API: back-office update",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
