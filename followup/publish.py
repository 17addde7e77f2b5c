"""`make publish`: archive the built report in reports/<year>/ with the inputs it was built from.

The archive holds the PDF, the results (with the goal areas' documents), the downloads, the manifest and a
copy of every recorded input (the manifest's list), so last year's report stays verifiable after this
year's data and code have moved on. Next year's summary reads reports/<year>/results/resultat-<year>.json.

What is published is marked in the archive's manifest (`publication`: the status and its line, and the
marks: "utkast", "exempeldata", "lokala uppgifter saknas"), as it is on the PDF's cover, and each mark is a
warning. An adopted ("fastställd") report published over an archived draft of the same year keeps the draft
beside it, in reports/<year>-utkast/ (a later draft replaces an earlier one there); a draft is never
published over an adopted report.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from . import swap
from .data import sha256_file
from .errors import FollowupError
from .layout import STATUS_FILE
from .manifest import NOT_ARCHIVED
from .runs import RunLock, recover
from .status import ADOPTED, DRAFT, load_status

DRAFT_SUFFIX = "-utkast"  # reports/<year>-utkast/: the draft an adopted report was published over

log = logging.getLogger(__name__)


def publish(repo: Path, wait: bool = False) -> Path:
    """Copy the year's PDF, results, downloads, manifest and recorded inputs into reports/<year>/."""
    with RunLock(Path(repo), "publish", wait):
        recover(Path(repo))
        return _publish(Path(repo))


def _publish(repo: Path) -> Path:
    build_dir = Path(repo) / "_build"
    manifest_path = build_dir / "manifest.json"
    manifest = _checked_build(Path(repo), build_dir, manifest_path)
    params = manifest["parameters"]
    year = params["year"]
    publication = marks(manifest, Path(repo), build_dir)
    for mark in publication["marks"]:
        log.warning(f"warning: publishing a report marked '{mark}' ({MARK_REASONS[mark]})")
    dest = Path(repo) / "reports" / str(year)
    _keep_a_draft(dest, publication)
    tmp = swap.staging_dir(dest)
    for rel in manifest["outputs"]:
        if not rel.startswith(NOT_ARCHIVED):
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(build_dir / rel, tmp / rel)
    for rel in manifest["inputs"]:
        (tmp / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(repo) / rel, tmp / "inputs" / rel)
    archived = {**manifest, "publication": publication}
    (tmp / "manifest.json").write_text(json.dumps(archived, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    swap.replace_dir(tmp, dest)
    rel = dest.relative_to(repo)
    log.info(f"published to {rel}/: commit it to keep the report (make verify MANIFEST={rel}/manifest.json proves it)")
    return dest


MARK_REASONS = {
    DRAFT: "the status in data/status.yml is not 'fastställd' for this year",
    "exempeldata": "built from example data, not official statistics",
    "lokala uppgifter saknas": "local values of the report year have not been delivered",
}


def _checked_build(repo: Path, build_dir: Path, manifest_path: Path) -> dict:
    """The build's manifest, once the build is shown complete and unchanged since it was made."""
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
        if not (repo / rel).exists() or sha256_file(repo / rel) != digest:
            raise FollowupError(f"{rel} has changed since the build: rebuild before publishing")
    return manifest


def marks(manifest: dict, inputs_root: Path, outputs_root: Path) -> dict:
    """What a built or archived report is published as: its status (from its recorded status file, under
    inputs_root) and its marks, from its manifest and its results file (under outputs_root)."""
    year = manifest["parameters"]["year"]
    status = load_status(inputs_root / STATUS_FILE) if STATUS_FILE in manifest["inputs"] else None
    adopted = status is not None and status.adopted(year)
    found = [] if adopted else [DRAFT]
    if manifest["data"]["source"] == "example":
        found.append("exempeldata")
    results = json.loads((outputs_root / "results" / f"resultat-{year}.json").read_text(encoding="utf-8"))
    if any(row.get("missing_delivery") for row in results["indicators"]):
        found.append("lokala uppgifter saknas")
    line = status.line(year) if status is not None else "Utkast"
    return {"status": ADOPTED if adopted else DRAFT, "line": line, "marks": found}


def _keep_a_draft(dest: Path, publication: dict) -> None:
    """Before an adopted report replaces an archived draft of its year, move the draft beside it; refuse to
    publish a draft over an adopted report."""
    if not (dest / "manifest.json").is_file():
        return
    old = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    before = old.get("publication") or marks(old, dest / "inputs", dest)
    if before["status"] == ADOPTED and publication["status"] == DRAFT:
        raise FollowupError(
            f"{dest.name}: reports/{dest.name}/ holds the adopted report ({before['line']}); a draft cannot "
            f"replace it (set the status in data/status.yml, or remove the archive by hand)"
        )
    if before["status"] == DRAFT and publication["status"] == ADOPTED:
        kept = dest.with_name(dest.name + DRAFT_SUFFIX)
        tmp = swap.staging_dir(kept)
        shutil.copytree(dest, tmp, dirs_exist_ok=True)
        swap.replace_dir(tmp, kept)
        log.info(f"the archived draft is kept beside the adopted report, in reports/{kept.name}/")
