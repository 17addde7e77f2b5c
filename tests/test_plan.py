import shutil

import pytest
import yaml

from followup.data import check_plan_against_data, load_dataset
from followup.errors import InputErrors, PlanError
from followup.plan import load_plan

from conftest import REPO, TINY_PLAN

SLUGS = [
    "skolan",
    "vard-och-omsorg",
    "trygghet",
    "boende",
    "naringsliv-och-arbete",
    "kultur-och-fritid",
    "miljo",
    "digital-utveckling",
    "segregation",
    "kommunen-som-arbetsgivare",
]


@pytest.fixture
def plan_copy(tmp_path):
    path = tmp_path / "plan.yml"
    shutil.copy(REPO / "data" / "plan.yml", path)
    return path


def test_the_shipped_plan_loads(plan_copy):
    plan = load_plan(plan_copy)
    assert plan.slugs == SLUGS
    assert (plan.period_start, plan.period_end) == (2023, 2026)
    assert "antar" in plan.period_assumption
    assert plan.municipality.id == "2081" and plan.peer_group.id == "G37343" and plan.comparison.id == "0000"
    for area in plan.goal_areas:
        assert 3 <= len(area.indicators) <= 6
        assert area.goal.startswith("Vi ska")
    vard = plan.area("vard-och-omsorg")
    assert "mötas med" in vard.focus and "mötasmed" not in vard.focus  # glued words are mended
    assert "Vi ska bygga" in vard.focus
    local = [ind for _, ind in plan.indicators() if not ind.is_kolada]
    assert {i.id for i in local} >= {"bostader-fardigstallda"} and all(i.supplier for i in local)


def test_the_shipped_plan_matches_the_example_data(plan_copy, example_dataset):
    check_plan_against_data(load_plan(plan_copy), load_dataset(example_dataset))


def write(tmp_path, tree_or_text):
    path = tmp_path / "plan.yml"
    text = tree_or_text if isinstance(tree_or_text, str) else yaml.safe_dump(tree_or_text, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def tiny():
    return yaml.safe_load(TINY_PLAN)


def problems(error: PlanError) -> list[PlanError]:
    """The problems an error reports: itself, or the members of an InputErrors group."""
    return list(error.exceptions) if isinstance(error, InputErrors) else [error]


def expect_error(tmp_path, tree, key, message):
    """Loading the plan fails, and its first problem (in document order) is the expected one."""
    path = write(tmp_path, tree)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    first = problems(info.value)[0]
    assert first.key == key
    assert message in first.message
    assert str(path) in str(info.value)  # the message names the file
    return info.value


def set_in(path: tuple, value):
    """A change to the tiny plan: set the value at a path of keys and list positions (DELETE removes it)."""

    def change(tree):
        node = tree
        for key in path[:-1]:
            node = node[key]
        if value is DELETE:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


DELETE = object()
IND = ("goal_areas", 0, "indicators")


@pytest.mark.parametrize(
    "change, key, message",
    [
        (set_in((*IND, 1, "colour"), "red"), "goal_areas[0] (skolan).indicators[1] (N00002).colour", "unknown key"),
        (set_in(("goals",), []), "goals", "unknown key"),
        (
            set_in((*IND, 0, "higher_is_better"), DELETE),
            "goal_areas[0] (skolan).indicators[0] (N00001).higher_is_better",
            "missing (expected true or false)",
        ),
        (set_in(("goal_areas", 0, "goal"), DELETE), "goal_areas[0] (skolan).goal", "missing"),
        (
            set_in((*IND, 0, "decimals"), "one"),
            "goal_areas[0] (skolan).indicators[0] (N00001).decimals",
            "expected an integer",
        ),
        (set_in(("goal_areas", 0, "title"), True), "goal_areas[0] (skolan).title", "expected a string"),  # YAML's yes
        (
            set_in((*IND, 1, "id"), "N00001"),
            "goal_areas[0] (skolan).indicators[1] (N00001).id",
            "duplicate indicator id",
        ),
        (
            set_in(IND, [{"id": "N00001"}, {"id": "N00002"}]),
            "goal_areas[0] (skolan).indicators",
            "expected 3 to 6 indicators, got 2",
        ),
        (
            set_in((*IND, 0, "id"), "X123"),
            "goal_areas[0] (skolan).indicators[0] (X123).id",
            "expected a Kolada KPI id (a letter N or U and five digits), got 'X123'",
        ),
        (set_in((*IND, 2, "supplier"), DELETE), "goal_areas[0] (skolan).indicators[2] (lokal-a).supplier", "missing"),
        (
            set_in((*IND, 0, "source"), "scb"),
            "goal_areas[0] (skolan).indicators[0] (N00001).source",
            "'kolada' or 'local'",
        ),
        (
            set_in(("goal_areas", 0, "slug"), "Skolan 2"),
            "goal_areas[0] (Skolan 2).slug",
            "expected a slug (lowercase letters, digits and single hyphens), got 'Skolan 2'",
        ),
        (set_in(("plan", "period"), {"start": 2026, "end": 2023}), "plan.period.end", "before it starts"),
        (set_in(("schema_version",), 2), "schema_version", "expected 1"),
    ],
)
def test_plan_errors(tmp_path, change, key, message):
    tree = tiny()
    change(tree)
    expect_error(tmp_path, tree, key, message)


def test_duplicate_indicator_id_across_goal_areas(tmp_path):
    tree = tiny()
    second = yaml.safe_load(yaml.safe_dump(tree["goal_areas"][0]))
    second["slug"] = "miljo"
    tree["goal_areas"].append(second)
    expect_error(tmp_path, tree, "goal_areas[1] (miljo).indicators[0] (N00001).id", "already in goal_areas[0]")


def test_duplicate_slug(tmp_path):
    tree = tiny()
    second = yaml.safe_load(yaml.safe_dump(tree["goal_areas"][0]))
    second["indicators"] = [
        dict(i, id=i["id"] + "0" if i["source"] == "local" else "N9" + i["id"][2:]) for i in second["indicators"]
    ]
    tree["goal_areas"].append(second)
    expect_error(tmp_path, tree, "goal_areas[1] (skolan).slug", "duplicate slug")


def test_not_yaml(tmp_path):
    path = write(tmp_path, "schema_version: 1\nplan: [unclosed\n")
    with pytest.raises(PlanError, match="not valid YAML") as info:
        load_plan(path)
    assert info.value.key.startswith("line ")


def test_missing_file(tmp_path):
    with pytest.raises(PlanError, match="not found"):
        load_plan(tmp_path / "nope.yml")


def test_not_utf8(tmp_path):
    path = tmp_path / "plan.yml"
    path.write_bytes(TINY_PLAN.replace("Borlänge", "Borl\u00e4nge").encode("latin-1"))
    with pytest.raises(PlanError, match="save the file as UTF-8"):
        load_plan(path)


def test_indicator_without_data(tmp_path, tiny_dataset):
    tree = tiny()
    tree["goal_areas"][0]["indicators"][1]["id"] = "N99999"
    plan = load_plan(write(tmp_path, tree))
    with pytest.raises(PlanError) as info:
        check_plan_against_data(plan, load_dataset(tiny_dataset))
    assert info.value.key == "goal_areas[0] (skolan).indicators[1] (N99999)"
    assert "KPI N99999 has no entry in" in info.value.message and "kpis.json" in info.value.message


def test_local_indicator_without_data(tmp_path, tiny_dataset):
    tree = tiny()
    tree["goal_areas"][0]["indicators"][2]["id"] = "lokal-b"
    plan = load_plan(write(tmp_path, tree))
    with pytest.raises(PlanError) as info:  # lokal-b without values is a missing delivery, not an error
        check_plan_against_data(plan, load_dataset(tiny_dataset))
    assert not isinstance(info.value, InputErrors)
    assert str(info.value).endswith(
        "local/values.csv: line 2, column indicator: unknown indicator 'lokal-a': the plan declares no local "
        "indicator with this id (local indicators: lokal-b)"
    )


def test_unknown_peer_group(tmp_path, tiny_dataset):
    tree = tiny()
    tree["plan"]["peer_group"]["id"] = "G999"
    plan = load_plan(write(tmp_path, tree))
    with pytest.raises(PlanError) as info:
        check_plan_against_data(plan, load_dataset(tiny_dataset))
    assert info.value.key == "plan.peer_group.id"


# ---- targets: declared per indicator, validated against their rule


def with_target(**target):
    tree = tiny()
    tree["goal_areas"][0]["indicators"][0]["target"] = target
    return tree


@pytest.mark.parametrize(
    "target, key, message",
    [
        ({"rule": "value", "source": "example"}, "target.value", "missing (the rule 'value' needs it)"),
        ({"rule": "best", "source": "example"}, "target.rule", "expected one of value, improvement"),
        ({"rule": "national", "value": 3, "source": "example"}, "target.value", "not used by the rule 'national'"),
        (
            {"rule": "value", "value": 80, "partial_share": 0.5, "source": "example"},
            "target.partial_share",
            "not used by the rule 'value'",
        ),
        ({"rule": "value", "value": "80", "source": "example"}, "target.value", "expected a number"),
        ({"rule": "value", "value": 80, "source": "kf"}, "target.source", "expected 'example'"),
        ({"rule": "value", "value": 80, "source": "council"}, "target.decision", "names its decision"),
        (
            {"rule": "value", "value": 80, "source": "council", "decision": "KF § 1", "decision_date": "1/2 2024"},
            "target.decision_date",
            "expected a date YYYY-MM-DD",
        ),
        (
            {"rule": "value", "value": 80, "source": "example", "decision": "KF § 1"},
            "target.decision",
            "only a council target has a decision",
        ),
        ({"rule": "value", "value": 80, "tolerance": -1, "source": "example"}, "target.tolerance", "0 or more"),
        (
            {"rule": "improvement", "baseline_year": 2019, "source": "example"},
            "target.baseline_year",
            "a year of the plan period 2023–2026",
        ),
        (
            {"rule": "cumulative", "value": 100, "partial_share": 1.5, "source": "example"},
            "target.partial_share",
            "between 0 and 1",
        ),
        ({"rule": "value", "value": 80, "source": "example", "colour": "red"}, "target.colour", "unknown key"),
    ],
)
def test_target_errors(tmp_path, target, key, message):
    expect_error(tmp_path, with_target(**target), f"goal_areas[0] (skolan).indicators[0] (N00001).{key}", message)


def test_missing_target(tmp_path):
    tree = tiny()
    del tree["goal_areas"][0]["indicators"][0]["target"]
    expect_error(tmp_path, tree, "goal_areas[0] (skolan).indicators[0] (N00001).target", "missing")


def test_local_indicator_cannot_be_compared_with_riket(tmp_path):
    tree = tiny()
    tree["goal_areas"][0]["indicators"][2]["target"] = {"rule": "national", "source": "example"}
    expect_error(tmp_path, tree, "goal_areas[0] (skolan).indicators[2] (lokal-a).target.rule", "no values for Riket")


def test_improvement_baseline_defaults_to_the_period_start(tmp_path):
    plan = load_plan(write(tmp_path, with_target(rule="improvement", source="example")))
    assert plan.area("skolan").indicators[0].target.baseline_year == 2023


def test_roll_up_rule_is_validated(tmp_path):
    tree = tiny()
    tree["plan"]["assessment"] = {"met_share": 0.5, "partly_share": 0.75}
    expect_error(tmp_path, tree, "plan.assessment.partly_share", "must not exceed met_share")


def test_a_goal_area_may_set_its_own_roll_up_rule(tmp_path):
    tree = tiny()
    tree["goal_areas"][0]["assessment"] = {"met_share": 1.0, "partly_share": 0.5}
    plan = load_plan(write(tmp_path, tree))
    assert plan.area("skolan").assessment.met_share == 1.0 and plan.assessment.met_share == 0.75


def test_series_breaks_and_noise_threshold(tmp_path):
    tree = tiny()
    ind = tree["goal_areas"][0]["indicators"][0]
    ind["breaks"] = [{"year": 2024, "note": "ny enhet"}, {"year": 2020, "note": "ny källa"}]
    ind["unchanged_within"] = 0.5
    loaded = load_plan(write(tmp_path, tree)).area("skolan").indicators[0]
    assert [b.year for b in loaded.breaks] == [2020, 2024] and loaded.unchanged_within == 0.5
    ind["breaks"] = [{"year": 2024}]
    expect_error(tmp_path, tree, "goal_areas[0] (skolan).indicators[0] (N00001).breaks[0].note", "missing")
