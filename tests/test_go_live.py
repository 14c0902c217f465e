"""A council goes live from an empty database, without a developer: it creates itself with its
boundary, imports its service catalogue and its staff, and residents can report at once."""

from __future__ import annotations

import json
import re
from html import unescape
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from civicdesk.cases.choices import OPEN_STATUSES
from civicdesk.cases.models import Case
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organisations.models import Organisation, StaffMember, Team

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
BOUNDARY = DATA / "millbrook-boundary.geojson"
CATALOGUE = DATA / "millbrook-catalogue.csv"
STAFF = DATA / "millbrook-staff.csv"
INSIDE = {"where-latitude": "53.15", "where-longitude": "-1.53"}
OUTSIDE = {"where-latitude": "53.48", "where-longitude": "-2.24"}  # Manchester
REPORT = "/millbrook/report/missed-bin"
RESIDENT = {
    "full_name": "Sam Patel",
    "email": "sam@example.com",
    "phone": "",
    "preferred_channel": "email",
}


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def create_millbrook() -> str:
    return run(
        "council_create",
        "--slug=millbrook",
        "--name=Millbrook Borough Council",
        "--kind=unitary",
        "--nation=england",
        f"--boundary={BOUNDARY}",
        "--code=E06000999",
        "--phone=01632 960000",
        "--out-of-hours-phone=01632 960999",
    )


def link_in(message: OutboxMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/staff/sign-in/set-password/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_a_council_goes_live_from_empty_and_takes_its_first_report():
    assert not Organisation.objects.exists()

    created = create_millbrook()
    assert "Created Millbrook Borough Council, a unitary council" in created
    assert "bank holidays of England and Wales" in created
    assert "Boundary: a Polygon of 7 points, about 156 km²." in created

    preview = run("catalogue_import", "--council=millbrook", str(CATALOGUE), "--dry-run")
    assert "(dry run: nothing changed)" in preview
    assert "3 services would be added: missed-bin, bin-day and fly-tipping" in preview
    assert "2 new teams would be created for their cases: Street cleaning and Waste crews" in (
        preview
    )
    assert not Team.objects.exists()
    imported = run("catalogue_import", "--council=millbrook", str(CATALOGUE))
    assert "3 services added" in imported

    staff_preview = run("staff_import", "--council=millbrook", str(STAFF), "--dry-run")
    assert "3 people would be added" in staff_preview
    assert not StaffMember.objects.exists() and not OutboxMessage.objects.exists()
    taken_on = run("staff_import", "--council=millbrook", str(STAFF))
    assert "3 people added, each invited by email to choose a password" in taken_on
    assert "1 new team created: Customer services" in taken_on
    invitations = OutboxMessage.objects.filter(template="staff_invitation")
    assert sorted(invitations.values_list("recipient", flat=True)) == [
        "grace.kim@millbrook.example",
        "olu.adeyemi@millbrook.example",
        "tom.price@millbrook.example",
    ]

    # A resident reports a missed bin on the council's pages.
    resident = Client()
    assert "Millbrook Borough Council" in text(resident.get("/", follow=True))
    resident.get(f"{REPORT}/", follow=True)
    resident.post(f"{REPORT}/question/bin/", {"bin": "Recycling"}, follow=True)
    away = resident.post(f"{REPORT}/question/where/", OUTSIDE, follow=True)
    assert away.redirect_chain[-1][0] == f"{REPORT}/not-ours/"
    resident.post(f"{REPORT}/question/where/", INSIDE, follow=True)
    resident.post(f"{REPORT}/question/details/", {"details": "By the gate"}, follow=True)
    check = resident.post(f"{REPORT}/your-details/", RESIDENT, follow=True)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    sent = resident.post(f"{REPORT}/check/", {"token": token}, follow=True)
    case = Case.objects.get()
    assert case.reference in text(sent)
    assert "We aim to collect your bin by" in text(sent)
    acknowledgement = OutboxMessage.objects.get(template="case_acknowledgement")
    assert acknowledgement.recipient == "sam@example.com"
    assert case.reference in acknowledgement.body

    # The officer follows the link in their invitation, chooses a password, signs in with it,
    # sets up their authenticator app, and finds the case in their team's queue.
    officer = Client()
    link = link_in(invitations.get(recipient="olu.adeyemi@millbrook.example"))
    assert "sign-in name is <strong>olu.adeyemi@millbrook.example</strong>" in text(
        officer.get(link)
    )
    password = "bramble-kettle-harbour"
    chosen = officer.post(link, {"password": password, "confirm": password}, follow=True)
    assert "Your password is set" in text(chosen)
    assert "expired or has already been used" in text(officer.get(link))
    officer.post(
        "/staff/sign-in/",
        {"username": "olu.adeyemi@millbrook.example", "password": password},
    )
    set_up = text(officer.get("/staff/sign-in/set-up/"))
    key = re.search(r'class="civicdesk-secret">([A-Z2-7 ]+)<', set_up).group(1)
    officer.post("/staff/sign-in/set-up/", {"code": pyotp.TOTP(key.replace(" ", "")).now()})
    queue = text(officer.get("/staff/queue/"))
    assert case.reference in queue
    assert "Waste crews" in queue


def test_the_first_administrator_gets_a_link_and_never_a_password():
    create_millbrook()
    printed = run(
        "admin_create",
        "--council=millbrook",
        "--email=Edith@Millbrook.example",
        "--name=Edith Jones",
    )
    assert "Edith Jones (edith@millbrook.example) is now an administrator" in printed
    link = re.search(r"https?://\S+(/staff/sign-in/set-password/\S+/)", printed).group(1)
    admin = StaffMember.objects.get(user__username="edith@millbrook.example")
    assert admin.role == "admin" and admin.user.is_staff
    assert not admin.user.has_usable_password()
    assert [group.name for group in admin.user.groups.all()] == ["Council administrators"]
    client = Client()
    client.post(link, {"password": "quiet-lantern-meadow", "confirm": "quiet-lantern-meadow"})
    admin.user.refresh_from_db()
    assert admin.user.check_password("quiet-lantern-meadow")
    again = run(
        "admin_create",
        "--council=millbrook",
        "--email=edith@millbrook.example",
        "--name=Edith Jones",
    )
    assert "is still an administrator" in again
    assert StaffMember.objects.count() == 1


# Council and boundary


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


def polygon(ring: list[list[float]]) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            polygon([[430000, 360000], [440000, 360000], [440000, 370000], [430000, 360000]]),
            "is in British National Grid eastings and northings (EPSG:27700), not longitude "
            "and latitude. Convert it to WGS84 (EPSG:4326) first",
        ),
        (
            polygon([[53.1, -1.6], [53.1, -1.5], [53.2, -1.5], [53.1, -1.6]]),
            "has latitude before longitude",
        ),
        (
            polygon([[2.35, 48.85], [2.4, 48.85], [2.4, 48.9], [2.35, 48.85]]),
            "is not in the United Kingdom",
        ),
        (
            polygon([[-1.6, 53.1], [-1.5, 53.2], [-1.5, 53.1], [-1.6, 53.2], [-1.6, 53.1]]),
            "is not a valid polygon (Self-intersection",
        ),
        ('{"type": "Point", "coordinates": [-1.5, 53.1]}', "must hold a Polygon or MultiPolygon"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [{"type": "Feature", "properties": {}, "geometry": None}] * 2,
                }
            ),
            "must hold one feature, the council's area; it holds 2",
        ),
        ("<kml></kml>", "is not GeoJSON"),
    ],
)
def test_a_boundary_file_that_is_wrong_is_refused_with_what_to_do(tmp_path, content, message):
    path = write(tmp_path, "area.geojson", content)
    with pytest.raises(CommandError) as refused:
        run(
            "council_create",
            "--slug=millbrook",
            "--name=Millbrook",
            "--kind=unitary",
            "--nation=england",
            f"--boundary={path}",
        )
    assert message in str(refused.value)
    assert not Organisation.objects.exists()


def test_a_very_detailed_boundary_is_simplified_and_the_command_says_by_how_much(tmp_path):
    import math

    ring = [
        [-1.53 + 0.05 * math.cos(step / 5000 * 2 * math.pi) * (1 + 0.01 * (step % 3)), 53.15]
        for step in range(30_000)
    ]
    for step, point in enumerate(ring):
        point[1] = 53.15 + 0.03 * math.sin(step / 30_000 * 2 * math.pi)
        point[0] = -1.53 + 0.05 * math.cos(step / 30_000 * 2 * math.pi) + 0.00002 * (step % 2)
    ring.append(ring[0])
    path = write(tmp_path, "detailed.geojson", polygon(ring))
    printed = run(
        "council_create",
        "--slug=millbrook",
        "--name=Millbrook",
        "--kind=district",
        "--nation=england",
        f"--boundary={path}",
    )
    found = re.search(
        r"simplified from 30,001 points to ([\d,]+) \(no point moved more than "
        r"about (\d+) metres\)",
        printed,
    )
    assert found, printed
    kept = int(found.group(1).replace(",", ""))
    assert kept <= 20_000
    boundary = Organisation.objects.get().boundary
    assert sum(len(ring) for ring in boundary["coordinates"]) == kept


def test_running_it_again_updates_the_council_and_bad_values_change_nothing():
    create_millbrook()
    updated = run("council_create", "--slug=millbrook", "--name=Millbrook Council", "--opens=08:30")
    assert "Updated Millbrook Council (millbrook): name, opens." in updated
    council = Organisation.objects.get()
    assert council.name == "Millbrook Council" and council.boundary["type"] == "Polygon"
    assert council.phone == "01632 960000" and council.code == "E06000999"
    with pytest.raises(CommandError) as refused:
        run("council_create", "--slug=millbrook", "--name=Renamed", "--code=E6", "--closes=07:00")
    message = str(refused.value)
    assert "'E6' is not an ONS local authority code" in message
    assert "The council must close after it opens" in message
    assert Organisation.objects.get().name == "Millbrook Council"
    with pytest.raises(CommandError, match="Give the boundary of the new council"):
        run("council_create", "--slug=elsewhere", "--name=X", "--kind=unitary", "--nation=wales")
    with pytest.raises(CommandError, match="is an address the site already uses"):
        run(
            "council_create",
            "--slug=staff",
            "--name=X",
            "--kind=unitary",
            "--nation=wales",
            f"--boundary={BOUNDARY}",
        )
    assert Organisation.objects.count() == 1


# Staff


def test_importing_staff_again_updates_them_without_duplicates(tmp_path):
    create_millbrook()
    run("staff_import", "--council=millbrook", str(STAFF))
    again = run("staff_import", "--council=millbrook", str(STAFF))
    assert "3 people unchanged" in again
    changed = write(
        tmp_path,
        "staff.csv",
        "name,email,role,teams\n"
        "Olu Adeyemi,olu.adeyemi@millbrook.example,team_lead,Waste crews;Street cleaning\n",
    )
    printed = run("staff_import", "--council=millbrook", str(changed))
    assert "olu.adeyemi@millbrook.example: role officer to team_lead, teams" in printed
    olu = StaffMember.objects.get(user__username="olu.adeyemi@millbrook.example")
    assert olu.role == "team_lead"
    assert sorted(team.name for team in olu.teams.all()) == ["Street cleaning", "Waste crews"]
    assert StaffMember.objects.count() == 3
    assert OutboxMessage.objects.filter(template="staff_invitation").count() == 3


def test_a_staff_list_with_mistakes_is_refused_line_by_line_and_changes_nothing(tmp_path):
    create_millbrook()
    wrong = write(
        tmp_path,
        "staff.csv",
        "name,email,role,teams\n"
        "Olu Adeyemi,olu.adeyemi@millbrook.example,officer,Waste crews\n"
        "Grace Kim,not-an-email,officer,\n"
        "Tom Price,tom.price@millbrook.example,boss,\n"
        "Olu Again,OLU.ADEYEMI@millbrook.example,officer,\n",
    )
    with pytest.raises(CommandError) as refused:
        run("staff_import", "--council=millbrook", str(wrong))
    message = str(refused.value)
    assert "line 3, email: 'not-an-email' is not an email address" in message
    assert "line 4, role: 'boss' is not a role (use adviser, officer" in message
    assert "line 5, email: olu.adeyemi@millbrook.example is in the list more than once" in message
    assert not StaffMember.objects.exists() and not Team.objects.exists()
    assert not OutboxMessage.objects.exists()
    with pytest.raises(CommandError, match="has no email column"):
        run("staff_import", "--council=millbrook", str(write(tmp_path, "b.csv", "name,role\n")))
    with pytest.raises(CommandError, match="There is no council with the slug 'nowhere'"):
        run("staff_import", "--council=nowhere", str(STAFF))


# The catalogue


@pytest.fixture
def demo() -> Organisation:
    from civicdesk.demo.loader import demo_load

    demo_load(scale=0.02)
    return Organisation.objects.get(slug="telford-wrekin")


def test_an_exported_catalogue_imports_into_a_new_council_and_exports_the_same(tmp_path, demo):
    first = tmp_path / "telford.csv"
    printed = run("catalogue_export", "--council=telford-wrekin", str(first))
    assert f"Telford & Wrekin Council: 40 services written to {first}" in printed
    create_millbrook()
    imported = run("catalogue_import", "--council=millbrook", str(first))
    assert "40 services added" in imported
    second = tmp_path / "millbrook.csv"
    run("catalogue_export", "--council=millbrook", str(second))
    assert second.read_text() == first.read_text()
    assert second.with_suffix(".json").read_text() == first.with_suffix(".json").read_text()
    assert "40 services unchanged" in run("catalogue_import", "--council=millbrook", str(first))


def test_the_starter_catalogue_imports_into_an_empty_council(tmp_path):
    starter = tmp_path / "starter.csv"
    assert "The starter catalogue: 40 services written" in run(
        "catalogue_export", "--starter", str(starter)
    )
    create_millbrook()
    printed = run("catalogue_import", "--council=millbrook", str(starter))
    assert "40 services added" in printed
    page = text(Client().get("/millbrook/services/missed-bin/"))
    assert "Report a missed bin collection" in page


def edited(tmp_path: Path, source: Path, change) -> Path:
    """A copy of an exported catalogue with ``change`` made to its CSV rows and JSON spec."""
    import csv

    with source.open(newline="") as file:
        rows = list(csv.DictReader(file))
    spec = json.loads(source.with_suffix(".json").read_text())
    rows = change(rows, spec)
    target = tmp_path / "edited.csv"
    with target.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    target.with_suffix(".json").write_text(
        json.dumps({row["key"]: spec[row["key"]] for row in rows})
    )
    return target


def test_a_dry_run_says_what_would_change_and_changes_nothing(tmp_path, demo):
    exported = tmp_path / "telford.csv"
    run("catalogue_export", "--council=telford-wrekin", str(exported))

    def change(rows, spec):
        rows = [row for row in rows if row["key"] != "graffiti"]
        next(row for row in rows if row["key"] == "pothole")["name"] = "Report a hole in a road"
        spec["missed-bin"]["targets"][0]["amount"] = 3
        rows.append({**rows[0], "key": "hedge", "name": "Report an overgrown hedge"})
        spec["hedge"] = {"questions": [], "targets": []}
        return rows

    path = edited(tmp_path, exported, change)
    open_graffiti = Case.objects.filter(
        organisation=demo, request_type__key="graffiti", status__in=["new", "assigned"]
    ).count()
    preview = run("catalogue_import", "--council=telford-wrekin", str(path), "--dry-run")
    assert "1 service would be added: hedge" in preview
    assert "    missed-bin: charter targets" in preview
    assert "    pothole: name" in preview
    assert "1 service would be retired:\n    graffiti" in preview
    assert "37 services unchanged" in preview
    assert not demo.request_types.filter(key="hedge").exists()
    assert demo.request_types.get(key="pothole").name != "Report a hole in a road"

    run("catalogue_import", "--council=telford-wrekin", str(path))
    graffiti = demo.request_types.get(key="graffiti")
    assert not graffiti.active
    assert Client().get("/telford-wrekin/services/graffiti/").status_code == 404
    assert demo.request_types.get(key="missed-bin").charter_targets.get().amount == 3
    assert (
        open_graffiti
        == Case.objects.filter(request_type=graffiti, status__in=["new", "assigned"]).count()
    )
    back = run("catalogue_import", "--council=telford-wrekin", str(exported))
    assert "    graffiti: brought back" in back
    assert "1 service retired:\n    hedge" in back
    assert demo.request_types.get(key="graffiti").active


def test_a_question_cases_answered_or_a_target_open_cases_run_on_is_never_dropped(tmp_path, demo):
    cases = Case.objects.filter(organisation=demo, request_type__key="missed-bin")
    answered = cases.filter(answers__has_key="bin").count()
    still_open = cases.filter(status__in=OPEN_STATUSES).count()
    assert answered and still_open
    exported = tmp_path / "telford.csv"
    run("catalogue_export", "--council=telford-wrekin", str(exported))

    def change(rows, spec):
        spec["missed-bin"]["questions"] = [
            q for q in spec["missed-bin"]["questions"] if q["key"] != "bin"
        ]
        spec["missed-bin"]["targets"] = []
        next(row for row in rows if row["key"] == "pothole")["name"] = "Report a hole in a road"
        return rows

    path = edited(tmp_path, exported, change)
    for dry_run in (["--dry-run"], []):
        with pytest.raises(CommandError) as refused:
            run("catalogue_import", "--council=telford-wrekin", str(path), *dry_run)
        message = str(refused.value)
        assert f"missed-bin.questions.bin ({answered} cases answered it)" in message
        timed = f"{still_open} open case{' is' if still_open == 1 else 's are'} timed against it"
        assert f"missed-bin.targets.any.any ({timed})" in message
        assert "Keep them in the file: cases use them." in message
    missed_bin = demo.request_types.get(key="missed-bin")
    assert missed_bin.questions.filter(key="bin").exists()
    assert demo.request_types.get(key="pothole").name != "Report a hole in a road"


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("key,name\nx,X\n", "has no service_area, kind columns"),
        (
            "key,name,service_area,kind,colour\nx,X,Bins,report,red\n",
            "has columns it cannot use: colour",
        ),
        (
            "key,name,service_area,kind\nx,X,Bins,repair\n",
            "x.kind: 'repair' is not a kind of request",
        ),
        ("key,name,service_area,kind\n", "The catalogue lists no services"),
    ],
)
def test_catalogue_files_with_mistakes_are_refused_and_change_nothing(tmp_path, csv_text, message):
    create_millbrook()
    path = write(tmp_path, "catalogue.csv", csv_text)
    write(tmp_path, "catalogue.json", '{"x": {"questions": [], "targets": []}}')
    with pytest.raises(CommandError) as refused:
        run("catalogue_import", "--council=millbrook", str(path))
    assert message in str(refused.value)
    assert not Team.objects.exists()
    with pytest.raises(CommandError, match=r"There is no services\.json beside services\.csv"):
        run("catalogue_import", "--council=millbrook", str(write(tmp_path, "services.csv", "")))
