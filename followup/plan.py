"""The plan file (data/plan.yml): goal areas, their goal sentence and focus text, their indicators.

Its structure is the JSON Schema data/plan.schema.json (keys, types, ranges, formats), checked with
jsonschema; the rules that span several fields (a target's keys for its rule, a council target's decision,
the period, duplicate slugs and ids, ...) are checked here. Every problem is reported at once, each naming
the file and the key, e.g.
    data/plan.yml: goal_areas[2] (trygghet).indicators[1] (N07540).higher_is_better: missing (expected true or false)
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema  # without rfc3987_syntax: see followup/__init__.py
import yaml  # noqa: E402

from . import fmt  # noqa: E402
from .errors import InputError, PlanError, raise_all  # noqa: E402

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "plan.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
_RELEVANCE = jsonschema.exceptions.by_relevance(strong={"type"})  # of two errors at one key: the type's

SCHEMA_VERSION = SCHEMA["properties"]["schema_version"]["const"]
RULES = tuple(SCHEMA["$defs"]["target"]["properties"]["rule"]["enum"])
TARGET_SOURCES = tuple(SCHEMA["$defs"]["target"]["properties"]["source"]["enum"])
MIN_INDICATORS = SCHEMA["$defs"]["goal_area"]["properties"]["indicators"]["minItems"]
MAX_INDICATORS = SCHEMA["$defs"]["goal_area"]["properties"]["indicators"]["maxItems"]
# For each rule, the target keys it needs and the ones it may have (besides rule, source and decision).
RULE_KEYS = {
    "value": ({"value"}, {"year", "tolerance"}),
    "improvement": (set(), {"baseline_year", "tolerance"}),
    "national": (set(), {"tolerance"}),
    "peers": (set(), {"tolerance"}),
    "cumulative": ({"value"}, {"partial_share"}),
}
_ANY_RULE = {"rule", "source", "decision", "decision_date"}


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


# ---------------------------------------------------------------- loading


def load_plan(path) -> Plan:
    """Read and validate the plan file. Raises a PlanError naming the file and the key, or an InputErrors
    group of them listing every problem."""
    path = Path(path)
    tree = _read_yaml(path)
    raise_all(_problems(path, tree))
    return _plan(path, tree)


def _read_yaml(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PlanError(path, "(file)", "not found") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise PlanError(
            path, f"line {line}", "not UTF-8 text; spara filen som UTF-8 (save the file as UTF-8)"
        ) from None
    if not text.strip():
        raise PlanError(path, "(file)", "the file is empty")
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # libyaml: about ten times faster than PyYAML's own
    except yaml.YAMLError:
        pass
    try:  # a YAML error: PyYAML's own parser words it (the wording users and tests know)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = str(getattr(exc, "problem", None) or exc)
        hint = "; indent with spaces, not tabs" if "\\t" in problem or "\t" in problem else ""
        raise PlanError(path, where, f"not valid YAML: {problem}{hint}") from None


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _problems(path: Path, tree) -> list[PlanError]:
    """Every problem of the plan, one per key, in document order."""
    return schema_problems(path, tree, _VALIDATOR, _rule_problems)


def schema_problems(path: Path, tree, validator, rules, error=PlanError) -> list[InputError]:
    """Every problem of a YAML file checked by a JSON Schema (`validator`) and its cross-field `rules` (run on
    a _Checked tree: the parts the schema found valid), one per key, in document order, as `error`s naming
    the file and the key (the plan's, and the status file's, followup.status)."""
    errors = sorted(validator.iter_errors(tree), key=_RELEVANCE, reverse=True)
    found = [problem for error in errors for problem in _translate(error)]
    found += rules(_Checked(tree, errors))
    first: dict[tuple, str] = {}
    for where, message in found:
        first.setdefault(where, message)
    spans = _document_order(tree)
    return [
        error(path, _label(tree, where), message)
        for where, message in sorted(first.items(), key=lambda item: _rank(spans, item[0]))
    ]


# ---------------------------------------------------------------- the schema's errors, in our words

_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}
_BOUNDS = {
    "minimum": "{} or more",
    "maximum": "{} or less",
    "exclusiveMinimum": "more than {}",
    "exclusiveMaximum": "less than {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minLength": "at least {} characters",
    "pattern": "a text matching {}",
}
_NUMBER_TEXT = re.compile(r"-?\d+([.,]\d+)?")


def _translate(error: jsonschema.ValidationError) -> list[tuple[tuple, str]]:
    """A jsonschema error as (key path, message) problems: "expected ..., got ...", with a hint."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [((*path, key), _unknown_key(key, allowed)) for key in error.instance if key not in allowed]
    if error.validator == "required":
        return [
            ((*path, key), f"missing (expected {_describe(error.schema['properties'].get(key, {}))})")
            for key in error.validator_value
            if key not in error.instance
        ]
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [
            (
                path,
                f"expected {' or '.join(_TYPES[t] for t in types)}, got {_kind(error.instance)}"
                f"{_type_hint(error.instance, types)}",
            )
        ]
    got = len(error.instance) if isinstance(error.instance, list) else repr(error.instance)
    return [(path, f"expected {_expected(error)}, got {got}")]


def _unknown_key(key, allowed: list[str]) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    return f"unknown key; did you mean {close[0]!r}?" if close else f"unknown key (allowed here: {', '.join(allowed)})"


def _describe(schema: dict) -> str:
    """What a (missing) key must hold, e.g. "a string"."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/"):
        schema = SCHEMA
        for part in ref[2:].split("/"):
            schema = schema[part]
    if "const" in schema:
        return repr(schema["const"])
    types = schema.get("type", [])
    return " or ".join(_TYPES[t] for t in ([types] if isinstance(types, str) else types)) or "a value"


def _expected(error: jsonschema.ValidationError) -> str:
    """What a value must be, for the keywords beyond its type: the schema's title says it in words."""
    schema, keyword = error.schema, error.validator
    if "title" in schema:
        return schema["title"]
    if keyword == "enum":
        return "one of " + ", ".join(map(str, schema["enum"]))
    if keyword == "const":
        return repr(schema["const"])
    if keyword in ("minimum", "maximum") and {"minimum", "maximum"} <= set(schema):
        return f"{schema['minimum']} to {schema['maximum']}"
    return _BOUNDS.get(keyword, keyword + " {}").format(error.validator_value)


def _kind(value) -> str:
    """A value as an error message shows it: its kind, and the value itself unless it is a mapping or list."""
    kind = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "an integer",
        float: "a number",
        type(None): "nothing",
        datetime.date: "a date",
    }.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list, type(None))):
        return kind
    return f"{kind} {value.isoformat() if isinstance(value, datetime.date) else repr(value)}"


def _type_hint(value, types: list[str]) -> str:
    if isinstance(value, str) and {"integer", "number"} & set(types) and _NUMBER_TEXT.fullmatch(value.strip()):
        return f"; write the number without quotes: {value.strip().replace(',', '.')}"
    if isinstance(value, datetime.date) and "string" in types:
        return f'; write the date in quotes: "{value.isoformat()}"'
    return ""


# ---------------------------------------------------------------- the rules that span several fields


class _Checked:
    """The plan's tree, and where the schema found problems: the rules below read only valid nodes."""

    def __init__(self, tree, errors):
        self.tree = tree
        self.bad = {tuple(e.absolute_path) for e in errors}

    def get(self, *path):
        """The node at path, or None when it is missing or the schema found a problem in it."""
        if any(bad[: len(path)] == path for bad in self.bad):
            return None
        return self.node(*path)

    def node(self, *path):
        """The node at path, valid or not; None when it is missing."""
        node = self.tree
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return node


def _items(node, key) -> list:
    """(position, item) for the list at node[key]; nothing when there is none."""
    value = node.get(key) if isinstance(node, dict) else None
    return list(enumerate(value)) if isinstance(value, list) else []


def _rule_problems(checked: _Checked) -> list[tuple[tuple, str]]:
    span, found = _period_rule(checked)
    found += _assessment_rule(checked, ("plan", "assessment"))
    found += _duplicates(checked.tree)
    for i, area in _items(checked.tree, "goal_areas"):
        found += _assessment_rule(checked, ("goal_areas", i, "assessment"))
        for j, _ in _items(area, "indicators"):
            found += _indicator_rules(checked, ("goal_areas", i, "indicators", j), span)
    return found


def _period_rule(checked: _Checked) -> tuple[tuple[int, int] | None, list]:
    period = checked.get("plan", "period")
    if period is None:
        return None, []
    start, end = period["start"], period["end"]
    if end < start:
        return None, [(("plan", "period", "end"), f"the period ends ({end}) before it starts ({start})")]
    return (start, end), []


def _assessment_rule(checked: _Checked, path: tuple) -> list:
    node = checked.get(*path)
    if node is not None and node["partly_share"] > node["met_share"]:
        return [((*path, "partly_share"), f"must not exceed met_share ({node['met_share']})")]
    return []


def _duplicates(tree) -> list:
    found, slugs, ids = [], set(), {}
    for i, area in _items(tree, "goal_areas"):
        slug = area.get("slug") if isinstance(area, dict) else None
        if isinstance(slug, str) and slug in slugs:
            found.append((("goal_areas", i, "slug"), f"duplicate slug {slug!r}"))
        slugs.add(slug if isinstance(slug, str) else None)
        for j, ind in _items(area, "indicators"):
            ind_id = ind.get("id") if isinstance(ind, dict) else None
            if not isinstance(ind_id, str):
                continue
            if ind_id in ids:
                found.append(
                    (
                        ("goal_areas", i, "indicators", j, "id"),
                        f"duplicate indicator id {ind_id!r} (already in {ids[ind_id]})",
                    )
                )
            ids.setdefault(ind_id, _label(tree, ("goal_areas", i)))
    return found


def _indicator_rules(checked: _Checked, path: tuple, span) -> list:
    node, source = checked.node(*path), checked.get(*path, "source")
    found = []
    if source == "kolada" and "supplier" in node:
        found.append(((*path, "supplier"), "only local indicators have a supplier (Kolada names the producer)"))
    if source == "local" and "supplier" not in node:
        found.append(((*path, "supplier"), "missing (a local indicator names who supplies it)"))
    rule = checked.get(*path, "target", "rule")
    if source == "local" and rule in ("national", "peers"):
        found.append(
            (
                (*path, "target", "rule"),
                "a local indicator has no values for "
                f"{'Riket' if rule == 'national' else 'the peer group'} to compare with",
            )
        )
    target = checked.get(*path, "target")
    return found + (_target_rules(target, (*path, "target"), span) if target is not None else [])


def _target_rules(target: dict, path: tuple, span) -> list:
    rule, source = target["rule"], target["source"]
    needed, allowed = RULE_KEYS[rule]
    uses = ", ".join(sorted(needed | allowed)) or "no value"
    found = [((*path, key), f"missing (the rule {rule!r} needs it)") for key in sorted(needed - set(target))]
    found += [
        ((*path, key), f"not used by the rule {rule!r} (it uses: {uses})")
        for key in sorted(set(target) - needed - allowed - _ANY_RULE)
    ]
    for key in ("decision", "decision_date"):
        if source == "council" and key not in target:
            found.append(((*path, key), "missing (a council target names its decision and its date)"))
        if source != "council" and key in target:
            found.append(((*path, key), f"only a council target has a decision (this one's source is {source!r})"))
    baseline = target.get("baseline_year")
    if span and baseline is not None and not span[0] <= baseline <= span[1]:
        found.append(
            ((*path, "baseline_year"), f"expected a year of the plan period {span[0]}–{span[1]}, got {baseline}")
        )
    if rule == "cumulative" and target.get("value", 1) <= 0:
        found.append(((*path, "value"), f"expected a total above 0, got {target['value']}"))
    return found


# ---------------------------------------------------------------- key paths and document order


def _label(tree, path: tuple) -> str:
    """A key path as messages write it, naming goal areas and indicators:
    goal_areas[0] (skolan).indicators[1] (N00002).decimals"""
    text, node = "", tree
    for key in path:
        if isinstance(node, list):
            node = node[key]
            name = node.get("slug", node.get("id")) if isinstance(node, dict) else None
            text += f"[{key}]" + (f" ({name})" if isinstance(name, str) else "")
        else:
            text += f".{key}" if text else str(key)
            node = node.get(key) if isinstance(node, dict) else None
    return text or "(top level)"


def _document_order(tree) -> dict[tuple, tuple[int, int]]:
    """For each node's key path: its position in the document, and the position after its last descendant."""
    spans: dict[tuple, tuple[int, int]] = {}

    def walk(node, path):
        start = len(spans)
        spans[path] = (start, start)
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            walk(child, (*path, key))
        spans[path] = (start, len(spans))

    walk(tree, ())
    return spans


def _rank(spans: dict, path: tuple) -> tuple[int, int]:
    if path in spans:
        return spans[path][0], 0
    return spans.get(path[:-1], (0, 0))[1], -1  # a missing key: after the rest of its mapping


# ---------------------------------------------------------------- the valid plan as objects


def _plan(path: Path, tree: dict) -> Plan:
    meta, period = tree["plan"], tree["plan"]["period"]
    span = (int(period["start"]), int(period["end"]))
    default = _assessment(meta["assessment"])
    areas = tuple(_goal_area(node, span, default) for node in tree["goal_areas"])
    return Plan(
        str(path),
        meta["title"].strip(),
        _place(meta["municipality"]),
        _place(meta["comparison"]),
        _place(meta["peer_group"]),
        span[0],
        span[1],
        _strip(period.get("assumption")),
        default,
        areas,
        {a.slug: a for a in areas},
    )


def _place(node: dict) -> Place:
    return Place(node["id"].strip(), node["name"].strip())


def _assessment(node: dict) -> Assessment:
    return Assessment(float(node["met_share"]), float(node["partly_share"]))


def _goal_area(node: dict, span: tuple[int, int], default: Assessment) -> GoalArea:
    own = node.get("assessment")
    return GoalArea(
        node["slug"],
        node["title"].strip(),
        node["goal"].strip(),
        node["focus"].strip(),
        tuple(_indicator(i, span) for i in node["indicators"]),
        _assessment(own) if own is not None else default,
    )


def _indicator(node: dict, span: tuple[int, int]) -> Indicator:
    breaks = sorted(
        (SeriesBreak(int(b["year"]), b["note"].strip()) for b in node.get("breaks", [])), key=lambda b: b.year
    )
    return Indicator(
        node["id"],
        node["source"],
        node["title"].strip(),
        node["short_title"].strip(),
        node["unit"].strip(),
        node["higher_is_better"],
        int(node["decimals"]),
        _target(node["target"], span),
        float(node.get("unchanged_within", 0.0)),
        tuple(breaks),
        _strip(node.get("supplier")),
    )


def _target(node: dict, span: tuple[int, int]) -> Target:
    rule = node["rule"]
    baseline = node.get("baseline_year", span[0] if rule == "improvement" else None)
    return Target(
        rule,
        node["source"],
        _number(node.get("value"), float),
        _number(node.get("year"), int),
        _number(baseline, int),
        _number(node.get("tolerance"), float),
        _number(node.get("partial_share"), float),
        node.get("decision"),
        node.get("decision_date"),
    )


def _number(value, kind):
    return None if value is None else kind(value)


def _strip(text: str | None) -> str | None:
    return None if text is None else text.strip()
