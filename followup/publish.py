"""`make publish`: archive the built report in reports/<year>/ with the inputs it was built from.

The archive holds the PDF, the results (with the goal areas' documents), the downloads, the manifest and a
copy of every recorded input (the manifest's list), so last year's report stays verifiable after this
year's data and code have moved on.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from . import swap
from .data import sha256_file
from .errors import FollowupError
from .manifest import NOT_ARCHIVED
from .runs import RunLock, recover

log = logging.getLogger(__name__)


def publish(repo: Path, wait: bool = False) -> Path:
    """Copy the year's PDF, results, downloads, manifest and recorded inputs into reports/<year>/."""
    with RunLock(Path(repo), "publish", wait):
        recover(Path(repo))
        return _publish(Path(repo))


def _publish(repo: Path) -> Path:
    build_dir = Path(repo) / "_build"
    manifest_path = build_dir / "manifest.json"
    if not manifest_path.exists():
        raise FollowupError("_build/manifest.json not found: build the report first (make report)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    params = manifest["parameters"]
    if not params["pdf"] or params["areas_subset"]:
        raise FollowupError("only a full report (all goal areas, with the PDF) can be published: run make report")
    for rel, entry in manifest["outputs"].items():
        if sha256_file(build_dir / rel) != entry["sha256"]:
            raise FollowupError(f"_build/{rel} has changed since the build: rebuild before publishing")
    for rel, digest in manifest["inputs"].items():
        if not (Path(repo) / rel).exists() or sha256_file(Path(repo) / rel) != digest:
            raise FollowupError(f"{rel} has changed since the build: rebuild before publishing")
    year = params["year"]
    dest = Path(repo) / "reports" / str(year)
    tmp = swap.staging_dir(dest)
    for rel in manifest["outputs"]:
        if not rel.startswith(NOT_ARCHIVED):
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(build_dir / rel, tmp / rel)
    for rel in manifest["inputs"]:
        (tmp / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(repo) / rel, tmp / "inputs" / rel)
    shutil.copy2(manifest_path, tmp / "manifest.json")
    swap.replace_dir(tmp, dest)
    rel = dest.relative_to(repo)
    log.info(f"published to {rel}/: commit it to keep the report (make verify MANIFEST={rel}/manifest.json proves it)")
    return dest
