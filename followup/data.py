"""Data sets: a Kolada snapshot (fetched or example) plus local indicators, in one on-disk format.

A data set is a folder with two parts (the format is documented in data/README.md):

    <root>/kolada/manifest.json     source ("kolada" or "example"), retrieval time, sha256 of each file
    <root>/kolada/values.csv        kpi,municipality,year,gender,value,status
    <root>/kolada/all_municipalities.csv   kpi,municipality,year,value (optional: totals for every municipality)
    <root>/kolada/kpis.json         KPI metadata as fetched (v3 keys)
    <root>/kolada/municipalities.json   id, title, type of each municipality in the snapshot
    <root>/kolada/groups.json       municipality groups with their members as fetched
    <root>/local/manifest.json      source ("local" or "example"), sha256 of each file
    <root>/local/values.csv         indicator,municipality,year,gender,value,status,source

The real data set is data/ (data/kolada/ from a fetch, data/local/ from the municipality's own staff);
the example data set is data/example/. A build uses the real one when data/kolada/ has a manifest. A real
snapshot may come without data/local/values.csv (the day the data arrives, before the suppliers deliver):
its local values are then empty and `local_delivered` is False; `make local` creates the file for them.

The CSV tables are read and checked column by column (pandas, categories), and every problem of a file is
reported at once, each naming the file, the line and the column.

`load_dataset(root)` returns a `Dataset`:

    values          DataFrame: indicator, municipality, gender, status, file (categories), year (int16),
                    value (float64, NaN when missing), line (int32: the CSV line, for messages); Kolada's
                    and the local values together, sorted by indicator, municipality, year, gender
    all_values      DataFrame: indicator, municipality (categories), year (int16), value (float64), line
                    (int32), from kolada/all_municipalities.csv; empty with these columns when the snapshot
                    has none
    kpis, municipalities, groups, changes, local_sources, kolada_manifest, local_manifest
    local_delivered True when local/values.csv exists
    series(indicator, municipality, gender="T")  DataFrame year, value, status of one series, by year
    value_at(indicator, municipality, year, gender="T")  (value, status) of one row, or None
    year_values(indicator, year, gender="T")     DataFrame municipality, value, status: every place's row
    all_year_values(indicator, year)             DataFrame municipality, value: all_values of one year
    biennial(kpi), off_year(kpi, year)           a KPI published every second year, and its other years
    published_recently(kpi)                      the years of the last six with a value (the parity's)
    years, latest_year, group_members(group), producer(kpi), removed_kpis, series_breaks(kpi),
    is_example, retrieved, snapshot_id, local_id

The lookups (series, value_at, year_values, all_year_values) are served from an index built once per
table on first use (and again if the table is replaced): a dict from each indicator, and from each
(indicator, municipality), to its slice of the sorted rows; a lookup keeps the slice's rows of the year
or gender asked for, so it costs the same on a full snapshot of every municipality as on a small one.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import math
import re
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from .constants import NOT_DELIVERED
from .errors import DataError, PlanError, raise_all
from .layout import choose_root, sha256_file  # noqa: F401 (re-exported: many callers read them here)

log = logging.getLogger(__name__)

FORMAT = "borlange-followup-data"
FORMAT_VERSION = 1
KOLADA_FILES = ("values.csv", "kpis.json", "municipalities.json", "groups.json")
LOCAL_FILES = ("values.csv",)
ALL_FILE = "all_municipalities.csv"  # optional: older snapshots lack it
KOLADA_COLUMNS = ["kpi", "municipality", "year", "gender", "value", "status"]
LOCAL_COLUMNS = ["indicator", "municipality", "year", "gender", "value", "status", "source"]
ALL_COLUMNS = ["kpi", "municipality", "year", "value"]
VALUE_COLUMNS = ["indicator", "municipality", "year", "gender", "value", "status", "file", "line"]
ALL_VALUE_COLUMNS = ["indicator", "municipality", "year", "value", "line"]
GENDERS = ("T", "K", "M")
MUNICIPALITY_RE = re.compile(r"^\d{4}$")
SOURCES = {"kolada": ("kolada", "example"), "local": ("local", "example")}
LOCAL_NOTE = "Kommunens egna uppgifter för indikatorer som Kolada saknar."
BIENNIAL_WINDOW = 6  # years: a KPI is biennial when its values in the last six years all have one parity


def empty_all_values() -> pd.DataFrame:
    """Dataset.all_values of a snapshot without all_municipalities.csv."""
    return pd.DataFrame(
        {
            "indicator": pd.Categorical([]),
            "municipality": pd.Categorical([]),
            "year": np.array([], np.int16),
            "value": np.array([], np.float64),
            "line": np.array([], np.int32),
        }
    )


@dataclass(eq=False)
class Dataset:
    root: Path
    kolada_manifest: dict
    local_manifest: dict
    values: pd.DataFrame  # indicator, municipality, year, gender, value, status, file, line (Kolada and local)
    kpis: dict  # KPI id -> metadata as fetched
    municipalities: dict  # id -> title
    groups: dict  # id -> {"title": ..., "members": [{"member_id", "member_title"}]}
    local_sources: dict = field(default_factory=dict)  # local indicator id -> source text
    changes: dict = field(default_factory=dict)  # kolada/changes.json: what the last fetch found changed
    all_values: pd.DataFrame = field(default_factory=empty_all_values)  # every municipality's totals
    local_delivered: bool = True  # False for a real snapshot without local/values.csv
    _cache: dict = field(default_factory=dict, init=False, repr=False)  # indexes, rebuilt if a table is replaced

    @property
    def snapshot_id(self) -> str:
        """The first 12 hex digits of the sha256 of the Kolada snapshot's manifest (which hashes its files)."""
        return sha256_file(self.root / "kolada" / "manifest.json")[:12]

    @property
    def local_id(self) -> str:
        """The same for the local part; "" when its values have not been delivered."""
        if not self.local_delivered:
            return ""
        return sha256_file(self.root / "local" / "manifest.json")[:12]

    def rows_text(self, indicators) -> str:
        """The rows an analysis of these indicators reads, as CSV text: their values for every municipality
        of the data set (the municipality, Riket, the peers; with statuses) and for all municipalities.
        Where a row came from (file, line) is left out: moving a row does not change what is read."""
        ids = sorted(set(indicators))
        parts = []
        for table in (self.values, self.all_values):
            rows = table[table["indicator"].isin(ids)]
            rows = rows[[c for c in rows.columns if c not in ("file", "line")]]
            parts.append(rows.to_csv(index=False, lineterminator="\n"))
        return "\n".join(parts)

    def rows_sha256(self, indicators) -> str:
        """The sha256 of `rows_text` (computed once per set of indicators, again if a table is replaced)."""
        key = ("rows", tuple(sorted(set(indicators))))
        hit = self._cache.get(key)
        if hit is None or hit[0] is not self.values or hit[1] is not self.all_values:
            digest = hashlib.sha256(self.rows_text(key[1]).encode("utf-8")).hexdigest()
            hit = self._cache[key] = (self.values, self.all_values, digest)
        return hit[2]

    def rows_digest(self, indicators) -> str:
        """The first 12 hex digits of `rows_sha256`: what a chapter's provenance names (a change to another
        goal area's rows does not change it)."""
        return self.rows_sha256(indicators)[:12]

    def facts_for(self, indicators) -> dict:
        """Everything of the data set an analysis of these indicators can read (the key of a goal area's
        executed notebook, followup.cache): their rows, their metadata, local sources and recorded changes,
        and the facts of the whole set (municipalities, groups, years, where it came from and when), but not
        other indicators' rows, the files' hashes or the time the local data were sealed."""
        ids = set(indicators)

        def concerns(item) -> bool:
            return not isinstance(item, dict) or "kpi" not in item or item["kpi"] in ids

        changes = {
            k: [i for i in v if concerns(i)] if isinstance(v, list) else v for k, v in sorted(self.changes.items())
        }
        return {
            "rows": self.rows_sha256(ids),
            "kpis": {k: self.kpis[k] for k in sorted(ids) if k in self.kpis},
            "local_sources": {k: self.local_sources[k] for k in sorted(ids) if k in self.local_sources},
            "changes": changes,
            "municipalities": self.municipalities,
            "groups": self.groups,
            "years": list(self.years),
            "kolada": {k: v for k, v in self.kolada_manifest.items() if k != "files"},
            "local": {k: v for k, v in self.local_manifest.items() if k not in ("files", "retrieved")},
            "local_delivered": self.local_delivered,
        }

    @property
    def removed_kpis(self) -> set[str]:
        """KPIs the last fetch found Kolada no longer has."""
        return {k for k, meta in self.kpis.items() if meta.get("removed_from_kolada")}

    def series_breaks(self, kpi: str) -> list[dict]:
        return [b for b in self.changes.get("series_breaks", []) if b["kpi"] == kpi]

    @property
    def is_example(self) -> bool:
        return "example" in (self.kolada_manifest["source"], self.local_manifest["source"])

    @property
    def retrieved(self) -> str:
        return self.kolada_manifest["retrieved"]

    @property
    def latest_year(self) -> int:
        return int(self.values["year"][self.values["value"].notna()].max())

    @property
    def years(self) -> tuple[int, int]:
        return int(self.values["year"].min()), int(self.values["year"].max())

    def group_members(self, group_id: str) -> list[str]:
        return [m["member_id"] for m in self.groups[group_id]["members"]]

    def producer(self, kpi: str) -> str | None:
        """The original producer named in the KPI description ("... Källa: SCB."), if any."""
        # Kolada writes line breaks in descriptions as the two characters "\\n": a break ends the name too.
        description = (self.kpis.get(kpi, {}).get("description") or "").replace("\\n", "\n")
        found = re.findall(r"Källa:\s*([^.\n]+?)\s*(?:\.|\n|$)", description)
        return found[-1].strip() if found else None

    # ------------------------------------------------------------ lookups (indexed)

    def series(self, indicator: str, municipality: str, gender: str = "T") -> pd.DataFrame:
        """One series: the rows of an indicator for a municipality and gender, as a new DataFrame with the
        columns year (int64), value (float64, NaN when missing) and status (str), sorted by year; empty
        (with those columns) when there is none. Served from an index built on first use."""
        return self._index("values").series(indicator, municipality, gender)

    def value_at(self, indicator: str, municipality: str, year: int, gender: str = "T") -> tuple[float, str] | None:
        """One row as (value, status), value NaN when missing; None when there is no row (no DataFrame made)."""
        return self._index("values").one(indicator, municipality, int(year), gender)

    def year_values(self, indicator: str, year: int, gender: str = "T") -> pd.DataFrame:
        """Every place's row of an indicator in a year (values.csv and local values): a new DataFrame with
        the columns municipality (str), value and status, sorted by municipality (for peer means and ranks)."""
        return self._index("values").in_year(indicator, int(year), gender, ["municipality", "value", "status"])

    def all_year_values(self, indicator: str, year: int) -> pd.DataFrame:
        """all_municipalities.csv's rows of a KPI in a year (every municipality's total): a new DataFrame
        with the columns municipality (str) and value, sorted by municipality; empty without the file."""
        return self._index("all").in_year(indicator, int(year), None, ["municipality", "value"])

    def biennial(self, kpi: str) -> bool:
        """A KPI published every second year: over the last six years of the data set's years, the years
        in which any municipality has a value (values.csv and all_municipalities.csv) are at least two and
        all of one parity."""
        years = self._recent_years().get(kpi, ())
        return len(years) >= 2 and len({y % 2 for y in years}) == 1

    def off_year(self, kpi: str, year: int) -> bool:
        """A year a biennial KPI is not published in (of the other parity); False for any other KPI."""
        return self.biennial(kpi) and (int(year) - self._recent_years()[kpi][0]) % 2 == 1

    def published_recently(self, kpi: str) -> tuple[int, ...]:
        """The years of the last six of the data set in which the KPI has a value somewhere (ascending)."""
        return self._recent_years().get(kpi, ())

    def _index(self, name: str) -> _Index:
        table = self.all_values if name == "all" else self.values
        hit = self._cache.get(name)
        if hit is None or hit[0] is not table:  # built once, and again if the table is replaced
            hit = (table, _Index(table))
            self._cache[name] = hit
        return hit[1]

    def _recent_years(self) -> dict[str, tuple[int, ...]]:
        hit = self._cache.get("recent")
        if hit is None or hit[0] is not self.values or hit[1] is not self.all_values:
            last = self.years[1]
            found: dict[str, set[int]] = {}
            for table in (self.values, self.all_values):
                rows = table.loc[
                    (table["year"] > last - BIENNIAL_WINDOW) & table["value"].notna(), ["indicator", "year"]
                ]
                for kpi, year in rows.drop_duplicates().itertuples(index=False):
                    found.setdefault(str(kpi), set()).add(int(year))
            hit = (self.values, self.all_values, {k: tuple(sorted(v)) for k, v in found.items()})
            self._cache["recent"] = hit
        return hit[2]


class _Index:
    """A values table sorted by indicator, municipality, year (and gender), as NumPy arrays, with the slice
    of its rows for each indicator and for each (indicator, municipality). A lookup takes a slice and keeps
    its rows of a year or a gender: a few dozen rows for a series, a few thousand for a year."""

    def __init__(self, table: pd.DataFrame):
        by = [c for c in ("indicator", "municipality", "year", "gender") if c in table]
        key = _sort_key([table[c] for c in by])
        if len(key) > 1 and not (key[1:] > key[:-1]).all():
            table = table.take(np.argsort(key, kind="stable"))
        self.codes, self.labels, self.code_of = {}, {}, {}
        for c in ("indicator", "municipality", "gender", "status"):
            if c in table:
                cat = pd.Categorical(table[c])
                self.codes[c], self.labels[c] = cat.codes, np.asarray(cat.categories, dtype=object)
                self.code_of[c] = {label: i for i, label in enumerate(self.labels[c])}
        self.year, self.value = table["year"].to_numpy(), table["value"].to_numpy()
        self.by_indicator = self._slices(["indicator"])
        self.by_place = self._slices(["indicator", "municipality"])

    def _slices(self, columns: list[str]) -> dict:
        """{key: (start, stop)} of each run of rows with the same values in the columns."""
        n = len(self.year)
        if not n:
            return {}
        change = np.zeros(n, dtype=bool)
        change[0] = True
        for c in columns:
            codes = self.codes[c]
            change[1:] |= codes[1:] != codes[:-1]
        starts = np.flatnonzero(change)
        bounds = zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True)
        labels = [self.labels[c][self.codes[c][starts]] for c in columns]
        keys = labels[0] if len(columns) == 1 else zip(*labels, strict=True)
        return dict(zip(keys, bounds, strict=True))

    def series(self, indicator: str, municipality: str, gender: str) -> pd.DataFrame:
        a, b = self.by_place.get((indicator, municipality), (0, 0))
        rows = a + np.flatnonzero(self.codes["gender"][a:b] == self.code_of["gender"].get(gender, -2))
        return self._frame(rows, ["year", "value", "status"])

    def one(self, indicator: str, municipality: str, year: int, gender: str) -> tuple[float, str] | None:
        a, b = self.by_place.get((indicator, municipality), (0, 0))
        at = np.flatnonzero(
            (self.year[a:b] == year) & (self.codes["gender"][a:b] == self.code_of["gender"].get(gender, -2))
        )
        if not len(at):
            return None
        i = a + at[0]
        return float(self.value[i]), self.labels["status"][self.codes["status"][i]]

    def in_year(self, indicator: str, year: int, gender: str | None, columns: list[str]) -> pd.DataFrame:
        a, b = self.by_indicator.get(indicator, (0, 0))
        keep = self.year[a:b] == year
        if gender is not None:
            keep &= self.codes["gender"][a:b] == self.code_of["gender"].get(gender, -2)
        return self._frame(a + np.flatnonzero(keep), columns)

    def _frame(self, rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
        out = {}
        for c in columns:
            if c == "year":
                out[c] = self.year[rows].astype(np.int64)
            elif c == "value":
                out[c] = self.value[rows]
            else:
                out[c] = self.labels[c][self.codes[c][rows]]
        return pd.DataFrame(out, copy=False)  # fresh arrays; columns= would reindex (4 times slower)


def csv_text(rows: list[dict], columns: list[str]) -> str:
    """Rows as CSV text in the data format: UTF-8, comma-separated, "\n" line ends."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def json_text(tree) -> str:
    return json.dumps(tree, ensure_ascii=False, indent=1) + "\n"


def write_part(
    folder: Path, files: dict[str, str], source: str, retrieved: str, note: str = "", extra: dict | None = None
) -> None:
    """Write one part of a data set (kolada/ or local/): its files and a manifest with their sha256."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    write_manifest(folder, sorted(files), source, retrieved, note, extra)


def write_manifest(
    folder: Path, names: list[str], source: str, retrieved: str, note: str = "", extra: dict | None = None
) -> None:
    """A part's manifest: the sha256 of each file exactly as it is on disk."""
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "source": source,
        "retrieved": retrieved,
        **({"note": note} if note else {}),
        **(extra or {}),
        "files": {
            name: {"sha256": sha256_file(folder / name), "bytes": (folder / name).stat().st_size}
            for name in sorted(names)
        },
    }
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(json_text(manifest), encoding="utf-8", newline="\n")
    tmp.replace(folder / "manifest.json")


def _read_json(path: Path, where: str = ""):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(path, where, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, where, f"not UTF-8 (byte {exc.start}); spara filen som UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}") from None


def read_manifest(part_dir: Path, part: str) -> dict:
    """Read a part's manifest and check that every listed file exists with its recorded sha256."""
    path = part_dir / "manifest.json"
    manifest = _read_json(path)
    _check_manifest_keys(path, manifest, part)
    files = manifest["files"]
    for name in KOLADA_FILES if part == "kolada" else LOCAL_FILES:
        if name not in files:
            raise DataError(path, f"files.{name}", "missing from the manifest")
    for name in files:
        _check_file_hash(part_dir / name, files[name])
    return manifest


def _check_manifest_keys(path: Path, manifest, part: str) -> None:
    """A manifest is an object with every key, of this data format and version, from a known source."""
    if not isinstance(manifest, dict):
        raise DataError(path, "", "expected a JSON object")
    for key in ("format", "format_version", "source", "retrieved", "files"):
        if key not in manifest:
            raise DataError(path, key, "missing")
    if manifest["format"] != FORMAT or manifest["format_version"] != FORMAT_VERSION:
        raise DataError(
            path,
            "format",
            f"expected {FORMAT!r} version {FORMAT_VERSION}, "
            f"got {manifest['format']!r} version {manifest['format_version']!r}",
        )
    if manifest["source"] not in SOURCES[part]:
        raise DataError(path, "source", f"expected one of {', '.join(SOURCES[part])}, got {manifest['source']!r}")


def _check_file_hash(actual_path: Path, entry: dict) -> None:
    """A file listed in a manifest exists and has the sha256 recorded in its entry there."""
    if not actual_path.exists():
        raise DataError(actual_path, "", "listed in the manifest but the file is missing")
    actual = sha256_file(actual_path)
    if actual != entry.get("sha256"):
        raise DataError(
            actual_path,
            "",
            f"sha256 {actual[:12]}… does not match the manifest "
            f"({str(entry.get('sha256'))[:12]}…): the file was changed "
            f"after the snapshot was made",
        )


# ---------------------------------------------------------------- sealing the local values


def seal_local(folder: Path, now: str, plan_path: Path | None = None) -> int:
    """Check a local values.csv (format, and against the plan and the data set it belongs to) and record
    its sha256, as the file is on disk, in the folder's manifest (after a hand edit). Returns its rows.

    With a plan and a snapshot beside the folder, a missing values.csv is first created for the suppliers
    to fill in: one row per local indicator of the plan and year, from the snapshot's first year to its
    report year, with an empty value, the status "ej levererat" and the indicator's supplier as source."""
    folder = Path(folder)
    checked = plan_path is not None and (folder.parent / "kolada" / "manifest.json").exists()
    made_dir = not folder.exists()
    created = checked and not (folder / "values.csv").exists() and _create_local(folder, Path(plan_path))
    try:
        rows = _read_long_csv(folder / "values.csv", LOCAL_COLUMNS, "indicator", int(now[:4]))
        if checked:
            _seal_checked(folder, now, Path(plan_path))
        else:
            write_manifest(folder, ["values.csv"], "local", now, LOCAL_NOTE)
    except BaseException:
        if created:
            (folder / "values.csv").unlink()
            if made_dir:
                folder.rmdir()
        raise
    return len(rows)


def _seal_checked(folder: Path, now: str, plan_path: Path) -> None:
    """Record the manifest, then check the data set against the plan; put the old manifest back if it fails."""
    from .plan import load_plan

    previous = (folder / "manifest.json").read_bytes() if (folder / "manifest.json").exists() else None
    write_manifest(folder, ["values.csv"], "local", now, LOCAL_NOTE)
    try:
        check_plan_against_data(load_plan(plan_path), load_dataset(folder.parent))
    except BaseException:
        if previous is None:
            (folder / "manifest.json").unlink()
        else:
            (folder / "manifest.json").write_bytes(previous)
        raise


def _create_local(folder: Path, plan_path: Path) -> bool:
    """Write values.csv with a row to fill in per local indicator and year ("ej levererat"); False (nothing
    written) when the plan has no local indicator."""
    from .plan import load_plan

    plan = load_plan(plan_path)
    first, last = _snapshot_years(folder.parent)
    rows = [
        {
            "indicator": ind.id,
            "municipality": plan.municipality.id,
            "year": year,
            "gender": "T",
            "value": "",
            "status": NOT_DELIVERED,
            "source": ind.supplier or "",
        }
        for _, ind in plan.indicators()
        if not ind.is_kolada
        for year in range(first, last + 1)
    ]
    if not rows:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "values.csv").write_text(csv_text(rows, LOCAL_COLUMNS), encoding="utf-8", newline="\n")
    return True


def _snapshot_years(root: Path) -> tuple[int, int]:
    """The years a fetch covered: the manifest's years[0] to its report_year (else the values' years)."""
    kman = read_manifest(root / "kolada", "kolada")
    years, report_year = kman.get("years"), kman.get("report_year")
    if years and report_year:
        return int(years[0]), int(report_year)
    return load_dataset(root, parts=("kolada",)).years


def with_data_breaks(plan, ds: Dataset):
    """The plan with the series breaks a fetch recorded (a KPI's unit changed) added to those it declares."""
    import dataclasses

    from .plan import SeriesBreak

    areas = []
    for area in plan.goal_areas:
        inds = []
        for ind in area.indicators:
            found = tuple(SeriesBreak(b["year"], b["note"]) for b in ds.series_breaks(ind.id))
            known = {b.year for b in ind.breaks}
            extra = tuple(b for b in found if b.year not in known)
            inds.append(
                dataclasses.replace(ind, breaks=tuple(sorted(ind.breaks + extra, key=lambda b: b.year)))
                if extra
                else ind
            )
        areas.append(dataclasses.replace(area, indicators=tuple(inds)))
    return dataclasses.replace(plan, goal_areas=tuple(areas), by_slug={a.slug: a for a in areas})


FIRST_YEAR = 1990


def last_possible_year(manifest: dict) -> int:
    """No value can be for a year after the data was retrieved (or after the report year it was fetched for)."""
    retrieved = int(str(manifest["retrieved"])[:4])
    return min(retrieved, manifest["report_year"]) if manifest.get("report_year") else retrieved


# ---------------------------------------------------------------- reading a long values table
#
# A table is tokenised by pandas (every column a category) when its structure is plain: one record per
# line, every line with all the fields, no blank line. Anything else (a quoted line break, a short or long
# line, a blank line, an unusual line separator) is tokenised by the csv module, as the format has always
# been read, so that line numbers and messages stay the same. Then every column is checked once per
# distinct text (its categories), and the rows are flagged through the category codes.


def _read_long_csv(path: Path, columns: list[str], id_column: str, last_year: int) -> pd.DataFrame:
    """Read a long values table, checking every row; every problem is reported, each naming the file, the
    line and the column. Returns the columns (text as categories, year int16, value float64) and line."""
    data = _csv_bytes(path, columns)
    _check_header(path, _header(data), columns)
    table, lines, problems = _tokenize(data, columns)
    del data
    years, values, found = _cell_problems(table, lines, columns, id_column, last_year)
    problems += found
    problems += _duplicate_problems(table, lines, years, found, columns, id_column)
    raise_all([_line_error(path, *p) for p in sorted(problems, key=lambda p: (p[0], p[1]))])
    if not len(table):
        raise DataError(path, "", "has no data rows")
    out = {c: table[c] for c in columns}
    out.update(year=years.astype(np.int16), value=values, line=lines.astype(np.int32))
    return pd.DataFrame(out, columns=[*columns, "line"])


def _line_error(path: Path, line_no: int, _rank: int, column: str, message: str) -> DataError:
    return DataError(path, f"line {line_no}" + (f", column {column}" if column else ""), message)


def _csv_bytes(path: Path, columns: list[str]) -> bytes:
    """The bytes of a values table, without a byte-order mark: the file exists, is not empty and is UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "", "file not found") from None
    if not raw[:4096].strip() and not raw.strip():
        raise DataError(path, "", f"the file is empty (expected a header line: {','.join(columns)})")
    if not _is_utf8(raw):
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataError(
                path, f"line {line}", "not UTF-8 text; spara filen som UTF-8 (in Excel: Spara som > CSV UTF-8)"
            ) from None
    return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw


def _is_utf8(raw: bytes, step: int = 1 << 20) -> bool:
    """Whether the bytes are UTF-8, checked a megabyte at a time (no copy of the whole file as text)."""
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for i in range(0, len(raw), step):
            decoder.decode(view[i : i + step], final=i + step >= len(raw))
    except UnicodeDecodeError:
        return False
    return True


_LINE_END = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # where str.splitlines splits
_ODD_LINE_ENDS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")  # and, beyond ASCII, these:
_ODD_UTF8_LINE_ENDS = ("\x85".encode(), "\u2028".encode(), "\u2029".encode())


def _odd_line_ends(data: bytes) -> bool:
    """Characters other than CR and LF at which str.splitlines (and so the csv module's reading) ends a line."""
    odd = _ODD_LINE_ENDS if data.isascii() else _ODD_LINE_ENDS + _ODD_UTF8_LINE_ENDS
    return any(c in data for c in odd)


def _header(data: bytes) -> list[str]:
    """The fields of the first line."""
    newline = data.find(b"\n")
    text = (data if newline < 0 else data[:newline]).decode("utf-8")
    end = _LINE_END.search(text)
    return next(csv.reader([text[: end.start()] if end else text]), [])


def _check_header(path: Path, header: list[str], columns: list[str]) -> None:
    """The header line names exactly the columns, in order, separated by commas."""
    if len(header) == 1 and ";" in header[0]:
        raise DataError(
            path,
            "line 1",
            f"the columns are separated by semicolons; save the file comma-separated "
            f"(in Excel: Spara som > CSV UTF-8) with the columns {','.join(columns)}",
        )
    if header != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        detail = (
            "; ".join(
                filter(
                    None,
                    [
                        f"missing {', '.join(missing)}" if missing else "",
                        f"not expected {', '.join(extra)}" if extra else "",
                    ],
                )
            )
            or "wrong order"
        )
        raise DataError(path, "line 1", f"expected the columns {','.join(columns)} ({detail})")


def _tokenize(data: bytes, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray, list[tuple]]:
    """The data rows as a DataFrame of categories, their line numbers, and the lines that are not rows of
    the table (a wrong number of fields) as problems (line, rank, column, message)."""
    table = _plain_table(data, columns)
    if table is not None:
        return table, np.arange(2, len(table) + 2, dtype=np.int64), []
    reader = csv.reader(data.decode("utf-8").splitlines())
    next(reader, None)
    rows, lines, problems = [], [], []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(columns):
            problems.append((line_no, 0, "", f"expected {len(columns)} fields, got {len(row)}"))
            continue
        rows.append(row)
        lines.append(line_no)
    table = pd.DataFrame(rows, columns=columns, dtype=object).astype("category")
    return table, np.array(lines, dtype=np.int64), problems


def _plain_table(data: bytes, columns: list[str]) -> pd.DataFrame | None:
    """The table read by pandas, when every line is one record with all its fields; None otherwise. (pandas
    fills a short line's missing fields with "", and skips blank lines: hence the counts.)"""
    if _odd_line_ends(data) or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        return None
    n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if b'"' in data:
        if not _field_counts_ok(data, len(columns)):
            return None
    elif data.count(b",") != n_lines * (len(columns) - 1):  # no line is short (pandas refuses a long one)
        return None
    try:
        table = pd.read_csv(
            io.BytesIO(data),
            header=0,
            names=columns,
            dtype="category",
            keep_default_na=False,
            na_filter=False,
            index_col=False,
            encoding="utf-8",
        )
    except (pd.errors.ParserError, ValueError):
        return None
    return table if len(table) + 1 == n_lines else None


def _field_counts_ok(data: bytes, n: int, step: int = 1 << 22) -> bool:
    """Every line has n - 1 separating commas (outside quotes): no line is short or long, and no quoted
    field spans lines. Counted in pieces of about 4 MB, at line ends."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + step)
        end = len(data) if end < 0 else end + 1
        b = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
        sep = b == ord(",")
        quotes = b == ord('"')
        if quotes.any():
            sep &= ~np.logical_xor.accumulate(quotes)
        ends = np.flatnonzero(b == ord("\n"))
        if b[-1] != ord("\n"):
            ends = np.append(ends, len(b))
        per_line = np.diff(np.searchsorted(np.flatnonzero(sep), ends), prepend=0)
        if not (per_line == n - 1).all():
            return False
        start = end
    return True


def _cell_problems(
    table: pd.DataFrame, lines: np.ndarray, columns: list[str], id_column: str, last_year: int
) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """Each row's year and value, and the problems of its cells as (line, rank, column, message); the rank
    orders a line's problems by column."""
    problems = _flag(table[id_column], lines, 0, id_column, lambda t: None if t else "empty")
    problems += _flag(table["municipality"], lines, 1, "municipality", _municipality_message)
    years, year_messages = _years(table["year"], last_year)
    problems += _flag(table["year"], lines, 2, "year", year_messages.__getitem__)
    if "gender" in columns:
        problems += _flag(table["gender"], lines, 3, "gender", _gender_message)
    values, value_problems = _values(table, lines)
    return years, values, problems + value_problems


def _flag(column: pd.Series, lines: np.ndarray, rank: int, name: str, message) -> list[tuple]:
    """The rows whose text in the column has a problem: message(text) is None when the text is right."""
    categories = list(column.cat.categories)
    messages = [message(t) for t in categories]
    bad_category = np.array([m is not None for m in messages], dtype=bool)
    if not bad_category.any():
        return []
    codes = column.cat.codes.to_numpy()
    bad = bad_category[codes]
    texts = np.array(messages, dtype=object)[codes[bad]]
    return list(zip(lines[bad].tolist(), repeat(rank), repeat(name), texts.tolist()))


def _municipality_message(text: str) -> str | None:
    problem = _municipality_problem(text)
    return problem and problem[1]


def _gender_message(text: str) -> str | None:
    return None if text in GENDERS else f"expected T, K or M, got {text!r}"


def _municipality_problem(text: str) -> tuple[str, str] | None:
    if MUNICIPALITY_RE.match(text):
        return None
    return (
        "municipality",
        f"expected a four-digit municipality code, got {text!r}"
        + (" (a leading zero was lost: write it as text)" if text.isdigit() else ""),
    )


def _parse_year(text: str, last_year: int) -> tuple[int | None, tuple[str, str] | None]:
    try:
        year = int(text)
    except ValueError:
        return None, ("year", f"expected a year, got {text!r}")
    if not FIRST_YEAR <= year <= last_year:
        return year, (
            "year",
            f"expected a year from {FIRST_YEAR} to {last_year} (the data's last possible year), got {year}",
        )
    return year, None


def _years(column: pd.Series, last_year: int) -> tuple[np.ndarray, dict]:
    """Each row's year (-1 where it is wrong), and a message per wrong text."""
    parsed = [_parse_year(t, last_year) for t in column.cat.categories]
    by_category = np.array([-1 if p else y for y, p in parsed], dtype=np.int64)
    messages = {t: p and p[1] for t, (_, p) in zip(column.cat.categories, parsed, strict=True)}
    return by_category[column.cat.codes.to_numpy()] if len(column) else np.array([], np.int64), messages


def _number(text: str) -> float:
    """float(text) as Python reads it, NaN when it does not read as a number."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def _values(table: pd.DataFrame, lines: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """Each row's value (NaN when empty), and the problems: a value that is not a finite number; an empty
    value without its reason in the status column (a table without a status column has no empty values)."""
    column = table["value"]
    texts = np.asarray(column.cat.categories, dtype=object)
    empty = texts == ""
    try:
        numbers = np.where(empty, "nan", texts).astype(np.float64)
    except ValueError:
        numbers = np.array([_number(t) for t in texts], dtype=np.float64)
    wrong = ~empty & ~np.isfinite(numbers)
    messages = [_value_message(t) if w else None for t, w in zip(texts, wrong, strict=True)]
    codes = column.cat.codes.to_numpy()
    problems = _flag(column, lines, 4, "value", dict(zip(texts, messages, strict=True)).__getitem__)
    if empty.any():
        unexplained = empty[codes] & (table["status"] == "").to_numpy() if "status" in table else empty[codes]
        column_name = "status" if "status" in table else "value"
        message = (
            "a missing value needs its reason in the status column"
            if "status" in table
            else "expected a number, got '' (this file has only rows with a value)"
        )
        problems += list(zip(lines[unexplained].tolist(), repeat(4), repeat(column_name), repeat(message)))
    return numbers[codes] if len(codes) else np.array([], np.float64), problems


def _value_message(text: str) -> str:
    comma = re.fullmatch(r"-?\d+,\d+", text.strip())
    hint = f" (use a decimal point: {text.strip().replace(',', '.')})" if comma else ""
    return f"expected a number, got {text!r}{hint}"


def _duplicate_problems(
    table: pd.DataFrame, lines: np.ndarray, years: np.ndarray, found: list[tuple], columns: list[str], id_column: str
) -> list[tuple]:
    """Rows (without other problems) whose id, municipality, year and gender an earlier row has."""
    keys = [id_column, "municipality", "year"] + (["gender"] if "gender" in columns else [])
    ok = np.ones(len(lines), dtype=bool)
    if found:
        ok[np.searchsorted(lines, sorted({p[0] for p in found}))] = False
    key = _sort_key([pd.Series(years) if k == "year" else table[k] for k in keys])[ok]
    if len(key) < 2 or (key[1:] > key[:-1]).all():  # sorted as the format says: no duplicates
        return []
    repeated = np.zeros(len(lines), dtype=bool)
    repeated[np.flatnonzero(ok)[pd.Series(key).duplicated(keep=False).to_numpy()]] = True
    seen, problems = {}, []
    for i in np.flatnonzero(repeated):
        row = tuple(int(years[i]) if k == "year" else table[k].iloc[i] for k in keys)
        if row in seen:
            problems.append((int(lines[i]), 5, "", f"duplicate of line {seen[row]} ({', '.join(map(str, row))})"))
        else:
            seen[row] = int(lines[i])
    return problems


def _sort_key(columns: list[pd.Series]) -> np.ndarray:
    """One int64 per row that orders the rows as the columns do, one after the other (text in str order)."""
    key = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for column in columns:
        if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.categories.is_monotonic_increasing:
            codes, n = column.cat.codes.to_numpy(), len(column.cat.categories)
        elif column.dtype.kind in "iu" and len(column):
            low = int(column.min())
            codes, n = column.to_numpy(dtype=np.int64) - low, int(column.max()) - low + 1
        else:
            codes, uniques = pd.factorize(column, sort=True)
            n = len(uniques)
        key = key * max(n, 1) + codes
    return key


# ---------------------------------------------------------------- loading a data set


def load_dataset(root, parts=("kolada", "local")) -> Dataset:
    """Load and check a data set (see the module docstring for the layout); parts=("kolada",) reads a
    Kolada snapshot alone. A real snapshot (source "kolada") loads without local/values.csv."""
    root = Path(root)
    kdir, ldir = root / "kolada", root / "local"
    kman = read_manifest(kdir, "kolada")
    kvalues = _read_long_csv(kdir / "values.csv", KOLADA_COLUMNS, "kpi", last_possible_year(kman))
    kvalues = kvalues.rename(columns={"kpi": "indicator"})
    all_values = _read_all_values(kdir, kman)
    if "local" in parts:
        lman, lvalues = _read_local(ldir, real=kman["source"] == "kolada")
    else:
        lman, lvalues = {"source": None}, None
    local_sources = {}
    if lvalues is not None:
        for ind, src in lvalues.groupby("indicator", observed=True)["source"]:
            local_sources[str(ind)] = "; ".join(sorted(set(src)))
        clash = set(kvalues["indicator"]) & set(lvalues["indicator"])
        if clash:
            raise DataError(
                ldir / "values.csv", "column indicator", f"ids also used by Kolada KPIs: {', '.join(sorted(clash))}"
            )
    values = _combine(kvalues, lvalues)
    kpis, munis, groups = _metadata(kdir)
    for name, table in (("values.csv", kvalues), (ALL_FILE, all_values)):
        unknown_kpis = sorted(set(table["indicator"]) - set(kpis))
        if unknown_kpis:
            raise DataError(
                kdir / name, "column kpi", f"values for KPIs without metadata in kpis.json: {', '.join(unknown_kpis)}"
            )
    changes = _read_json(kdir / "changes.json") if "changes.json" in kman["files"] else {}
    delivered = lvalues is not None
    return Dataset(root, kman, lman, values, kpis, munis, groups, local_sources, changes, all_values, delivered)


def _metadata(kdir: Path) -> tuple[dict, dict, dict]:
    """kpis.json, municipalities.json and groups.json, as dicts by id."""
    kpis = {
        k["id"]: k
        for k in _objects(kdir / "kpis.json", {"id", "title"}, "expected an object with at least id and title")
    }
    munis = {
        m["id"]: m["title"]
        for m in _objects(kdir / "municipalities.json", {"id", "title"}, "expected an object with id and title")
    }
    groups = {
        g["id"]: {"title": g["title"], "members": g["members"]}
        for g in _objects(
            kdir / "groups.json", {"id", "title", "members"}, "expected an object with id, title and members"
        )
    }
    return kpis, munis, groups


def _read_all_values(kdir: Path, kman: dict) -> pd.DataFrame:
    """kolada/all_municipalities.csv when the manifest lists it, checked like values.csv; else empty."""
    if ALL_FILE not in kman["files"]:
        return empty_all_values()
    table = _read_long_csv(kdir / ALL_FILE, ALL_COLUMNS, "kpi", last_possible_year(kman))
    table = table.rename(columns={"kpi": "indicator"})[ALL_VALUE_COLUMNS]
    return _sorted(table, ["indicator", "municipality", "year"])


def _read_local(ldir: Path, real: bool) -> tuple[dict, pd.DataFrame | None]:
    """The local part of a data set: its manifest and its values; for a real snapshot without
    local/values.csv (not delivered yet), no manifest and None."""
    if real and not (ldir / "values.csv").exists():
        return {"source": None}, None
    if not ldir.is_dir():
        raise DataError(
            ldir,
            "",
            "missing: the plan's local indicators are read from here. Create "
            "values.csv in the format of data/README.md, then run `make local`",
        )
    lman = read_manifest(ldir, "local")
    lvalues = _read_long_csv(ldir / "values.csv", LOCAL_COLUMNS, "indicator", last_possible_year(lman))
    return lman, lvalues


def _combine(kvalues: pd.DataFrame, lvalues: pd.DataFrame | None) -> pd.DataFrame:
    """Kolada's and the local values in one table (VALUE_COLUMNS, compact dtypes), sorted."""
    parts = [(kvalues, "kolada/values.csv")]
    if lvalues is not None:
        parts.append((lvalues, "local/values.csv"))
    out = {}
    for c in VALUE_COLUMNS:
        if c == "file":
            cats = [pd.Categorical.from_codes(np.zeros(len(t), np.int8), categories=[name]) for t, name in parts]
        elif c in ("year", "value", "line"):
            out[c] = np.concatenate([t[c].to_numpy() for t, _ in parts])
            continue
        else:
            cats = [pd.Categorical(t[c]) for t, _ in parts]
        out[c] = union_categoricals(cats, sort_categories=True)
    return _sorted(pd.DataFrame(out, columns=VALUE_COLUMNS), ["indicator", "municipality", "year", "gender"])


def _sorted(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The table sorted by the columns (text in str order), without reordering when it already is."""
    key = _sort_key([table[c] for c in by])
    if len(key) < 2 or (key[1:] > key[:-1]).all():
        return table.reset_index(drop=True)
    return table.take(np.argsort(key, kind="stable")).reset_index(drop=True)


def _objects(path: Path, keys: set[str], message: str):
    """The objects of a JSON list, each checked to have the keys (message names them if one lacks any)."""
    for i, obj in enumerate(_as_list(_read_json(path), path)):
        if not isinstance(obj, dict) or not keys <= set(obj):
            raise DataError(path, f"[{i}]", message)
        yield obj


def _as_list(tree, path: Path) -> list:
    if not isinstance(tree, list):
        raise DataError(path, "", "expected a JSON list")
    return tree


def unit_of(title: str) -> str:
    """The unit part of a Kolada title: the text after its last comma ("andel (%)")."""
    return title.rsplit(",", 1)[-1].strip() if "," in title else ""


def can_be_negative(text: str) -> bool:
    """Units that can fall below zero: changes, net figures, results (e.g. a population change)."""
    return any(w in text.lower() for w in ("förändring", "netto", "resultat", "skillnad", "saldo"))


# ---------------------------------------------------------------- the plan against the data


def check_plan_against_data(plan, dataset: Dataset, warn: bool = True) -> None:
    """Every Kolada indicator of the plan has data, the plan's places exist in the data set, a target year
    is one its KPI is published in, every local indicator in the data is the plan's, and every value is
    possible in its unit (a share within 0–100 %, no negative count). Reports every problem at once.
    A local indicator without values is no problem (its delivery is missing; the report says so).
    With warn, logs a warning (logger followup.data) for a rule that cannot be judged (national_warnings)."""
    raise_all(
        _place_problems(plan, dataset)
        + _indicator_problems(plan, dataset)
        + _target_year_problems(plan, dataset)
        + _value_problems(plan, dataset)
        + _unknown_local_problems(plan, dataset)
    )
    if warn:
        for line in national_warnings(plan, dataset):
            log.warning(line)


def _place_problems(plan, dataset: Dataset) -> list[PlanError]:
    """The plan's municipality and comparison are in the data set's municipalities, its peer group in its groups."""
    kdir = dataset.root / "kolada"
    problems = []
    for key in ("municipality", "comparison"):
        place = getattr(plan, key)
        if place.id not in dataset.municipalities:
            problems.append(
                PlanError(
                    plan.path,
                    f"plan.{key}.id",
                    f"municipality {place.id!r} has no entry in {kdir / 'municipalities.json'}",
                )
            )
    if plan.peer_group.id not in dataset.groups:
        problems.append(
            PlanError(
                plan.path, "plan.peer_group.id", f"group {plan.peer_group.id!r} has no entry in {kdir / 'groups.json'}"
            )
        )
    return problems


def _keyed(plan):
    """Every indicator of the plan with its key: goal_areas[0] (skolan).indicators[1] (N15508)."""
    for i, area in enumerate(plan.goal_areas):
        for j, ind in enumerate(area.indicators):
            yield f"goal_areas[{i}] ({area.slug}).indicators[{j}] ({ind.id})", ind


def _indicator_problems(plan, dataset: Dataset) -> list[PlanError]:
    """Every Kolada indicator of the plan has metadata."""
    kpis = dataset.root / "kolada" / "kpis.json"
    return [
        PlanError(plan.path, key, f"KPI {ind.id} has no entry in {kpis}")
        for key, ind in _keyed(plan)
        if ind.is_kolada and ind.id not in dataset.kpis
    ]


TARGET_YEARS = {"value": "year", "improvement": "baseline_year"}  # a rule's target key that names a year


def _target_year_problems(plan, dataset: Dataset) -> list[PlanError]:
    """A target year (a value target's year, an improvement's baseline year) in which a biennial KPI is not
    published."""
    problems = []
    for key, ind in _keyed(plan):
        name = TARGET_YEARS.get(ind.target.rule) if ind.target and ind.is_kolada else None
        year = getattr(ind.target, name) if name else None
        if year is not None and dataset.off_year(ind.id, year):
            published = ", ".join(map(str, dataset.published_recently(ind.id)))
            problems.append(
                PlanError(
                    plan.path,
                    f"{key}.target.{name}",
                    f"{year} is a year {ind.id} is not published in (it is published every second year: {published})",
                )
            )
    return problems


def national_warnings(plan, dataset: Dataset) -> list[str]:
    """One line per indicator judged by the rule national that has no value at all for the comparison
    (Riket) in the data set: its comparison cannot be judged."""
    v = dataset.values
    has = set(v.loc[(v["municipality"] == plan.comparison.id) & v["value"].notna(), "indicator"].unique())
    place = f"{plan.comparison.name} ({plan.comparison.id})"
    return [
        f"{plan.path}: {key}: {ind.id} has no value for {place} in the data set, so the comparison of its "
        f"rule 'national' cannot be judged (kan ej bedömas); consider another rule, e.g. 'peers' or 'improvement'"
        for key, ind in _keyed(plan)
        if ind.target and ind.target.rule == "national" and ind.id not in has
    ]


def _value_problems(plan, dataset: Dataset) -> list[DataError]:
    """Values impossible in their unit: a share outside 0–100, a negative value where none can be."""
    units = {ind.id: (ind.unit, ind.title) for _, ind in plan.indicators()}
    return _range_problems(dataset, dataset.values, units) + _range_problems(
        dataset, dataset.all_values, units, f"kolada/{ALL_FILE}"
    )


def _range_problems(dataset: Dataset, table: pd.DataFrame, units: dict, file: str | None = None) -> list[DataError]:
    """The rows of a table whose value is impossible in its indicator's unit, in the table's order; each
    names its file (the table's column file, or the file given) and line."""
    codes, ids = pd.factorize(table["indicator"])
    rules = [_range_rule(str(i), units, dataset) for i in ids] or [(False, False, "")]
    share = np.array([r[0] for r in rules], dtype=bool)[codes]
    negative_ok = np.array([r[1] for r in rules], dtype=bool)[codes]
    value = table["value"].to_numpy()
    wrong = (share & ((value < 0) | (value > 100))) | (~share & ~negative_ok & (value < 0))
    problems = []
    for i in np.flatnonzero(wrong):
        ind_id, v, unit = str(ids[codes[i]]), float(value[i]), rules[codes[i]][2]
        where = dataset.root / (file or str(table["file"].iloc[i]))
        message = (
            f"{v:g} is not a share between 0 and 100 ({ind_id}, {unit})"
            if share[i]
            else f"{v:g} is negative, which {ind_id} ({unit}) cannot be"
        )
        problems.append(DataError(where, f"line {int(table['line'].iloc[i])}, column value", message))
    return problems


def _range_rule(ind_id: str, units: dict, dataset: Dataset) -> tuple[bool, bool, str]:
    """(a share, may be negative, the unit) of an indicator: the plan's unit, else its Kolada title's."""
    if ind_id in units:
        unit, title = units[ind_id]
    else:
        title = dataset.kpis.get(ind_id, {}).get("title", "")
        unit = unit_of(title)
    return "%" in unit, can_be_negative(f"{unit} {title}"), unit


def _unknown_local_problems(plan, dataset: Dataset) -> list[DataError]:
    """Local values for indicators the plan does not declare."""
    local_ids = set(dataset.local_sources)
    planned = {ind.id for _, ind in plan.indicators()}
    known = ", ".join(sorted(ind.id for _, ind in plan.indicators() if not ind.is_kolada)) or "none"
    problems = []
    for ind_id in sorted(local_ids - planned):
        line = int(dataset.values[dataset.values["indicator"] == ind_id]["line"].min())
        problems.append(
            DataError(
                dataset.root / "local" / "values.csv",
                f"line {line}, column indicator",
                f"unknown indicator {ind_id!r}: the plan declares no local indicator with this id "
                f"(local indicators: {known})",
            )
        )
    return problems
