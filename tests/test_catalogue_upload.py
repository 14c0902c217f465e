"""A council's administrator uploads its service catalogue in the admin: a preview of what the
files would change (made by the importer's own dry run, changing nothing), then "Apply"; files
with mistakes, and files that would drop what cases use, get a clear message and change
nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.core.audit import Actor
from civicdesk.organisations.choices import Role
from civicdesk.organisations.models import Organisation
from civicdesk.organisations.services import administrators_group

from . import factories
from .conftest import sign_in_with_both_factors

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
PAGE = "/admin/catalogue-upload/millbrook/"


def words(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.fixture
def millbrook() -> Organisation:
    call_command(
        "council_create",
        "--slug=millbrook",
        "--name=Millbrook Borough Council",
        "--kind=unitary",
        "--nation=england",
        f"--boundary={DATA / 'millbrook-boundary.geojson'}",
        stdout=io.StringIO(),
    )
    call_command(
        "catalogue_import",
        "--council=millbrook",
        str(DATA / "millbrook-catalogue.csv"),
        stdout=io.StringIO(),
    )
    return Organisation.objects.get(slug="millbrook")


def administrator_of(council: Organisation) -> Client:
    staff = factories.StaffFactory(organisation=council, role=Role.ADMIN)
    staff.user.is_staff = True
    staff.user.save()
    staff.user.groups.add(administrators_group())
    client = Client()
    sign_in_with_both_factors(client, staff.user)
    return client


@pytest.fixture
def admin_client(millbrook) -> Client:
    return administrator_of(millbrook)


def catalogue(change=None) -> tuple[bytes, bytes]:
    """The test council's catalogue files, with ``change`` made to their rows and spec."""
    rows = list(csv.DictReader(io.StringIO((DATA / "millbrook-catalogue.csv").read_text())))
    spec = json.loads((DATA / "millbrook-catalogue.json").read_text())
    if change is not None:
        rows = change(rows, spec)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    kept = {row["key"]: spec[row["key"]] for row in rows}
    return table.getvalue().encode(), json.dumps(kept).encode()


def upload(client: Client, files: tuple[bytes, bytes], **names: str):
    table, spec = files
    return client.post(
        PAGE,
        {
            "action": "preview",
            "csv": SimpleUploadedFile(names.get("csv", "catalogue.csv"), table),
            "json": SimpleUploadedFile(names.get("json", "catalogue.json"), spec),
        },
    )


def apply(client: Client, preview):
    token = re.search(r'name="files" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(PAGE, {"action": "apply", "files": token})


def edited(rows, spec):
    rows = [row for row in rows if row["key"] != "bin-day"]
    next(row for row in rows if row["key"] == "missed-bin")["name"] = "Tell us about a missed bin"
    spec["fly-tipping"]["questions"].append(
        {"key": "size", "label": "How much is there?", "kind": "text"}
    )
    spec["fly-tipping"]["targets"][1]["amount"] = 2
    rows.append(
        {
            **rows[-1],
            "key": "graffiti",
            "name": "Report graffiti",
            "description": "Paint or pen on walls and signs.",
        }
    )
    spec["graffiti"] = {
        "questions": [{"key": "where", "label": "Where is it?", "kind": "location"}],
        "targets": [{"amount": 10, "unit": "working_days", "summary": "remove it"}],
    }
    return rows


def test_an_administrator_previews_an_upload_then_applies_it(millbrook, admin_client):
    assert admin_client.get("/admin/catalogue-upload/").url == PAGE
    assert 'href="/admin/catalogue-upload/"' in admin_client.get("/admin/").content.decode()
    listing = admin_client.get("/admin/catalogue/requesttype/").content.decode()
    assert "Upload a catalogue file" in listing
    assert 'value="Preview the changes"' in admin_client.get(PAGE).content.decode()

    preview = upload(admin_client, catalogue(edited))
    assert preview.status_code == 200
    page = words(preview)
    assert "This is a preview: nothing has changed yet." in page
    assert "Services added (1) Report graffiti (graffiti): 1 question, 1 charter target" in page
    assert "missed-bin : name" in page
    assert "fly-tipping : questions (added size), charter targets (changed urgent)" in page
    assert "Services retired (1)" in page
    assert "their cases carry on as they are. bin-day" in page
    assert "0 services unchanged" in page
    missed_bin = millbrook.request_types.get(key="missed-bin")
    assert missed_bin.name == "Report a missed bin collection"
    assert not millbrook.request_types.filter(key="graffiti").exists()
    assert millbrook.request_types.get(key="bin-day").active

    applied = apply(admin_client, preview)
    assert applied.status_code == 302
    assert applied.url == "/admin/catalogue/requesttype/"
    done = words(admin_client.get(applied.url))
    assert (
        "Millbrook Borough Council's catalogue is now the uploaded one: services 1 added, "
        "2 changed, 1 retired." in done
    )
    assert millbrook.request_types.get(key="missed-bin").name == "Tell us about a missed bin"
    assert millbrook.request_types.get(key="graffiti").charter_targets.get().amount == 10
    assert not millbrook.request_types.get(key="bin-day").active
    fly_tipping = millbrook.request_types.get(key="fly-tipping")
    assert [q.key for q in fly_tipping.questions.all()] == ["where", "what", "size"]


@pytest.mark.parametrize(
    ("files", "names", "message"),
    [
        (
            catalogue(
                lambda rows, spec: [
                    {**row, "kind": "repair"} if row["key"] == "bin-day" else row for row in rows
                ]
            ),
            {},
            "bin-day.kind: 'repair' is not a kind of request",
        ),
        ((b"key,name\nx,X\n", b"{}"), {}, "has no service_area, kind columns"),
        ((catalogue()[0], b'{"missed-bin": '), {}, "catalogue.json is not valid JSON"),
        ((catalogue()[0], b""), {}, "Choose the JSON file"),
        (
            ("key,name\n\xe9".encode("latin-1"), b"{}"),
            {"csv": "Services.csv"},
            "Services.csv is not UTF-8 text",
        ),
        (
            (b"key,name\nx," + b"y" * 200_000 + b"\n", b"{}"),
            {},
            "cannot be read as CSV",
        ),
    ],
)
def test_files_with_a_mistake_get_a_clear_message_and_change_nothing(
    millbrook, admin_client, files, names, message
):
    refused = upload(admin_client, files, **names)
    assert refused.status_code == 400
    page = words(refused)
    assert "There is a problem" in page
    assert message in page
    assert "Nothing has been changed." in page
    assert "Apply these changes" not in refused.content.decode()
    assert millbrook.request_types.get(key="bin-day").kind == "information"


def test_what_cases_use_is_refused_with_the_reason(millbrook, admin_client):
    case_open(
        organisation=millbrook,
        request=CaseRequest(
            request_type_key="missed-bin",
            channel="phone",
            answers={
                "bin": "Recycling",
                "where": {"latitude": 53.15, "longitude": -1.53, "description": "By the gate"},
            },
        ),
        actor=Actor(label="Contact centre"),
    )

    def drop(rows, spec):
        spec["missed-bin"]["questions"] = [
            q for q in spec["missed-bin"]["questions"] if q["key"] != "bin"
        ]
        spec["missed-bin"]["targets"] = []
        return rows

    refused = upload(admin_client, catalogue(drop))
    assert refused.status_code == 400
    page = words(refused)
    assert "missed-bin.questions.bin: 1 case answered it" in page
    assert "missed-bin.targets.any.any: 1 open case is timed against it" in page
    assert "Keep them in the file: cases use them." in page
    assert "Apply these changes" not in refused.content.decode()
    assert millbrook.request_types.get(key="missed-bin").questions.filter(key="bin").exists()


def test_a_preview_is_applied_only_as_it_was_shown(millbrook, admin_client, tmp_path):
    preview = upload(admin_client, catalogue(edited))
    # Someone changes the catalogue from the command line meanwhile.
    table, spec = catalogue(
        lambda rows, spec: [{**row, "description": "New words."} for row in rows]
    )
    (tmp_path / "c.csv").write_bytes(table)
    (tmp_path / "c.json").write_bytes(spec)
    call_command(
        "catalogue_import", "--council=millbrook", str(tmp_path / "c.csv"), stdout=io.StringIO()
    )
    again = apply(admin_client, preview)
    assert again.status_code == 200
    page = words(again)
    assert "changed after the preview you saw, so nothing was applied" in page
    assert not millbrook.request_types.filter(key="graffiti").exists()
    assert "Apply these changes" in again.content.decode()

    forged = admin_client.post(PAGE, {"action": "apply", "files": "not-a-preview"})
    assert forged.status_code == 400
    assert "Upload the files again to see a fresh preview" in words(forged)


def test_only_the_councils_own_administrators_upload_its_catalogue(millbrook):
    other = factories.OrganisationFactory(name="Severn Council", slug="severn")
    theirs = administrator_of(other)
    assert theirs.get(PAGE).status_code == 404
    assert theirs.post(PAGE, {"action": "preview"}).status_code == 404
    officer = factories.StaffFactory(organisation=millbrook, role=Role.OFFICER)
    officer.user.is_staff = True
    officer.user.save()
    client = Client()
    sign_in_with_both_factors(client, officer.user)
    assert client.get(PAGE).status_code == 404
