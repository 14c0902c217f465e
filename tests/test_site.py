"""The front page and the health check a load balancer polls."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_front_page_says_what_this_is_and_where_staff_sign_in(client):
    page = client.get("/")
    assert page.status_code == 200
    assert b'<html lang="en-GB">' in page.content
    assert b"customer service platform" in page.content
    assert b'href="/admin/"' in page.content


def test_health_check_answers_with_the_database_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_staff_pages_need_a_sign_in(client):
    response = client.get("/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
