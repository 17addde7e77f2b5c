"""The book's table of contents (_toc.yml): checked against the plan, and cut down for a subset build."""

from __future__ import annotations

from pathlib import Path

import yaml

from .constants import CHAPTER_DIR, OVERVIEW
from .errors import BuildError


def chapter_files(toc: dict) -> list[str]:
    files = []
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    files += [c["file"] for c in toc.get("chapters", [])]
    return files


def expected_files(slugs) -> list[str]:
    return [f"{CHAPTER_DIR}/{OVERVIEW}"] + [f"{CHAPTER_DIR}/{s}" for s in slugs]


def check(toc_path: Path, plan) -> dict:
    """The committed _toc.yml must list the overview and every goal area of the plan, in plan order."""
    toc = yaml.safe_load(Path(toc_path).read_text(encoding="utf-8"))
    have = [f for f in chapter_files(toc) if f.startswith(f"{CHAPTER_DIR}/")]
    want = expected_files(plan.slugs)
    if have != want:
        missing = [f for f in want if f not in have]
        extra = [f for f in have if f not in want]
        detail = (f"missing {', '.join(missing)}; " if missing else "") + (
            f"not in the plan {', '.join(extra)}; " if extra else ""
        )
        raise BuildError(
            f"{toc_path}: the chapters do not match the goal areas of {plan.path}: "
            f"{detail or 'wrong order; '}expected {', '.join(want)}"
        )
    return toc


def subset(toc: dict, slugs) -> dict:
    """The table of contents with only the chosen goal areas (pages outside chapters/ are kept)."""
    keep = set(expected_files(slugs)) | {f for f in chapter_files(toc) if not f.startswith(f"{CHAPTER_DIR}/")}
    out = dict(toc)
    if "parts" in toc:
        out["parts"] = [dict(p, chapters=[c for c in p["chapters"] if c["file"] in keep]) for p in toc["parts"]]
        out["parts"] = [p for p in out["parts"] if p["chapters"]]
    if "chapters" in toc:
        out["chapters"] = [c for c in toc["chapters"] if c["file"] in keep]
    return out
