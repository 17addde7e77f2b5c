"""The plan's JSON Schema (data/plan.schema.json): valid, referenced by the plan, met by the committed plan,
and every error it gives worded in our style."""

import copy
import json

import jsonschema
import pytest
import yaml

from followup.errors import InputErrors, PlanError
from followup.plan import SCHEMA_PATH, load_plan

from conftest import REPO, TINY_PLAN

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
RAW_JSONSCHEMA = (
    "is not valid under",
    "Additional properties",
    "is a required property",
    "is not of type",
    "does not match",
    "is not one of",
    "is too short",
    "is too long",
    "is less than",
    "is greater than",
    "was expected",
    "should be non-empty",
)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_plan_names_its_schema_for_editors():
    first = (REPO / "data" / "plan.yml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./plan.schema.json"
    assert SCHEMA_PATH == REPO / "data" / "plan.schema.json"


@pytest.mark.parametrize(
    "text", [(REPO / "data" / "plan.yml").read_text(encoding="utf-8"), TINY_PLAN], ids=["committed", "tiny"]
)
def test_the_plans_meet_the_schema(text):
    jsonschema.Draft202012Validator(SCHEMA).validate(yaml.safe_load(text))


def nodes(schema):
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from nodes(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from nodes(value)


def test_every_format_and_length_rule_says_in_words_what_it_expects():
    """Messages quote a node's title for these keywords ("expected a slug (...), got 'Skolan 2'")."""
    worded = {"pattern", "minItems", "maxItems", "exclusiveMinimum", "exclusiveMaximum", "minLength"}
    for node in nodes(SCHEMA):
        if worded & set(node):
            assert "title" in node, node


def leaf_paths(node, path=()):
    yield path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from leaf_paths(child, (*path, key))


def test_no_raw_jsonschema_message_reaches_the_user(tmp_path):
    """Every node of the tiny plan replaced by values of each wrong kind: every problem names its key and
    says what was expected in our words."""
    tiny = yaml.safe_load(TINY_PLAN)
    path = tmp_path / "plan.yml"
    seen = 0
    for where in list(leaf_paths(tiny))[1:]:
        for bad in (None, " ", -1, {"colour": 1}):
            tree = copy.deepcopy(tiny)
            node = tree
            for key in where[:-1]:
                node = node[key]
            node[where[-1]] = bad
            path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
            try:
                load_plan(path)
            except PlanError as exc:
                problems = exc.exceptions if isinstance(exc, InputErrors) else [exc]
                for problem in problems:
                    seen += 1
                    assert problem.where and problem.message, problem
                    assert not any(raw in problem.message for raw in RAW_JSONSCHEMA), problem
    assert seen > 100


def test_all_problems_at_once_in_document_order_one_per_key(tmp_path):
    tree = yaml.safe_load(TINY_PLAN)
    tree["plan"]["assessment"]["partly_share"] = 0.9  # a cross-field rule
    area = tree["goal_areas"][0]
    area["title"] = 12
    area["indicators"][1]["decimals"] = "9"  # a type and a range at one key: reported once
    area["indicators"][1]["target"]["rule"] = 5
    area["indicators"][2]["target"]["decision"] = "KF § 1"  # not a council target
    path = tmp_path / "plan.yml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputErrors) as info:
        load_plan(path)
    assert str(info.value).splitlines() == [
        f"{path}: 5 problems:",
        "  plan.assessment.partly_share: must not exceed met_share (0.75)",
        "  goal_areas[0] (skolan).title: expected a string, got an integer 12",
        "  goal_areas[0] (skolan).indicators[1] (N00002).decimals: expected an integer, got a string '9'; "
        "write the number without quotes: 9",
        "  goal_areas[0] (skolan).indicators[1] (N00002).target.rule: expected a string, got an integer 5",
        "  goal_areas[0] (skolan).indicators[2] (lokal-a).target.decision: only a council target has a decision "
        "(this one's source is 'plan')",
    ]
