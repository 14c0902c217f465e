"""What docs/operations.md and deploy/ tell an operator to run exists and is well formed: the
systemd units, the scripts, the settings file, and every command in the guide's sh blocks.
(The backup and restore themselves run in tests/test_production_run.py.)"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "operations.md"
INSTALLED = "/opt/civicdesk/current"
SETTINGS_FILE = "/etc/civicdesk/civicdesk.env"
UNITS = sorted(DEPLOY.glob("*.service")) + sorted(DEPLOY.glob("*.timer"))
SCRIPTS = ["manage", "backup", "restore", "upgrade"]
LONG_RUNNING = ["civicdesk-web.service", "civicdesk-worker.service", "civicdesk-email.service"]
# Programs the guide may tell an operator to run besides CivicDesk's own: a misspelt one, or a
# new one nobody has looked at, fails until it is added here.
OTHER_PROGRAMS = {
    "apt-get",
    "useradd",
    "install",
    "createuser",
    "createdb",
    "cd",
    "python3",
    ".venv/bin/pip",
    "ln",
    "curl",
    "systemctl",
    "journalctl",
}
SYSTEMCTL_VERBS = {
    "daemon-reload",
    "enable",
    "start",
    "stop",
    "restart",
    "status",
    "list-timers",
}


def unit_sections(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and their keys; a key may repeat, so each holds a list."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}:{number}: a setting before any [Section]"
        key, equals, value = line.partition("=")
        assert equals and re.fullmatch(r"[A-Za-z]+", key), f"{path.name}:{number}: {line!r}"
        assert not value.endswith("\\"), f"{path.name}:{number}: keep each setting on one line"
        current.setdefault(key, []).append(value)
    return sections


def manage_command_problem(words: list[str]) -> str | None:
    """Why ``manage.py <words>`` would not run, or None: the command must exist and take the
    options and arguments given."""
    if not words:
        return "no command given to manage.py"
    name, *arguments = words
    commands = get_commands()
    if name not in commands:
        return f"there is no manage.py command {name!r}"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    try:
        parser.parse_args(arguments)
    except Exception as problem:
        return f"manage.py {shlex.join(words)}: {problem}"
    return None


def installed_path(path: str) -> Path:
    """Where a path under /opt/civicdesk/current is in this checkout."""
    assert path.startswith(f"{INSTALLED}/"), path
    return ROOT / path.removeprefix(f"{INSTALLED}/")


# The units


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_every_unit_is_well_formed_and_runs_what_exists(unit):
    sections = unit_sections(unit)
    assert sections["Unit"]["Description"], unit.name
    if unit.suffix == ".timer":
        assert sections["Timer"]["OnCalendar"]
        assert (DEPLOY / unit.with_suffix(".service").name).exists()
        assert sections["Install"]["WantedBy"] == ["timers.target"]
        return
    service = sections["Service"]
    assert service["User"] == ["civicdesk"]
    [command] = service["ExecStart"]
    program, *arguments = shlex.split(command)
    assert installed_path(program).exists(), f"{unit.name} runs {program}, which is not here"
    if unit.name in LONG_RUNNING:
        assert service["WorkingDirectory"] == [INSTALLED]
        assert service["EnvironmentFile"] == [SETTINGS_FILE]
        assert service["StateDirectory"] == ["civicdesk"]
        assert sections["Install"]["WantedBy"] == ["multi-user.target"]
    if program.endswith("/.venv/bin/python"):
        assert arguments[0] == "manage.py"
        assert manage_command_problem(arguments[1:]) is None, manage_command_problem(arguments[1:])
    elif program.endswith("/.venv/bin/gunicorn"):
        options = Config().parser().parse_args(arguments)
        [application] = options.args
        module, _, attribute = application.partition(":")
        assert f"\n{attribute} = " in (ROOT / f"{module.replace('.', '/')}.py").read_text()
        assert service["Type"] == ["notify"], "gunicorn tells systemd when it is ready"
    else:
        assert os.access(installed_path(program), os.X_OK), program


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    """systemd's own check: every setting known and readable, every program there to run. The
    units are checked with this checkout standing in for /opt/civicdesk/current."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units were only parsed")
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        pytest.skip("no .venv in this checkout for the units' programs")
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / unit.name) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown settings and bad values are only warnings to systemd; here they are mistakes.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# The scripts and the settings file


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_is_executable_bash_that_parses(script):
    path = DEPLOY / script
    assert os.access(path, os.X_OK)
    assert path.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)


def loaded(tmp_path: Path, content: str, *names: str) -> subprocess.CompletedProcess[str]:
    settings_file = tmp_path / "civicdesk.env"
    settings_file.write_text(content)
    printed = " ".join(f'"${name}"' for name in names)
    return subprocess.run(
        ["bash", "-c", f'set -eu; . "$1"; printf "%s\\n" {printed}', "-", "load-environment.sh"],
        cwd=DEPLOY,
        env={"PATH": os.environ["PATH"], "CIVICDESK_ENV_FILE": str(settings_file)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_scripts_read_the_settings_file_as_systemd_does(tmp_path):
    result = loaded(
        tmp_path,
        "# a comment\n"
        "\n"
        "SECRET_KEY=abc$HOME`date`'x' \n"
        "  DEFAULT_FROM_EMAIL = Wrekin Council <no-reply@wrekin.example>\n"
        'STAFF_SIGN_IN_HELP="Call the IT service desk on 01952 380000."\n'
        "EMPTY=\r\n"
        "LAST=no newline at the end",
        "SECRET_KEY",
        "DEFAULT_FROM_EMAIL",
        "STAFF_SIGN_IN_HELP",
        "EMPTY",
        "LAST",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "abc$HOME`date`'x'",
        "Wrekin Council <no-reply@wrekin.example>",
        "Call the IT service desk on 01952 380000.",
        "",
        "no newline at the end",
    ]


def test_a_line_that_is_not_a_setting_stops_the_scripts_without_showing_it(tmp_path):
    result = loaded(tmp_path, "SECRET_KEY=fine\nhunter2-password-pasted-alone\n", "SECRET_KEY")
    assert result.returncode == 1
    assert "civicdesk.env, line 2: expected NAME=value." in result.stderr
    assert "hunter2" not in result.stderr
    missing = subprocess.run(
        [str(DEPLOY / "manage"), "check"],
        env={"PATH": os.environ["PATH"], "CIVICDESK_ENV_FILE": str(tmp_path / "none.env")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert missing.returncode == 1
    assert "Cannot read the settings in" in missing.stderr
    assert "sudo -u civicdesk" in missing.stderr


def test_the_example_settings_are_settings_the_readme_documents():
    example = (DEPLOY / "civicdesk.env.example").read_text()
    names = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE)
    readme = (ROOT / "README.md").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings.prod\n" in example
    assert len(names) > 10
    assert [name for name in names if f"`{name}`" not in readme] == []


# The guide


def guide_commands() -> list[list[str]]:
    """Every command in the guide's sh blocks, continuation lines joined, as words."""
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", GUIDE.read_text(), flags=re.MULTILINE | re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["sudo"]:
                words = words[3:] if words[1:2] == ["-u"] else words[1:]
            if words:
                commands.append(words)
    return commands


def guide_command_problem(words: list[str]) -> str | None:
    program, *arguments = words
    if program.endswith("/deploy/manage"):
        return manage_command_problem(arguments)
    if "/deploy/" in program:
        script = DEPLOY / program.rpartition("/deploy/")[2]
        return None if os.access(script, os.X_OK) else f"there is no script deploy/{script.name}"
    if program not in OTHER_PROGRAMS:
        return f"{program} is not a program the guide is known to use"
    if program == "systemctl":
        verb, *units = arguments
        if verb not in SYSTEMCTL_VERBS:
            return f"systemctl {verb}?"
        named = [unit if "." in unit else f"{unit}.service" for unit in units if unit[0] != "-"]
        missing = [unit for unit in named if not (DEPLOY / unit).exists()]
        return f"no unit {missing} in deploy/" if missing else None
    if program == "journalctl":
        units = [arguments[i + 1] for i, word in enumerate(arguments) if word == "-u"]
        missing = [unit for unit in units if not (DEPLOY / f"{unit}.service").exists()]
        return f"no unit {missing} in deploy/" if missing else None
    if program == "install":
        sources = [installed_path(word) for word in arguments if word.startswith(INSTALLED)]
        missing = [str(path) for path in sources if not path.exists()]
        return f"nothing to install at {missing}" if missing else None
    return None


def test_every_command_the_operations_guide_gives_exists():
    commands = guide_commands()
    problems = [(shlex.join(words), guide_command_problem(words)) for words in commands]
    assert [problem for problem in problems if problem[1] is not None] == []
    run = {words[1] for words in commands if words[0].endswith("/deploy/manage")}
    # The first start from empty, in the guide, is the one ADR 27 and the README describe.
    assert {"migrate", "collectstatic", "council_create", "catalogue_import", "staff_import"} <= run
    assert {"admin_create", "catalogue_export", "check"} <= run
    scripts = {Path(words[0]).name for words in commands if "/deploy/" in words[0]}
    assert {"backup", "restore", "upgrade"} <= scripts


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["/opt/civicdesk/current/deploy/manage", "council_make"], "no manage.py command"),
        (
            ["/opt/civicdesk/current/deploy/manage", "staff_import", "--org", "x", "s.csv"],
            "the following arguments are required: --council",
        ),
        (["/opt/civicdesk/current/deploy/backups", "/var"], "no script deploy/backups"),
        (["systemctl", "start", "civicdesk-mail"], "no unit ['civicdesk-mail.service']"),
        (["pg_dumpall"], "pg_dumpall is not a program the guide is known to use"),
    ],
)
def test_the_guide_check_catches_a_command_that_would_not_run(words, problem):
    assert problem in str(guide_command_problem(words))
