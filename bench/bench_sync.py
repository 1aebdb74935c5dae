"""Sync speed and memory against an openpyxl load + save of the same workbook.

For generated workbooks of 1,000, 10,000 and 50,000 leads, runs side by side, interleaved, in
fresh processes (as a user or cron would):
  - a first sync of a fresh copy (`sheetfollow sync`), its wall time and peak memory (max RSS);
  - a second sync of that copy on the same day, which must not rewrite the file;
  - an openpyxl load + save of the same workbook (what the sync is measured against).
Prints medians over --runs runs, the ratio sync / openpyxl and the peak memory of both syncs.
Targets (issue): ratio at most 0.5 at 10,000 and 50,000 leads, peak memory under 400 MB at
50,000, no rewrite on the second sync.

    python bench/bench_sync.py [--sizes 1000,10000,50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import make_workbook  # noqa: E402

TODAY = "2026-11-23"
OPENPYXL = ("import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1]); "
            "wb.save(sys.argv[2])")


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one command, run in a fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def compile_modules() -> None:
    """Compile sheetfollow's modules once, as ``pip install`` does for openpyxl's: without it,
    an editable install run with PYTHONDONTWRITEBYTECODE set would compile them in every run."""
    import sheetfollow

    package = str(Path(sheetfollow.__file__).parent)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def sync_cmd(path: Path) -> list[str]:
    return [sys.executable, "-m", "sheetfollow", "sync", str(path), "--today", TODAY, "--quiet"]


def bench(size: int, runs: int, folder: Path) -> dict:
    source = folder / f"leads-{size}.xlsx"
    make_workbook(source, size, seed=1)
    first, second, memory, memory2, baseline, rewritten = [], [], [], [], [], 0
    for run in range(runs):
        copy = folder / f"run-{size}-{run}.xlsx"
        shutil.copyfile(source, copy)
        seconds, peak = measure(sync_cmd(copy))
        first.append(seconds)
        memory.append(peak)
        before = (copy.stat().st_mtime_ns, copy.read_bytes())
        seconds, peak = measure(sync_cmd(copy))
        second.append(seconds)
        memory2.append(peak)
        rewritten += (copy.stat().st_mtime_ns, copy.read_bytes()) != before
        baseline.append(measure([sys.executable, "-c", OPENPYXL, str(source),
                                 str(folder / "openpyxl-out.xlsx")])[0])
        copy.unlink()
        shutil.rmtree(folder / ".sheetfollow-backups", ignore_errors=True)
    return {"size": size, "sync": statistics.median(first),
            "second": statistics.median(second), "openpyxl": statistics.median(baseline),
            "peak_mb": max(memory), "peak2_mb": max(memory2), "rewritten": rewritten, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'leads':>7} {'sync s':>8} {'2nd sync s':>10} {'openpyxl s':>10} {'ratio':>6} "
          f"{'peak MB':>8} {'2nd peak':>8}  second sync rewrote the file")
    compile_modules()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            r = bench(size, args.runs, Path(tmp))
            print(f"{r['size']:>7} {r['sync']:>8.2f} {r['second']:>10.2f} {r['openpyxl']:>10.2f} "
                  f"{r['sync'] / r['openpyxl']:>6.2f} {r['peak_mb']:>8.0f} {r['peak2_mb']:>8.0f}  "
                  f"{r['rewritten']} of {r['runs']} times", flush=True)
    print(f"medians of {args.runs} runs; peak MB: the largest max RSS of the first syncs (2nd "
          "peak: of the second syncs), a forked helper process counted as its own max RSS")


if __name__ == "__main__":
    main()
