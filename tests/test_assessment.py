"""Verdicts by rule, at and around every boundary, in both directions; roll-up; override; wording."""

import math

import pytest

from followup import assessment as A
from followup import fmt
from followup.data import load_dataset
from followup.plan import Assessment, GoalArea, Indicator, SeriesBreak, Target, load_plan

from conftest import kpi_meta, make_dataset, row

NB = "\u00a0"


def indicator(rule, higher=True, decimals=1, unit="andel (%)", breaks=(), unchanged=0.0, **target):
    return Indicator(
        "N00001",
        "kolada",
        "Test",
        "Testandel",
        unit,
        higher,
        decimals,
        Target(rule, target.pop("source", "example"), **target),
        unchanged,
        tuple(breaks),
    )


def dataset(tmp_path, own, national=None, peers=None, kpi="N00001"):
    """own/national: {year: value or None}; peers: {year: [values]}."""
    rows = []
    for year, v in own.items():
        rows.append(row(kpi, "2081", year, v, status="" if v is not None else "För få svar"))
    for year, v in (national or {}).items():
        rows.append(row(kpi, "0000", year, v, status="" if v is not None else "Uppgift saknas"))
    for year, values in (peers or {}).items():
        for muni, v in zip(("0001", "0002", "0003"), values, strict=False):
            rows.append(row(kpi, muni, year, v, status="" if v is not None else "För få svar"))
    return load_dataset(make_dataset(tmp_path / "ds", rows, [kpi_meta(kpi)]))


@pytest.fixture
def plan(tiny_plan):
    return load_plan(tiny_plan)


# ---- rule: value, both directions, at and around the target and the tolerance edge


@pytest.mark.parametrize(
    "higher, value, expected",
    [
        (True, 80.0, A.MET),  # exactly at the target
        (True, 80.1, A.MET),
        (True, 79.9, A.PARTLY),  # just short, within the tolerance
        (True, 79.0, A.PARTLY),  # exactly at the tolerance edge
        (True, 78.9, A.NOT_MET),  # just beyond it
        (False, 80.0, A.MET),  # lower is better: at the target
        (False, 79.9, A.MET),
        (False, 80.1, A.PARTLY),
        (False, 81.0, A.PARTLY),  # at the tolerance edge
        (False, 81.1, A.NOT_MET),
    ],
)
def test_value_rule(tmp_path, plan, higher, value, expected):
    ds = dataset(tmp_path, {2025: value})
    v = A.assess(ds, plan, indicator("value", higher, value=80.0, year=2026, tolerance=1.0), 2025)
    assert v.verdict == expected and v.year == 2025 and v.reference == 80.0


@pytest.mark.parametrize("value, expected", [(79.96, A.MET), (79.94, A.NOT_MET), (80.04, A.MET)])
def test_the_verdict_agrees_with_the_numbers_shown(tmp_path, plan, value, expected):
    # 79,96 is shown as "80,0 %": beside "målet är minst 80,0 %" it must read as met, never as not met
    ds = dataset(tmp_path, {2025: value})
    v = A.assess(ds, plan, indicator("value", value=80.0), 2025)
    assert v.verdict == expected
    shown = fmt.value(value, "andel (%)", 1)
    assert v.wording.startswith(f"{A.WORDS[expected]}: {shown} år 2025, målet är minst 80,0{NB}%")


@pytest.mark.parametrize("own, national, expected", [(60.04, 60.0, A.NOT_MET), (60.06, 60.0, A.MET)])
def test_better_than_riket_as_shown(tmp_path, plan, own, national, expected):
    # 60,04 and 60,0 are both shown as "60,0 %": not better than Riket
    ds = dataset(tmp_path, {2025: own}, national={2025: national})
    assert A.assess(ds, plan, indicator("national"), 2025).verdict == expected


def test_value_rule_without_tolerance_has_no_partly(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 79.9})
    assert A.assess(ds, plan, indicator("value", value=80.0), 2025).verdict == A.NOT_MET


def test_float_noise_never_decides(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 0.1 + 0.2})  # 0.30000000000000004
    assert A.assess(ds, plan, indicator("value", False, value=0.3), 2025).verdict == A.MET


def test_judged_on_the_latest_year_with_a_value(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 82.0, 2024: 81.0, 2025: None})
    v = A.assess(ds, plan, indicator("value", value=80.0), 2025)
    assert v.verdict == A.MET and v.year == 2024
    assert f"81,0{NB}% år 2024" in v.wording


def test_no_value_cannot_be_judged_and_says_why(tmp_path, plan):
    ds = dataset(tmp_path, {2025: None})
    v = A.assess(ds, plan, indicator("value", value=80.0), 2025)
    assert v.verdict == A.UNKNOWN and v.year is None
    assert v.wording == "Kan ej bedömas: inget värde till och med 2025 (För få svar)."


def test_not_yet_published_says_when(tmp_path, plan):
    ds = dataset(tmp_path, {}, national={2025: 50.0})  # the KPI's next publication is for 2026
    v = A.assess(ds, plan, indicator("value", value=80.0), 2026)
    assert v.verdict == A.UNKNOWN
    assert v.wording == "Kan ej bedömas: inget värde till och med 2026 (ej publicerat än, väntas 2026-04-29)."


# ---- rule: improvement against the baseline year


@pytest.mark.parametrize(
    "higher, base, now, tolerance, expected",
    [
        (True, 70.0, 70.1, None, A.MET),
        (True, 70.0, 70.0, None, A.NOT_MET),  # no change is no improvement
        (True, 70.0, 70.0, 0.5, A.PARTLY),
        (True, 70.0, 69.5, 0.5, A.PARTLY),  # at the tolerance edge
        (True, 70.0, 69.4, 0.5, A.NOT_MET),
        (False, 70.0, 69.9, None, A.MET),
        (False, 70.0, 70.1, None, A.NOT_MET),
        (False, 70.0, 70.5, 0.5, A.PARTLY),
    ],
)
def test_improvement_rule(tmp_path, plan, higher, base, now, tolerance, expected):
    ds = dataset(tmp_path, {2023: base, 2025: now})
    v = A.assess(ds, plan, indicator("improvement", higher, baseline_year=2023, tolerance=tolerance), 2025)
    assert v.verdict == expected and v.reference == base


def test_improvement_with_a_missing_baseline(tmp_path, plan):
    ds = dataset(tmp_path, {2023: None, 2025: 75.0})
    v = A.assess(ds, plan, indicator("improvement", baseline_year=2023), 2025)
    assert v.verdict == A.UNKNOWN and "värde för basåret 2023 saknas (För få svar)" in v.wording


def test_improvement_with_nothing_after_the_baseline(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 70.0})
    v = A.assess(ds, plan, indicator("improvement", baseline_year=2023), 2025)
    assert v.verdict == A.UNKNOWN and "inget värde efter basåret 2023" in v.wording


def test_improvement_across_a_series_break_is_not_judged(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 70.0, 2025: 75.0})
    ind = indicator("improvement", baseline_year=2023, breaks=[SeriesBreak(2024, "ny definition")])
    v = A.assess(ds, plan, ind, 2025)
    assert v.verdict == A.UNKNOWN and "tidsseriebrott 2024 (ny definition)" in v.wording


# ---- rules: better than Riket, better than the peer mean


@pytest.mark.parametrize(
    "higher, own, national, tolerance, expected",
    [
        (True, 60.1, 60.0, None, A.MET),
        (True, 60.0, 60.0, None, A.NOT_MET),  # a tie with Riket is not better
        (True, 60.0, 60.0, 0.0, A.PARTLY),  # ...but within a tolerance of 0
        (True, 59.0, 60.0, 1.0, A.PARTLY),
        (True, 58.9, 60.0, 1.0, A.NOT_MET),
        (False, 59.9, 60.0, None, A.MET),
        (False, 60.0, 60.0, None, A.NOT_MET),
    ],
)
def test_national_rule(tmp_path, plan, higher, own, national, tolerance, expected):
    ds = dataset(tmp_path, {2025: own}, national={2025: national})
    v = A.assess(ds, plan, indicator("national", higher, tolerance=tolerance), 2025)
    assert v.verdict == expected and v.reference == national


def test_national_rule_without_a_national_value(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 60.0}, national={2025: None})
    v = A.assess(ds, plan, indicator("national"), 2025)
    assert v.verdict == A.UNKNOWN and "Riket saknar värde år 2025 (Uppgift saknas)" in v.wording


@pytest.mark.parametrize(
    "higher, own, expected",
    [(True, 50.1, A.MET), (True, 50.0, A.NOT_MET), (False, 49.9, A.MET), (False, 50.1, A.NOT_MET)],
)
def test_peers_rule(tmp_path, plan, higher, own, expected):
    ds = dataset(tmp_path, {2025: own}, peers={2025: [40.0, 60.0, None]})  # mean of those with values: 50
    v = A.assess(ds, plan, indicator("peers", higher), 2025)
    assert v.verdict == expected and v.reference == pytest.approx(50.0)
    assert "(2 av 3)" in v.wording


def test_peers_rule_without_peer_values(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 50.0}, peers={2025: [None, None, None]})
    assert A.assess(ds, plan, indicator("peers"), 2025).verdict == A.UNKNOWN


# ---- rule: cumulative over the plan period (2023–2026 in the tiny plan)


@pytest.mark.parametrize(
    "values, expected",
    [
        ({2023: 500, 2024: 500, 2025: 500}, A.MET),  # exactly the target
        ({2023: 500, 2024: 500, 2025: 499}, A.PARTLY),  # short, but past the declared share
        ({2023: 300, 2024: 300, 2025: 149}, A.NOT_MET),  # 749 < 50 % of 1 500
        ({2023: 300, 2024: 300, 2025: 150}, A.PARTLY),  # exactly 50 %
        ({2022: 9000, 2023: 100}, A.NOT_MET),  # years before the period do not count
    ],
)
def test_cumulative_rule(tmp_path, plan, values, expected):
    """In the plan period's last year (2026) and after, the total is judged against the target."""
    ds = dataset(tmp_path, values)
    ind = indicator("cumulative", unit="antal", decimals=0, value=1500.0, partial_share=0.5, source="plan")
    for year in (2026, 2027):
        v = A.assess(ds, plan, ind, year)
        assert v.verdict == expected
        assert v.value == sum(x for y, x in values.items() if 2023 <= y <= 2026)
        assert "(mål i strategiska planen)" in v.wording


# Before the period's last year: the pace. Target 1 500 over 2023–2026; by 2025 the pace needs 3/4 of it.
@pytest.mark.parametrize(
    "values, expected",
    [
        ({2023: 400, 2024: 400, 2025: 325}, A.ON_PACE),  # exactly the pace: 1 125
        ({2023: 400, 2024: 400, 2025: 324}, A.PARTLY_ON_PACE),  # just below it, above the share
        ({2023: 200, 2024: 200, 2025: 163}, A.PARTLY_ON_PACE),  # 563 >= 50 % of 1 125 (562,5)
        ({2023: 200, 2024: 200, 2025: 162}, A.OFF_PACE),  # 562 < 562,5
        ({2023: 900, 2024: 700, 2025: 100}, A.ON_PACE),  # the whole target already reached
    ],
)
def test_cumulative_pace_before_the_last_year(tmp_path, plan, values, expected):
    ds = dataset(tmp_path, values)
    ind = indicator("cumulative", unit="antal", decimals=0, value=1500.0, partial_share=0.5, source="plan")
    v = A.assess(ds, plan, ind, 2025)
    assert v.verdict == expected and v.year == 2025 and v.reference == 1125
    assert v.wording.startswith(f"{A.WORDS[expected]}: ") and "hade krävt 1\u00a0125 till och med 2025" in v.wording
    assert "uppfyllt" not in v.wording.split("(")[0]  # a pace verdict never reads as the target reached


def test_pace_sentence_gives_the_total_the_pace_and_what_remains(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 400, 2024: 400, 2025: 220})
    ind = indicator("cumulative", unit="antal", decimals=0, value=1500.0, partial_share=0.75, source="plan")
    v = A.assess(ds, plan, ind, 2025)
    assert v.wording == (
        f"Delvis i fas: 1{NB}020 sammanlagt 2023–2025; i fas mot 1{NB}500 år 2026 hade krävt 1{NB}125 till och "
        f"med 2025; 480 återstår under 2026; delvis i fas från 75{NB}% av takten (mål i strategiska planen)."
    )


def test_pace_is_judged_in_the_latest_year_with_a_value(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 400, 2024: 380, 2025: None})
    ind = indicator("cumulative", unit="antal", decimals=0, value=1500.0, source="plan")
    v = A.assess(ds, plan, ind, 2025)
    assert v.year == 2024 and v.reference == 750 and v.verdict == A.ON_PACE
    assert "720 återstår under 2025–2026, 360 per år" in v.wording and "värde saknas för 2025" in v.wording


def test_pace_verdicts_count_as_their_class_but_are_shown_apart():
    goal = A.roll_up(AREA, verdicts(A.MET, A.MET, A.ON_PACE, A.NOT_MET))
    assert goal.verdict == A.MET  # 3 of 4 count as met: 75 %
    assert goal.met_text == "2 av 4 indikatorer uppfyllda, 1 i fas"
    assert "1 i fas mot ett mål för hela planperioden (räknas som uppfyllt)" in goal.wording
    assert A.roll_up(AREA, verdicts(A.MET, A.MET, A.OFF_PACE, A.NOT_MET)).verdict == A.PARTLY


def test_cumulative_share_is_not_decided_by_float_noise(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 7})  # 0.07 * 100 is 7.000000000000001 in binary
    ind = indicator("cumulative", unit="antal", decimals=0, value=100.0, partial_share=0.07)
    v = A.assess(ds, plan, ind, 2026)
    assert v.verdict == A.PARTLY and "värde saknas för 2024, 2025, 2026" in v.wording


def test_cumulative_names_missing_years(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 700, 2024: None, 2025: 900})
    ind = indicator("cumulative", unit="antal", decimals=0, value=1500.0)
    v = A.assess(ds, plan, ind, 2026)
    assert v.verdict == A.MET and v.value == 1600 and "värde saknas för 2024" in v.wording


def test_council_target_names_its_decision(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 81.3})
    ind = indicator("value", value=80.0, source="council", decision="KF § 12", decision_date="2024-02-01")
    assert A.assess(ds, plan, ind, 2025).wording == (
        f"Uppfyllt: 81,3{NB}% år 2025, målet är minst 80,0{NB}% (beslut KF § 12, 2024-02-01)."
    )


def test_example_target_wording(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 79.5})
    v = A.assess(ds, plan, indicator("value", value=80.0, year=2026, tolerance=1.0), 2025)
    assert v.wording == (
        f"Delvis uppfyllt: 79,5{NB}% år 2025, målet är minst 80,0{NB}% år 2026; "
        f"delvis uppfyllt inom 1,0{NB}p.e. (exempelmål)."
    )


# ---- the wording states the numbers of the computation


def shown(ind, x):
    return fmt.value(x, ind.unit, ind.decimals)


@pytest.mark.parametrize(
    "rule, kw",
    [
        ("value", {"value": 80.0, "tolerance": 2.0}),
        ("improvement", {"baseline_year": 2023}),
        ("national", {}),
        ("peers", {}),
    ],
)
def test_wording_states_the_computed_numbers(tmp_path, plan, rule, kw):
    ds = dataset(tmp_path, {2023: 77.25, 2025: 78.75}, national={2025: 79.5}, peers={2025: [70.0, 75.0, 80.0]})
    ind = indicator(rule, **kw)
    v = A.assess(ds, plan, ind, 2025)
    assert f"{shown(ind, v.value)} år {v.year}" in v.wording
    assert shown(ind, v.reference) in v.wording
    assert {
        "value": f"80,0{NB}%",
        "improvement": f"77,3{NB}% år 2023",
        "national": f"79,5{NB}%",
        "peers": f"75,0{NB}%",
    }[rule] in v.wording


def test_every_verdict_of_the_example_report_states_its_numbers(example_dataset):
    from conftest import REPO

    plan = load_plan(REPO / "data" / "plan.yml")
    ds = load_dataset(example_dataset)
    seen = set()
    for _, ind in plan.indicators():
        v = A.assess(ds, plan, ind, 2025)
        seen.add(v.verdict)
        if v.verdict != A.UNKNOWN:
            assert shown(ind, v.value) in v.wording and shown(ind, v.reference) in v.wording, v.wording
            assert str(v.year) in v.wording, v.wording
            assert v.wording.startswith(A.label(v.verdict)[2:]), v.wording
    assert set(A.VERDICTS) <= seen  # the example data shows every path
    assert seen - set(A.VERDICTS) <= set(A.PACE_VERDICTS) and seen & set(A.PACE_VERDICTS)  # Boende's pace


# ---- direction of travel


@pytest.mark.parametrize(
    "higher, prev, now, threshold, expected",
    [
        (True, 70.0, 71.0, 0.0, A.BETTER),
        (True, 70.0, 70.5, 0.5, A.SAME),  # at the noise threshold: unchanged
        (True, 70.0, 70.6, 0.5, A.BETTER),
        (True, 70.0, 69.4, 0.5, A.WORSE),
        (False, 70.0, 69.0, 0.0, A.BETTER),
        (False, 70.0, 71.0, 0.0, A.WORSE),
    ],
)
def test_direction(tmp_path, plan, higher, prev, now, threshold, expected):
    ds = dataset(tmp_path, {2023: prev, 2024: prev, 2025: now})
    previous, start = A.directions(ds, plan, indicator("value", higher, value=1.0, unchanged=threshold), 2025)
    assert previous.word == expected and start.word == expected
    assert "år 2025 mot" in previous.text


@pytest.mark.parametrize(
    "prev, now, expected",
    [
        (70.02, 70.04, A.SAME),  # both shown as 70,0 %: unchanged, as the chapter's sentence says
        (70.04, 70.06, A.BETTER),  # shown as 70,0 % and 70,1 %: better, though the raw change is as small
        (70.06, 70.04, A.WORSE),
    ],
)
def test_direction_is_judged_on_the_values_as_shown(tmp_path, plan, prev, now, expected):
    ds = dataset(tmp_path, {2023: prev, 2024: prev, 2025: now})
    previous, _ = A.directions(ds, plan, indicator("value", value=1.0, decimals=1), 2025)
    assert previous.word == expected
    assert previous.text == f"{expected}: {fmt.percent(now, 1)} år 2025 mot {fmt.percent(prev, 1)} år 2024"


def test_direction_not_across_a_break(tmp_path, plan):
    ds = dataset(tmp_path, {2023: 70.0, 2024: 70.0, 2025: 75.0})
    ind = indicator("value", value=1.0, breaks=[SeriesBreak(2025, "ny enhet")])
    previous, start = A.directions(ds, plan, ind, 2025)
    assert previous.word == "–" and "tidsseriebrott 2025: ny enhet" in previous.text
    assert start.word == "–"


def test_direction_without_a_previous_value(tmp_path, plan):
    ds = dataset(tmp_path, {2025: 70.0})
    previous, start = A.directions(ds, plan, indicator("value", value=1.0), 2025)
    assert previous.word == "–" and start.word == "–"


# ---- goal-area roll-up and override


def verdicts(*kinds):
    ind = indicator("value", value=1.0)
    return [A.Verdict(ind, k, 2025, math.nan, math.nan, "") for k in kinds]


AREA = GoalArea("skolan", "Skolan", "Mål.", "Fokus.", (), Assessment(0.75, 0.5))


@pytest.mark.parametrize(
    "kinds, expected",
    [
        ((A.MET, A.MET, A.MET, A.NOT_MET), A.MET),  # 75 % met: exactly the threshold
        ((A.MET, A.MET, A.NOT_MET, A.NOT_MET), A.PARTLY),  # 50 %
        ((A.MET, A.PARTLY, A.NOT_MET, A.NOT_MET), A.PARTLY),  # met or partly: 50 %
        ((A.MET, A.NOT_MET, A.NOT_MET, A.NOT_MET), A.NOT_MET),
        ((A.MET, A.MET, A.MET, A.UNKNOWN), A.MET),  # "kan ej bedömas" leaves the denominator
        ((A.MET, A.NOT_MET, A.UNKNOWN, A.UNKNOWN), A.PARTLY),
        ((A.UNKNOWN, A.UNKNOWN), A.UNKNOWN),
    ],
)
def test_roll_up(kinds, expected):
    goal = A.roll_up(AREA, verdicts(*kinds))
    assert goal.verdict == expected == goal.shown
    judged = sum(1 for k in kinds if k != A.UNKNOWN)
    assert goal.met_text == f"{kinds.count(A.MET)} av {judged} indikatorer uppfyllda"
    if A.UNKNOWN in kinds:
        assert f"{kinds.count(A.UNKNOWN)} kan ej bedömas" in goal.wording


def test_override_is_shown_beside_the_computed_verdict():
    goal = A.roll_up(AREA, verdicts(A.NOT_MET, A.NOT_MET), A.PARTLY, "Skäl.")
    assert goal.verdict == A.NOT_MET and goal.shown == A.PARTLY and goal.justification == "Skäl."


@pytest.mark.parametrize("justification", [None, "", "   "])
def test_override_needs_a_justification(justification):
    with pytest.raises(ValueError, match="justification"):
        A.roll_up(AREA, verdicts(A.MET), A.NOT_MET, justification)


def test_labels_have_symbol_and_word():
    assert [A.label(v) for v in A.VERDICTS] == ["✔ Uppfyllt", "◐ Delvis uppfyllt", "✘ Ej uppfyllt", "? Kan ej bedömas"]


def test_a_local_value_not_delivered_cannot_be_judged_and_names_the_supplier(tiny_dataset, plan):
    ds = load_dataset(tiny_dataset)  # lokal-a has a value for 2024 only
    ind = plan.area("skolan").indicators[2]
    v = A.assess(ds, plan, ind, 2025)
    assert v.verdict == A.UNKNOWN and v.year is None
    assert v.wording == "Kan ej bedömas – uppgift från Testförvaltningen saknas för 2025."
    assert A.assess(ds, plan, ind, 2024).verdict != A.UNKNOWN
