"""`make verify`: prove a report from its build manifest.

First it checks that every recorded input exists with its recorded hash and that every published file still
has its recorded hash, naming each one that does not; then it re-executes the whole report from the recorded
inputs (the manifest's list, followup.inputs.files) in a temporary folder and compares every output. It
prints a Swedish summary and returns the exit code.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

from . import book
from .build import build
from .data import sha256_file
from .errors import FollowupError
from .inputs import copy as copy_inputs
from .layout import STATUS_FILE
from .manifest import FORMAT, NOT_ARCHIVED, git_info, output_files
from .status import load_status

log = logging.getLogger(__name__)


def _content(entry: dict) -> str:
    return entry.get("content_sha256") or entry["sha256"]


def verify(manifest_path: Path, repo: Path, rerun: bool = True) -> int:
    """Check a manifest's inputs and published files, then re-execute and compare. Returns the exit code."""
    manifest_path = Path(manifest_path).resolve()
    manifest = _read(manifest_path)
    if manifest is None:
        return 2
    base = manifest_path.parent
    archived = (base / "inputs").is_dir()
    input_root = base / "inputs" if archived else Path(repo)
    log.info(
        f"Kontrollerar {manifest_path} ({'arkiverad rapport' if archived else 'senaste bygget'}), "
        f"rapportår {manifest['parameters']['year']}."
    )
    _warn_about_the_code(manifest, Path(repo))
    bad_inputs = _check_inputs(manifest, input_root)
    bad_outputs, skipped = _check_outputs(manifest, base, archived)
    code = _step_one(manifest, bad_inputs, bad_outputs, skipped, rerun)
    if code is not None:
        return code
    log.info("Steg 2: kör om hela rapporten från registrerade indata i en tillfällig mapp …")
    return _step_two(manifest, bad_outputs, _rerun(manifest, input_root))


def _read(manifest_path: Path) -> dict | None:
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info(f"Manifestet {manifest_path} finns inte. Bygg rapporten först (make report).")
        return None
    except json.JSONDecodeError as exc:
        log.info(f"Manifestet {manifest_path} är inte giltig JSON: {exc}")
        return None
    if manifest.get("format") != FORMAT:
        log.info(f"{manifest_path} är inte ett byggmanifest ({FORMAT}).")
        return None
    return manifest


def _warn_about_the_code(manifest: dict, repo: Path) -> None:
    recorded = manifest["git"].get("commit")
    current = git_info(repo).get("commit")
    if recorded and current and recorded != current:
        log.info(
            f"Varning: rapporten byggdes från commit {recorded[:12]}, men utcheckningen är {current[:12]}. "
            f"Ändrad kod kan ge andra resultat."
        )
    if manifest["git"].get("clean") is False:
        log.info("Varning: arbetskopian hade ändringar som inte var incheckade när rapporten byggdes.")


def _check_inputs(manifest: dict, input_root: Path) -> list[str]:
    bad = []
    for rel, digest in manifest["inputs"].items():
        p = input_root / rel
        if not p.exists():
            bad.append(f"indata saknas: {rel} ({p})")
        elif sha256_file(p) != digest:
            bad.append(f"indata ändrad: {rel} ({p})")
    return bad


def _check_outputs(manifest: dict, base: Path, archived: bool) -> tuple[list[str], int]:
    """The published files that are missing or changed, and how many were not archived (website files)."""
    bad, skipped = [], 0
    for rel, entry in manifest["outputs"].items():
        p = base / rel
        if not p.exists() and archived and rel.startswith(NOT_ARCHIVED):
            skipped += 1
        elif not p.exists():
            bad.append(f"publicerad fil saknas: {rel} ({p})")
        elif sha256_file(p) != entry["sha256"]:
            bad.append(f"publicerad fil ändrad: {rel} ({p})")
    return bad, skipped


def _step_one(manifest: dict, bad_inputs: list[str], bad_outputs: list[str], skipped: int, rerun: bool) -> int | None:
    """Report the hash checks; return the exit code when verification ends here, else None."""
    for line in bad_inputs + bad_outputs:
        log.info(f"  {line}")
    if not bad_inputs and not bad_outputs:
        log.info(
            f"Steg 1: alla {len(manifest['inputs'])} indatafiler och "
            f"{len(manifest['outputs']) - skipped} publicerade filer har sina registrerade kontrollsummor"
            + (f" ({skipped} filer på webbplatsen arkiveras inte och prövas i steg 2)." if skipped else ".")
        )
    if bad_inputs:
        also = f" Dessutom {len(bad_outputs)} publicerade filer." if bad_outputs else ""
        log.info(
            f"Resultat: {len(bad_inputs)} indatafiler stämmer inte med manifestet; rapporten kan inte "
            f"återskapas från registrerade indata.{also}"
        )
        return 1
    if rerun:
        return None
    if bad_outputs:
        log.info(f"Resultat: {len(bad_outputs)} publicerade filer stämmer inte med manifestet.")
        return 1
    log.info("Resultat: alla filer stämmer med manifestet (ingen omkörning gjordes).")
    return 0


def _rerun(manifest: dict, input_root: Path) -> list[str]:
    """Re-execute the report from the recorded inputs (the manifest's list) without any cache; return
    what differs from the recorded outputs."""
    params = manifest["parameters"]
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        project = Path(tmp) / "project"
        copy_inputs(input_root, list(manifest["inputs"]), project)
        build(  # cold: every notebook in a fresh kernel, no cache, the book from nothing
            project,
            year=params["year"],
            areas=params["areas"],
            with_pdf=params["pdf"],
            git=manifest["git"],
            quiet=True,
            use_cache=False,
        )
        again = output_files(project / "_build")
    differ = []
    for rel, entry in manifest["outputs"].items():
        if rel not in again:
            differ.append(f"skapas inte vid omkörning: {rel}")
        elif _content(again[rel]) != _content(entry):
            differ.append(f"skiljer sig vid omkörning: {rel}")
    return differ + [f"ny fil vid omkörning: {rel}" for rel in again if rel not in manifest["outputs"]]


def _step_two(manifest: dict, bad_outputs: list[str], differ: list[str]) -> int:
    for line in differ:
        log.info(f"  {line}")
    problems = len(bad_outputs) + len(differ)
    if problems:
        log.info(f"Resultat: {problems} avvikelser. Rapporten kan inte bekräftas.")
        return 1
    log.info(
        f"Resultat: alla {len(manifest['outputs'])} publicerade filer är identiska med omkörningen. "
        f"Rapporten är bekräftad."
    )
    return 0


# ---------------------------------------------------------------- an adopted report against its draft


def compare_with_draft(manifest_path: Path, draft_path: Path, repo: Path) -> int:
    """Show that a report differs from another build of it (its draft) only in the status lines: the same
    parameters, the same inputs but the status file, the same published files but the PDF, and the PDFs'
    texts differ only in lines that are part of a status line. Prints what differs; returns the exit code."""
    reports = [(Path(p).resolve(), _read(Path(p).resolve())) for p in (manifest_path, draft_path)]
    if any(m is None for _, m in reports):
        return 2
    (path, m), (draft, d) = reports
    log.info(f"Jämför {path} med {draft}: skiljer de sig bara i rapportens status?")
    problems, pdfs = _differences(m, d)
    statuses = [_status_texts(p, x, Path(repo)) for p, x in reports]
    # the status lines, and the appendix's row of the status file with its recorded hash
    allowed = [text for texts in statuses for text in texts]
    allowed += [f"{STATUS_FILE} {x['inputs'][STATUS_FILE][:16]}" for _, x in reports if STATUS_FILE in x["inputs"]]
    for rel in pdfs:
        for before, after in _changed_lines(draft.parent / rel, path.parent / rel):
            shown = f"{rel}: utkastet {before!r}, rapporten {after!r}"
            if all(_within(line, allowed) for line in (before, after) if line):
                log.info(f"  statusrad: {shown}")
            else:
                problems.append(f"skiljer sig utanför statusraderna: {shown}")
    for line in problems:
        log.info(f"  {line}")
    if problems:
        log.info(f"Resultat: {len(problems)} skillnader utöver rapportens status.")
        return 1
    log.info(f"Resultat: rapporterna skiljer sig bara i statusraderna ({statuses[1][0]} → {statuses[0][0]}).")
    return 0


def _differences(m: dict, d: dict) -> tuple[list[str], list[str]]:
    """What differs between two manifests besides the status file and the PDFs; and the PDFs both have."""
    problems = []
    if m["parameters"] != d["parameters"]:
        problems.append(f"olika parametrar: {m['parameters']} och {d['parameters']}")
    for rel in sorted(set(m["inputs"]) | set(d["inputs"])):
        if rel != STATUS_FILE and m["inputs"].get(rel) != d["inputs"].get(rel):
            problems.append(f"indata skiljer sig: {rel}")
    pdfs = []
    for rel in sorted(set(m["outputs"]) | set(d["outputs"])):
        a, b = m["outputs"].get(rel), d["outputs"].get(rel)
        if rel.endswith(".pdf") and a and b:
            pdfs.append(rel)
        elif (a or {}).get("sha256") != (b or {}).get("sha256"):
            problems.append(f"publicerad fil skiljer sig: {rel}")
    return problems, pdfs


def _status_texts(path: Path, manifest: dict, repo: Path) -> list[str]:
    """The status line a report prints, and the start page's sentence with it (as text)."""
    root = path.parent / "inputs" if (path.parent / "inputs").is_dir() else repo
    status = root / STATUS_FILE
    recorded = manifest["inputs"].get(STATUS_FILE)
    found = sha256_file(status) if status.is_file() else None
    if found != recorded:  # (a build's manifest has no inputs/ beside it: the repository's may have changed since)
        raise FollowupError(
            f"{status}: not the status file {path} was built with (sha256 {(recorded or 'none, no file')[:16]} "
            f"recorded, {(found or 'none, no file')[:16]} found); compare archived reports (reports/<year>/"
            "manifest.json), which keep their inputs"
        )
    year = manifest["parameters"]["year"]
    line = load_status(status).line(year)
    sentence = book.status_sentence(line, manifest["data"]["source"] == "example").replace("**", "")
    return [line, sentence]


def _pdf_lines(path: Path) -> list[str]:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _changed_lines(draft: Path, report: Path) -> list[tuple[str, str]]:
    """The lines of the two PDFs' texts that differ, paired (an empty side: a line only the other has)."""
    import difflib

    a, b = _pdf_lines(draft), _pdf_lines(report)
    pairs = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            old, new = a[i1:i2], b[j1:j2]
            n = max(len(old), len(new))
            pairs += [(old[k] if k < len(old) else "", new[k] if k < len(new) else "") for k in range(n)]
    return pairs


def _within(line: str, texts: list[str]) -> bool:
    """Whether a line of a PDF's text is (a part of) one of these status texts."""
    return any(line in " ".join(text.split()) for text in texts)
