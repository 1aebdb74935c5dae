"""The scheduling recipes in examples/ work as written: each parses as what it claims to be and
runs `sheetfollow sync` the way the README says."""

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sheetfollow.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PUBLIC_ACTIONS = {"actions/checkout": "v4", "actions/setup-python": "v5"}


def sync_args(command: str) -> list[str]:
    """The arguments after `sheetfollow` in a shell command line that runs it."""
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word == "sheetfollow" or word.endswith(("/sheetfollow", "\\sheetfollow.exe")):
            return words[i + 1:]
    raise AssertionError(f"no sheetfollow in {command!r}")


def check_sync_options(args: list[str]) -> None:
    """`sync TARGET [options]` with options the real command accepts."""
    assert args[0] == "sync" and not args[1].startswith("-")
    known = {opt for param in cli.commands["sync"].params for opt in param.opts}
    known |= {"--log-file"}  # sync gains it with cli_daily.log_file_option
    for arg in args[2:]:
        if arg.startswith("-"):
            assert arg in known, f"sync has no option {arg}"


# ---------------------------------------------------------------- GitHub Actions

@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())


def test_workflow_is_scheduled_and_can_be_run_by_hand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert triggers["schedule"] == [{"cron": "30 6 * * 1-5"}]
    assert "workflow_dispatch" in triggers
    assert len(triggers["schedule"][0]["cron"].split()) == 5


def test_workflow_uses_only_public_pinned_actions(workflow):
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    used = [s["uses"] for s in steps if "uses" in s]
    assert used
    for action in used:
        name, _, version = action.partition("@")
        assert PUBLIC_ACTIONS.get(name) == version, action


def test_workflow_installs_and_syncs_with_the_secret(workflow):
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'pip install "git+https://github.com/OWNER/sheetfollow"' in runs
    assert "${{ github.repository }}" not in runs  # the user's repository is not sheetfollow's
    sync_step = next(s for s in steps if "sheetfollow sync" in s.get("run", ""))
    env = sync_step["env"]
    assert env["SHEETFOLLOW_SERVICE_ACCOUNT_JSON"] == "${{ secrets.GOOGLE_SERVICE_ACCOUNT_JSON }}"
    assert "SHEETFOLLOW_SHEET" in env["SHEETFOLLOW_SHEET"]
    assert re.search(r'^\s*sheetfollow sync "\$SHEETFOLLOW_SHEET"', sync_step["run"], re.M)
    text = (EXAMPLES / "github-actions.yml").read_text()
    assert "OWNER" in text and "GOOGLE_SERVICE_ACCOUNT_JSON" in text.split("name:")[0]


def test_workflow_shell_steps_parse():
    if not shutil.which("bash"):
        pytest.skip("no bash")
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                subprocess.run(["bash", "-n"], input=step["run"], text=True, check=True)


# ---------------------------------------------------------------- cron

def test_crontab_line():
    lines = [line for line in (EXAMPLES / "cron.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    minute, hour, day, month, weekday, command = fields
    for field, low, high in ((minute, 0, 59), (hour, 0, 23), (weekday, 0, 7)):
        for number in re.findall(r"\d+", field):
            assert low <= int(number) <= high
    assert (day, month) == ("*", "*")
    assert "%" not in command  # cron turns % into a new line
    assert re.search(r"(^|/)sheetfollow sync ", command)
    args = sync_args(command)
    assert "--quiet" in args and "--log-file" in args
    check_sync_options(args)
    assert all(Path(w).is_absolute() for w in shlex.split(command) if "/" in w)


# ---------------------------------------------------------------- systemd

def units():
    parsed = {}
    for name in ("sheetfollow.service", "sheetfollow.timer"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read_string((EXAMPLES / name).read_text())
        parsed[name] = parser
    return parsed


def test_systemd_units_have_the_right_sections_and_keys():
    service, timer = units().values()
    assert set(service.sections()) == {"Unit", "Service"}
    assert service["Service"]["Type"] == "oneshot"
    args = sync_args(service["Service"]["ExecStart"].replace("%h", "/home/you"))
    assert "--quiet" in args and "--log-file" in args
    check_sync_options(args)
    assert "75" in service["Service"]["SuccessExitStatus"].split()
    assert set(timer.sections()) == {"Unit", "Timer", "Install"}
    assert timer["Timer"]["OnCalendar"] == "*-*-* 07:30:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["Unit"] == "sheetfollow.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_verify(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    # The units name the user's own sheetfollow; verify them with one that exists here.
    exe = Path(sys.executable).parent / "sheetfollow"
    if not exe.exists():
        pytest.skip("no sheetfollow executable beside this Python")
    text = (EXAMPLES / "sheetfollow.service").read_text()
    (tmp_path / "sheetfollow.service").write_text(
        text.replace("%h/.local/share/sheetfollow-venv/bin/sheetfollow", str(exe)))
    shutil.copy(EXAMPLES / "sheetfollow.timer", tmp_path)
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "sheetfollow.timer"),
                             str(tmp_path / "sheetfollow.service")],
                            capture_output=True, text=True, timeout=60)
    if result.returncode and "Failed to initialize manager" in result.stderr:
        pytest.skip("systemd-analyze cannot run here: " + result.stderr.strip())
    assert result.returncode == 0, result.stderr
    assert "sheetfollow" not in result.stderr, result.stderr  # no complaint about our units


# ---------------------------------------------------------------- Windows

def test_windows_schtasks_line():
    text = (EXAMPLES / "windows-task.txt").read_text()
    line = next(line for line in text.splitlines() if line.startswith("schtasks /Create"))
    assert "/SC DAILY" in line and "/ST 07:30" in line and '/TN "sheetfollow"' in line
    task = re.search(r'/TR "(.*)"$', line)[1].replace('\\"', '"')
    args = sync_args(task.replace("\\", "/").replace("/sheetfollow.exe", "/sheetfollow"))
    assert args[0] == "sync" and "--quiet" in args and "--log-file" in args
    check_sync_options(args)
    assert len(task.replace("%USERPROFILE%", "C:\\Users\\someone.longname")) < 261  # /TR limit
    powershell = [line for line in text.splitlines() if "Register-ScheduledTask" in line]
    assert powershell and "-StartWhenAvailable" in text and "-Daily -At 7:30am" in powershell[0]
