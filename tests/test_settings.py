"""Production settings: refuse to start without a secret, and pass Django's deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests allow Django's sync calls from Playwright's thread in this process;
        # that must not leak into the production check.
        if key
        not in {"SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.prod")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY="k" * 20 + "Qz8#pL2@vN5!rT9$wX3%yB6^mC1&dF4*",
        ALLOWED_HOSTS="civicdesk.council.example",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_static_files_collect_for_serving_with_whitenoise(tmp_path):
    """make run and production both collect static files into a manifest; a stylesheet or
    script that refers to a file we do not ship would stop them starting."""
    result = manage(
        "collectstatic",
        "--noinput",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        CIVICDESK_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "portal/civicdesk.min.css" in manifest
    assert "govuk-crest" not in manifest
