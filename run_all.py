#!/usr/bin/env python3
"""The analysts' command line: build the annual follow-up of Borlänge kommun's strategic plan.

    python run_all.py build [--year YEAR] [--areas slug,slug,...] [--jobs N] [--no-pdf]
    python run_all.py            (same as build)
    python run_all.py fetch --year YEAR [--base-url URL]
    python run_all.py local      (after editing data/local/values.csv: check it and record its hash)
    python run_all.py verify [MANIFEST] [--quick]   (prove a report: default _build/manifest.json)
    python run_all.py verify [MANIFEST] --draft DRAFT_MANIFEST   (show it differs from its draft only in the status)
    python run_all.py clean      (remove _build/ and the staging folders)
    python run_all.py publish    (archive the year's PDF, results, downloads, manifest and inputs in reports/<year>/)

It validates the plan (data/plan.yml) and the data (data/kolada + data/local when a real snapshot exists,
otherwise the example data in data/example), executes one notebook per goal area and the overview with
papermill, and builds the website with Jupyter Book into _build/html/. A failure stops the run with a
non-zero exit and a message naming the goal area and what failed; _build/ is then left as it was.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

# Only light modules here: `build` first checks whether anything changed, without pandas or matplotlib.
from followup.constants import DEFAULT_BASE_URL
from followup.errors import FollowupError
from followup.runs import RunLock

REPO = Path(__file__).resolve().parent

log = logging.getLogger("followup.cli")


def parse_areas(text: str) -> list[str]:
    areas = [a.strip() for a in text.split(",") if a.strip()]
    if not areas:
        raise argparse.ArgumentTypeError("expected one or more goal-area slugs separated by commas")
    return areas


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_all.py",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Examples:\n  python run_all.py build\n  python run_all.py build --year 2024 --areas skolan,miljo",
    )
    sub = p.add_subparsers(dest="command")
    b = sub.add_parser("build", help="validate, execute the notebooks and build the website (default)")
    b.add_argument("--year", type=int, help="report year (default: the latest year in the data)")
    b.add_argument(
        "--areas", type=parse_areas, help="comma-separated goal-area slugs to build (default: all, in plan order)"
    )
    b.add_argument("--jobs", type=int, help="notebooks executed in parallel (default: the number of cores)")
    b.add_argument("--wait", action="store_true", help="if another run is in progress, wait for it (default: refuse)")
    b.add_argument(
        "--no-pdf", dest="pdf", action="store_false", help="build the website only, without the PDF (quicker)"
    )
    b.add_argument(
        "--force",
        action="store_true",
        help="rebuild even if nothing changed, and execute every notebook again (the cache's entries are renewed)",
    )
    b.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="build from nothing, as make verify does: every notebook in a fresh kernel, no cache read or written",
    )
    b.add_argument(
        "--project",
        type=Path,
        default=REPO,
        help="folder with data/, notebooks/, book/, _config.yml and _toc.yml (default: this repository)",
    )
    f = sub.add_parser("fetch", help="fetch the plan's KPIs from Kolada into data/kolada/ (a new snapshot)")
    f.add_argument("--year", type=int, required=True, help="the report year to fetch data for")
    f.add_argument(
        "--base-url",
        default=os.environ.get("KOLADA_BASE_URL") or DEFAULT_BASE_URL,
        help="Kolada API base URL (default: $KOLADA_BASE_URL, else %(default)s)",
    )
    f.add_argument("--wait", action="store_true", help="if another run is in progress, wait for it (default: refuse)")
    f.add_argument("--project", type=Path, default=REPO, help=argparse.SUPPRESS)
    loc = sub.add_parser("local", help="check data/local/values.csv and record its sha256 in the manifest")
    loc.add_argument("--project", type=Path, default=REPO, help=argparse.SUPPRESS)
    v = sub.add_parser("verify", help="check a report's recorded inputs and files, re-execute it and compare")
    v.add_argument("manifest", nargs="?", type=Path, help="a build manifest (default: _build/manifest.json)")
    v.add_argument("--quick", action="store_true", help="only check the recorded hashes; do not re-execute")
    v.add_argument(
        "--draft",
        type=Path,
        metavar="DRAFT_MANIFEST",
        help="instead: show that the report differs from this draft of it only in the status lines "
        "(e.g. reports/2025-utkast/manifest.json)",
    )
    v.add_argument("--project", type=Path, default=REPO, help=argparse.SUPPRESS)
    cl = sub.add_parser(
        "clean", help="remove _build/, the cache (.cache/) and the staging folders (not while a run is going on)"
    )
    cl.add_argument("--project", type=Path, default=REPO, help=argparse.SUPPRESS)
    pub = sub.add_parser("publish", help="archive the built report in reports/<year>/ for committing")
    pub.add_argument("--project", type=Path, default=REPO, help=argparse.SUPPRESS)
    return p


def _interrupt(signum, frame):
    """SIGTERM (e.g. from a job runner) stops a run as cleanly as Ctrl-C."""
    raise KeyboardInterrupt


def _fetch(args) -> int:
    from followup.fetch import fetch, summary

    changes = fetch(args.project.resolve(), args.year, args.base_url, wait=args.wait)
    for line in summary(changes):
        log.info(line)
    return 0


def _verify(args) -> int:
    from followup.verify import compare_with_draft, verify

    project = args.project.resolve()
    if args.draft:
        return compare_with_draft(args.manifest or project / "_build" / "manifest.json", args.draft, project)
    return verify(args.manifest or project / "_build" / "manifest.json", project, rerun=not args.quick)


def _publish(args) -> int:
    from followup.publish import publish

    publish(args.project.resolve())
    return 0


def _local(args) -> int:
    """Check data/local/values.csv and seal it; without the file (a new snapshot), create it to fill in."""
    project = args.project.resolve()
    folder = project / "data" / "local"
    from followup.data import seal_local

    with RunLock(project, "check of the local data"):
        existed = (folder / "values.csv").exists()
        n = seal_local(folder, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), project / "data" / "plan.yml")
    if existed:
        log.info(f"data/local/values.csv: {n} rows checked against the plan; its hash is recorded in the manifest")
    else:
        log.info(
            f"data/local/values.csv did not exist: created it with {n} rows to fill in (status 'ej levererat'); "
            "its hash is recorded in the manifest"
        )
    return 0


def _clean(args) -> int:
    project = args.project.resolve()
    with RunLock(project, "clean"):
        shutil.rmtree(project / "_build", ignore_errors=True)
        shutil.rmtree(project / ".cache", ignore_errors=True)
        for path in (project / ".staging").glob("*"):
            if path.name != "run.lock":
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    log.info("removed _build/, the cache (.cache/) and the staging folders")
    return 0


def _build(args) -> int:
    project = args.project.resolve()
    if args.cache and not args.force:
        from followup.fingerprint import unchanged

        reason = unchanged(project, args.year, args.areas, args.pdf)
        if reason is not None:
            log.info(reason)
            return 0
    from followup.build import build

    build(
        project,
        year=args.year,
        areas=args.areas,
        jobs=args.jobs,
        with_pdf=args.pdf,
        wait=args.wait,
        use_cache=args.cache,
        force=args.force,
    )
    return 0


COMMANDS = {"build": _build, "fetch": _fetch, "verify": _verify, "publish": _publish, "local": _local, "clean": _clean}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, "build")
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout, force=True)
    try:
        return COMMANDS[args.command](args)
    except FollowupError as exc:
        # Paths relative to the project folder: shorter, and the same on every machine.
        text = str(exc).replace(f"{args.project.resolve()}{os.sep}", "")
        print(f"error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; _build/ and data/ are unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    code = main()
    # Done: every file is written and closed, every process of the run stopped or on its way out. Skip the
    # interpreter's teardown of pandas, matplotlib and the rest (about half a second after every build).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
