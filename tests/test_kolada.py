"""The Kolada client and the fetch, against a local server speaking the v3 API (no network)."""

import csv
import hashlib
import json
import logging
import urllib.request
from pathlib import Path

import pytest

from followup.data import load_dataset
from followup.fetch import fetch
from followup.kolada import Client, KoladaError, flatten, repair, retry_after

from conftest import make_project
from kolada_server import FakeKolada


@pytest.fixture
def server(example_dataset):
    with FakeKolada(example_dataset) as fake:
        yield fake


def client(fake, **kw):
    return Client(fake.url, **{"backoff": 0.0, "tries": 3, "sleep": lambda s: None, **kw})


@pytest.fixture
def lines(caplog):
    """The lines the client and the fetch log (what the terminal shows)."""
    caplog.set_level(logging.INFO, logger="followup")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("followup.")]


def raw(url: str) -> dict:
    """What the server sends, as JSON (not through the client)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


def test_paging_and_genders_by_field(server, example_dataset, lines):
    rows = client(server, per_page=7).data(["N15428"], ["2081", "0000"], list(range(2015, 2026)))
    assert sum("page" in line for line in lines()) == 4  # 22 rows, 7 a page
    source = load_dataset(example_dataset).values
    want = source[(source["indicator"] == "N15428") & source["municipality"].isin(["2081", "0000"])]
    assert len(rows) == len(want) == 66
    got = {(r["municipality"], r["year"], r["gender"]): r["value"] for r in rows}
    for r in want.itertuples():
        assert got[(r.municipality, r.year, r.gender)] == pytest.approx(r.value)


def test_null_values_keep_their_status():
    rows = flatten(
        [
            {
                "kpi": "N1",
                "municipality": "2081",
                "period": 2024,
                "values": [
                    {"gender": "M", "count": 1, "status": "", "value": 3.0, "isdeleted": False},
                    {"gender": "T", "count": 0, "status": "Missing", "value": None, "isdeleted": False},
                    {"gender": "K", "value": None, "status": None},
                ],
            }
        ],
        "u",
    )
    by = {r["gender"]: r for r in rows}
    assert by["T"]["value"] is None and by["T"]["status"] == "Missing"  # as Kolada gave it
    assert by["K"]["status"] == "Värde saknas i Kolada (ingen orsak angiven)"
    assert by["M"]["value"] == 3.0 and by["M"]["status"] == ""


def test_the_server_sends_missing_values_like_kolada(server):
    # N07923 (Boverket's biennial survey): odd years only, and Riket has no value at all.
    body = raw(f"{server.url}/data/kpi/N07923/municipality/0000,2081/year/2022,2023")
    rows = {(r["municipality"], r["period"]): r["values"] for r in body["values"]}
    assert set(rows) == {("0000", 2023), ("2081", 2023)}  # nothing for 2022: not a year it is published
    assert rows[("0000", 2023)] == [{"gender": "T", "count": 0, "status": "Missing", "value": None, "isdeleted": False}]
    (borlange,) = rows[("2081", 2023)]
    assert borlange["status"] == "" and isinstance(borlange["value"], float) and borlange["isdeleted"] is False
    assert {k: type(v) for k, v in body.items()} == {
        "values": list,
        "count": int,
        "next_url": type(None),
        "previous_url": type(None),
    }


def test_unknown_gender_is_an_error():
    with pytest.raises(KoladaError, match="unknown gender 'X'"):
        flatten([{"kpi": "N1", "municipality": "2081", "period": 2024, "values": [{"gender": "X", "value": 1}]}], "u")


def test_deleted_rows_are_skipped():
    assert flatten([{"kpi": "N1", "municipality": "2081", "period": 2024, "isdeleted": True, "values": []}], "u") == []


def test_deleted_entries_and_rows_are_dropped(server):
    server.deleted |= {("N15428", "2081", 2024, "K"), ("N15428", "2081", 2023)}
    rows = client(server).data(["N15428"], ["2081"], [2023, 2024])
    assert sorted((r["year"], r["gender"]) for r in rows) == [(2024, "M"), (2024, "T")]
    sent = raw(f"{server.url}/data/kpi/N15428/municipality/2081/year/2023,2024")["values"]
    assert [r.get("isdeleted", False) for r in sent] == [True, False]  # the row-level mark
    assert sorted(e["isdeleted"] for e in sent[1]["values"]) == [False, False, True]  # and the entries'


def test_429_then_success(server, lines):
    server.faults.append(("/data/", "429"))
    rows = client(server).data(["N15428"], ["2081"], [2025])
    assert rows and "  HTTP 429; retrying in 0 s (try 2 of 3)" in lines()


def test_500_exhausts_the_retries(server):
    server.always["/kpi/"] = "500"
    waits = []
    with pytest.raises(KoladaError, match=r"/kpi/N15428: gave up after 3 tries \(last: HTTP 500\)"):
        client(server, backoff=1.0, sleep=waits.append).kpis(["N15428"])
    assert sum(path.startswith("/v3/kpi/") for path in server.requests) == 3
    assert waits == [1.0, 2.0]  # doubled for each further try


def test_retry_after_is_honoured_and_capped(server):
    server.retry_after = "7"
    server.faults += [("/kpi/", "429"), ("/kpi/", "429")]
    waits = []
    assert client(server, backoff=1.0, max_backoff=5.0, sleep=waits.append).kpis(["N15428"])
    assert waits == [5.0, 5.0]  # the server asked for 7 s, the cap is 5
    server.retry_after = "3"
    server.faults.append(("/kpi/", "429"))
    waits.clear()
    client(server, backoff=1.0, sleep=waits.append).kpis(["N15428"])
    assert waits == [3.0]


def test_retry_after_as_a_date():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once
    assert 0 < retry_after("Fri, 01 Jan 2100 00:00:00 GMT")
    assert retry_after("") is None and retry_after("soon") is None


def test_lost_connection_is_retried(server, lines):
    server.faults.append(("/kpi/", "drop"))
    assert client(server).kpis(["N15428"])
    assert any(line.startswith("  connection lost (") for line in lines())
    assert sum(path.startswith("/v3/kpi/") for path in server.requests) == 2


def test_time_out_is_retried(server, lines):
    server.delay = 0.5
    with pytest.raises(KoladaError, match=r"gave up after 2 tries \(last: time-out"):
        client(server, tries=2, timeout=0.1).kpis(["N15428"])
    assert any("time-out" in line and "try 2 of 2" in line for line in lines())


def test_malformed_json(server):
    server.faults.append(("/municipality/", "malformed"))
    with pytest.raises(KoladaError, match="not valid JSON"):
        client(server).municipalities(["2081"])


def test_4xx_is_not_retried(server):
    server.faults.append(("/kpi/", "404"))
    with pytest.raises(KoladaError, match=r"HTTP 404 Not Found: \{\"error\": \"injected\"\}"):
        client(server).kpis(["N15428"])
    assert len(server.requests) == 1


def test_too_many_ids_is_422_with_its_body(server):
    ids = sorted(server.kpis)[:26]
    with pytest.raises(KoladaError, match=r"HTTP 422 Unprocessable Entity: \{\"detail\".*at most 25 ids in one part"):
        client(server).get_json(f"{server.url}/kpi/{','.join(ids)}")
    assert len(server.requests) == 1  # a 422 is not retried
    assert raw(f"{server.url}/kpi/{','.join(ids[:25])}")["count"] == 25


def test_a_page_above_5000_rows_is_422(server):
    with pytest.raises(KoladaError, match=r"HTTP 422 .*per_page.*less than or equal to 5000"):
        client(server, per_page=5001).data(["N15428"], ["2081"], [2024])
    c = client(server)
    assert len(c.data(["N15428"], ["2081"], [2024])) == 3
    assert c.urls and all(u.endswith("?per_page=5000") for u in c.urls)  # Kolada's largest page


def test_an_empty_page_ends_paging_whatever_next_url_says(server, lines):
    server.next_url_on_last_page = True  # Kolada links a next page from the last one; it comes back empty
    c = client(server, per_page=7)
    rows = c.data(["N15428"], ["2081", "0000"], list(range(2015, 2026)))
    assert len(rows) == 66
    assert [line.rsplit(": ", 1)[1] for line in lines() if "page" in line] == [
        "page 1, 7 rows",
        "page 2, 7 rows",
        "page 3, 7 rows",
        "page 4, 1 rows",
        "page 5, 0 rows",
    ]
    assert len(c.urls) == 5


def test_double_encoded_titles_are_repaired(server, lines):
    server.double_encoded |= {"G37343", "0188", "2081", "N15428"}
    sent = raw(f"{server.url}/municipality_groups/G37343")["values"][0]
    assert "Ã¶vergripande" in sent["title"] and "BorlÃ¤nge" in sent["title"]
    c = client(server)
    (group,) = c.groups(["G37343"])
    assert group["title"] == server.groups["G37343"]["title"] == "Liknande kommuner, övergripande, Borlänge, 2025"
    assert group["members"][0] == {"member_id": "0188", "member_title": "Norrtälje"}
    assert {m["id"]: m["title"] for m in c.municipality_list()}["2081"] == "Borlänge"
    assert c.kpis(["N15428"])[0]["title"] == server.kpis["N15428"]["title"]
    repaired = [line for line in lines() if "repaired a double-encoded title" in line]
    assert len(repaired) == 5 and "group G37343" in repaired[0] and "Ã¶vergripande" in repaired[0]


def test_repair_only_what_round_trips():
    assert repair("BorlÃ¤nge") == "Borlänge" and repair("Ã…mÃ¥l") == "Åmål"
    assert repair("BorlÃƒÂ¤nge") == "Borlänge"  # encoded twice over
    assert repair("Malmö – ”Välfärd” § 3") == "Malmö – ”Välfärd” § 3"  # clean text is left as it is
    assert repair("BorlÃ¤nge Ã") is None and repair("Borl\ufffdnge") is None


def test_a_garbled_title_is_refused_and_never_written(project, server):
    fetch(project, 2025, server.url, client=client(server))
    before = tree(project / "data")
    server.groups["G37343"] = dict(server.groups["G37343"], title="Liknande kommuner, Ã¶vergripande Ã")
    with pytest.raises(KoladaError, match=r"group G37343: the title 'Liknande kommuner, Ã¶vergripande Ã' is garbled"):
        fetch(project, 2025, server.url, client=client(server))
    assert tree(project / "data") == before


def test_the_municipality_listing(server, example_dataset):
    listing = raw(f"{server.url}/municipality")["values"]
    kommuner = {m["id"]: m["title"] for m in listing if m["type"] == "K"}
    assert len(kommuner) == 290 and {"0000", "2081"} <= {m["id"] for m in listing}
    assert kommuner["2080"] == "Falun" and kommuner["2081"] == "Borlänge"  # the example's real names


def test_more_than_25_ids_are_split(server):
    ids = sorted(server.kpis)
    assert len(ids) > 25
    got = client(server).kpis(ids)
    assert {k["id"] for k in got} == set(ids)
    kpi_requests = [p for p in server.requests if p.startswith("/v3/kpi/")]
    assert len(kpi_requests) == 2 and all(p.split("/")[-1].count(",") < 25 for p in kpi_requests)


def test_cannot_connect_is_a_clear_error():
    c = Client("http://127.0.0.1:9/v3", backoff=0, tries=2, sleep=lambda s: None, timeout=2)
    with pytest.raises(KoladaError, match="cannot connect"):
        c.kpis(["N15428"])


# ------------------------------------------------------------------ the fetch into a snapshot


def tree(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path, example_dataset):
    return make_project(tmp_path / "project", example_dataset)


def test_fetch_writes_a_snapshot_in_the_data_format(project, server):
    changes = fetch(project, 2025, server.url, client=client(server))
    assert changes["previous_retrieved"] is None
    ds = load_dataset(project / "data", parts=("kolada",))
    assert ds.kolada_manifest["source"] == "kolada" and not ds.is_example
    assert ds.kolada_manifest["api"] == {"base_url": server.url, "version": "v3"}
    assert ds.kolada_manifest["urls"] and all(u.startswith(server.url) for u in ds.kolada_manifest["urls"])
    assert ds.years == (2016, 2025)  # the ten years of the trend charts (and the plan period)
    assert {"2081", "0000", "0188", "0480", "0682", "1293", "1485", "1487", "2181"} <= set(ds.municipalities)
    assert ds.group_members("G37343") == ["0188", "0480", "0682", "1293", "1485", "1487", "2181"]
    values = ds.values[ds.values["indicator"] == "N07923"]
    assert set(values["year"]) <= set(range(2015, 2026, 2))  # biennial: odd years only
    riket = values[values["municipality"] == "0000"]
    assert len(riket) and riket["value"].isna().all() and set(riket["status"]) == {"Missing"}  # as Kolada gave it
    kpis = json.loads((project / "data" / "kolada" / "kpis.json").read_text(encoding="utf-8"))
    stored = {k["id"]: (k["publication_date"], k["publ_period"]) for k in kpis}
    assert stored == {k: (server.kpis[k]["publication_date"], server.kpis[k]["publ_period"]) for k in stored}


def test_fetch_ranks_every_municipality(project, server, lines):
    fetch(project, 2025, server.url, client=client(server))
    kolada = project / "data" / "kolada"
    manifest = json.loads((kolada / "manifest.json").read_text(encoding="utf-8"))
    assert "all_municipalities.csv" in manifest["files"]
    with open(kolada / "all_municipalities.csv", encoding="utf-8", newline="") as f:
        text = f.read()
    rows = list(csv.DictReader(text.splitlines()))
    assert text.startswith("kpi,municipality,year,value\n")
    keys = [(r["kpi"], r["municipality"], int(r["year"])) for r in rows]
    assert keys == sorted(set(keys))  # sorted, and each once
    municipalities = json.loads((kolada / "municipalities.json").read_text(encoding="utf-8"))
    kommuner = {m["id"] for m in municipalities if m["type"] == "K"}
    assert len(kommuner) == 290 and {r["municipality"] for r in rows} <= kommuner
    assert len({r["municipality"] for r in rows}) > 280 and all(r["value"] for r in rows)
    assert {int(r["year"]) for r in rows} == {2023, 2024, 2025}  # the report year and the two before it
    ds = load_dataset(project / "data", parts=("kolada",))
    assert {r["kpi"] for r in rows} <= set(ds.kpis) and "0000" not in {r["municipality"] for r in rows}
    borlange = {(r["kpi"], int(r["year"])): float(r["value"]) for r in rows if r["municipality"] == "2081"}
    totals = ds.values[(ds.values["municipality"] == "2081") & (ds.values["gender"] == "T")].dropna(subset=["value"])
    for r in totals[totals["year"] >= 2023].itertuples():
        assert borlange[(r.indicator, r.year)] == pytest.approx(r.value)  # the same values as values.csv's
    # As few requests as the API's limits allow: the data path without a municipality part, 25 KPIs a
    # request, 5 000 rows a page.
    everyone = [u for u in manifest["urls"] if "/data/" in u and "/municipality/" not in u]
    assert everyone and all("per_page=5000" in u and "/year/2023,2024,2025" in u for u in everyone)
    n_kpis = len(ds.kpis) - len(ds.removed_kpis)
    paths = sorted({u.split("?")[0] for u in everyone})
    assert len(paths) == -(-n_kpis // 25)  # one per 25 KPIs
    most = [min(25, n_kpis - i) * (290 + 1) * 3 for i in range(0, n_kpis, 25)]  # rows: municipalities and Riket
    assert len(everyone) <= sum(-(-n // 5000) for n in most)
    assert any(line.startswith("  all municipalities: ") for line in lines())


def test_unknown_statuses_are_kept_and_warned_about(project, server, lines):
    for key in [("N15428", "2081", 2024), ("N15428", "2081", 2023)]:
        for e in server.values[key]:
            e.update(value=None, count=0, status="Unreliable")
    fetch(project, 2025, server.url, client=client(server))
    warnings = [line for line in lines() if "unknown Kolada status" in line]
    assert warnings == [
        "  unknown Kolada status 'Unreliable' in 6 cells: kept in values.csv, shown in the report as 'värde saknas'"
    ]
    ds = load_dataset(project / "data", parts=("kolada",))
    cells = ds.values[(ds.values["indicator"] == "N15428") & (ds.values["municipality"] == "2081")]
    assert set(cells[cells["year"].isin([2023, 2024])]["status"]) == {"Unreliable"}


def test_failed_fetch_leaves_the_previous_snapshot(project, server):
    fetch(project, 2025, server.url, client=client(server))
    before = tree(project / "data")
    server.always["/data/"] = "500"
    with pytest.raises(KoladaError):
        fetch(project, 2025, server.url, client=client(server))
    assert tree(project / "data") == before


def test_second_fetch_reports_what_changed(project, server):
    fetch(project, 2025, server.url, client=client(server))
    # Kolada revises a value, renames a KPI (with a new unit), drops a KPI and redraws the peer group.
    key = ("N15428", "2081", 2024)
    t = next(e for e in server.values[key] if e["gender"] == "T")
    old_value, t["value"] = t["value"], t["value"] + 1.5
    server.kpis["N09809"] = dict(server.kpis["N09809"], title="Aktiva låntagare, antal/1000 inv")
    del server.kpis["N07945"]
    group = server.groups["G37343"]
    falun = {"member_id": "2080", "member_title": "Falun"}
    server.groups["G37343"] = dict(group, members=group["members"][1:] + [falun])
    server.municipalities["2080"] = {"id": "2080", "title": "Falun", "type": "K"}
    changes = fetch(project, 2025, server.url, client=client(server))
    assert changes["previous_retrieved"] is not None
    revised = [
        r for r in changes["revised_values"] if (r["kpi"], r["municipality"], r["year"]) == key and r["gender"] == "T"
    ]
    assert revised and revised[0]["old"] == pytest.approx(old_value)
    assert revised[0]["new"] == pytest.approx(old_value + 1.5)
    assert [(r["kpi"], r["unit_changed"]) for r in changes["renamed_kpis"]] == [("N09809", True)]
    assert [b["kpi"] for b in changes["series_breaks"]] == ["N09809"]
    assert [r["kpi"] for r in changes["removed_kpis"]] == ["N07945"]
    assert changes["group_changes"] == [
        {
            "group": "G37343",
            "added": [{"id": "2080", "title": "Falun"}],
            "removed": [{"id": "0188", "title": "Norrtälje"}],
        }
    ]
    ds = load_dataset(project / "data", parts=("kolada",))
    assert ds.removed_kpis == {"N07945"} and ds.kpis["N07945"]["title"].startswith("Elbilar")
    assert json.loads((project / "data" / "kolada" / "changes.json").read_text()) == changes
