"""The front page and the health check a load balancer polls."""

from __future__ import annotations

import pytest

from . import factories

pytestmark = pytest.mark.django_db


def test_the_front_page_lists_each_councils_services_and_the_staff_sign_in(client):
    factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    factories.OrganisationFactory(name="Severn Council", slug="severn")
    factories.OrganisationFactory(name="NHS Trust", slug="nhs", kind="partner")
    page = client.get("/")
    assert page.status_code == 200
    assert b'<html lang="en-GB"' in page.content
    assert b'href="/wrekin/"' in page.content
    assert b'href="/severn/"' in page.content
    assert b"NHS Trust" not in page.content
    assert b'href="/admin/"' in page.content


def test_with_one_council_the_front_page_is_its_services(client):
    factories.OrganisationFactory(name="Wrekin Council", slug="wrekin")
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, "/wrekin/")


def test_health_check_answers_with_the_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_staff_pages_need_a_sign_in(client):
    response = client.get("/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
