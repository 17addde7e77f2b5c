"""The build manifest (_build/manifest.json) and `verify`, which proves a report from its inputs.

The manifest records the git commit and whether the tree was clean, the parameters, the Python and package
versions, the sha256 of every input (plan, data snapshot, commentary, templates and pages) and of every
published file that carries content: each figure and table file, the results, the downloads and the PDF
(whose bytes carry Chromium's ids, so its text is hashed too: `content_sha256`).

`verify` first checks that every recorded input exists with its recorded hash and that every published
file still has its recorded hash, naming each one that does not; then it re-executes the whole report
from the recorded inputs in a temporary folder and compares every output. It prints a Swedish summary.
"""
from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path

from .data import sha256_file

FORMAT = "borlange-followup-build"
CODE_INPUTS = ("_config.yml", "_toc.yml")
NOT_ARCHIVED = ("html/", "tables/")  # published with the website, not copied into reports/<year>/


def pdf_content_sha256(path: Path) -> str:
    """A hash of the PDF's text, page by page: equal for two prints of the same report."""
    from pypdf import PdfReader

    h = hashlib.sha256()
    reader = PdfReader(str(path))
    h.update(f"pages:{len(reader.pages)}\n".encode())
    for page in reader.pages:
        h.update((page.extract_text() or "").encode("utf-8"))
        h.update(b"\f")
    return h.hexdigest()


def git_info(repo: Path) -> dict:
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)

    try:
        head = git("rev-parse", "HEAD")
    except FileNotFoundError:
        return {"commit": None, "clean": None}
    if head.returncode != 0:
        return {"commit": None, "clean": None}
    status = git("status", "--porcelain")
    return {"commit": head.stdout.strip(), "clean": status.returncode == 0 and not status.stdout.strip()}


def environment() -> dict:
    packages = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower()] = dist.version
    return {"python": platform.python_version(), "packages": dict(sorted(packages.items()))}


def input_hashes(repo: Path, data_root: Path, year: int, slugs: list[str]) -> dict[str, str]:
    """The sha256 of every file a build reads, by its path relative to the repository."""
    return {rel: sha256_file(repo / rel) for rel in input_files(repo, data_root, year, slugs)}


def input_files(repo: Path, data_root: Path, year: int, slugs: list[str]) -> list[str]:
    """Every file a build reads, relative to the repository (one place that knows what a build reads)."""
    files = ["data/plan.yml", *CODE_INPUTS]
    files += sorted(p.relative_to(repo).as_posix() for p in (repo / "notebooks").glob("*.ipynb"))
    files += sorted(p.relative_to(repo).as_posix() for p in (repo / "book").rglob("*")
                    if p.is_file() and "commentary" not in p.relative_to(repo / "book").parts)
    for part in ("kolada", "local"):
        files += sorted(p.relative_to(repo).as_posix() for p in (data_root / part).iterdir() if p.is_file())
    for slug in slugs:
        c = repo / "book" / "commentary" / str(year) / f"{slug}.md"
        if c.exists():
            files.append(c.relative_to(repo).as_posix())
    return files


def output_files(out: Path) -> dict[str, dict]:
    """The published files that carry content, by their path under _build/."""
    entries = {}
    patterns = ["html/_images/*.svg", "tables/**/*.csv", "results/*", "downloads/*", "pdf/*.pdf"]
    for pattern in patterns:
        for p in sorted(out.glob(pattern)):
            if p.is_file():
                rel = p.relative_to(out).as_posix()
                entries[rel] = {"sha256": sha256_file(p)}
                if p.suffix == ".pdf":
                    entries[rel]["content_sha256"] = pdf_content_sha256(p)
    return dict(sorted(entries.items()))


def make(repo: Path, out: Path, inputs: dict[str, str], parameters: dict, data: dict, git: dict) -> dict:
    return {
        "format": FORMAT,
        "format_version": 1,
        "parameters": parameters,
        "git": git,
        "environment": environment(),
        "data": data,
        "inputs": dict(inputs),
        "outputs": output_files(out),
    }


def write(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- verify

def _content(entry: dict) -> str:
    return entry.get("content_sha256") or entry["sha256"]


def verify(manifest_path: Path, repo: Path, rerun: bool = True, log=print) -> int:
    """Check a manifest's inputs and published files, then re-execute and compare. Returns the exit code."""
    from .build import build  # late: build imports this module

    manifest_path = Path(manifest_path).resolve()
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log(f"Manifestet {manifest_path} finns inte. Bygg rapporten först (make report).")
        return 2
    except json.JSONDecodeError as exc:
        log(f"Manifestet {manifest_path} är inte giltig JSON: {exc}")
        return 2
    if manifest.get("format") != FORMAT:
        log(f"{manifest_path} är inte ett byggmanifest ({FORMAT}).")
        return 2
    base = manifest_path.parent
    archived = (base / "inputs").is_dir()
    input_root = base / "inputs" if archived else Path(repo)
    log(f"Kontrollerar {manifest_path} ({'arkiverad rapport' if archived else 'senaste bygget'}), "
        f"rapportår {manifest['parameters']['year']}.")

    recorded = manifest["git"].get("commit")
    current = git_info(Path(repo)).get("commit")
    if recorded and current and recorded != current:
        log(f"Varning: rapporten byggdes från commit {recorded[:12]}, men utcheckningen är {current[:12]}. "
            f"Ändrad kod kan ge andra resultat.")
    if manifest["git"].get("clean") is False:
        log("Varning: arbetskopian hade ändringar som inte var incheckade när rapporten byggdes.")

    bad_inputs, bad_outputs = [], []
    for rel, digest in manifest["inputs"].items():
        p = input_root / rel
        if not p.exists():
            bad_inputs.append(f"indata saknas: {rel} ({p})")
        elif sha256_file(p) != digest:
            bad_inputs.append(f"indata ändrad: {rel} ({p})")
    skipped = 0
    for rel, entry in manifest["outputs"].items():
        p = base / rel
        if not p.exists():
            if archived and rel.startswith(NOT_ARCHIVED):
                skipped += 1
                continue
            bad_outputs.append(f"publicerad fil saknas: {rel} ({p})")
        elif sha256_file(p) != entry["sha256"]:
            bad_outputs.append(f"publicerad fil ändrad: {rel} ({p})")
    for line in bad_inputs + bad_outputs:
        log(f"  {line}")
    if not bad_inputs and not bad_outputs:
        log(f"Steg 1: alla {len(manifest['inputs'])} indatafiler och "
            f"{len(manifest['outputs']) - skipped} publicerade filer har sina registrerade kontrollsummor"
            + (f" ({skipped} filer på webbplatsen arkiveras inte och prövas i steg 2)." if skipped else "."))
    if bad_inputs:
        log(f"Resultat: {len(bad_inputs)} indatafiler stämmer inte med manifestet; rapporten kan inte "
            f"återskapas från registrerade indata." + (f" Dessutom {len(bad_outputs)} publicerade filer." if bad_outputs else ""))
        return 1
    if not rerun:
        if bad_outputs:
            log(f"Resultat: {len(bad_outputs)} publicerade filer stämmer inte med manifestet.")
            return 1
        log("Resultat: alla filer stämmer med manifestet (ingen omkörning gjordes).")
        return 0

    log("Steg 2: kör om hela rapporten från registrerade indata i en tillfällig mapp …")
    params = manifest["parameters"]
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        project = Path(tmp) / "project"
        for rel in manifest["inputs"]:
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(input_root / rel, target)
        build(project, year=params["year"], areas=params["areas"], with_pdf=params["pdf"], log=lambda s: None,
              git=manifest["git"])
        again = output_files(project / "_build")
    differ = []
    for rel, entry in manifest["outputs"].items():
        if rel not in again:
            differ.append(f"skapas inte vid omkörning: {rel}")
        elif _content(again[rel]) != _content(entry):
            differ.append(f"skiljer sig vid omkörning: {rel}")
    differ += [f"ny fil vid omkörning: {rel}" for rel in again if rel not in manifest["outputs"]]
    for line in differ:
        log(f"  {line}")
    problems = len(bad_outputs) + len(differ)
    if problems:
        log(f"Resultat: {problems} avvikelser. Rapporten kan inte bekräftas.")
        return 1
    log(f"Resultat: alla {len(manifest['outputs'])} publicerade filer är identiska med omkörningen. "
        f"Rapporten är bekräftad.")
    return 0


def publish(repo: Path, log=print, wait: bool = False) -> Path:
    """Copy the year's PDF, results, downloads, manifest and recorded inputs into reports/<year>/."""
    from .runs import RunLock, recover

    with RunLock(Path(repo), "publish", wait):
        recover(Path(repo), log)
        return _publish(Path(repo), log)


def _publish(repo: Path, log) -> Path:
    from .errors import FollowupError

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
    tmp = dest.parent / f".{year}-publishing"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel in manifest["outputs"]:
        if not rel.startswith(NOT_ARCHIVED):
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(build_dir / rel, tmp / rel)
    for rel in manifest["inputs"]:
        (tmp / "inputs" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(repo) / rel, tmp / "inputs" / rel)
    shutil.copy2(manifest_path, tmp / "manifest.json")
    old = dest.parent / f".{year}-old"
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    log(f"published to {dest.relative_to(repo)}/: commit it to keep the report (make verify MANIFEST={dest.relative_to(repo)}/manifest.json proves it)")
    return dest
