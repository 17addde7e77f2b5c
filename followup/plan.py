"""The plan file (data/plan.yml): goal areas, their goal sentence and focus text, their indicators.

Loaded strictly: an unknown key, a missing or mistyped field, a duplicate slug or indicator id gives a
PlanError that names the file and the key, e.g.
    data/plan.yml: goal_areas[2] (trygghet).indicators[1] (N07540).higher_is_better: missing (expected true or false)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import PlanError

SCHEMA_VERSION = 1
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KOLADA_ID_RE = re.compile(r"^[NU]\d{5}$")
LOCAL_ID_RE = SLUG_RE
MIN_INDICATORS, MAX_INDICATORS = 3, 6


@dataclass(frozen=True)
class Indicator:
    id: str
    source: str  # "kolada" or "local"
    title: str
    short_title: str
    unit: str
    higher_is_better: bool
    decimals: int
    supplier: str | None = None

    @property
    def is_kolada(self) -> bool:
        return self.source == "kolada"


@dataclass(frozen=True)
class GoalArea:
    slug: str
    title: str
    goal: str
    focus: str
    indicators: tuple[Indicator, ...]


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


class _Reader:
    """Reads one mapping of the YAML tree, checking keys and types, with the key's path for errors."""

    def __init__(self, path: Path, where: str, node, required: dict, optional: dict | None = None):
        self.path, self.where = path, where
        optional = optional or {}
        if not isinstance(node, dict):
            self.fail("", f"expected a mapping with keys {', '.join(required)}, got {_kind(node)}")
        unknown = sorted(set(node) - set(required) - set(optional), key=str)
        if unknown:
            allowed = ", ".join(list(required) + list(optional))
            self.fail(str(unknown[0]), f"unknown key (allowed here: {allowed})")
        self.values = {}
        for key, types in {**required, **optional}.items():
            if key not in node:
                if key in required:
                    self.fail(key, f"missing (expected {_describe(types)})")
                self.values[key] = None
                continue
            value = node[key]
            if not _is(value, types):
                self.fail(key, f"expected {_describe(types)}, got {_kind(value)} {value!r}")
            self.values[key] = value

    def key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str):
        raise PlanError(self.path, self.key(key) if key else self.where or "(top level)", message)

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
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "a mapping"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _text(reader: _Reader, key: str) -> str:
    value = reader[key]
    if value is not None and not value.strip():
        reader.fail(key, "must not be empty")
    return value.strip() if value is not None else None


def load_plan(path) -> Plan:
    """Read and validate the plan file. Raises PlanError naming the file and key of the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(path, "(file)", "not found") from None
    except UnicodeDecodeError as exc:
        raise PlanError(path, "(file)", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise PlanError(path, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None

    top = _Reader(path, "", tree, {"schema_version": (int,), "plan": (dict,), "goal_areas": (list,)})
    if top["schema_version"] != SCHEMA_VERSION:
        top.fail("schema_version", f"expected {SCHEMA_VERSION}, got {top['schema_version']!r}")

    meta = _Reader(path, "plan", top["plan"],
                   {"title": (str,), "municipality": (dict,), "comparison": (dict,), "peer_group": (dict,),
                    "period": (dict,)})
    places = {}
    for key in ("municipality", "comparison", "peer_group"):
        r = _Reader(path, f"plan.{key}", meta[key], {"id": (str,), "name": (str,)})
        places[key] = Place(_text(r, "id"), _text(r, "name"))
    period = _Reader(path, "plan.period", meta["period"], {"start": (int,), "end": (int,)},
                     {"assumption": (str,)})
    if period["end"] < period["start"]:
        period.fail("end", f"the period ends ({period['end']}) before it starts ({period['start']})")

    areas, seen_ids = [], {}
    if not top["goal_areas"]:
        top.fail("goal_areas", "expected at least one goal area")
    for i, node in enumerate(top["goal_areas"]):
        label = f"goal_areas[{i}]"
        if isinstance(node, dict) and isinstance(node.get("slug"), str):
            label += f" ({node['slug']})"
        r = _Reader(path, label, node, {"slug": (str,), "title": (str,), "goal": (str,), "focus": (str,),
                                         "indicators": (list,)})
        slug = r["slug"]
        if not SLUG_RE.match(slug):
            r.fail("slug", f"{slug!r} is not a slug (lowercase letters, digits and single hyphens)")
        if any(a.slug == slug for a in areas):
            r.fail("slug", f"duplicate slug {slug!r}")
        n = len(r["indicators"])
        if not MIN_INDICATORS <= n <= MAX_INDICATORS:
            r.fail("indicators", f"expected {MIN_INDICATORS} to {MAX_INDICATORS} indicators, got {n}")
        indicators = []
        for j, inode in enumerate(r["indicators"]):
            ilabel = f"{label}.indicators[{j}]"
            if isinstance(inode, dict) and isinstance(inode.get("id"), str):
                ilabel += f" ({inode['id']})"
            ir = _Reader(path, ilabel, inode,
                         {"id": (str,), "source": (str,), "title": (str,), "short_title": (str,), "unit": (str,),
                          "higher_is_better": (bool,), "decimals": (int,)},
                         {"supplier": (str,)})
            ind_id, source = ir["id"], ir["source"]
            if source == "kolada":
                if not KOLADA_ID_RE.match(ind_id):
                    ir.fail("id", f"{ind_id!r} is not a Kolada KPI id (a letter N or U and five digits)")
                if ir["supplier"] is not None:
                    ir.fail("supplier", "only local indicators have a supplier (Kolada names the producer)")
            elif source == "local":
                if not LOCAL_ID_RE.match(ind_id):
                    ir.fail("id", f"{ind_id!r} is not a local indicator id (lowercase letters, digits, hyphens)")
                if ir["supplier"] is None:
                    ir.fail("supplier", "missing (a local indicator names who supplies it)")
            else:
                ir.fail("source", f"expected 'kolada' or 'local', got {source!r}")
            if not 0 <= ir["decimals"] <= 4:
                ir.fail("decimals", f"expected 0 to 4, got {ir['decimals']}")
            if ind_id in seen_ids:
                ir.fail("id", f"duplicate indicator id {ind_id!r} (already in {seen_ids[ind_id]})")
            seen_ids[ind_id] = label
            indicators.append(Indicator(ind_id, source, _text(ir, "title"), _text(ir, "short_title"),
                                        _text(ir, "unit"), ir["higher_is_better"], ir["decimals"],
                                        _text(ir, "supplier")))
        areas.append(GoalArea(slug, _text(r, "title"), _text(r, "goal"), _text(r, "focus"), tuple(indicators)))

    return Plan(str(path), _text(meta, "title"), places["municipality"], places["comparison"],
                places["peer_group"], period["start"], period["end"], _text(period, "assumption"), tuple(areas),
                {a.slug: a for a in areas})
