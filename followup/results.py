"""A goal area's results document, and the results files and downloads made from the documents.

The results document (format `borlange-followup-area-results`, version 1; documented in data/README.md)
is what a goal area's notebook computes, once: per indicator the latest and previous value, the
comparisons with Riket and the peers, the rank, women and men, the direction of travel and the verdict
with its rule and inputs; per goal area the rolled-up verdict. The notebook shows it and writes it as
`<results_dir>/<slug>.json`. Everything after the notebooks reads these documents and recomputes nothing:
the overview, the results files (`_build/results/resultat-<year>.csv|json`, format
`borlange-followup-results`), the Excel download's results sheet, the manifest and the appendix.

The downloads' input values (every value row the report's indicators read) come from the data set, which
the build has loaded and checked once; the charts' numbers come from the goal areas' provenance records
(`provenance/<chapter>.json`, format `borlange-followup-provenance`, written by followup.chapter beside a
notebook's tables: per figure and table its sources, rows checksum, function, file and hashes), which the
appendix also renders.

All files are byte-identical for the same inputs: sorted rows, fixed float formatting, no timestamps (the
Excel file's document dates come from SOURCE_DATE_EPOCH and its zip entries carry XlsxWriter's fixed date).
"""

from __future__ import annotations

import io
import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import analysis, assessment
from .commentary import load_commentary, missing_actions
from .constants import ALL_VERDICTS
from .data import Dataset, csv_text, json_text, sha256_file
from .errors import FollowupError
from .plan import Indicator, Plan

DOCUMENT_FORMAT = "borlange-followup-area-results"
RESULTS_FORMAT = "borlange-followup-results"
FORMAT_VERSION = 1  # the results file's (resultat-<year>.json)
DOCUMENT_VERSION = 2  # a goal area's document's; 2: "data" names the rows the area read, not the snapshot
RESULT_COLUMNS = [
    "goal_area",
    "indicator",
    "source",
    "title",
    "unit",
    "higher_is_better",
    "assessed_year",
    "assessed_value",
    "reference",
    "value",
    "value_year",
    "previous_year",
    "previous_value",
    "national",
    "peer_mean",
    "peer_n",
    "rank",
    "rank_of",
    "rule",
    "target_value",
    "target_source",
    "verdict",
    "wording",
    "direction_previous",
    "direction_period_start",
    # where the municipality stands among all municipalities; the statuses as Kolada or the supplier gave them
    "national_place",
    "national_of",
    "quartile",
    "status",
    "national_status",
    "missing_delivery",
]
INPUT_COLUMNS = ["indicator", "title", "municipality", "municipality_name", "year", "gender", "value", "status"]
RESULTS_ENV = "FOLLOWUP_RESULTS_DIR"
PROVENANCE_DIR = "provenance"  # beside a notebook's tables/ and figures/: provenance/<chapter>.json
PROVENANCE_FORMAT = "borlange-followup-provenance"
PROVENANCE_VERSION = 1
PROVENANCE_KEYS = {
    "kind",
    "name",
    "label",
    "title",
    "source",
    "kolada",
    "producers",
    "local",
    "local_delivered",
    "retrieved",
    "title_md",
    "details_md",
    "rows_sha256",
    "function",
    "file",
    "sha256",
}
CHART_COLUMNS = ["goal_area", "figure", "year", "series", "value"]


class ResultsError(FollowupError):
    """A results document is missing, unreadable or not of this report."""


def default_dir(year: int) -> Path:
    """Where a goal area's notebook run by hand records its results: outside the repository, in the user's
    cache folder (or $FOLLOWUP_RESULTS_DIR), one folder per report year."""
    base = os.environ.get(RESULTS_ENV)
    if base:
        return Path(base) / str(year)
    from platformdirs import user_cache_path

    return user_cache_path("borlange-followup") / "results" / str(year)


def _float(x) -> float | None:
    """A float for JSON: NaN becomes null (the document is strict JSON)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def _point(p: analysis.Point | None) -> dict | None:
    return None if p is None else {"year": int(p.year), "value": _float(p.value), "status": p.status}


# ---------------------------------------------------------------- computing a goal area's document


def indicator_result(ds: Dataset, plan: Plan, ind: Indicator, year: int, v: assessment.Verdict | None = None) -> dict:
    """Everything the report states about one indicator in a report year (`v`: its verdict, when the caller
    has judged it already)."""
    muni = plan.municipality.id
    s = analysis.summarise(ds, plan, ind, year, muni)
    v = v or assessment.assess(ds, plan, ind, year)
    prev_dir, start_dir = assessment.directions(ds, plan, ind, year)
    gender = analysis.gender_split(ds, ind, muni, year)
    own, rank = analysis.point(ds, ind.id, muni, year), None
    if s.latest is not None:
        rank = analysis.national_rank(ds, plan, ind, s.latest.year)
    national_status = analysis.point(ds, ind.id, plan.comparison.id, year).status if ind.is_kolada else ""
    return {
        "id": ind.id,
        "source": ind.source,
        "title": ds.kpis.get(ind.id, {}).get("title", ind.title),
        "short_title": ind.short_title,
        "unit": ind.unit,
        "decimals": ind.decimals,
        "higher_is_better": ind.higher_is_better,
        "target": {"rule": ind.target.rule, "value": _float(ind.target.value), "source": assessment.target_source(ind)},
        "latest": _point(s.latest),
        "previous": _point(s.previous),
        "change": _float(s.change),
        "national": _point(s.national),
        "national_reason": s.national_reason,
        "peers": None
        if s.peers is None
        else {"year": s.peers.year, "value": _float(s.peers.value), "n": s.peers.n, "of": s.peers.of},
        "rank": None if s.rank is None else list(s.rank),
        "missing_note": s.note,
        "verdict": {
            "verdict": v.verdict,
            "year": v.year,
            "value": _float(v.value),
            "reference": _float(v.reference),
            "wording": v.wording,
        },
        "directions": {
            "previous": {"word": prev_dir.word, "text": prev_dir.text},
            "period_start": {"word": start_dir.word, "text": start_dir.text},
        },
        "gender": None if gender is None else {"year": gender[0], "women": gender[1], "men": gender[2]},
        "national_rank": None
        if rank is None
        else {"year": rank.year, "place": rank.place, "of": rank.of, "quartile": rank.quartile},
        "biennial": ind.is_kolada and ds.biennial(ind.id),
        "status": own.status,  # the report year's status as Kolada (or the supplier) gave it
        "national_status": national_status,
        "missing_delivery": year if not ind.is_kolada and analysis.not_delivered(own) else None,
    }


def area_document(ds: Dataset, plan: Plan, slug: str, year: int, commentary_dir: Path) -> dict:
    """A goal area's results for a report year: each indicator's, and the area's rolled-up verdict."""
    area = plan.area(slug)
    verdicts = [assessment.assess(ds, plan, ind, year) for ind in area.indicators]
    c = load_commentary(commentary_dir, year, slug)
    goal = assessment.roll_up(area, verdicts, c.override, c.justification)
    return {
        "format": DOCUMENT_FORMAT,
        "format_version": DOCUMENT_VERSION,
        "report_year": year,
        "municipality": plan.municipality.id,
        "data": {
            "source": "example" if ds.is_example else "kolada",
            "retrieved": ds.retrieved,
            "rows": ds.rows_digest(ind.id for ind in area.indicators),  # what the area read (not the snapshot)
        },
        "goal_area": {
            "slug": slug,
            "title": area.title,
            "verdict": goal.verdict,
            "override": goal.override,
            "justification": goal.justification,
            "shown": goal.shown,
            "counts": goal.counts,
            "wording": goal.wording,
            "met_text": goal.met_text,
            "rule": {"met_share": area.assessment.met_share, "partly_share": area.assessment.partly_share},
            "commentary": {"has_actions": c.has_actions, "missing_actions": missing_actions(c, goal.shown)},
        },
        "indicators": [
            indicator_result(ds, plan, ind, year, v) for ind, v in zip(area.indicators, verdicts, strict=True)
        ],
    }


# ---------------------------------------------------------------- writing and reading documents


def write_document(doc: dict, results_dir: Path) -> Path:
    """Record a goal area's document as <results_dir>/<slug>.json (written whole, then renamed)."""
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc['goal_area']['slug']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json_text(doc), encoding="utf-8", newline="\n")
    tmp.replace(path)
    return path


def read_document(path: Path, year: int | None = None) -> dict:
    """One results document, checked: its format and version, and (if given) its report year."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no results document (the goal area's notebook writes it)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable JSON results document ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != DOCUMENT_FORMAT:
        raise ResultsError(
            f"{path}: format: expected {DOCUMENT_FORMAT!r}, got {doc.get('format')!r}"
            if isinstance(doc, dict)
            else f"{path}: expected a JSON object"
        )
    if doc.get("format_version") != DOCUMENT_VERSION:
        raise ResultsError(f"{path}: format_version: expected {DOCUMENT_VERSION}, got {doc.get('format_version')!r}")
    if year is not None and doc.get("report_year") != year:
        raise ResultsError(f"{path}: report_year: expected {year}, got {doc.get('report_year')!r}")
    return doc


def read_documents(results_dir: Path, slugs: list[str], year: int | None = None) -> dict[str, dict]:
    """The documents of these goal areas (all must be there), by slug, in the order given; all of one data
    set (a document left from a run on another snapshot is refused, never mixed in)."""
    docs = {slug: read_document(Path(results_dir) / f"{slug}.json", year) for slug in slugs}
    seen = {}
    for slug, doc in docs.items():
        seen.setdefault((doc["data"]["source"], doc["data"]["retrieved"]), []).append(slug)
    if len(seen) > 1:
        groups = "; ".join(f"{', '.join(s)}: {k[0]} retrieved {k[1]}" for k, s in seen.items())
        raise ResultsError(
            f"{results_dir}: the results documents come from different data sets ({groups}): "
            f"run the goal areas' notebooks again on the same data"
        )
    return docs


def recorded_slugs(results_dir: Path, plan_slugs: list[str]) -> list[str]:
    """The goal areas that have a document in results_dir, in plan order."""
    return [s for s in plan_slugs if (Path(results_dir) / f"{s}.json").is_file()]


def latest_recorded(repo: Path, year: int) -> tuple[Path, str]:
    """Where the newest recorded results of a report year are, and a Swedish description of them: the last
    build's (_build/results/areas/) or the goal-area notebooks run by hand (default_dir), whichever is newer.
    Raises ResultsError when there are none."""
    candidates = []
    built = Path(repo) / "_build" / "results" / "areas"
    manifest = Path(repo) / "_build" / "manifest.json"
    if manifest.is_file() and list(built.glob("*.json")):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if m.get("parameters", {}).get("year") == year:
            commit = (m.get("git") or {}).get("commit") or "okänd commit"
            data = m.get("data") or {}
            text = (
                f"det senaste bygget i _build/ (commit {commit[:12]}, "
                f"{'exempeldata' if data.get('source') == 'example' else 'data från Kolada'} "
                f"hämtade {str(data.get('retrieved', '?'))[:10]})"
            )
            candidates.append((max(p.stat().st_mtime for p in built.glob("*.json")), built, text))
    own = default_dir(year)
    if list(own.glob("*.json")):
        candidates.append(
            (
                max(p.stat().st_mtime for p in own.glob("*.json")),
                own,
                f"målområdenas anteckningsböcker körda för hand ({own})",
            )
        )
    if not candidates:
        raise ResultsError(
            f"no recorded results for {year}: build the report (make report) or run the goal "
            f"areas' notebooks first (they record their results in {own})"
        )
    _, folder, text = max(candidates, key=lambda c: c[0])
    return folder, text


# ---------------------------------------------------------------- provenance records


def write_provenance(chapter: str, entries: list[dict], folder: Path) -> Path:
    """A notebook's provenance record, <folder>/provenance/<chapter>.json: per figure and table (in the order
    shown) its sources, the checksum of the rows it read, the function, its file and their sha256."""
    path = Path(folder) / PROVENANCE_DIR / f"{chapter}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"format": PROVENANCE_FORMAT, "format_version": PROVENANCE_VERSION, "chapter": chapter, "entries": entries}
    path.write_text(json_text(doc), encoding="utf-8", newline="\n")
    return path


def read_provenance(folder: Path, chapter: str) -> list[dict]:
    """The entries of a chapter's provenance record in <folder>/provenance/, checked."""
    path = Path(folder) / PROVENANCE_DIR / f"{chapter}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{path}: no provenance record (the chapter's notebook writes it)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable JSON provenance record ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != PROVENANCE_FORMAT:
        raise ResultsError(f"{path}: format: expected {PROVENANCE_FORMAT!r}")
    if doc.get("format_version") != PROVENANCE_VERSION:
        raise ResultsError(f"{path}: format_version: expected {PROVENANCE_VERSION}, got {doc.get('format_version')!r}")
    if doc.get("chapter") != chapter:
        raise ResultsError(f"{path}: chapter: expected {chapter!r}, got {doc.get('chapter')!r}")
    for i, entry in enumerate(doc.get("entries") or []):
        missing = sorted(PROVENANCE_KEYS - set(entry)) if isinstance(entry, dict) else ["(not an object)"]
        if missing:
            raise ResultsError(f"{path}: entries[{i}]: missing {', '.join(missing)}")
    return list(doc.get("entries") or [])


def chart_rows(folders: dict[str, Path]) -> list[dict]:
    """Every chart's numbers, as its notebook recorded them (the figures of each goal area's provenance record
    in `folders`, by slug, with their numbers files), in long form: goal area, figure, year, series (the
    line's label), value (None for a year without one). A recorded file that is missing or has another
    hash is an error."""
    rows = []
    for slug, folder in folders.items():
        for entry in read_provenance(folder, slug):
            if entry["kind"] != "figure":
                continue
            if "numbers_file" not in entry:  # every chart records its numbers (followup.chapter._show_figure)
                raise ResultsError(
                    f"{Path(folder) / PROVENANCE_DIR / f'{slug}.json'}: {entry['name']}: no numbers_file"
                )
            path = Path(folder) / entry["numbers_file"]
            if not path.is_file() or sha256_file(path) != entry["numbers_sha256"]:
                raise ResultsError(f"{path}: the numbers of {entry['name']} are missing or not as recorded")
            table = pd.read_csv(path)
            if list(table.columns[:1]) != ["År"]:
                raise ResultsError(f"{path}: first column: expected 'År', got {list(table.columns[:1])}")
            for record in table.to_dict("records"):
                for series in table.columns[1:]:
                    rows.append(
                        {
                            "goal_area": slug,
                            "figure": entry["name"],
                            "year": int(record["År"]),
                            "series": series,
                            "value": _num(record[series]),
                        }
                    )
    return rows


# ---------------------------------------------------------------- the results files and downloads


def _num(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 10)


def result_row(slug: str, r: dict) -> dict:
    """One row of the results file, from an indicator's record in its goal area's document."""
    latest, previous, peers = r["latest"], r["previous"], r["peers"]
    return {
        "goal_area": slug,
        "indicator": r["id"],
        "source": r["source"],
        "title": r["title"],
        "unit": r["unit"],
        "higher_is_better": r["higher_is_better"],
        "assessed_year": r["verdict"]["year"],
        "assessed_value": _num(r["verdict"]["value"]),
        "reference": _num(r["verdict"]["reference"]),
        "value": _num(latest["value"]) if latest else None,
        "value_year": latest["year"] if latest else None,
        "previous_year": previous["year"] if previous else None,
        "previous_value": _num(previous["value"]) if previous else None,
        "national": _num(r["national"]["value"]) if r["national"] else None,
        "peer_mean": _num(peers["value"]) if peers else None,
        "peer_n": peers["n"] if peers else None,
        "rank": r["rank"][0] if r["rank"] else None,
        "rank_of": r["rank"][1] if r["rank"] else None,
        "rule": r["target"]["rule"],
        "target_value": _num(r["target"]["value"]),
        "target_source": r["target"]["source"],
        "verdict": r["verdict"]["verdict"],
        "wording": r["verdict"]["wording"],
        "direction_previous": r["directions"]["previous"]["word"],
        "direction_period_start": r["directions"]["period_start"]["word"],
        "national_place": r["national_rank"]["place"] if r.get("national_rank") else None,
        "national_of": r["national_rank"]["of"] if r.get("national_rank") else None,
        "quartile": r["national_rank"]["quartile"] if r.get("national_rank") else None,
        "status": r.get("status", ""),
        "national_status": r.get("national_status", ""),
        "missing_delivery": r.get("missing_delivery"),
    }


def combine(docs: dict[str, dict]) -> dict:
    """The results file's content (format borlange-followup-results) from the goal areas' documents."""
    first = next(iter(docs.values()))
    areas = []
    for slug, doc in docs.items():
        g = doc["goal_area"]
        areas.append(
            {
                "goal_area": slug,
                "title": g["title"],
                "verdict": g["verdict"],
                "override": g["override"],
                "justification": g["justification"],
                "shown": g["shown"],
                "counts": {v: g["counts"].get(v, 0) for v in ALL_VERDICTS},
                "wording": g["wording"],
                "rule": g["rule"],
            }
        )
    rows = [result_row(slug, r) for slug, doc in docs.items() for r in doc["indicators"]]
    return {
        "format": RESULTS_FORMAT,
        "format_version": FORMAT_VERSION,
        "report_year": first["report_year"],
        "municipality": first["municipality"],
        "data_source": first["data"]["source"],
        "retrieved": first["data"]["retrieved"],
        "goal_areas": areas,
        "indicators": rows,
    }


def _csv(rows: list[dict], columns: list[str]) -> str:
    def cell(x):
        if x is None:
            return ""
        if isinstance(x, bool):
            return "true" if x else "false"
        if isinstance(x, float):
            return repr(x)
        return x

    return csv_text([{c: cell(r[c]) for c in columns} for r in rows], columns)


def input_values(ds: Dataset, plan: Plan, slugs: list[str], year: int) -> list[dict]:
    """Every value row the report's indicators read: the municipality, Riket and the peer group."""
    inds = [ind for s in slugs for ind in plan.area(s).indicators]
    ids = [ind.id for ind in inds]
    places = {plan.municipality.id, plan.comparison.id, *ds.group_members(plan.peer_group.id)}
    v = ds.values
    used = v[v["indicator"].isin(ids) & v["municipality"].isin(places) & (v["year"] <= year)]
    titles = {ind.id: ds.kpis.get(ind.id, {}).get("title", ind.title) for ind in inds}
    rows = []
    for r in used.sort_values(["indicator", "municipality", "year", "gender"]).itertuples():
        rows.append(
            {
                "indicator": r.indicator,
                "title": titles[r.indicator],
                "municipality": r.municipality,
                "municipality_name": ds.municipalities.get(r.municipality, ""),
                "year": int(r.year),
                "gender": r.gender,
                "value": _num(r.value),
                "status": r.status,
            }
        )
    return rows


def excel_bytes(sheets: dict[str, pd.DataFrame], epoch: int) -> bytes:
    """An Excel workbook with one sheet per table, without any build time inside: its document dates are
    `epoch`'s, and XlsxWriter dates every entry of the file (a zip) 1980-01-01. (XlsxWriter, not openpyxl:
    about twice as quick, and the same bytes for the same tables.)"""
    import xlsxwriter

    stamp = datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)
    buf = io.BytesIO()
    # Text stays text: no link made of a web address, no formula of a text that starts with "=".
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_urls": False, "strings_to_formulas": False})
    wb.set_properties({"author": "Borlänge kommun", "created": stamp})
    for name, df in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, list(df.columns))
        for r, row in enumerate(df.astype(object).where(df.notna(), None).values.tolist(), start=1):
            ws.write_row(r, 0, row)  # a missing value (None): an empty cell
    wb.close()
    return buf.getvalue()


def file_names(year: int) -> dict[str, str]:
    return {
        "results_csv": f"results/resultat-{year}.csv",
        "results_json": f"results/resultat-{year}.json",
        "inputs_csv": f"downloads/indata-{year}.csv",
        "inputs_xlsx": f"downloads/indata-{year}.xlsx",
        "charts_csv": f"downloads/diagram-{year}.csv",
    }


def write(
    docs: dict[str, dict], values: list[dict], year: int, out: Path, epoch: int, charts: list[dict] | None = None
) -> dict[str, Path]:
    """Write the results files (from the documents), the documents themselves (results/areas/) and the
    downloads under out/ (the charts' numbers, `chart_rows`, as a CSV file and a sheet of the Excel file);
    returns the paths of the files the report links, by kind."""
    charts = charts or []
    res = combine(docs)
    names = file_names(year)
    paths = {k: out / v for k, v in names.items()}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    for doc in docs.values():
        write_document(doc, out / "results" / "areas")
    paths["results_csv"].write_text(_csv(res["indicators"], RESULT_COLUMNS), encoding="utf-8", newline="\n")
    paths["results_json"].write_text(json_text(res), encoding="utf-8", newline="\n")
    paths["inputs_csv"].write_text(_csv(values, INPUT_COLUMNS), encoding="utf-8", newline="\n")
    paths["charts_csv"].write_text(_csv(charts, CHART_COLUMNS), encoding="utf-8", newline="\n")
    sheets = {
        "Resultat": pd.DataFrame(res["indicators"], columns=RESULT_COLUMNS),
        "Indata": pd.DataFrame(values, columns=INPUT_COLUMNS),
        "Diagram": pd.DataFrame(charts, columns=CHART_COLUMNS),
    }
    paths["inputs_xlsx"].write_bytes(excel_bytes(sheets, epoch))
    return paths
