"""Adding and updating a council from the platform administrator's admin pages, as
`manage.py council_create` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civicdesk.core.models import AuditEvent
from civicdesk.organisations.models import Organisation

from . import factories
from .conftest import sign_in_with_both_factors
from .test_catalogue_upload import administrator_of

pytestmark = pytest.mark.django_db

PAGE = "/admin/council-create/"
BOUNDARY = Path(__file__).with_name("data") / "glenmorven-boundary.geojson"


@pytest.fixture
def platform() -> Client:
    user = User.objects.create_superuser("platform", "platform@example.com", "a-long-password")
    client = Client()
    sign_in_with_both_factors(client, user)
    return client


def boundary(content: bytes | None = None, name: str = "glenmorven.geojson"):
    return SimpleUploadedFile(name, BOUNDARY.read_bytes() if content is None else content)


NEW = {
    "name": "Glenmorven Council",
    "slug": "glenmorven",
    "kind": "unitary",
    "nation": "scotland",
    "phone": "01632 960000",
}


def test_the_platform_administrator_adds_a_council_with_its_boundary(platform):
    assert "Add or update a council" in platform.get("/admin/").content.decode()
    response = platform.post(PAGE, {**NEW, "boundary": boundary()})
    council = Organisation.objects.get(slug="glenmorven")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/organisations/organisation/{council.pk}/change/"
    assert (council.name, council.kind, council.nation, council.phone) == (
        "Glenmorven Council",
        "unitary",
        "scotland",
        "01632 960000",
    )
    assert council.boundary["type"] in ("Polygon", "MultiPolygon")
    assert AuditEvent.objects.filter(subject_type="organisation", subject_id=council.pk).exists()

    # The same address again changes only what is given: the boundary stays.
    platform.post(PAGE, {"slug": "glenmorven", "phone": "01632 960111"})
    council.refresh_from_db()
    assert (council.phone, council.name) == ("01632 960111", "Glenmorven Council")
    assert council.boundary["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (boundary(b"not geojson"), "glenmorven.geojson"),
        (boundary("caf\xe9".encode("latin-1")), "is not GeoJSON: it is not UTF-8 text"),
        (None, "Give the boundary of the new council"),
    ],
)
def test_a_bad_boundary_or_a_missing_one_is_refused_with_a_clear_message(platform, upload, message):
    response = platform.post(PAGE, {**NEW, **({"boundary": upload} if upload else {})})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem. Nothing has been changed." in page
    assert message in page
    assert 'href="#boundary"' in page
    assert not Organisation.objects.filter(slug="glenmorven").exists()


def test_a_councils_own_administrator_may_not_add_councils(council):
    client = administrator_of(council)
    assert "Add or update a council" not in client.get("/admin/").content.decode()
    assert client.post(PAGE, {**NEW, "boundary": boundary()}).status_code == 403
    adviser = factories.StaffFactory(organisation=council)
    other = Client()
    sign_in_with_both_factors(other, adviser.user)
    assert other.get(PAGE).status_code in (302, 403)
    assert not Organisation.objects.filter(slug="glenmorven").exists()
