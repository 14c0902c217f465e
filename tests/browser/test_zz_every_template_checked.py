"""Every page template, resident or staff, has been through axe-core in the browser tests above.

Runs after the other browser tests, in the same process (see pytest_collection_modifyitems in
tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHECKED

APPS = Path(__file__).resolve().parents[2] / "civicdesk"


def page_templates() -> set[str]:
    """Whole pages in every app's jinja2 folder: partials (_name.html) and layouts (base.html)
    are checked as part of the pages that use them."""
    return {
        str(path.relative_to(folder))
        for folder in APPS.glob("*/jinja2")
        for path in folder.rglob("*.html")
        if not path.name.startswith("_") and path.name != "base.html"
    }


@pytest.mark.browser
def test_every_page_template_was_checked_with_axe():
    if not CHECKED:
        pytest.skip("Run with the other browser tests: none of them has run in this test run")
    assert sorted(page_templates() - CHECKED) == []
