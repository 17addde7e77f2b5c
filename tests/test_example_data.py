"""The example data set: made by a deterministic script, plausible, and marked as example data."""

import csv
import filecmp
import json
import math

from followup import example_data
from followup.data import load_dataset
from followup.plan import load_plan
from followup.runs import RunLock

from conftest import REPO, make_project


def test_committed_example_data_is_what_the_script_makes(example_dataset):
    for part in ("kolada", "local"):
        committed = REPO / "data" / "example" / part
        names = sorted(p.name for p in committed.iterdir())
        assert names == sorted(p.name for p in (example_dataset / part).iterdir())
        match, mismatch, errors = filecmp.cmpfiles(committed, example_dataset / part, names, shallow=False)
        assert mismatch == [] and errors == [], f"run `make example-data`: {part}/{mismatch or errors} differ"


def test_example_data_covers_what_the_report_needs(example_dataset):
    ds = load_dataset(example_dataset)
    assert ds.is_example and ds.kolada_manifest["source"] == "example"
    v = ds.values
    kolada = v[v["indicator"].str.match(r"^[NU]\d{5}$")]
    members = ds.group_members("G37343")
    assert len(members) == 7
    for muni in ["2081", "0000", *members]:
        years = set(kolada[kolada["municipality"] == muni]["year"])
        assert set(range(2015, 2024)) <= years, muni
    assert v["year"].min() == 2015 and ds.latest_year == 2025
    # the women/men split where the KPI has one
    for kpi, meta in ds.kpis.items():
        genders = set(v[v["indicator"] == kpi]["gender"])
        assert genders == ({"T", "K", "M"} if meta["is_divided_by_gender"] else {"T"}), kpi
    # missing values carry a reason
    missing = v[v["value"].isna()]
    assert len(missing) >= 5 and (missing["status"] != "").all()
    assert (missing["municipality"] == "2081").any()
    # some KPIs are not yet published for the latest year
    last = kolada.groupby("indicator", observed=True)["year"].max()
    assert (last < 2025).sum() >= 5 and (last == 2025).sum() >= 5
    # shares stay within 0..100
    shares = [k for k, m in ds.kpis.items() if "andel" in m["title"]]
    values = v[v["indicator"].isin(shares)]["value"].dropna()
    assert values.between(0, 100).all()
    assert not any(math.isinf(x) for x in v["value"].dropna())


def test_the_generator_takes_the_run_lock_and_replaces_by_swap(tmp_path, example_dataset, capsys):
    project = make_project(tmp_path / "p", example_dataset)
    out = project / "data" / "example"
    (out / ".kolada.old-1-2").mkdir()  # left by a generator that was killed
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with RunLock(project, "test run"):
        assert example_data.main(["--out", str(out)]) == 1
    assert "a test run (process" in capsys.readouterr().err
    assert example_data.main(["--out", str(out), "--project", str(project)]) == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # the same spec, the same bytes
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_the_generator_needs_a_project(tmp_path, capsys):
    assert example_data.main(["--out", str(tmp_path / "example")]) == 1
    assert "give --project" in capsys.readouterr().err


def _csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_biennial_kpi_has_odd_years_only_and_no_value_for_riket(example_dataset):
    rows = [r for r in _csv(example_dataset / "kolada" / "values.csv") if r["kpi"] == "N07923"]
    assert {int(r["year"]) for r in rows} == set(range(2015, 2026, 2))
    riket = [r for r in rows if r["municipality"] == "0000"]
    assert riket and all(r["value"] == "" and r["status"] == "Missing" for r in riket)
    own = {int(r["year"]): r for r in rows if r["municipality"] == "2081"}
    assert own[2025]["value"] and own[2023]["value"]
    assert own[2021]["status"] == "Uppgift saknas: kommunen har inte besvarat enkäten"  # a Swedish reason kept


def test_missing_cells_carry_koladas_status_or_a_reason(example_dataset):
    rows = _csv(example_dataset / "kolada" / "values.csv")
    missing = {(r["kpi"], r["municipality"], int(r["year"])): r["status"] for r in rows if r["value"] == ""}
    assert all(missing.values())
    kolada = {k for k, status in missing.items() if status == "Missing" and k[1] != "0000"}
    assert {("N15507", "2181", 2025), ("N15508", "2181", 2025), ("N00090", "2081", 2023)} <= kolada
    assert any(status.startswith("Uppgift saknas") for status in missing.values())


def test_publication_dates_agree_with_the_years_present(example_dataset):
    """A KPI whose next value was due before the retrieval has it, except the one late on purpose; the others
    are not published yet (the year is absent), and one has no publication planned."""
    ds = load_dataset(example_dataset)
    retrieved = ds.kolada_manifest["retrieved"][:10]
    last = ds.values.dropna(subset=["value"]).groupby("indicator", observed=True)["year"].max()
    late, due, planned_none = [], [], []
    for kpi, meta in ds.kpis.items():
        if meta["publ_period"] is None:
            planned_none.append(kpi)
        elif int(meta["publ_period"]) > last[kpi]:
            (late if meta["publication_date"] < retrieved else due).append(kpi)
    assert late == ["N17445"]
    assert ds.kpis["N17445"]["publ_period"] == "2025" and last["N17445"] == 2024
    assert due and planned_none == ["U23401"]


def test_all_municipalities_has_every_k_municipality_and_agrees_with_values(example_dataset):
    kdir = example_dataset / "kolada"
    munis = json.loads((kdir / "municipalities.json").read_text(encoding="utf-8"))
    k_ids = {m["id"] for m in munis if m["type"] == "K"}
    assert len(k_ids) >= 290 and {"0000", "2081", "2181"} <= {m["id"] for m in munis}
    assert sum(m["type"] == "L" for m in munis) == 22  # Riket and the regions, as Kolada lists them
    rows = _csv(kdir / "all_municipalities.csv")
    assert list(rows[0]) == ["kpi", "municipality", "year", "value"]
    keys = [(r["kpi"], r["municipality"], int(r["year"])) for r in rows]
    assert keys == sorted(set(keys))
    assert {r["municipality"] for r in rows} == k_ids and all(r["value"] for r in rows)
    assert {int(r["year"]) for r in rows} == {2023, 2024, 2025}
    assert {int(r["year"]) for r in rows if r["kpi"] == "N07923"} == {2023, 2025}
    kolada_kpis = {ind.id for _, ind in load_plan(REPO / "data" / "plan.yml").indicators() if ind.is_kolada}
    assert {r["kpi"] for r in rows} == kolada_kpis
    # Borlänge and the peers: the same cells as values.csv (totals with a value, in those years)
    places = {"2081", *load_dataset(example_dataset).group_members("G37343")}
    totals = {
        (r["kpi"], r["municipality"], int(r["year"])): r["value"]
        for r in _csv(kdir / "values.csv")
        if r["gender"] == "T" and r["value"] and r["municipality"] in places and int(r["year"]) >= 2023
    }
    totals = {k: v for k, v in totals.items() if k[0] in kolada_kpis}
    assert {k: r["value"] for k, r in zip(keys, rows, strict=True) if k[1] in places} == totals
    assert ("N15508", "2181", 2025) not in set(keys)  # a missing value has no row


def test_the_example_snapshot_is_small():
    files = [p for p in (REPO / "data" / "example").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000
