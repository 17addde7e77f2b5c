"""The plan file (data/plan.yml): goal areas, their goal sentence and focus text, their indicators.

Loaded strictly: an unknown key, a missing or mistyped field, a duplicate slug or indicator id gives a
PlanError that names the file and the key, e.g.
    data/plan.yml: goal_areas[2] (trygghet).indicators[1] (N07540).higher_is_better: missing (expected true or false)
"""
from __future__ import annotations

import contextvars
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import fmt
from .errors import PlanError, PlanErrors

SCHEMA_VERSION = 1
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KOLADA_ID_RE = re.compile(r"^[NU]\d{5}$")
LOCAL_ID_RE = SLUG_RE
MIN_INDICATORS, MAX_INDICATORS = 3, 6


RULES = ("value", "improvement", "national", "peers", "cumulative")
TARGET_SOURCES = ("example", "plan", "council")
NUMBER = (int, float)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# For each rule, the target keys it needs and the ones it may have (besides rule, source and decision).
RULE_KEYS = {
    "value": ({"value"}, {"year", "tolerance"}),
    "improvement": (set(), {"baseline_year", "tolerance"}),
    "national": (set(), {"tolerance"}),
    "peers": (set(), {"tolerance"}),
    "cumulative": ({"value"}, {"partial_share"}),
}


@dataclass(frozen=True)
class Target:
    """How an indicator is judged, and where its target comes from."""
    rule: str
    source: str  # "example" (until the council sets one), "plan" (stated in the plan's text) or "council"
    value: float | None = None  # value: the target value; cumulative: the total over the plan period
    year: int | None = None  # value: the year the target is for (shown in the wording)
    baseline_year: int | None = None  # improvement: the year to improve on
    tolerance: float | None = None  # "delvis uppfyllt" when short of the target by at most this much
    partial_share: float | None = None  # cumulative: "delvis uppfyllt" from this share of the target
    decision: str | None = None  # council: the decision's reference
    decision_date: str | None = None  # council: the decision's date


@dataclass(frozen=True)
class SeriesBreak:
    year: int  # the first year of the new series: values before it are not compared with it or later
    note: str


@dataclass(frozen=True)
class Assessment:
    """The roll-up rule of a goal area: the shares of judged indicators needed for each verdict."""
    met_share: float
    partly_share: float


@dataclass(frozen=True)
class Indicator:
    id: str
    source: str  # "kolada" or "local"
    title: str
    short_title: str
    unit: str
    higher_is_better: bool
    decimals: int
    target: Target | None = None
    unchanged_within: float = 0.0
    breaks: tuple[SeriesBreak, ...] = ()
    supplier: str | None = None

    @property
    def is_kolada(self) -> bool:
        return self.source == "kolada"

    def show(self, value) -> str:
        """A value of this indicator as the report writes it (Swedish, its unit's form, its decimals)."""
        return fmt.value(value, self.unit, self.decimals)


@dataclass(frozen=True)
class GoalArea:
    slug: str
    title: str
    goal: str
    focus: str
    indicators: tuple[Indicator, ...]
    assessment: Assessment | None = None


@dataclass(frozen=True)
class Place:
    id: str
    name: str


@dataclass(frozen=True)
class Plan:
    path: str
    title: str
    municipality: Place
    comparison: Place
    peer_group: Place
    period_start: int
    period_end: int
    period_assumption: str | None
    assessment: Assessment
    goal_areas: tuple[GoalArea, ...]
    by_slug: dict = field(repr=False, compare=False, default_factory=dict)

    def area(self, slug: str) -> GoalArea:
        try:
            return self.by_slug[slug]
        except KeyError:
            known = ", ".join(a.slug for a in self.goal_areas)
            raise PlanError(self.path, "goal_areas", f"no goal area with slug {slug!r} (known: {known})") from None

    @property
    def slugs(self) -> list[str]:
        return [a.slug for a in self.goal_areas]

    def indicators(self):
        """Every (goal area, indicator) pair, in plan order."""
        for area in self.goal_areas:
            for ind in area.indicators:
                yield area, ind


_SINK: contextvars.ContextVar[list] = contextvars.ContextVar("plan_problems")


class _Skip(Exception):
    """Stop checking the current node: its problems are recorded, the next node is checked."""


def _note(path: Path, key: str, message: str) -> None:
    _SINK.get().append(PlanError(path, key, message))


class _Reader:
    """Reads one mapping of the YAML tree, checking keys and types, with the key's path for errors.
    Every problem of the node is recorded; then the node is skipped (raise _Skip)."""

    def __init__(self, path: Path, where: str, node, required: dict, optional: dict | None = None,
                 skip: bool = True):
        """With skip=False the node's problems are recorded but checking goes on (self.ok is False)."""
        self.path, self.where = path, where
        optional = optional or {}
        if not isinstance(node, dict):
            self.fail("", f"expected a mapping with keys {', '.join(required)}, got {_kind(node)}")
        allowed = list(required) + list(optional)
        problems = 0
        for key in sorted(set(node) - set(allowed), key=str):
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (allowed here: {', '.join(allowed)})"
            _note(path, self.key(str(key)), f"unknown key{hint}")
            problems += 1
        self.values = {}
        for key, types in {**required, **optional}.items():
            if key not in node:
                if key in required:
                    _note(path, self.key(key), f"missing (expected {_describe(types)})")
                    problems += 1
                self.values[key] = None
                continue
            value = node[key]
            if not _is(value, types):
                hint = ""
                if isinstance(value, str) and NUMBER[0] in types and re.fullmatch(r"-?\d+([.,]\d+)?", value.strip()):
                    hint = f"; write the number without quotes: {value.strip().replace(',', '.')}"
                _note(path, self.key(key), f"expected {_describe(types)}, got {_kind(value)} {value!r}{hint}")
                problems += 1
            self.values[key] = value if _is(value, types) else None
        self.ok = not problems
        if problems and skip:
            raise _Skip

    def key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str):
        _note(self.path, self.key(key) if key else self.where or "(top level)", message)
        raise _Skip

    def __getitem__(self, key):
        return self.values[key]


def _is(value, types) -> bool:
    if bool in types and isinstance(value, bool):
        return True
    if isinstance(value, bool):
        return False  # a YAML yes/no is not a number or a string
    return isinstance(value, types)


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "true/false", int: "an integer",
            float: "a number", type(None): "nothing"}.get(type(value), type(value).__name__)


def _describe(types) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list",
             dict: "a mapping"}
    if tuple(types) == NUMBER:
        return "a number"
    return " or ".join(names.get(t, t.__name__) for t in types)


def _text(reader: _Reader, key: str) -> str:
    value = reader[key]
    if value is not None and not value.strip():
        reader.fail(key, "must not be empty")
    return value.strip() if value is not None else None


def _assessment(path: Path, where: str, node) -> Assessment:
    r = _Reader(path, where, node, {"met_share": NUMBER, "partly_share": NUMBER})
    for key in ("met_share", "partly_share"):
        if not 0 < r[key] <= 1:
            r.fail(key, f"expected a share between 0 and 1, got {r[key]}")
    if r["partly_share"] > r["met_share"]:
        r.fail("partly_share", f"must not exceed met_share ({r['met_share']})")
    return Assessment(float(r["met_share"]), float(r["partly_share"]))


def _target(path: Path, where: str, node, period: tuple[int, int]) -> Target:
    keys = {"value": NUMBER, "year": (int,), "baseline_year": (int,), "tolerance": NUMBER,
            "partial_share": NUMBER, "decision": (str,), "decision_date": (str,)}
    r = _Reader(path, where, node, {"rule": (str,), "source": (str,)}, keys)
    rule, source = r["rule"], r["source"]
    if rule not in RULES:
        r.fail("rule", f"expected one of {', '.join(RULES)}, got {rule!r}")
    if source not in TARGET_SOURCES:
        r.fail("source", "expected 'example' (an example target), 'plan' (stated in the plan's text) or "
                         f"'council' (a council decision), got {source!r}")
    needed, allowed = RULE_KEYS[rule]
    wrong = 0
    for key in sorted(needed):
        if r[key] is None:
            _note(path, r.key(key), f"missing (the rule {rule!r} needs it)")
            wrong += 1
    for key in sorted(set(keys) - needed - allowed - {"decision", "decision_date"}):
        if r[key] is not None:
            _note(path, r.key(key), f"not used by the rule {rule!r} (it uses: "
                                    f"{', '.join(sorted(needed | allowed)) or 'no value'})")
            wrong += 1
    if wrong:
        raise _Skip
    if source == "council":
        for key in ("decision", "decision_date"):
            if r[key] is None:
                r.fail(key, "missing (a council target names its decision and its date)")
        if not DATE_RE.match(r["decision_date"]):
            r.fail("decision_date", f"expected a date YYYY-MM-DD, got {r['decision_date']!r}")
    else:
        for key in ("decision", "decision_date"):
            if r[key] is not None:
                r.fail(key, f"only a council target has a decision (this one's source is {source!r})")
    if r["tolerance"] is not None and r["tolerance"] < 0:
        r.fail("tolerance", f"expected 0 or more, got {r['tolerance']}")
    if r["partial_share"] is not None and not 0 < r["partial_share"] < 1:
        r.fail("partial_share", f"expected a share between 0 and 1, got {r['partial_share']}")
    if r["baseline_year"] is not None and not period[0] <= r["baseline_year"] <= period[1]:
        r.fail("baseline_year", f"expected a year of the plan period {period[0]}–{period[1]}, got {r['baseline_year']}")
    if rule == "cumulative" and r["value"] <= 0:
        r.fail("value", f"expected a total above 0, got {r['value']}")
    return Target(rule, source, None if r["value"] is None else float(r["value"]), r["year"],
                  r["baseline_year"] if r["baseline_year"] is not None else
                  (period[0] if rule == "improvement" else None),
                  None if r["tolerance"] is None else float(r["tolerance"]),
                  None if r["partial_share"] is None else float(r["partial_share"]),
                  r["decision"], r["decision_date"])


def _breaks(path: Path, where: str, node) -> tuple[SeriesBreak, ...]:
    out = []
    for k, item in enumerate(node):
        r = _Reader(path, f"{where}[{k}]", item, {"year": (int,), "note": (str,)})
        out.append(SeriesBreak(r["year"], _text(r, "note")))
    return tuple(sorted(out, key=lambda b: b.year))


def load_plan(path) -> Plan:
    """Read and validate the plan file. Raises PlanErrors listing every problem, each naming the file and
    the key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanError(path, "(file)", "not found") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise PlanError(path, f"line {line}", "not UTF-8 text; spara filen som UTF-8 (save the file as UTF-8)") from None
    if not text.strip():
        raise PlanError(path, "(file)", "the file is empty")
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = str(getattr(exc, "problem", None) or exc)
        hint = "; indent with spaces, not tabs" if "\\t" in problem or "\t" in problem else ""
        raise PlanError(path, where, f"not valid YAML: {problem}{hint}") from None
    token = _SINK.set([])
    try:
        plan = _read_plan(path, tree)
        problems = _SINK.get()
    finally:
        _SINK.reset(token)
    if problems:
        raise PlanErrors(problems)
    return plan


def _read_plan(path: Path, tree) -> Plan | None:
    try:
        top = _Reader(path, "", tree, {"schema_version": (int,), "plan": (dict,), "goal_areas": (list,)})
        if top["schema_version"] != SCHEMA_VERSION:
            top.fail("schema_version", f"expected {SCHEMA_VERSION}, got {top['schema_version']!r}")
    except _Skip:
        return None

    places, span, default_assessment, meta = {}, (0, 9999), None, None
    try:
        meta = _Reader(path, "plan", top["plan"],
                       {"title": (str,), "municipality": (dict,), "comparison": (dict,), "peer_group": (dict,),
                        "period": (dict,), "assessment": (dict,)})
        for key in ("municipality", "comparison", "peer_group"):
            try:
                r = _Reader(path, f"plan.{key}", meta[key], {"id": (str,), "name": (str,)})
                places[key] = Place(_text(r, "id"), _text(r, "name"))
            except _Skip:
                pass
        try:
            period = _Reader(path, "plan.period", meta["period"], {"start": (int,), "end": (int,)},
                             {"assumption": (str,)})
            if period["end"] < period["start"]:
                period.fail("end", f"the period ends ({period['end']}) before it starts ({period['start']})")
            span = (period["start"], period["end"])
        except _Skip:
            period = None
        try:
            default_assessment = _assessment(path, "plan.assessment", meta["assessment"])
        except _Skip:
            pass
    except _Skip:
        pass

    areas, seen_ids = [], {}
    if not top["goal_areas"]:
        _note(path, "goal_areas", "expected at least one goal area")
    for i, node in enumerate(top["goal_areas"]):
        label = f"goal_areas[{i}]"
        if isinstance(node, dict) and isinstance(node.get("slug"), str):
            label += f" ({node['slug']})"
        try:
            areas.append(_area(path, label, node, areas, seen_ids, span, default_assessment))
        except _Skip:
            continue
    if _SINK.get() or meta is None or period is None:
        return None
    return Plan(str(path), _text(meta, "title"), places["municipality"], places["comparison"],
                places["peer_group"], period["start"], period["end"], _text(period, "assumption"),
                default_assessment, tuple(areas), {a.slug: a for a in areas})


def _area(path: Path, label: str, node, areas: list, seen_ids: dict, span, default_assessment) -> GoalArea:
    r = _Reader(path, label, node, {"slug": (str,), "title": (str,), "goal": (str,), "focus": (str,),
                                     "indicators": (list,)}, {"assessment": (dict,)}, skip=False)
    slug = r["slug"]
    if slug is not None and not SLUG_RE.match(slug):
        _note(path, r.key("slug"), f"{slug!r} is not a slug (lowercase letters, digits and single hyphens)")
    elif slug is not None and any(a.slug == slug for a in areas):
        _note(path, r.key("slug"), f"duplicate slug {slug!r}")
    if r["indicators"] is None:
        raise _Skip  # nothing more to check in this goal area
    n = len(r["indicators"])
    if not MIN_INDICATORS <= n <= MAX_INDICATORS:
        _note(path, r.key("indicators"), f"expected {MIN_INDICATORS} to {MAX_INDICATORS} indicators, got {n}")
    indicators = []
    for j, inode in enumerate(r["indicators"]):
        ilabel = f"{label}.indicators[{j}]"
        if isinstance(inode, dict) and isinstance(inode.get("id"), str):
            ilabel += f" ({inode['id']})"
        try:
            indicators.append(_indicator(path, ilabel, label, inode, seen_ids, span))
        except _Skip:
            continue
    area_assessment = default_assessment
    if r["assessment"] is not None:
        area_assessment = _assessment(path, f"{label}.assessment", r["assessment"])
    if not r.ok:
        raise _Skip
    return GoalArea(slug, _text(r, "title"), _text(r, "goal"), _text(r, "focus"), tuple(indicators),
                    area_assessment)


def _indicator(path: Path, ilabel: str, label: str, inode, seen_ids: dict, span) -> Indicator:
    ir = _Reader(path, ilabel, inode,
                 {"id": (str,), "source": (str,), "title": (str,), "short_title": (str,), "unit": (str,),
                  "higher_is_better": (bool,), "decimals": (int,), "target": (dict,)},
                 {"supplier": (str,), "unchanged_within": NUMBER, "breaks": (list,)})
    ind_id, source = ir["id"], ir["source"]
    problems = len(_SINK.get())
    if source == "kolada":
        if not KOLADA_ID_RE.match(ind_id):
            _note(path, ir.key("id"), f"{ind_id!r} is not a Kolada KPI id (a letter N or U and five digits)")
        if ir["supplier"] is not None:
            _note(path, ir.key("supplier"), "only local indicators have a supplier (Kolada names the producer)")
    elif source == "local":
        if not LOCAL_ID_RE.match(ind_id):
            _note(path, ir.key("id"), f"{ind_id!r} is not a local indicator id (lowercase letters, digits, hyphens)")
        if ir["supplier"] is None:
            _note(path, ir.key("supplier"), "missing (a local indicator names who supplies it)")
    else:
        _note(path, ir.key("source"), f"expected 'kolada' or 'local', got {source!r}")
    if not 0 <= ir["decimals"] <= 4:
        _note(path, ir.key("decimals"), f"expected 0 to 4, got {ir['decimals']}")
    if ind_id in seen_ids:
        _note(path, ir.key("id"), f"duplicate indicator id {ind_id!r} (already in {seen_ids[ind_id]})")
    seen_ids.setdefault(ind_id, label)
    target = _target(path, f"{ilabel}.target", ir["target"], span)
    if target.rule in ("national", "peers") and source == "local":
        ir.fail("target.rule", f"a local indicator has no values for "
                               f"{'Riket' if target.rule == 'national' else 'the peer group'} to compare with")
    unchanged = ir["unchanged_within"] if ir["unchanged_within"] is not None else 0.0
    if unchanged < 0:
        ir.fail("unchanged_within", f"expected 0 or more, got {unchanged}")
    breaks = _breaks(path, f"{ilabel}.breaks", ir["breaks"]) if ir["breaks"] is not None else ()
    if len(_SINK.get()) > problems:
        raise _Skip
    return Indicator(ind_id, source, _text(ir, "title"), _text(ir, "short_title"), _text(ir, "unit"),
                     ir["higher_is_better"], ir["decimals"], target, float(unchanged), breaks, _text(ir, "supplier"))
