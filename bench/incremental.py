#!/usr/bin/env python3
"""The incremental-build benchmark (issue #12): our build against a naive papermill loop, side by side.

    .venv/bin/python bench/incremental.py [--repeat 3] [--cases naive,cold,nochange,commentary,local]
                                          [--keep] [--markdown FILE] [--strict]

On the same machine, in one run, it measures these cases, each repetition in a fresh temporary copy of the
project (the working tree's files as git lists them: tracked ones, plus untracked ones .gitignore does not
exclude, with their current content; never .venv, _build, .staging or .cache):

- naive:      bench/naive_loop.py, cold (the papermill, jupyter-book and Chromium command lines in a plain
              sequential loop; it keeps nothing between runs, so its time for every case is its cold time);
- cold:       `run_all.py build --project COPY` after `run_all.py clean --project COPY` and removing
              COPY/.cache;
- nochange:   the same build again, right after the successful cold build;
- commentary: one sentence appended to book/commentary/2025/skolan.md, then the build;
- local:      one value of a goal area's local indicator corrected in data/local/values.csv (e-tjanster,
              digital-utveckling, 2025: +2), `run_all.py local --project COPY` (timed and reported on its
              own, not in the gate), then the build.

Our cases run one after the other in the same copy (cold, no change, commentary, local: each starts from
the previous successful build); with --cases leaving out cold, the copy's first build still runs, untimed.
The copy is set up as a real data set: data/example/kolada and data/example/local are copied to
data/kolada and data/local (the same values, still marked as example data), so that `run_all.py local`
applies to the data the build reads (data/README.md, followup.data.choose_root), and sealed once with
`run_all.py local`, untimed (which makes the local manifest the one a delivery has: source "local"; the
local case then changes one value and nothing else). The naive loop gets a copy set up the same way.
Every command runs the copy's own code (COPY/run_all.py, with PYTHONPATH=COPY for the kernels and Sphinx
too), so an edit of the repository during the benchmark does not change what it measures. Times are the
wall time of each command line, interpreter start-up included. The commands' output, each line with the
second it came at, goes to a log beside each copy (kept with --keep).

For fairness the naive and our runs alternate: naive, ours, naive, ours, ... Each case is repeated
--repeat times (default 3; at least 3 for a recorded table) and reported as its median and spread
(min–max) in seconds. It checks that the work was real: the naive report has the same number of PDF
pages (within 2) and figures (SVG images on the website, figure captions in the PDF) as our cold build of
the same round; after the commentary case the sentence is on the website and in the PDF; after the local
case the results file, the website and the PDF show the corrected value.

It prints a Markdown table (case, naive median (spread), ours median (spread), ours/naive, gate, met) with
the machine, the load average before and after, the date, the commit and the Python version. Gates:
cold ≤ 0.5 × naive cold; no change ≤ 3 s and ≤ 0.05 × naive cold; commentary ≤ 15 s and ≤ 0.25 × naive
cold; local value ≤ 18 s and ≤ 0.3 × naive cold. Exit code 0 unless a build or a check fails; with
--strict also 1 when a gate is missed.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from machine import hardware  # noqa: E402
from naive_loop import build_counts, compare, copy_project, outputs, report_counts  # noqa: E402

PY = sys.executable
CASES = ("naive", "cold", "nochange", "commentary", "local")
OURS = ("cold", "nochange", "commentary", "local")
LABELS = {
    "cold": "cold build (after `clean`, no `.cache`)",
    "nochange": "no change (the same build again)",
    "commentary": "one commentary file changed (`skolan.md`)",
    "local": "one local value corrected (the build after `values.csv` and `run_all.py local`)",
    "local_step": "`run_all.py local` before that build (timed on its own, not in the gate)",
}
# case: (at most so many seconds, at most this share of the naive loop's cold median)
GATES = {"cold": (None, 0.5), "nochange": (3.0, 0.05), "commentary": (15.0, 0.25), "local": (18.0, 0.3)}
YEAR = 2025
COMMENTARY = Path("book/commentary") / str(YEAR) / "skolan.md"
LOCAL = ("e-tjanster", "digital-utveckling", YEAR, 2)  # indicator, its goal area, year, added to its value
PAGE_TOLERANCE = 2


class Failed(Exception):
    """A command or a check failed: the benchmark stops (exit 1) and keeps its folders."""


# ---------------------------------------------------------------- the copies and the commands


def prepare(dest: Path, log: Path) -> Path:
    """A fresh copy of the project, set up with the example data as its real data set (data/kolada,
    data/local, sealed once by `run_all.py local`, untimed, so that the local data's manifest is already
    the one a delivery gets), and this benchmark's naive loop in it (also when not committed yet)."""
    project = copy_project(dest)
    if not (project / "data" / "kolada" / "manifest.json").exists():  # (a real snapshot is kept as it is)
        for part in ("kolada", "local"):
            shutil.copytree(project / "data" / "example" / part, project / "data" / part)
        run_all(project, "local", log)
    (project / "bench").mkdir(exist_ok=True)
    shutil.copy2(BENCH / "naive_loop.py", project / "bench" / "naive_loop.py")
    return project


def timed(cmd: list, project: Path, log: Path) -> float:
    """Run one command line in the copy with the copy's code; its output goes to the log, each line with
    the seconds since the start (where the time goes). Returns the wall seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(project), os.environ.get("PYTHONPATH")]))}
    cmd = [str(c) for c in cmd]
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        start = time.perf_counter()
        with subprocess.Popen(
            cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as proc:
            for line in proc.stdout:
                f.write(f"[{time.perf_counter() - start:6.1f}] {line}")
        secs = time.perf_counter() - start
        f.write(f"[exit {proc.returncode}, {secs:.1f} s]\n")
    if proc.returncode:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:])
        raise Failed(f"{' '.join(cmd)} failed (exit {proc.returncode}); log {log}:\n{tail}")
    return secs


def run_all(project: Path, command: str, log: Path) -> float:
    return timed([PY, project / "run_all.py", command, "--project", project], project, log)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the changes and their checks


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(build: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(next((build / "pdf").glob("*.pdf"))))
    return flat("\n".join(page.extract_text() or "" for page in reader.pages))


def append_sentence(project: Path, round_no: int) -> str:
    sentence = f"Prestandatestet lade till den här meningen i omgång {round_no}."
    path = project / COMMENTARY
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f"\n\n{sentence}\n", encoding="utf-8")
    return sentence


def correct_local_value(project: Path) -> tuple[str, str]:
    """Add LOCAL's amount to the local indicator's value for the year in data/local/values.csv; returns the
    old and the new value as written."""
    indicator, _, year, delta = LOCAL
    path = project / "data" / "local" / "values.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        fields = next(csv.reader([line]))
        if fields[0] == indicator and fields[2] == str(year) and fields[3] == "T" and fields[4]:
            prefix = ",".join(fields[:4]) + ","
            new = f"{float(fields[4]) + delta:g}"
            lines[i] = prefix + new + line[len(prefix) + len(fields[4]) :]
            path.write_text("".join(lines), encoding="utf-8")
            return fields[4], new
    raise Failed(f"{path}: no value of {indicator} for {year} to correct")


def check_commentary(build: Path, sentence: str) -> list[str]:
    page = (build / "html" / "chapters" / "skolan.html").read_text(encoding="utf-8")
    problems = [] if sentence in flat(page) else ["the added sentence is not on the website (chapters/skolan.html)"]
    if sentence not in pdf_text(build):
        problems.append("the added sentence is not in the PDF")
    return problems


def check_local(build: Path, new: str) -> list[str]:
    indicator, area, year, _ = LOCAL
    problems = []
    with open(build / "results" / f"resultat-{year}.csv", encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["indicator"] == indicator)
    if float(row["value"]) != float(new):
        problems.append(f"results file: {indicator} is {row['value']}, not the corrected {new}")
    shown = f"{new} år {year}"
    if shown not in flat((build / "html" / "chapters" / f"{area}.html").read_text(encoding="utf-8")):
        problems.append(f"website: chapters/{area}.html does not show '{shown}'")
    if shown not in pdf_text(build):
        problems.append(f"PDF: does not show '{shown}'")
    return problems


# ---------------------------------------------------------------- one round: naive, then ours


def naive_round(folder: Path) -> tuple[float, dict]:
    project = prepare(folder / "project", folder / "naive.log")
    work = folder / "work"
    cmd = [PY, project / "bench" / "naive_loop.py", "--project", project, "--work", work, "--no-check"]
    secs = timed(cmd, project, folder / "naive.log")
    return secs, report_counts(*outputs(work))


def ours_round(folder: Path, cases: list[str], times: dict, round_no: int) -> tuple[dict, list[str]]:
    """Our cases in one copy, in order; records their seconds in `times`; returns the cold build's counts
    and the checks' notes."""
    log, notes = folder / "ours.log", []
    project = prepare(folder / "project", log)
    build = project / "_build"
    run_all(project, "clean", log)
    shutil.rmtree(project / ".cache", ignore_errors=True)
    secs = run_all(project, "build", log)
    say(f"    ours cold {secs:.1f} s" + ("" if "cold" in cases else " (untimed: the first build)"))
    if "cold" in cases:
        times["cold"].append(secs)
    counts = build_counts(build)
    if "nochange" in cases:
        times["nochange"].append(run_all(project, "build", log))
        say(f"    ours no change {times['nochange'][-1]:.1f} s")
    if "commentary" in cases:
        sentence = append_sentence(project, round_no)
        times["commentary"].append(run_all(project, "build", log))
        say(f"    ours commentary {times['commentary'][-1]:.1f} s")
        notes += [f"round {round_no}, commentary: {p}" for p in check_commentary(build, sentence)]
    if "local" in cases:
        old, new = correct_local_value(project)
        times["local_step"].append(run_all(project, "local", log))
        times["local"].append(run_all(project, "build", log))
        say(f"    ours local {times['local_step'][-1]:.1f} s + build {times['local'][-1]:.1f} s ({old} → {new})")
        notes += [f"round {round_no}, local value: {p}" for p in check_local(build, new)]
    return counts, notes


def measure(root: Path, cases: list[str], repeat: int, keep: bool) -> tuple[dict, list[str], list[str]]:
    """Alternate naive and our rounds; returns the seconds per case, the report checks' lines and the
    problems found."""
    times = {case: [] for case in [*CASES, "local_step"]}
    checks, problems = [], []
    for r in range(1, repeat + 1):
        naive = None
        if "naive" in cases:
            say(f"round {r}/{repeat}: naive loop …")
            secs, naive = naive_round(root / f"round{r}-naive")
            times["naive"].append(secs)
            say(f"    naive cold {secs:.1f} s")
        if any(c in cases for c in OURS):
            say(f"round {r}/{repeat}: our build …")
            ours, notes = ours_round(root / f"round{r}-ours", cases, times, r)
            problems += notes
            if naive is not None:
                checks.append(f"round {r}: " + counts_text(naive, ours))
                problems += [f"round {r}, naive report: {p}" for p in compare(naive, ours, PAGE_TOLERANCE)]
        if not keep:
            for folder in root.glob(f"round{r}-*"):
                shutil.rmtree(folder, ignore_errors=True)
    return times, checks, problems


# ---------------------------------------------------------------- the report


def counts_text(naive: dict, ours: dict) -> str:
    return (
        f"PDF pages naive {naive['pages']} / ours {ours['pages']}, SVG images on the website "
        f"{naive['html_figures']} / {ours['html_figures']}, figure captions in the PDF "
        f"{naive['pdf_figures']} / {ours['pdf_figures']}"
    )


def spread(xs: list[float]) -> str:
    if not xs:
        return "—"
    return f"{statistics.median(xs):.1f} s ({min(xs):.1f}–{max(xs):.1f})"


def gate(case: str, naive: float | None, ours: float) -> tuple[str, str]:
    """The gate's text (with its limit in seconds when known) and whether it is met: yes, no or n/a."""
    absolute, share = GATES[case]
    parts = ([f"≤ {absolute:g} s"] if absolute else []) + [f"≤ {share:g} × naive cold"]
    limits = ([absolute] if absolute else []) + ([share * naive] if naive else [])
    text = " and ".join(parts) + (f" (≤ {min(limits):.1f} s)" if naive else "")
    if absolute and ours > absolute:
        return text, "no"
    if naive is None:
        return text, "n/a"
    return text, "yes" if ours <= min(limits) else "no"


def table(times: dict) -> tuple[list[str], list[str]]:
    """The Markdown table's lines and the cases whose gate was missed."""
    naive = statistics.median(times["naive"]) if times["naive"] else None
    lines = [
        "| case | naive: median (min–max) | ours: median (min–max) | ours / naive | gate | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    missed = []
    for case in OURS:
        if not times[case]:
            continue
        ours = statistics.median(times[case])
        ratio = f"{ours / naive:.3f}" if naive else "—"
        text, met = gate(case, naive, ours)
        missed += [case] if met == "no" else []
        row = [LABELS[case], spread(times["naive"]), spread(times[case]), ratio, text, met]
        lines.append("| " + " | ".join(row) + " |")
        if case == "local" and times["local_step"]:
            lines.append(f"| {LABELS['local_step']} | | {spread(times['local_step'])} | | | |")
    if naive and not any(times[c] for c in OURS):
        lines.append(f"| naive cold only | {spread(times['naive'])} | — | — | — | — |")
    return lines, missed


def machine() -> str:
    return f"{hardware()} (/proc/cpuinfo, /proc/meminfo)"


def commit() -> str:
    def git(*args) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    modified = git("status", "--porcelain", "--untracked-files=no").splitlines()
    untracked = git("ls-files", "--others", "--exclude-standard").splitlines()
    state = [f"{len(modified)} tracked file(s) modified"] if modified else []
    state += [f"{len(untracked)} untracked file(s), copied too"] if untracked else []
    return git("rev-parse", "--short", "HEAD") + (f" (dirty: {', '.join(state)})" if state else " (clean)")


def commit_text(start: str, end: str) -> str:
    if start == end:
        return start
    return f"{start} at the start, {end} at the end (the working tree changed during the run; each round copies it)"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(times: dict, checks: list[str], problems: list[str], head: dict, repeat: int) -> tuple[str, list[str]]:
    lines, missed = table(times)
    out = [
        f"Machine: {machine()}; Python {platform.python_version()}.",
        f"Date: {head['date']}. Commit: {commit_text(head['commit'], commit())}.",
        f"Load average (1, 5, 15 min): {head['load']} before, {load()} after.",
        f"{repeat} run(s) per case, each round in a fresh copy, naive and ours alternating; wall time of each "
        "command line. The naive loop keeps nothing between runs: its time for every case is its cold time.",
        "",
        *lines,
        "",
    ]
    out += [f"Same report ({PAGE_TOLERANCE} pages' tolerance): {line}." for line in checks]
    out += [f"Check failed: {p}." for p in problems]
    if times["commentary"] and not any("commentary" in p for p in problems):
        out.append("Commentary: the added sentence is on the website and in the PDF after each build.")
    if times["local"] and not any("local value" in p for p in problems):
        indicator, area, year, delta = LOCAL
        out.append(
            f"Local value: {indicator} ({area}) {year} +{delta}: the results file, the website and the PDF "
            "show the corrected value after each build."
        )
    return "\n".join(out), missed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per case (default 3; at least 3 for a recorded table)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of %(default)s")
    p.add_argument("--keep", action="store_true", help="keep the temporary copies (their folder is printed)")
    p.add_argument("--markdown", type=Path, help="also write the report (header and table) to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 when a gate is missed (default: report only)")
    args = p.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not cases or set(cases) - set(CASES):
        p.error(f"--cases: expected some of {', '.join(CASES)}")
    head = {"date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "commit": commit(), "load": load()}
    root = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    try:
        times, checks, problems = measure(root, cases, args.repeat, args.keep)
    except Failed as exc:
        print(f"error: {exc}\nfolders kept for inspection: {root}", file=sys.stderr)
        return 1
    text, missed = report(times, checks, problems, head, args.repeat)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.keep:
        say(f"kept: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    if problems:
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
