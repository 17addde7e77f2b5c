import math

import pytest

from followup import analysis
from followup.data import load_dataset
from followup.plan import load_plan

NB, MINUS = "\u00a0", "\u2212"


@pytest.fixture
def ctx(tiny_dataset, tiny_plan):
    return load_dataset(tiny_dataset), load_plan(tiny_plan)


def test_peer_mean_uses_the_members_that_have_a_value(ctx):
    ds, _ = ctx
    mean = analysis.peer_mean(ds, "N00001", "G1", 2024)
    assert mean.value == pytest.approx(50.0)  # (40 + 60) / 2; the third member has no value
    assert (mean.n, mean.of) == (2, 3)


def test_peer_mean_without_values_is_missing(ctx):
    ds, _ = ctx
    mean = analysis.peer_mean(ds, "N00001", "G1", 2022)
    assert math.isnan(mean.value) and mean.n == 0


def test_latest_and_previous(ctx):
    ds, plan = ctx
    s = analysis.summarise(ds, plan, plan.area("skolan").indicators[0], 2024)
    assert (s.latest.year, s.latest.value) == (2024, 51.0)
    assert (s.previous.year, s.previous.value) == (2023, 52.5)
    assert s.change == pytest.approx(-1.5)
    assert s.national.missing and s.national_reason == "Uppgift saknas"
    assert s.peers.value == pytest.approx(50.0)
    assert s.note == ""


@pytest.mark.parametrize("higher_is_better, rank", [(True, (2, 4)), (False, (3, 4))])
def test_peer_rank_by_direction(ctx, higher_is_better, rank):
    import dataclasses

    import pandas as pd

    ds, plan = ctx
    # Borlänge 51; peers 40, 60 and (added here) 45; a member without a value is not ranked
    extra = pd.DataFrame(
        [{"indicator": "N00001", "municipality": "0003", "year": 2024, "gender": "T", "value": 45.0, "status": ""}]
    )
    ds.values = pd.concat([ds.values[~((ds.values["municipality"] == "0003") & (ds.values["year"] == 2024))], extra])
    ind = dataclasses.replace(plan.area("skolan").indicators[0], higher_is_better=higher_is_better)
    assert analysis.peer_rank(ds, plan, ind, 2024) == rank
    assert analysis.peer_rank(ds, plan, ind, 2021) is None


def test_report_year_before_the_latest_value(ctx):
    ds, plan = ctx
    s = analysis.summarise(ds, plan, plan.area("skolan").indicators[0], 2023)
    assert (s.latest.year, s.previous.year) == (2023, 2022)
    assert s.national.value == 56.0


def test_not_yet_published(ctx):
    ds, plan = ctx
    s = analysis.summarise(ds, plan, plan.area("skolan").indicators[1], 2024)  # N00002: publ_period 2024
    assert s.latest.year == 2023 and s.previous is None and math.isnan(s.change)
    assert s.note == "2024: ej publicerat än, väntas 2026-05-01"


def test_the_indicator_table(ctx):
    """The table shown in a chapter, made from the indicators' records in the goal area's results document."""
    from followup import chapter, results

    ds, plan = ctx
    records = [results.indicator_result(ds, plan, ind, 2024) for ind in plan.area("skolan").indicators]
    table = chapter.indicator_table(records)
    assert list(table.columns) == chapter.INDICATOR_COLUMNS
    share, count, local = table.to_dict("records")
    assert share == {
        "Indikator": "Testandel",
        "Enhet": "andel (%)",
        "Senaste värde (år)": f"51,0{NB}% (2024)",
        "Föregående värde (år)": f"52,5{NB}% (2023)",
        "Förändring": f"{MINUS}1,5{NB}p.e.",
        "Riket": "– (Uppgift saknas)",
        "Liknande kommuner, medel": f"50,0{NB}% (2 av 3)",
        "Rang bland liknande": "2 av 3",
        "Plats bland alla kommuner": "–",  # the tiny data set has no all_municipalities.csv
        "Kommentar": "",
    }
    assert count["Senaste värde (år)"] == f"1{NB}500 (2023)"
    assert count["Föregående värde (år)"] == "–" and count["Förändring"] == "–"
    assert count["Riket"] == f"1{NB}200"
    assert count["Kommentar"] == "2024: ej publicerat än, väntas 2026-05-01"
    assert local["Riket"] == "– (lokal uppgift, finns inte för riket)"
    assert local["Senaste värde (år)"] == "10 (2024)"


def test_table_html_escapes_text_and_has_a_fixed_id(ctx):
    import pandas as pd

    df = pd.DataFrame([{"Indikator": "<script>alert(1)</script>", "Värde": "1"}])
    html = analysis.table_html(df, "tab-test", "Rubrik <b>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Rubrik &lt;b&gt;" in html
    assert 'id="T_tab-test"' in html
    assert html == analysis.table_html(df, "tab-test", "Rubrik <b>")


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    """The package is layered (see followup/__init__.py): its import graph has no cycle."""
    import ast
    from pathlib import Path

    package = Path(analysis.__file__).parent
    graph = {}
    for f in package.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("followup."):
                deps.add(node.module.split(".")[1])
        graph[f.stem] = deps

    def reaches(start, goal, seen=()):
        return any(d == goal or (d not in seen and reaches(d, goal, (*seen, d))) for d in graph.get(start, ()))

    assert not [m for m in graph if reaches(m, m)]


RETRIEVED = "2026-03-15T08:00:00Z"


@pytest.mark.parametrize(
    "meta, year, expected",
    [
        ({"publ_period": "2025", "publication_date": "2026-05-15"}, 2025, "ej publicerat än, väntas 2026-05-15"),
        ({"publ_period": "2025", "publication_date": "2026-03-16"}, 2025, "ej publicerat än, väntas 2026-03-16"),
        ({"publ_period": "2025", "publication_date": "2026-03-15"}, 2025, "försenat, väntades 2026-03-15"),
        ({"publ_period": "2025", "publication_date": "2025-11-30"}, 2025, "försenat, väntades 2025-11-30"),
        ({"publ_period": "2024", "publication_date": "2026-05-15"}, 2025, "ej publicerat än, väntas 2026-05-15"),
        ({"publ_period": "2025", "publication_date": "2026-05-15"}, 2024, "saknas i Kolada"),
        ({"publ_period": None, "publication_date": None}, 2025, "ingen publicering planerad"),
        ({"publ_period": "2025", "publication_date": None}, 2025, "ej publicerat än"),
    ],
)
def test_why_kolada_has_no_value_on_both_sides_of_the_retrieval_date(meta, year, expected):
    assert analysis.publication_reason(meta, year, RETRIEVED) == expected


@pytest.mark.parametrize(
    "place, of, quartile",
    [
        (1, 287, "best"),
        (72, 287, "best"),
        (73, 287, "middle"),
        (215, 287, "middle"),
        (216, 287, "worst"),
        (287, 287, "worst"),
        (1, 1, "best"),
        (1, 4, "best"),
        (2, 4, "middle"),
        (4, 4, "worst"),
    ],
)
def test_quartiles_among_all_municipalities(place, of, quartile):
    rank = analysis.NationalRank(2025, place, of)
    assert rank.quartile == quartile
    mark, words = analysis.QUARTILES[quartile]
    assert rank.text == f"plats {place} av {of} {mark} {words}"


@pytest.mark.parametrize(
    "higher_is_better, place",
    [(True, 2), (False, 4)],  # 60 is beaten by 70 only, or (lower is better) by 40, 50 and 55
)
def test_place_among_all_municipalities_ties_share_the_better_place(ctx, higher_is_better, place):
    import dataclasses

    import pandas as pd

    ds, plan = ctx
    values = {"2081": 60.04, "0001": 70.0, "0002": 60.0, "0003": 50.0, "0004": 40.0, "0005": 55.0, "0006": None}
    table = pd.DataFrame(
        {"municipality": list(values), "value": [v if v is not None else math.nan for v in values.values()]}
    )
    ds.all_year_values = lambda indicator, year: table  # what all_municipalities.csv would give
    ind = dataclasses.replace(plan.area("skolan").indicators[0], higher_is_better=higher_is_better)
    rank = analysis.national_rank(ds, plan, ind, 2024)
    assert (rank.place, rank.of) == (place, 6)  # 60,04 is shown as 60,0: tied with 0002; no value: not counted
    assert analysis.national_rank(ds, plan, plan.area("skolan").indicators[2], 2024) is None  # local: no place
