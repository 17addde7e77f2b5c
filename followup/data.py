"""Data sets: a Kolada snapshot (fetched or example) plus local indicators, in one on-disk format.

A data set is a folder with two parts (the format is documented in data/README.md):

    <root>/kolada/manifest.json     source ("kolada" or "example"), retrieval time, sha256 of each file
    <root>/kolada/values.csv        kpi,municipality,year,gender,value,status
    <root>/kolada/kpis.json         KPI metadata as fetched (v3 keys)
    <root>/kolada/municipalities.json   id, title, type of each municipality in the snapshot
    <root>/kolada/groups.json       municipality groups with their members as fetched
    <root>/local/manifest.json      source ("local" or "example"), sha256 of each file
    <root>/local/values.csv         indicator,municipality,year,gender,value,status,source

The real data set is data/ (data/kolada/ from a fetch, data/local/ from the municipality's own staff);
the example data set is data/example/. A build uses the real one when data/kolada/ has a manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError, PlanError, raise_all

FORMAT = "borlange-followup-data"
FORMAT_VERSION = 1
KOLADA_FILES = ("values.csv", "kpis.json", "municipalities.json", "groups.json")
LOCAL_FILES = ("values.csv",)
KOLADA_COLUMNS = ["kpi", "municipality", "year", "gender", "value", "status"]
LOCAL_COLUMNS = ["indicator", "municipality", "year", "gender", "value", "status", "source"]
GENDERS = ("T", "K", "M")
MUNICIPALITY_RE = re.compile(r"^\d{4}$")
SOURCES = {"kolada": ("kolada", "example"), "local": ("local", "example")}
LOCAL_NOTE = "Kommunens egna uppgifter för indikatorer som Kolada saknar."


@dataclass
class Dataset:
    root: Path
    kolada_manifest: dict
    local_manifest: dict
    values: pd.DataFrame  # indicator, municipality, year, gender, value, status (Kolada and local together)
    kpis: dict  # KPI id -> metadata as fetched
    municipalities: dict  # id -> title
    groups: dict  # id -> {"title": ..., "members": [{"member_id", "member_title"}]}
    local_sources: dict = field(default_factory=dict)  # local indicator id -> source text
    changes: dict = field(default_factory=dict)  # kolada/changes.json: what the last fetch found changed

    @property
    def snapshot_id(self) -> str:
        """The first 12 hex digits of the sha256 of the Kolada snapshot's manifest (which hashes its files)."""
        return sha256_file(self.root / "kolada" / "manifest.json")[:12]

    @property
    def local_id(self) -> str:
        return sha256_file(self.root / "local" / "manifest.json")[:12]

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
        present = self.values.dropna(subset=["value"])
        return int(present["year"].max())

    @property
    def years(self) -> tuple[int, int]:
        return int(self.values["year"].min()), int(self.values["year"].max())

    def group_members(self, group_id: str) -> list[str]:
        return [m["member_id"] for m in self.groups[group_id]["members"]]

    def producer(self, kpi: str) -> str | None:
        """The original producer named in the KPI description ("... Källa: SCB."), if any."""
        description = self.kpis.get(kpi, {}).get("description") or ""
        found = re.findall(r"Källa:\s*([^.\n]+?)\s*(?:\.|$)", description)
        return found[-1].strip() if found else None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


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


def choose_root(data_dir: Path) -> Path:
    """The data set a build reads: the real snapshot (data/) if it exists, else the example (data/example/)."""
    data_dir = Path(data_dir)
    if (data_dir / "kolada" / "manifest.json").exists():
        return data_dir
    return data_dir / "example"


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


def seal_local(folder: Path, now: str, plan_path: Path | None = None) -> int:
    """Check a local values.csv (format, and against the plan and the data set it belongs to) and record
    its sha256, as the file is on disk, in the folder's manifest (after a hand edit)."""
    folder = Path(folder)
    rows = _read_long_csv(folder / "values.csv", LOCAL_COLUMNS, "indicator", int(now[:4]))
    if plan_path is not None and (folder.parent / "kolada" / "manifest.json").exists():
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
        return len(rows)
    write_manifest(folder, ["values.csv"], "local", now, LOCAL_NOTE)
    return len(rows)


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


def _read_long_csv(path: Path, columns: list[str], id_column: str, last_year: int) -> pd.DataFrame:
    """Read a long values table, checking every row; every problem is reported, each naming the file, the
    line and the column."""
    reader = csv.reader(_csv_text(path, columns).splitlines())
    _check_header(path, next(reader, None) or [], columns)
    rows, seen, problems = [], {}, []
    for line_no, row in enumerate(reader, start=2):
        if not row:
            continue
        rec, found = _parse_row(row, columns, id_column, last_year)
        if not found:
            key = (rec[id_column], rec["municipality"], rec["year"], rec["gender"])
            if key in seen:
                found = [("", f"duplicate of line {seen[key]} ({', '.join(map(str, key))})")]
            else:
                seen[key] = line_no
                rows.append({**rec, "line": line_no})
        problems += [_line_error(path, line_no, column, message) for column, message in found]
    raise_all(problems)
    if not rows:
        raise DataError(path, "", "has no data rows")
    return pd.DataFrame(rows, columns=[*columns, "line"])


def _line_error(path: Path, line_no: int, column: str, message: str) -> DataError:
    return DataError(path, f"line {line_no}" + (f", column {column}" if column else ""), message)


def _csv_text(path: Path, columns: list[str]) -> str:
    """The text of a values table: the file exists, is not empty and is UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, "", "file not found") from None
    if not raw.strip():
        raise DataError(path, "", f"the file is empty (expected a header line: {','.join(columns)})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            path, f"line {line}", "not UTF-8 text; spara filen som UTF-8 (in Excel: Spara som > CSV UTF-8)"
        ) from None


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


def _parse_row(
    row: list[str], columns: list[str], id_column: str, last_year: int
) -> tuple[dict | None, list[tuple[str, str]]]:
    """One data line: its record (year and value parsed) and its problems as (column, message), in column order."""
    if len(row) != len(columns):
        return None, [("", f"expected {len(columns)} fields, got {len(row)}")]
    rec = dict(zip(columns, row, strict=True))
    year, year_problem = _parse_year(rec["year"], last_year)
    value, value_problem = _parse_value(rec["value"], rec["status"])
    found = [
        problem
        for problem in (
            None if rec[id_column] else (id_column, "empty"),
            _municipality_problem(rec["municipality"]),
            year_problem,
            None if rec["gender"] in GENDERS else ("gender", f"expected T, K or M, got {rec['gender']!r}"),
            value_problem,
        )
        if problem
    ]
    return {**rec, "year": year, "value": value}, found


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


def _parse_value(text: str, status: str) -> tuple[float, tuple[str, str] | None]:
    """A value is a finite number, or empty with the reason for its absence in the status column."""
    if text == "":
        return math.nan, None if status else ("status", "a missing value needs its reason in the status column")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isfinite(value):
        return value, None
    comma = re.fullmatch(r"-?\d+,\d+", text.strip())
    hint = f" (use a decimal point: {text.strip().replace(',', '.')})" if comma else ""
    return math.nan, ("value", f"expected a number, got {text!r}{hint}")


def load_dataset(root, parts=("kolada", "local")) -> Dataset:
    """Load and check a data set (see the module docstring for the layout); parts=("kolada",) reads a
    Kolada snapshot alone."""
    root = Path(root)
    kdir, ldir = root / "kolada", root / "local"
    kman = read_manifest(kdir, "kolada")
    kvalues = _read_long_csv(kdir / "values.csv", KOLADA_COLUMNS, "kpi", last_possible_year(kman))
    kvalues = kvalues.rename(columns={"kpi": "indicator"}).assign(file="kolada/values.csv")
    if "local" in parts:
        lman, lvalues = _read_local(ldir)
    else:
        lman, lvalues = {"source": None}, pd.DataFrame(columns=LOCAL_COLUMNS)
    local_sources = {}
    for ind, src in lvalues.groupby("indicator")["source"]:
        local_sources[ind] = "; ".join(sorted(set(src)))
    clash = set(kvalues["indicator"]) & set(lvalues["indicator"])
    if clash:
        raise DataError(
            ldir / "values.csv", "column indicator", f"ids also used by Kolada KPIs: {', '.join(sorted(clash))}"
        )
    keep = ["indicator", *KOLADA_COLUMNS[1:], "file", "line"]
    parts_values = [kvalues[keep]] + ([lvalues[keep]] if len(lvalues) else [])
    values = pd.concat(parts_values, ignore_index=True)
    values = values.sort_values(["indicator", "municipality", "year", "gender"], ignore_index=True)

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
    unknown_kpis = sorted(set(kvalues["indicator"]) - set(kpis))
    if unknown_kpis:
        raise DataError(
            kdir / "values.csv",
            "column kpi",
            f"values for KPIs without metadata in kpis.json: {', '.join(unknown_kpis)}",
        )
    changes = _read_json(kdir / "changes.json") if "changes.json" in kman["files"] else {}
    return Dataset(root, kman, lman, values, kpis, munis, groups, local_sources, changes)


def _read_local(ldir: Path) -> tuple[dict, pd.DataFrame]:
    """The local part of a data set: its manifest and its values."""
    if not ldir.is_dir():
        raise DataError(
            ldir,
            "",
            "missing: the plan's local indicators are read from here. Create "
            "values.csv in the format of data/README.md, then run `make local`",
        )
    lman = read_manifest(ldir, "local")
    lvalues = _read_long_csv(ldir / "values.csv", LOCAL_COLUMNS, "indicator", last_possible_year(lman)).assign(
        file="local/values.csv"
    )
    return lman, lvalues


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


def check_plan_against_data(plan, dataset: Dataset) -> None:
    """Every indicator of the plan has data, the plan's places exist in the data set, and every value is
    possible in its unit (a share within 0–100 %, no negative count). Reports every problem at once."""
    raise_all(
        _place_problems(plan, dataset)
        + _indicator_problems(plan, dataset)
        + _value_problems(plan, dataset)
        + _unknown_local_problems(plan, dataset)
    )


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


def _indicator_problems(plan, dataset: Dataset) -> list[PlanError]:
    """Every Kolada indicator of the plan has metadata, every local indicator has values."""
    kdir = dataset.root / "kolada"
    local_ids = set(dataset.local_sources)
    problems = []
    for i, area in enumerate(plan.goal_areas):
        for j, ind in enumerate(area.indicators):
            key = f"goal_areas[{i}] ({area.slug}).indicators[{j}] ({ind.id})"
            if ind.is_kolada and ind.id not in dataset.kpis:
                problems.append(PlanError(plan.path, key, f"KPI {ind.id} has no entry in {kdir / 'kpis.json'}"))
            if not ind.is_kolada and ind.id not in local_ids:
                problems.append(
                    PlanError(
                        plan.path,
                        key,
                        f"local indicator {ind.id} has no values in {dataset.root / 'local' / 'values.csv'}",
                    )
                )
    return problems


def _value_problems(plan, dataset: Dataset) -> list[DataError]:
    """Values impossible in their unit: a share outside 0–100, a negative value where none can be."""
    units = {ind.id: (ind.unit, ind.title) for _, ind in plan.indicators()}
    v = dataset.values.dropna(subset=["value"])
    problems = []
    for ind_id in sorted(set(v["indicator"])):
        if ind_id in units:
            unit, title = units[ind_id]
        else:
            title = dataset.kpis.get(ind_id, {}).get("title", "")
            unit = unit_of(title)
        rows = v[v["indicator"] == ind_id]
        share = "%" in unit
        for r in rows.itertuples():
            if share and not 0 <= r.value <= 100:
                problems.append(
                    DataError(
                        dataset.root / r.file,
                        f"line {r.line}, column value",
                        f"{r.value:g} is not a share between 0 and 100 ({ind_id}, {unit})",
                    )
                )
            elif r.value < 0 and not can_be_negative(f"{unit} {title}"):
                problems.append(
                    DataError(
                        dataset.root / r.file,
                        f"line {r.line}, column value",
                        f"{r.value:g} is negative, which {ind_id} ({unit}) cannot be",
                    )
                )
    return problems


def _unknown_local_problems(plan, dataset: Dataset) -> list[DataError]:
    """Local values for indicators the plan does not declare."""
    local_ids = set(dataset.local_sources)
    planned = {ind.id for _, ind in plan.indicators()}
    known = ", ".join(sorted(i for i in planned if i in local_ids)) or "none"
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
