"""Counting attempts: a lock-out lasts as long as the page says, on every cache, and counts the
resident's own address behind the council's proxies."""

from __future__ import annotations

import time

import pytest
from django.test import RequestFactory, override_settings

from civicdesk.core.ratelimit import (
    attempts_add,
    attempts_exceeded,
    distinct_add,
    distinct_forgotten,
    window_add,
    window_count,
)
from civicdesk.web.http import client_address
from civicdesk.workspace.sign_in import ADDRESS_NAMES_LIMIT

WINDOW = 15 * 60
BACKENDS = [
    "django.core.cache.backends.filebased.FileBasedCache",
    "django.core.cache.backends.locmem.LocMemCache",
]


@pytest.fixture
def clock(monkeypatch):
    """time.time() under the test's control, as the file cache reads it."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.locmem.LocMemCache",
    ],
)
def test_five_failures_lock_for_the_whole_window_and_no_longer(backend, tmp_path, clock):
    caches = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path / "cache")}}
    with override_settings(CACHES=caches):
        for _ in range(5):
            attempts_add(kind="staff-name", value="adviser@telford", window_seconds=WINDOW)
        # Past the cache's default timeout of five minutes: still locked.
        clock[0] += 10 * 60
        assert attempts_exceeded(kind="staff-name", value="adviser@telford", limit=5)
        clock[0] += 5 * 60 + 1
        assert not attempts_exceeded(kind="staff-name", value="adviser@telford", limit=5)


def test_the_address_is_the_connecting_one_with_no_proxies_trusted():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_address(request) == "10.0.0.5"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_behind_one_proxy_the_address_is_the_one_the_proxy_heard_from():
    # The client wrote the first entry itself to dodge its count; the proxy appended the last.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7"
    )
    assert client_address(request) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_a_request_that_skipped_the_proxies_counts_its_connecting_address():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert client_address(request) == "198.51.100.7"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_staff_behind_the_proxy_are_locked_out_by_their_own_address_only(client, db):
    for number in range(ADDRESS_NAMES_LIMIT):
        client.post(
            "/staff/sign-in/",
            {"username": f"nobody{number}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    locked = client.post(
        "/staff/sign-in/",
        {"username": "someone", "password": "wrong"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    elsewhere = client.post(
        "/staff/sign-in/",
        {"username": "someone", "password": "wrong"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert "Too many tries" in locked.content.decode()
    assert "Too many tries" not in elsewhere.content.decode()


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_name_counts_once_until_it_signs_in(backend, tmp_path, clock):
    caches = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path / "cache")}}
    with override_settings(CACHES=caches):
        for name in ["ann", "bob", "ann", "ann"]:
            count = distinct_add(
                kind="staff-address-names", value="192.0.2.1", item=name, window_seconds=WINDOW
            )
        assert count == 2
        distinct_forgotten(
            kind="staff-address-names", value="192.0.2.1", item="ann", window_seconds=WINDOW
        )
        assert not attempts_exceeded(kind="staff-address-names", value="192.0.2.1", limit=2)
        # Bob failing again ten minutes later keeps him, and the count, for a whole window.
        clock[0] += 10 * 60
        distinct_add(
            kind="staff-address-names", value="192.0.2.1", item="bob", window_seconds=WINDOW
        )
        clock[0] += 10 * 60
        assert attempts_exceeded(kind="staff-address-names", value="192.0.2.1", limit=1)
        assert (
            distinct_add(
                kind="staff-address-names", value="192.0.2.1", item="bob", window_seconds=WINDOW
            )
            == 1
        )
        clock[0] += WINDOW + 1
        assert not attempts_exceeded(kind="staff-address-names", value="192.0.2.1", limit=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_hourly_count_starts_again_each_hour_however_steady_the_stream(backend, tmp_path, clock):
    caches = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path / "cache")}}
    hour = 60 * 60
    with override_settings(CACHES=caches):
        for minutes in (0, 20, 20):
            clock[0] += minutes * 60
            window_add(kind="assistant-new-chat", value="192.0.2.1", window_seconds=hour)
        assert window_count(kind="assistant-new-chat", value="192.0.2.1") == 3
        clock[0] += 21 * 60
        # A chat every twenty minutes all day is a few an hour, not one long flood.
        assert window_count(kind="assistant-new-chat", value="192.0.2.1") == 0
        assert window_add(kind="assistant-new-chat", value="192.0.2.1", window_seconds=hour) == 1
