"""`firebell config validate` on files that try to exhaust the machine, or that only break at apply:
each is one located error line and exit 1, in bounded time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebell.cli.main import app
from tests.config.helpers import BASE, write

runner = CliRunner()

# Nine levels of ten aliases each: a billion values once expanded, from a 1 KB file.
LAUGHS = "organisation: {name: x, timezone: UTC}\nteams:\n  - &l0 [" + ", ".join(["lol"] * 10) + "]\n" + "".join(
    f"  - &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n" for level in range(1, 9))

# Runs the CLI in a child interpreter that cannot take more than 1 GiB, and times the command alone
# (after a first run on a valid file has imported what validation needs), so a regression fails the
# test instead of the machine.
_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from typer.testing import CliRunner
from firebell.cli.main import app
assert CliRunner().invoke(app, ["config", "validate", sys.argv[2]]).exit_code == 0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
result = CliRunner().invoke(app, ["config", "validate", sys.argv[1]])
print(json.dumps({"seconds": time.perf_counter() - start, "exit_code": result.exit_code,
                  "stdout": result.stdout, "stderr": result.stderr, "exception": repr(result.exception),
                  "grown_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
"""


def _validate_in_child(path: Path) -> dict[str, object]:
    valid = write(path.parent, "valid.yaml", BASE)
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(valid)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, object] = json.loads(proc.stdout.splitlines()[-1])
    return result


def test_a_billion_laughs_file_is_refused_at_the_alias_in_well_under_a_second(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.yaml", LAUGHS)
    result = _validate_in_child(path)
    assert result["exit_code"] == 1, result["exception"]
    lines = str(result["stdout"]).splitlines()
    # The fifth level (&l4) is where the aliases pass the budget, at its eighth alias.
    assert lines == [f"{path}:7:45: YAML aliases expand this file to more than 100000 values; "
                     "use anchors and aliases for small shared defaults only"]
    assert str(result["stderr"]).strip() == f"1 error in {path}"
    assert float(str(result["seconds"])) < 0.5
    assert int(str(result["grown_kib"])) < 50_000


def test_aliases_for_shared_defaults_still_work(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE.replace(
        "  - {name: auth, team: security, escalation_policy: ep-p1, status_page_component: Auth}\n",
        "  - {name: auth, team: security, escalation_policy: ep-p1, status_page_component: Auth}\n"
        "  - &web {name: web, team: platform, escalation_policy: ep-p1}\n"
        "  - {<<: *web, name: www}\n"))
    result = runner.invoke(app, ["config", "validate", str(path)])
    assert result.exit_code == 0, result.stdout
    assert "4 services" in result.stdout


@pytest.mark.parametrize("style", ["flow", "block"])
def test_five_thousand_levels_of_nesting_is_one_located_error_not_a_traceback(tmp_path: Path, style: str) -> None:
    depth = 5000
    nested = ("[" * depth + "]" * depth + "\n") if style == "flow" else (
        "\n" + "".join("  " * level + "-\n" for level in range(1, depth + 1)))
    path = write(tmp_path, "deep.yaml", "organisation: {name: x, timezone: UTC}\nteams: " + nested)
    result = runner.invoke(app, ["config", "validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    line, column = (2, 71) if style == "flow" else (66, 129)
    assert result.stdout.splitlines() == [
        f"{path}:{line}:{column}: values nested more than 64 levels deep; a configuration needs far fewer"]


KEY_ENV = BASE.replace(
    "  - {name: auth, team: security, escalation_policy: ep-p1, status_page_component: Auth}\n",
    "  - name: auth\n    team: security\n    escalation_policy: ep-p1\n    integrations:\n"
    "      - {name: pd, type: pagerduty, key_env: FIREBELL_TEST_PD_KEY}\n")


def test_validate_reports_an_unset_key_env_variable_at_its_line(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "config.yaml", KEY_ENV)
    monkeypatch.delenv("FIREBELL_TEST_PD_KEY", raising=False)
    result = runner.invoke(app, ["config", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:28:46: environment variable FIREBELL_TEST_PD_KEY is not set; integration auth/pd reads its key "
        "from it (key_env)"]

    monkeypatch.setenv("FIREBELL_TEST_PD_KEY", "pd-key-0123456789abcdef")
    assert runner.invoke(app, ["config", "validate", str(path)]).exit_code == 0


def test_validate_can_skip_the_environment_where_secrets_are_not_at_hand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "config.yaml", KEY_ENV)
    monkeypatch.delenv("FIREBELL_TEST_PD_KEY", raising=False)
    result = runner.invoke(app, ["config", "validate", "--skip-env", str(path)])
    assert result.exit_code == 0, result.stdout


def test_apply_reports_an_unset_key_env_variable_at_its_line_and_writes_nothing(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "config.yaml", KEY_ENV)
    monkeypatch.setenv("FIREBELL_TEST_PD_KEY", "short")
    result = runner.invoke(app, ["config", "apply", str(path), "--database-url", database_url])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:28:46: environment variable FIREBELL_TEST_PD_KEY does not hold a valid key for integration "
        "auth/pd; a key is 16 to 128 letters, digits, '-' and '_'"]
    planned = runner.invoke(app, ["config", "plan", str(path), "--database-url", database_url])
    assert planned.exit_code == 0 and "+ team platform" in planned.stdout  # nothing was applied
