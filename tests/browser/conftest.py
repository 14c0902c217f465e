"""Real headless Chromium for end-to-end and accessibility tests.

The browser is the system's Chromium (Debian's package `chromium`), driven by Playwright; we
never download a browser. Without one the browser tests are skipped, unless REQUIRE_BROWSER is
set (as CI does), when a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).with_name("axe.min.js")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Rules outside the WCAG tags that we hold every page to as well: "region" finds content outside
# any landmark (such as a back link before <main>), which screen reader users skip past.
ALSO_CHECKED = {"region": {"enabled": True}}


# Which resident page templates the browser tests have checked with axe-core, read from the
# <meta name="civicdesk-template"> each page carries under the test settings.
CHECKED: set[str] = set()


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(
                "REQUIRE_BROWSER is set but no Chromium was found (apt-get install chromium)"
            )
        pytest.skip("No Chromium on this machine: install it to run the browser tests")
    # Playwright runs its own event loop in a thread; Django must allow our sync DB calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


@pytest.fixture
def page_without_javascript(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_of(browser: Any, live_server: Any) -> Iterator[Any]:
    """Checks a page that has JavaScript turned off: its HTML is loaded into a page that can
    run axe-core, at the same address so that its stylesheets load."""
    context = browser.new_context(locale="en-GB")
    checker = context.new_page()
    checker.goto(f"{live_server.url}/healthz")

    def check(page: Any) -> list[str]:
        checker.set_content(page.content(), wait_until="load")
        return axe_violations(checker)

    yield check
    context.close()


def axe_violations(page: Any) -> list[str]:
    """WCAG 2.2 AA problems axe-core finds on the page, one line each (empty when none)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async ([tags, rules]) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, rules: rules})",
        [WCAG_22_AA, ALSO_CHECKED],
    )
    template = page.evaluate(
        "() => document.querySelector('meta[name=civicdesk-template]')?.content || ''"
    )
    if template:
        CHECKED.add(template)
    return [
        f"{violation['id']}: {violation['help']} at "
        + json.dumps([node["target"] for node in violation["nodes"]][:3])
        for violation in result["violations"]
    ]
