"""The command line: exit codes, one-line errors, help for every command, README coverage."""

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sheetfollow.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_pipeline.xlsx"
TODAY = "2026-11-23"


def run(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "leads.xlsx"
    assert run("init", path, "--example", "--today", TODAY).exit_code == 0
    return path


def commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command):
    for flag in ("--help", "-h"):
        result = run(command, flag)
        assert result.exit_code == 0
        assert result.output.startswith(f"Usage: cli {command}")


@pytest.mark.parametrize("command", commands())
def test_every_command_is_in_the_readme(command):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"`{command}[ `]", readme), f"README does not document '{command}'"


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "sheetfollow, version" in result.output


def test_sync_summary_then_nothing_changed(workbook):
    first = run("sync", workbook, "--today", TODAY)
    assert first.exit_code == 0
    assert first.output.startswith(f"Excel workbook {workbook}, {TODAY}: 30 leads, ")
    assert first.output.strip().endswith("saved.")
    again = run("sync", workbook, "--today", TODAY)
    assert again.output.strip().endswith("nothing changed.")


def test_sync_quiet_prints_nothing(workbook):
    result = run("sync", workbook, "--today", TODAY, "--quiet")
    assert result.exit_code == 0 and result.stdout == ""


def test_sync_json_shape(workbook):
    data = json.loads(run("sync", workbook, "--today", TODAY, "--json").stdout)
    assert data["today"] == TODAY and data["leads"] == 30 and data["written"] is True
    assert set(data) >= {"target", "due", "overdue", "upcoming", "invalid", "problems",
                         "changes", "touches_logged", "done_recorded", "dry_run"}
    assert data["invalid"] and data["invalid"][0]["flag"].startswith("INVALID")


def test_dry_run_prints_changes_and_leaves_the_file(workbook):
    before = workbook.read_bytes()
    result = run("sync", workbook, "--today", TODAY, "--dry-run")
    assert result.exit_code == 0
    assert "set Leads!" in result.output and "replace tab Due" in result.output
    assert "nothing written" in result.output
    assert workbook.read_bytes() == before
    data = json.loads(run("sync", workbook, "--today", TODAY, "--dry-run", "--json").stdout)
    assert data["dry_run"] and data["change_set"]["cells"]


def test_due_lists_todays_follow_ups(workbook):
    result = run("due", workbook, "--today", TODAY)
    assert result.exit_code == 0
    assert "overdue" in result.output and "Subject:" in result.output
    week = run("due", workbook, "--today", TODAY, "--week")
    assert len(week.output) > len(result.output)
    items = json.loads(run("due", workbook, "--today", TODAY, "--json").stdout)
    assert items and {"lead_id", "due", "channel", "message"} <= set(items[0])


def test_check_reports_errors_with_exit_1(workbook):
    result = run("check", workbook, "--today", TODAY)
    assert result.exit_code == 1  # the example has a lead with an impossible date
    assert "Error: Leads row" in result.output and "31/02/2025" in result.output


def test_check_ok_on_clean_workbook(tmp_path):
    path = tmp_path / "empty.xlsx"
    run("init", path)
    result = run("check", path)
    assert result.exit_code == 0 and result.output.strip().endswith("OK: ready to sync.")


def test_preview_by_id_and_name(workbook):
    run("sync", workbook, "--today", TODAY)
    result = run("preview", workbook, "L-0001", "--today", TODAY)
    assert result.exit_code == 0 and "(L-0001)" in result.output and "Next:" in result.output
    missing = run("preview", workbook, "nobody at all", "--today", TODAY)
    assert missing.exit_code == 1
    assert missing.stderr == ("Error: no lead matches 'nobody at all': give its ID "
                              "(e.g. L-0007) or its name\n")


@pytest.mark.parametrize("target, message", [
    ("missing.xlsx", "missing.xlsx"),
    ("leads.csv", "save a copy as Excel Workbook (.xlsx)"),
    ("notes.txt", "is neither an Excel workbook"),
    ("gsheet:short", "is not a Google Sheets address"),
])
def test_bad_targets_fail_with_one_line(target, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("sync", target)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr and "Traceback" not in result.output


def test_no_leads_tab_is_one_line_and_file_untouched(fixture_copy, tmp_path):
    import openpyxl

    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Contacts"
    wb.active.append(["Name"])
    wb.save(path)
    before = path.read_bytes()
    result = run("sync", path)
    assert result.exit_code == 1
    assert result.stderr == ("Error: the workbook has no Leads tab: rename the tab that holds "
                             "your leads to 'Leads' (with headers such as Name, Email, Last "
                             "Contact in row 1)\n")
    assert path.read_bytes() == before


def test_bad_today_option():
    result = run("sync", "x.xlsx", "--today", "23/11/2026")
    assert result.exit_code == 2 and "is not a date; use YYYY-MM-DD" in result.output


def test_init_refuses_to_overwrite(workbook):
    result = run("init", workbook)
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_python_dash_m_works(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "sheetfollow", "--version"], capture_output=True,
                         text=True, check=True)
    assert "sheetfollow, version" in out.stdout


def program(*args, setup: str = ""):
    """The installed program (``main``) in a new process, after the Python in ``setup``."""
    import subprocess
    import sys

    code = (f"import sys\n{setup}\nfrom sheetfollow.cli import main\n"
            f"sys.argv[1:] = {list(args)!r}\nmain()")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_the_program_ends_without_tearing_down_what_it_made(tmp_path):
    """After a command the process ends at once: Python does not free, object by object, what
    a big sync made (0.1 s at 10,000 leads), and runs no clean-up at exit. All the output is
    there, and the exit status is the command's."""
    demo = tmp_path / "demo.xlsx"
    shutil.copyfile(SAMPLE, demo)
    teardown = "import atexit; atexit.register(lambda: print('torn down'))"
    out = program("sync", str(demo), "--today", TODAY, "--dry-run", setup=teardown)
    assert out.returncode == 0, out.stderr
    assert out.stdout == run("sync", demo, "--today", TODAY, "--dry-run").stdout
    assert "torn down" not in out.stdout and out.stdout.count("\n") > 20
    missing = program("check", str(tmp_path / "nowhere.xlsx"), setup=teardown)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: ")
    assert "torn down" not in missing.stdout
    usage = program("sync", setup=teardown)
    assert usage.returncode == 2 and "Missing argument 'TARGET'" in usage.stderr


def test_readme_demo_on_the_sample_shows_every_stage_flag_and_warning(tmp_path):
    """The README's first command syncs a copy of the sample: the sample stays as it is, and
    the Due tab and flags show everything sheetfollow can say."""
    before = SAMPLE.read_bytes()
    demo = tmp_path / "demo.xlsx"
    shutil.copyfile(SAMPLE, demo)
    result = run("sync", demo, "--today", TODAY)
    assert result.exit_code == 0 and "1 new touch logged" in result.output  # a ticked Done
    assert SAMPLE.read_bytes() == before
    from sheetfollow.backends.excel import ExcelBackend

    data = ExcelBackend(demo).read(["Leads", "Due", "Settings", "Cadence", "Templates", "Log"])
    assert all(data.grid(t).height > 1 for t in ("Settings", "Cadence", "Templates", "Log"))
    leads = data.grid("Leads")
    header = leads.rows[0]
    flags = [str(r[header.index("Flag")]) for r in leads.rows[1:]]
    stages = {r[header.index("Stage")] for r in leads.rows[1:]}
    words = {part.split()[0] for f in flags for part in f.split(" · ")}
    assert {"INVALID", "DNC", "WON", "OVERDUE", "DUE", "AGREED", "UPCOMING", "SCHEDULED",
            "NURTURE", "LOST"} <= words
    joined = " ".join(flags)
    for warning in ("no email", "no phone", "add notes", "final touch", "duplicate of L-"):
        assert warning in joined
    assert {"New", "Contacted", "Qualified", "Proposal Sent", "Negotiation", "Won", "Lost",
            "Nurture", "Unsubscribed"} <= stages
    due = data.grid("Due")
    assert due.height > 5 and 20 <= leads.height - 1 <= 40
