"""Analysts' commentary: one Markdown file per goal area and year, book/commentary/<year>/<slug>.md.

    ---
    override:                     # optional: the analyst's verdict for the goal area, with a reason
      verdict: delvis uppfyllt
      justification: "Varför den beräknade bedömningen inte ger hela bilden ..."
    ---
    ## Analys
    ...
    ## Orsaker
    ...
    ## Åtgärder
    ...

The body appears in the goal area's chapter as it is written. A goal area judged "ej uppfyllt" whose
commentary has no "## Åtgärder" section with text gets a warning in the run's output and a visible
"Åtgärder saknas" in its chapter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .constants import NOT_MET, VERDICTS
from .errors import PlanError

ACTIONS_HEADING = re.compile(r"^##\s+Åtgärder\s*$", re.M)
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?", re.S)


@dataclass(frozen=True)
class Commentary:
    path: Path | None  # None when no file has been written
    body: str
    override: str | None = None
    justification: str | None = None

    @property
    def has_actions(self) -> bool:
        match = ACTIONS_HEADING.search(self.body)
        if not match:
            return False
        rest = self.body[match.end() :]
        following = re.search(r"^##\s", rest, re.M)
        return bool((rest[: following.start()] if following else rest).strip())


def commentary_path(root: Path, year: int, slug: str) -> Path:
    return Path(root) / str(year) / f"{slug}.md"


def load_commentary(root: Path, year: int, slug: str) -> Commentary:
    path = commentary_path(root, year, slug)
    if not path.exists():
        return Commentary(None, "")
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise PlanError(path, "(file)", "not UTF-8 text; spara filen som UTF-8") from None
    match = FRONT_MATTER.match(text)
    override = justification = None
    offset = 0  # lines taken by the front matter, for line numbers in errors
    if match:
        override, justification = _front_matter(path, match.group(1))
        offset = text[: match.end()].count("\n")
        text = text[match.end() :]
    _check_headings(path, text, offset)
    return Commentary(path, text.strip(), override, justification)


def _front_matter(path: Path, yaml_text: str) -> tuple[str | None, str | None]:
    """The override verdict and its justification (with its whitespace collapsed) from the front matter, if any."""
    try:
        meta = yaml.safe_load(yaml_text) or {}
    except yaml.YAMLError as exc:
        raise PlanError(path, "front matter", f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta, dict) or set(meta) - {"override"}:
        raise PlanError(path, "front matter", "expected only the key 'override'")
    if "override" not in meta:
        return None, None
    o = meta["override"]
    if not isinstance(o, dict) or set(o) != {"verdict", "justification"}:
        raise PlanError(path, "override", "expected the keys verdict and justification")
    if o["verdict"] not in VERDICTS:
        raise PlanError(path, "override.verdict", f"expected one of {', '.join(VERDICTS)}, got {o['verdict']!r}")
    if not isinstance(o["justification"], str) or not o["justification"].strip():
        raise PlanError(path, "override.justification", "missing: an override needs a written justification")
    return o["verdict"], " ".join(o["justification"].split())


def _check_headings(path: Path, text: str, offset: int) -> None:
    """The commentary uses '## ' headings: the chapter has the only '# ' heading."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        if re.match(r"^#\s", line):
            raise PlanError(
                path,
                f"line {line_no + offset}",
                "use '## ' headings (Analys, Orsaker, Åtgärder): the chapter has the only '# ' heading",
            )


def chapter_text(commentary: Commentary, year: int, missing_actions: bool = False) -> str:
    """The commentary as it appears in the chapter: a placeholder where no analysis has been written, and
    "Åtgärder saknas" where the goal area is judged "ej uppfyllt" and no actions are described (known from
    the goal area's results, after its analysis)."""
    parts = [commentary.body or f"## Analys\n\nIngen analys har skrivits för {year}."]
    if missing_actions:
        parts.append(MISSING_ACTIONS.format(year=year))
    return "\n\n".join(parts)


MISSING_ACTIONS = (
    "## Åtgärder\n\n:::{{warning}} Åtgärder saknas\nMålområdet bedöms som ej uppfyllt, men inga "
    "åtgärder har beskrivits för {year}.\n:::"
)


def missing_actions(commentary: Commentary, shown_verdict: str) -> bool:
    return shown_verdict == NOT_MET and not commentary.has_actions
