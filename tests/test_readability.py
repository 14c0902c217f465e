"""Resident pages stay at a reading age of 9, except where docs/plain-english.md says why not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicdesk.catalogue.importing import catalogue_import, catalogue_rows_read
from civicdesk.core.readability import readability, syllables
from civicdesk.demo.catalogue_spec import SPEC

from . import factories

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "civicdesk" / "portal" / "jinja2" / "portal"
# Ask's resident pages (its staff pages are the workspace's and not measured here).
ASSISTANT_TEMPLATES = ROOT / "civicdesk" / "portal" / "jinja2" / "assistant"
TARGET = 9
_BLOCKS = re.compile(r"</?(h\d|p|li|ul|ol|label|legend|div|button|span|td|th|dt|dd|title)\b[^>]*>")


def listed_exceptions() -> set[str]:
    table = (ROOT / "docs" / "plain-english.md").read_text()
    return set(re.findall(r"^\| (?:service: )?`([^`]+)`", table, flags=re.MULTILINE))


def visible_text(html: str) -> str:
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", _BLOCKS.sub("\n\n", html))


def template_words(path: Path) -> str:
    source = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", path.read_text(), flags=re.DOTALL)
    return visible_text(source)


def test_the_measure_tells_plain_from_hard():
    assert syllables("bin") == 1
    assert syllables("collection") == 3
    assert (syllables("happened"), syllables("needed")) == (2, 2)
    assert readability("We will empty your bin soon. Tell us if we do not.").reading_age <= 7
    hard = "Applications for discretionary exemptions necessitate comprehensive documentation."
    assert readability(hard).reading_age >= 16


def test_resident_page_templates_read_at_age_nine():
    # Measured where the pages are: a folder moved elsewhere must not pass by measuring nothing.
    assert list(TEMPLATES.rglob("*.html")) and list(ASSISTANT_TEMPLATES.glob("*.html"))
    too_hard = {
        str(path.relative_to(folder.parent)): readability(template_words(path)).reading_age
        for folder, path in [
            *((TEMPLATES, path) for path in sorted(TEMPLATES.rglob("*.html"))),
            *((ASSISTANT_TEMPLATES, path) for path in sorted(ASSISTANT_TEMPLATES.glob("*.html"))),
        ]
    }
    too_hard = {name: age for name, age in too_hard.items() if age > TARGET}
    assert set(too_hard) == {name for name in listed_exceptions() if name.endswith(".html")}


@pytest.mark.django_db
def test_every_service_page_reads_at_age_nine(client):
    council = factories.OrganisationFactory(
        slug="wrekin", phone="01632 960100", emergency_phone="01632 960199"
    )
    catalogue_import(organisation=council, rows=catalogue_rows_read(), spec=SPEC)
    ages = {}
    for row in catalogue_rows_read():
        html = client.get(f"/wrekin/services/{row['key']}/").content.decode()
        main = html[html.index("<main") : html.index('<aside class="civicdesk-feedback"')]
        ages[row["key"]] = readability(visible_text(main)).reading_age
    too_hard = {key for key, age in ages.items() if age > TARGET}
    assert too_hard == {name for name in listed_exceptions() if not name.endswith(".html")}
