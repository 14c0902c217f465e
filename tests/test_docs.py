"""Documentation that must stay true: every setting read from the environment is in the README."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_setting_is_documented_in_the_readme():
    settings_source = "\n".join(
        path.read_text() for path in (ROOT / "config" / "settings").glob("*.py")
    )
    read = set(
        re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*["']([A-Z_]+)["']""", settings_source)
    )
    read |= set(re.findall(r"""["']([A-Z_]+)["']\s+in\s+os\.environ""", settings_source))
    readme = (ROOT / "README.md").read_text()
    assert read, "expected the settings to read the environment"
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert missing == [], f"Document these settings in README.md: {missing}"


def test_adrs_are_numbered_without_gaps():
    adrs = sorted((ROOT / "docs" / "adr").glob("*.md"))
    numbers = [int(path.name.split("-", 1)[0]) for path in adrs]
    assert numbers == list(range(1, len(adrs) + 1)), "ADRs are numbered 0001, 0002... without gaps"
    for path in adrs:
        assert path.read_text().startswith(f"# {int(path.name[:4])}. "), path.name


def test_the_application_code_never_reads_the_environment_itself():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "civicdesk").rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ]
    assert offenders == []
