"""`make verify`: prove a report from its build manifest.

First it checks that every recorded input exists with its recorded hash and that every published file still
has its recorded hash, naming each one that does not; then it re-executes the whole report from the recorded
inputs (the manifest's list, followup.inputs.files) in a temporary folder and compares every output. It
prints a Swedish summary and returns the exit code.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

from .build import build
from .data import sha256_file
from .manifest import FORMAT, NOT_ARCHIVED, git_info, output_files

log = logging.getLogger(__name__)


def _content(entry: dict) -> str:
    return entry.get("content_sha256") or entry["sha256"]


def verify(manifest_path: Path, repo: Path, rerun: bool = True) -> int:
    """Check a manifest's inputs and published files, then re-execute and compare. Returns the exit code."""
    manifest_path = Path(manifest_path).resolve()
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info(f"Manifestet {manifest_path} finns inte. Bygg rapporten först (make report).")
        return 2
    except json.JSONDecodeError as exc:
        log.info(f"Manifestet {manifest_path} är inte giltig JSON: {exc}")
        return 2
    if manifest.get("format") != FORMAT:
        log.info(f"{manifest_path} är inte ett byggmanifest ({FORMAT}).")
        return 2
    base = manifest_path.parent
    archived = (base / "inputs").is_dir()
    input_root = base / "inputs" if archived else Path(repo)
    log.info(f"Kontrollerar {manifest_path} ({'arkiverad rapport' if archived else 'senaste bygget'}), "
        f"rapportår {manifest['parameters']['year']}.")

    recorded = manifest["git"].get("commit")
    current = git_info(Path(repo)).get("commit")
    if recorded and current and recorded != current:
        log.info(f"Varning: rapporten byggdes från commit {recorded[:12]}, men utcheckningen är {current[:12]}. "
            f"Ändrad kod kan ge andra resultat.")
    if manifest["git"].get("clean") is False:
        log.info("Varning: arbetskopian hade ändringar som inte var incheckade när rapporten byggdes.")

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
        log.info(f"  {line}")
    if not bad_inputs and not bad_outputs:
        log.info(f"Steg 1: alla {len(manifest['inputs'])} indatafiler och "
            f"{len(manifest['outputs']) - skipped} publicerade filer har sina registrerade kontrollsummor"
            + (f" ({skipped} filer på webbplatsen arkiveras inte och prövas i steg 2)." if skipped else "."))
    if bad_inputs:
        log.info(f"Resultat: {len(bad_inputs)} indatafiler stämmer inte med manifestet; rapporten kan inte "
            f"återskapas från registrerade indata." + (f" Dessutom {len(bad_outputs)} publicerade filer." if bad_outputs else ""))
        return 1
    if not rerun:
        if bad_outputs:
            log.info(f"Resultat: {len(bad_outputs)} publicerade filer stämmer inte med manifestet.")
            return 1
        log.info("Resultat: alla filer stämmer med manifestet (ingen omkörning gjordes).")
        return 0

    log.info("Steg 2: kör om hela rapporten från registrerade indata i en tillfällig mapp …")
    params = manifest["parameters"]
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        project = Path(tmp) / "project"
        for rel in manifest["inputs"]:
            target = project / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(input_root / rel, target)
        build(project, year=params["year"], areas=params["areas"], with_pdf=params["pdf"], git=manifest["git"],
              quiet=True)
        again = output_files(project / "_build")
    differ = []
    for rel, entry in manifest["outputs"].items():
        if rel not in again:
            differ.append(f"skapas inte vid omkörning: {rel}")
        elif _content(again[rel]) != _content(entry):
            differ.append(f"skiljer sig vid omkörning: {rel}")
    differ += [f"ny fil vid omkörning: {rel}" for rel in again if rel not in manifest["outputs"]]
    for line in differ:
        log.info(f"  {line}")
    problems = len(bad_outputs) + len(differ)
    if problems:
        log.info(f"Resultat: {problems} avvikelser. Rapporten kan inte bekräftas.")
        return 1
    log.info(f"Resultat: alla {len(manifest['outputs'])} publicerade filer är identiska med omkörningen. "
        f"Rapporten är bekräftad.")
    return 0
