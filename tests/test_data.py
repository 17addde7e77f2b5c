import json
import logging
import math
import shutil

import numpy as np
import pytest

import run_all
from followup.data import DataError, choose_root, load_dataset

from conftest import TINY_PLAN, kpi_meta, make_dataset, row


def test_loads_kolada_and_local_values(tiny_dataset):
    ds = load_dataset(tiny_dataset)
    assert ds.is_example
    assert ds.retrieved == "2026-03-15T08:00:00Z"
    assert ds.latest_year == 2024
    assert ds.years == (2022, 2024)
    assert set(ds.values["indicator"]) == {"N00001", "N00002", "lokal-a"}
    missing = ds.values[(ds.values["municipality"] == "0003")]
    assert math.isnan(missing["value"].iloc[0]) and missing["status"].iloc[0] == "För få svar"
    assert ds.group_members("G1") == ["0001", "0002", "0003"]
    assert ds.local_sources == {"lokal-a": "Testförvaltningen"}
    assert ds.producer("N00001") == "SCB"


def test_a_real_snapshot_is_not_example(tmp_path):
    root = make_dataset(tmp_path / "d", [row("N00001", "2081", 2024, 1)], [kpi_meta("N00001")], source="kolada")
    assert not load_dataset(root).is_example


def test_producer_is_the_last_named_source(tmp_path):
    root = make_dataset(
        tmp_path / "d",
        [row("N00001", "2081", 2024, 1)],
        [kpi_meta("N00001", description="Text. Källa: SCB och Skolverket.")],
    )
    assert load_dataset(root).producer("N00001") == "SCB och Skolverket"


def test_choose_root_prefers_a_real_snapshot(tmp_path):
    (tmp_path / "example").mkdir()
    assert choose_root(tmp_path) == tmp_path / "example"
    (tmp_path / "kolada").mkdir()
    (tmp_path / "kolada" / "manifest.json").write_text("{}")
    assert choose_root(tmp_path) == tmp_path


def edit(path, old, new):
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_a_changed_file_fails_its_manifest_hash(tiny_dataset):
    edit(tiny_dataset / "kolada" / "values.csv", "52.5", "53.5")
    with pytest.raises(DataError, match="does not match the manifest") as info:
        load_dataset(tiny_dataset)
    assert info.value.path.endswith("kolada/values.csv")


def rewrite(tmp_path, values, **kw):
    return make_dataset(tmp_path / "bad", values, [kpi_meta("N00001")], **kw)


def test_comma_decimal(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, "51,5")])
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert info.value.where == "line 2, column value"
    assert "'51,5'" in info.value.message and "decimal point" in info.value.message


def test_every_problem_of_a_file_at_once(tmp_path):
    """Many bad rows: one group of problems (an ExceptionGroup, caught as a DataError too: a fetch relies on
    that for a damaged previous snapshot), the file named once and the first 25 problems listed."""
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, i, gender="X") for i in range(30)])
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert isinstance(info.value, ExceptionGroup) and len(info.value.exceptions) == 30
    lines = str(info.value).splitlines()
    assert lines[0] == f"{root / 'kolada' / 'values.csv'}: 30 problems:"
    assert lines[1] == "  line 2, column gender: expected T, K or M, got 'X'"
    assert len(lines) == 1 + 25 + 1 and lines[-1] == "  … and 5 more"


def test_duplicate_row(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1), row("N00001", "2081", 2024, 2)])
    with pytest.raises(DataError, match="duplicate of line 2") as info:
        load_dataset(root)
    assert info.value.where == "line 3"


def test_missing_value_needs_a_reason(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, None)])
    with pytest.raises(DataError, match="needs its reason"):
        load_dataset(root)


def test_bad_gender(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1, gender="X")])
    with pytest.raises(DataError, match="expected T, K or M"):
        load_dataset(root)


def test_bad_municipality_code(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "281", 2024, 1)])
    with pytest.raises(DataError, match="four-digit municipality code"):
        load_dataset(root)


def test_values_for_a_kpi_without_metadata(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1), row("N00009", "2081", 2024, 1)])
    with pytest.raises(DataError, match="without metadata in kpis.json: N00009"):
        load_dataset(root)


def test_wrong_columns(tmp_path, tiny_dataset):
    path = tiny_dataset / "local" / "values.csv"
    edit(path, "indicator,", "indikator,")
    manifest = json.loads((tiny_dataset / "local" / "manifest.json").read_text())
    from followup.data import sha256_file

    manifest["files"]["values.csv"]["sha256"] = sha256_file(path)
    (tiny_dataset / "local" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="expected the columns indicator,municipality") as info:
        load_dataset(tiny_dataset)
    assert info.value.where == "line 1"


def test_sealing_local_data_saved_by_excel(tiny_dataset):
    """A byte-order mark and CRLF line ends (as Excel saves CSV UTF-8) are accepted and sealed as they are."""
    from followup.data import seal_local

    path = tiny_dataset / "local" / "values.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(DataError, match="does not match the manifest"):
        load_dataset(tiny_dataset)
    assert seal_local(tiny_dataset / "local", "2026-03-20T10:00:00Z") == 1
    ds = load_dataset(tiny_dataset)
    assert ds.local_sources == {"lokal-a": "Testförvaltningen"}
    assert ds.local_manifest["source"] == "local"


def test_sealing_checks_the_local_data_against_the_plan(tiny_dataset, tiny_plan):
    from followup.data import seal_local
    from followup.errors import FollowupError

    path = tiny_dataset / "local" / "values.csv"
    path.write_text(path.read_text(encoding="utf-8") + "lokal-x,2081,2024,T,3,,Någon\n", encoding="utf-8")
    before = (tiny_dataset / "local" / "manifest.json").read_bytes()
    with pytest.raises(FollowupError, match="unknown indicator 'lokal-x'"):
        seal_local(tiny_dataset / "local", "2026-03-20T10:00:00Z", tiny_plan)
    assert (tiny_dataset / "local" / "manifest.json").read_bytes() == before  # nothing recorded


def test_missing_manifest(tiny_dataset):
    (tiny_dataset / "local" / "manifest.json").unlink()
    with pytest.raises(DataError, match="file not found"):
        load_dataset(tiny_dataset)


def test_manifest_of_the_wrong_kind(tiny_dataset):
    path = tiny_dataset / "kolada" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["source"] = "local"
    path.write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="expected one of kolada, example"):
        load_dataset(tiny_dataset)


# ---- reading column-wise: compact dtypes, line numbers, every problem in order


def test_values_have_compact_dtypes_and_line_numbers(tiny_dataset):
    v = load_dataset(tiny_dataset).values
    assert list(v.columns) == ["indicator", "municipality", "year", "gender", "value", "status", "file", "line"]
    for column in ("indicator", "municipality", "gender", "status", "file"):
        assert v[column].dtype == "category", column
    assert (v["year"].dtype, v["value"].dtype, v["line"].dtype) == ("int16", "float64", "int32")
    local = v[v["file"] == "local/values.csv"]
    assert local["line"].tolist() == [2] and local["indicator"].tolist() == ["lokal-a"]
    riket = v[(v["indicator"] == "N00001") & (v["municipality"] == "0000")]
    assert riket["line"].tolist() == [5, 6, 7]  # the CSV lines, after sorting too


def write_values(root, text):
    """Replace kolada/values.csv with the text and record its hash, as a fetch would have."""
    from followup.data import write_manifest

    (root / "kolada" / "values.csv").write_bytes(text.encode("utf-8"))
    manifest = json.loads((root / "kolada" / "manifest.json").read_text())
    write_manifest(root / "kolada", sorted(manifest["files"]), manifest["source"], manifest["retrieved"])


HEADER = "kpi,municipality,year,gender,value,status\n"


def test_problems_in_order_of_line_and_column(tmp_path):
    """A blank line, a short line, a quoted line break: read as the csv module reads them (the line numbers
    count every line), and the problems listed by line, then column."""
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1)])
    write_values(
        root,
        HEADER + "N00001,2081,2024,X,1,\n"  # line 2: gender
        "\n"  # line 3: blank, skipped
        "N00001,281,20x4,T,\n"  # line 4: short
        "N00001,281,20x4,T,1.5.1,\n"  # line 5: municipality, year, value
        'N00001,2081,2023,T,,"två\nrader"\n'  # lines 6-7: a quoted line break (a reason: fine)
        "N00001,2081,2022,T,,\n",  # line 8 (as the csv module counts records): status
    )
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert [(p.where, p.message) for p in info.value.exceptions] == [
        ("line 2, column gender", "expected T, K or M, got 'X'"),
        ("line 4", "expected 6 fields, got 5"),
        (
            "line 5, column municipality",
            "expected a four-digit municipality code, got '281' (a leading zero was lost: write it as text)",
        ),
        ("line 5, column year", "expected a year, got '20x4'"),
        ("line 5, column value", "expected a number, got '1.5.1'"),
        ("line 7, column status", "a missing value needs its reason in the status column"),
    ]


def test_values_read_as_python_reads_numbers(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1)])
    write_values(root, HEADER + "N00001,2081,2022,T, 1.5 ,\nN00001,2081,2023,T,nan,\nN00001,2081,2024,T,inf,\n")
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert [p.message for p in info.value.exceptions] == [
        "expected a number, got 'nan'",
        "expected a number, got 'inf'",
    ]
    write_values(root, HEADER + "N00001,2081,2022,T, 1.5 ,\nN00001,2081,2023,T,1e2,\n")
    assert load_dataset(root).series("N00001", "2081")["value"].tolist() == [1.5, 100.0]


def test_a_duplicate_in_an_unsorted_file(tmp_path):
    root = rewrite(
        tmp_path, [row("N00001", "2081", 2024, 1), row("N00001", "0000", 2024, 2), row("N00001", "2081", 2024, 3)]
    )
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert (info.value.where, info.value.message) == ("line 4", "duplicate of line 2 (N00001, 2081, 2024, T)")


def test_a_large_file_is_read_in_one_piece_per_column(tmp_path):
    """Thousands of rows (several pieces of the field count): read, sorted, indexed; the last line named."""
    rows = [row(f"N{k:05d}", f"{m:04d}", y, k + m / 1000) for k in range(3) for m in range(300) for y in (2023, 2024)]
    root = make_dataset(tmp_path / "big", rows, [kpi_meta(f"N{k:05d}", title="Tal, antal") for k in range(3)])
    ds = load_dataset(root)
    assert len(ds.values) == 1801 and ds.values["line"].max() == 1801
    assert ds.series("N00002", "0299")["value"].tolist() == [2.299, 2.299]
    rows[-1] = row("N00002", "0299", 2024, "x")
    root = make_dataset(tmp_path / "bad", rows, [kpi_meta(f"N{k:05d}", title="Tal, antal") for k in range(3)])
    with pytest.raises(DataError, match="line 1801, column value: expected a number, got 'x'"):
        load_dataset(root)


# ---- the lookups


def test_series_lookup(tiny_dataset):
    """Dataset.series: one indicator, municipality and gender, by year, as the whole table filtered."""
    ds = load_dataset(tiny_dataset)
    s = ds.series("N00001", "0000")
    assert list(s.columns) == ["year", "value", "status"] and s["year"].tolist() == [2022, 2023, 2024]
    assert s["value"].tolist()[:2] == [55.0, 56.0] and math.isnan(s["value"].iloc[2])
    assert s["status"].tolist() == ["", "", "Uppgift saknas"] and isinstance(s["year"].iloc[0], np.integer)
    assert ds.series("N00001", "2081", "K").empty and list(ds.series("N99999", "2081").columns) == list(s.columns)
    assert ds.value_at("N00001", "0000", 2023) == (56.0, "") and ds.value_at("N00001", "0000", 2021) is None
    value, status = ds.value_at("N00001", "0003", 2024)
    assert math.isnan(value) and status == "För få svar" and ds.value_at("lokal-a", "2081", 2024) == (10.0, "")
    s.loc[0, "value"] = -1  # a copy: the data set is unchanged
    assert ds.series("N00001", "0000")["value"].iloc[0] == 55.0
    v = ds.values
    for (ind, muni, gender), _ in v.groupby(["indicator", "municipality", "gender"], observed=True):
        rows = v[(v["indicator"] == ind) & (v["municipality"] == muni) & (v["gender"] == gender)]
        assert ds.series(ind, muni, gender)["value"].equals(rows.sort_values("year")["value"].reset_index(drop=True))


def test_the_index_follows_a_replaced_table(tiny_dataset):
    ds = load_dataset(tiny_dataset)
    assert len(ds.series("N00001", "2081")) == 3
    ds.values = ds.values[ds.values["year"] != 2022]
    assert ds.series("N00001", "2081")["year"].tolist() == [2023, 2024]


def test_year_values_lookup(tiny_dataset):
    ds = load_dataset(tiny_dataset)
    y = ds.year_values("N00001", 2024)
    assert y["municipality"].tolist() == ["0000", "0001", "0002", "0003", "2081"]
    assert y["value"].tolist()[1:3] == [40.0, 60.0] and y["status"].tolist()[3] == "För få svar"
    assert ds.year_values("N00001", 2019).empty


# ---- all municipalities (kolada/all_municipalities.csv)


def with_all_municipalities(root, text):
    from followup.data import write_manifest

    (root / "kolada" / "all_municipalities.csv").write_text(text, encoding="utf-8")
    manifest = json.loads((root / "kolada" / "manifest.json").read_text())
    names = sorted({*manifest["files"], "all_municipalities.csv"})
    write_manifest(root / "kolada", names, manifest["source"], manifest["retrieved"])
    return root


def test_all_municipalities_are_loaded_when_listed(tiny_dataset):
    ds = load_dataset(tiny_dataset)
    assert list(ds.all_values.columns)[:4] == ["indicator", "municipality", "year", "value"] and ds.all_values.empty
    with_all_municipalities(tiny_dataset, "kpi,municipality,year,value\nN00001,2081,2024,51\nN00001,0180,2024,60.5\n")
    ds = load_dataset(tiny_dataset)
    assert ds.all_values["municipality"].tolist() == ["0180", "2081"] and ds.all_values["line"].tolist() == [3, 2]
    assert ds.all_values["year"].dtype == "int16" and ds.all_values["indicator"].dtype == "category"
    assert ds.all_year_values("N00001", 2024)["value"].tolist() == [60.5, 51.0]
    assert ds.all_year_values("N00001", 2023).empty


def test_all_municipalities_are_checked(tiny_dataset):
    with_all_municipalities(
        tiny_dataset,
        "kpi,municipality,year,value\nN00001,2081,2024,51\nN00001,180,2024,60\nN00001,2081,2024,52\n"
        "N00001,0180,2024,\n",
    )
    with pytest.raises(DataError) as info:
        load_dataset(tiny_dataset)
    assert str(info.value).splitlines()[1:] == [
        "  line 3, column municipality: expected a four-digit municipality code, got '180' "
        "(a leading zero was lost: write it as text)",
        "  line 4: duplicate of line 2 (N00001, 2081, 2024)",
        "  line 5, column value: expected a number, got '' (this file has only rows with a value)",
    ]
    with_all_municipalities(tiny_dataset, "kpi,municipality,year,value\nN00009,2081,2024,51\n")
    with pytest.raises(DataError, match="all_municipalities.csv: column kpi: values for KPIs without metadata"):
        load_dataset(tiny_dataset)


def test_shares_of_all_municipalities_within_0_to_100(tiny_dataset, tiny_plan):
    from followup.data import check_plan_against_data
    from followup.plan import load_plan

    with_all_municipalities(tiny_dataset, "kpi,municipality,year,value\nN00001,2081,2024,51\nN00001,0180,2024,101\n")
    with pytest.raises(DataError) as info:
        check_plan_against_data(load_plan(tiny_plan), load_dataset(tiny_dataset))
    assert str(info.value).endswith(
        "kolada/all_municipalities.csv: line 3, column value: 101 is not a share between 0 and 100 (N00001, andel (%))"
    )


# ---- biennial KPIs


def biennial_dataset(tmp_path, years=(2019, 2021, 2023, 2025)):
    rows = [row("N00001", "2081", y, 50 + i) for i, y in enumerate(years)]
    rows += [row("N00002", m, y, 10) for m in ("0000", "2081") for y in range(2016, 2026)]
    kpis = [kpi_meta("N00001"), kpi_meta("N00002", title="Testantal, antal")]
    return make_dataset(tmp_path / "d", rows, kpis, retrieved="2026-03-15T08:00:00Z")


def test_biennial_kpis(tmp_path):
    ds = load_dataset(biennial_dataset(tmp_path))
    assert ds.biennial("N00001") and not ds.biennial("N00002") and not ds.biennial("N99999")
    assert ds.off_year("N00001", 2024) and ds.off_year("N00001", 2026) and not ds.off_year("N00001", 2025)
    assert not ds.off_year("N00002", 2024)
    assert ds.published_recently("N00001") == (2021, 2023, 2025)  # the last six years: 2020–2025


def test_biennial_counts_every_municipality(tmp_path):
    """A value in an even year anywhere (here in all_municipalities.csv) makes a KPI yearly."""
    root = biennial_dataset(tmp_path)
    assert load_dataset(root).biennial("N00001")
    with_all_municipalities(root, "kpi,municipality,year,value\nN00001,0180,2024,51\n")
    assert not load_dataset(root).biennial("N00001")


def test_one_year_is_not_biennial(tmp_path):
    assert not load_dataset(biennial_dataset(tmp_path, years=(2015, 2025))).biennial("N00001")


def test_a_target_year_in_an_off_year_is_refused(tmp_path, tiny_plan):
    from followup.data import check_plan_against_data
    from followup.errors import PlanError
    from followup.plan import load_plan

    ds = load_dataset(biennial_dataset(tmp_path))
    text = tiny_plan.read_text(encoding="utf-8").replace("value: 51.0, year: 2026", "value: 51.0, year: 2024")
    tiny_plan.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        check_plan_against_data(load_plan(tiny_plan), ds)
    assert str(info.value) == (
        f"{tiny_plan}: goal_areas[0] (skolan).indicators[0] (N00001).target.year: 2024 is a year N00001 is not "
        "published in (it is published every second year: 2021, 2023, 2025)"
    )
    text = text.replace(
        "rule: value, value: 51.0, year: 2024, tolerance: 1.0", "rule: improvement, baseline_year: 2024"
    )
    tiny_plan.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=r"indicators\[0\] \(N00001\)\.target\.baseline_year: 2024 is a year"):
        check_plan_against_data(load_plan(tiny_plan), ds)
    tiny_plan.write_text(text.replace("baseline_year: 2024", "baseline_year: 2025"), encoding="utf-8")
    check_plan_against_data(load_plan(tiny_plan), ds)


def test_a_national_rule_without_riket_is_warned_about(tmp_path, tiny_plan, caplog):
    from followup.data import check_plan_against_data
    from followup.plan import load_plan

    rows = [
        row("N00001", "2081", 2024, 50),
        row("N00002", "2081", 2024, 10),
        row("N00002", "0000", 2024, None, status="Saknas"),
    ]
    root = make_dataset(tmp_path / "d", rows, [kpi_meta("N00001"), kpi_meta("N00002", title="Testantal, antal")])
    with caplog.at_level(logging.WARNING, logger="followup.data"):
        check_plan_against_data(load_plan(tiny_plan), load_dataset(root))
    assert [r.getMessage() for r in caplog.records] == [
        f"{tiny_plan}: goal_areas[0] (skolan).indicators[1] (N00002): N00002 has no value for Riket (0000) in the "
        "data set, so the comparison of its rule 'national' cannot be judged (kan ej bedömas); consider another "
        "rule, e.g. 'peers' or 'improvement'"
    ]
    caplog.clear()
    check_plan_against_data(load_plan(tiny_plan), load_dataset(root), warn=False)
    assert not caplog.records


# ---- a draft the day the data arrives: a real snapshot without local values


def real_snapshot(tmp_path):
    """A fetched snapshot (source kolada, with its years and report year) and no local/ folder."""
    from followup.data import write_manifest

    rows = [row("N00001", m, y, 50) for m in ("0000", "2081") for y in (2023, 2024)]
    rows += [row("N00002", m, 2024, 10) for m in ("0000", "2081")]
    root = make_dataset(
        tmp_path / "data", rows, [kpi_meta("N00001"), kpi_meta("N00002", title="Testantal, antal")], source="kolada"
    )
    manifest = json.loads((root / "kolada" / "manifest.json").read_text())
    extra = {"report_year": 2024, "years": [2022, 2024]}
    write_manifest(root / "kolada", sorted(manifest["files"]), "kolada", manifest["retrieved"], extra=extra)
    shutil.rmtree(root / "local")
    return root


def test_a_real_snapshot_loads_without_local_values(tmp_path, tiny_plan):
    from followup.data import check_plan_against_data
    from followup.plan import load_plan

    root = real_snapshot(tmp_path)
    ds = load_dataset(root)
    assert not ds.local_delivered and ds.local_sources == {} and ds.local_id == ""
    assert set(ds.values["indicator"]) == {"N00001", "N00002"} and not ds.is_example
    check_plan_against_data(load_plan(tiny_plan), ds)  # lokal-a without values: a missing delivery
    (root / "local").mkdir()
    assert not load_dataset(root).local_delivered


def test_example_data_still_needs_its_local_values(tiny_dataset):
    shutil.rmtree(tiny_dataset / "local")
    with pytest.raises(DataError, match="missing: the plan's local indicators are read from here"):
        load_dataset(tiny_dataset)


def test_make_local_creates_the_file_to_fill_in(tmp_path, capsys):
    root = real_snapshot(tmp_path / "project")
    (root / "plan.yml").write_text(TINY_PLAN, encoding="utf-8")
    assert run_all.main(["local", "--project", str(tmp_path / "project")]) == 0
    out = capsys.readouterr().out
    assert "data/local/values.csv did not exist: created it with 3 rows to fill in (status 'ej levererat')" in out
    assert (root / "local" / "values.csv").read_text(encoding="utf-8") == (
        "indicator,municipality,year,gender,value,status,source\n"
        + "".join(f"lokal-a,2081,{y},T,,ej levererat,Testförvaltningen\n" for y in (2022, 2023, 2024))
    )
    ds = load_dataset(root)
    assert ds.local_delivered and ds.local_sources == {"lokal-a": "Testförvaltningen"}
    assert ds.series("lokal-a", "2081")["status"].tolist() == ["ej levererat"] * 3
    assert run_all.main(["local", "--project", str(tmp_path / "project")]) == 0  # now it exists: checked, sealed
    assert "3 rows checked against the plan" in capsys.readouterr().out


def test_make_local_leaves_nothing_behind_when_the_check_fails(tmp_path, capsys):
    root = real_snapshot(tmp_path / "project")
    (root / "plan.yml").write_text(TINY_PLAN.replace('id: "G1"', 'id: "G9"'), encoding="utf-8")
    assert run_all.main(["local", "--project", str(tmp_path / "project")]) == 1
    assert "plan.peer_group.id" in capsys.readouterr().err
    assert not (root / "local").exists()
