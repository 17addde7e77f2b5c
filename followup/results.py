"""The results file and the data downloads, published with every report.

- results: every number and verdict the report states, per indicator (assessed year, value, Riket, peer
  mean, rank, target and its source, verdict, rule in words, direction of travel) and per goal area, as
  CSV and JSON;
- downloads: every input value the report used (the plan's indicators for the municipality, Riket and the
  peers), as CSV and Excel.

All files are byte-identical for the same inputs: sorted rows, fixed float formatting, no timestamps (the
Excel file's document dates come from SOURCE_DATE_EPOCH and its zip entries carry a fixed date).
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import assessment
from .chapter import Context
from .data import csv_text, json_text

RESULT_COLUMNS = ["goal_area", "indicator", "source", "title", "unit", "higher_is_better", "assessed_year",
                  "assessed_value", "reference", "value", "value_year", "previous_year", "previous_value", "national", "peer_mean", "peer_n", "rank",
                  "rank_of", "rule", "target_value", "target_source", "verdict", "wording",
                  "direction_previous", "direction_period_start"]
INPUT_COLUMNS = ["indicator", "title", "municipality", "municipality_name", "year", "gender", "value", "status"]


def _num(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), 10)


def compute(ctx: Context, slugs: list[str]) -> dict:
    """Everything the report states, computed by the same functions the chapters call."""
    areas, rows = [], []
    for slug in slugs:
        area = ctx.plan.area(slug)
        verdicts, goal = ctx.verdicts(area)
        areas.append({"goal_area": slug, "title": area.title, "verdict": goal.verdict,
                      "override": goal.override, "justification": goal.justification,
                      "shown": goal.shown, "counts": goal.counts, "wording": goal.wording,
                      "rule": {"met_share": area.assessment.met_share, "partly_share": area.assessment.partly_share}})
        for s, v in zip(ctx.summaries(area), verdicts):
            ind = s.indicator
            prev_dir, start_dir = assessment.directions(ctx.data, ctx.plan, ind, ctx.year)
            rows.append({
                "goal_area": slug, "indicator": ind.id, "source": ind.source,
                "title": ctx.data.kpis.get(ind.id, {}).get("title", ind.title), "unit": ind.unit,
                "higher_is_better": ind.higher_is_better,
                "assessed_year": v.year, "assessed_value": _num(v.value), "reference": _num(v.reference),
                "value": _num(s.latest.value) if s.latest else None, "value_year": s.latest.year if s.latest else None,
                "previous_year": s.previous.year if s.previous else None,
                "previous_value": _num(s.previous.value) if s.previous else None,
                "national": _num(s.national.value) if s.national else None,
                "peer_mean": _num(s.peers.value) if s.peers else None,
                "peer_n": s.peers.n if s.peers else None,
                "rank": s.rank[0] if s.rank else None, "rank_of": s.rank[1] if s.rank else None,
                "rule": ind.target.rule, "target_value": _num(ind.target.value),
                "target_source": assessment.target_source(ind), "verdict": v.verdict, "wording": v.wording,
                "direction_previous": prev_dir.word, "direction_period_start": start_dir.word,
            })
    return {"report_year": ctx.year, "municipality": ctx.plan.municipality.id,
            "data_source": "example" if ctx.data.is_example else "kolada",
            "retrieved": ctx.data.retrieved, "goal_areas": areas, "indicators": rows}


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


def input_values(ctx: Context, slugs: list[str]) -> list[dict]:
    """Every value row the report's indicators read: the municipality, Riket and the peer group."""
    ids = [ind.id for s in slugs for ind in ctx.plan.area(s).indicators]
    places = {ctx.plan.municipality.id, ctx.plan.comparison.id, *ctx.data.group_members(ctx.plan.peer_group.id)}
    v = ctx.data.values
    used = v[v["indicator"].isin(ids) & v["municipality"].isin(places) & (v["year"] <= ctx.year)]
    titles = {ind.id: ctx.data.kpis.get(ind.id, {}).get("title", ind.title) for s in slugs
              for ind in ctx.plan.area(s).indicators}
    rows = []
    for r in used.sort_values(["indicator", "municipality", "year", "gender"]).itertuples():
        rows.append({"indicator": r.indicator, "title": titles[r.indicator], "municipality": r.municipality,
                     "municipality_name": ctx.data.municipalities.get(r.municipality, ""), "year": int(r.year),
                     "gender": r.gender, "value": _num(r.value), "status": r.status})
    return rows


def _fixed_zip(data: bytes, when: tuple, iso: str) -> bytes:
    """The same zip with every entry dated `when`, in a fixed order, and the document's modified date set to
    `iso` (openpyxl writes the time of saving there): no build time inside the file."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=when)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>" + iso.encode() + rb"\g<2>", content)
            dst.writestr(fixed, content)
    return out.getvalue()


def excel_bytes(sheets: dict[str, pd.DataFrame], epoch: int) -> bytes:
    from openpyxl import Workbook

    stamp = datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for row in df.itertuples(index=False):
            ws.append([None if (isinstance(x, float) and math.isnan(x)) else x for x in row])
    wb.properties.creator = "Borlänge kommun"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.lastModifiedBy = None
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue(), (max(1980, stamp.year), stamp.month, stamp.day, 0, 0, 0),
                      stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))


def file_names(year: int) -> dict[str, str]:
    return {"results_csv": f"results/resultat-{year}.csv", "results_json": f"results/resultat-{year}.json",
            "inputs_csv": f"downloads/indata-{year}.csv", "inputs_xlsx": f"downloads/indata-{year}.xlsx"}


def write(ctx: Context, slugs: list[str], out: Path, epoch: int) -> dict[str, Path]:
    """Write the results and the downloads under out/; returns their paths by kind."""
    res = compute(ctx, slugs)
    values = input_values(ctx, slugs)
    names = file_names(ctx.year)
    paths = {k: out / v for k, v in names.items()}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    paths["results_csv"].write_text(_csv(res["indicators"], RESULT_COLUMNS), encoding="utf-8", newline="\n")
    paths["results_json"].write_text(json_text(res), encoding="utf-8", newline="\n")
    paths["inputs_csv"].write_text(_csv(values, INPUT_COLUMNS), encoding="utf-8", newline="\n")
    sheets = {"Resultat": pd.DataFrame(res["indicators"], columns=RESULT_COLUMNS),
              "Indata": pd.DataFrame(values, columns=INPUT_COLUMNS)}
    paths["inputs_xlsx"].write_bytes(excel_bytes(sheets, epoch))
    return paths

