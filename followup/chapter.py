"""What the notebooks call: a goal area's analysis and chapter, and the overview, as displayed outputs.

A goal area's notebook loads its context (`load`), computes the area's results once and records them as a
results document (`analyse`, see followup.results), then shows them section by section. The overview
reads the recorded documents (`recorded_results`) and recomputes nothing. Every number in a sentence here
is filled in from computed values; no number is typed by hand.

In the book (`book_output=True`, set by the build) a chart is a MyST figure directive with its alt text and
caption, followed by its numbers as a table in a collapsed "Diagrammets siffror"; under every figure and
table its provenance stays out of the reading flow: on the website in a collapsed "Underlag" (a sphinx-design
dropdown, not printed), in the PDF as one short source line (`only-print`) that points to the appendix,
which lists the full detail from the notebook's provenance record (`record_provenance`). Run by hand in
Jupyter a chart is shown as an image with its caption, numbers and provenance beneath, and charts, tables
and records are written beside the results document, never inside the repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import HTML, SVG, Markdown, display

from . import analysis, assessment, figures, fmt, results, summary
from .commentary import MISSING_ACTIONS
from .constants import (
    EXAMPLE_NOTE,
    FIGURE_DIR,
    OVERVIEW,
    PACE_CLASS,
    PACE_VERDICTS,
    TABLE_DIR,
    UNKNOWN,
    VERDICTS,
)
from .data import (
    Dataset,
    check_plan_against_data,
    choose_root,
    load_dataset,
    sha256_file,
    with_data_breaks,
)
from .errors import FollowupError
from .figures import md_escape
from .plan import Indicator, Plan, load_plan


@dataclass
class Context:
    plan: Plan
    data: Dataset
    year: int
    municipality: str
    commentary_dir: Path
    results_dir: Path | None = None  # None: a goal area records in results.default_dir(year)
    book_output: bool = False  # True in the build: figures as MyST directives, files beside the notebook
    chapter: str = OVERVIEW  # the notebook's chapter (a goal area's slug once analysed): its provenance record
    provenance: list[dict] = field(default_factory=list)  # the entries recorded so far (record_provenance)

    @classmethod
    def load(
        cls,
        plan_path,
        data_dir,
        report_year: int | None = None,
        municipality: str | None = None,
        commentary_dir="../book/commentary",
        results_dir=None,
        book_output: bool = False,
    ) -> Context:
        """Load and check the plan and the data set a build would use (data_dir: a data set, or a folder
        whose real snapshot is used when there is one and its example data otherwise)."""
        ds = load_dataset(choose_root(Path(data_dir)))
        plan = with_data_breaks(load_plan(plan_path), ds)
        check_plan_against_data(plan, ds, warn=not book_output)  # in a build, the main process has warned
        municipality = municipality or plan.municipality.id
        if municipality != plan.municipality.id:
            raise FollowupError(
                f"municipality {municipality!r}: the plan {plan_path} is for "
                f"{plan.municipality.name} ({plan.municipality.id})"
            )
        figures.setup()
        year = ds.latest_year if report_year is None else int(report_year)
        return cls(
            plan,
            ds,
            year,
            municipality,
            Path(commentary_dir),
            None if results_dir is None else Path(results_dir),
            bool(book_output),
        )

    @property
    def area_results_dir(self) -> Path:
        """Where a goal area's notebook records its results document."""
        return self.results_dir if self.results_dir is not None else results.default_dir(self.year)

    @property
    def files(self) -> Path:
        """Where charts and tables are written: beside the executed notebook in the book, else beside the
        results (never inside the repository)."""
        return Path(".") if self.book_output else self.area_results_dir

    def example_note(self) -> str:
        return f" **{EXAMPLE_NOTE}.**" if self.data.is_example else ""


load = Context.load


def analyse(ctx: Context, slug: str) -> dict:
    """Compute the goal area's results once and record them as its results document."""
    doc = results.area_document(ctx.data, ctx.plan, slug, ctx.year, ctx.commentary_dir)
    ctx.chapter, ctx.provenance = slug, []
    path = results.write_document(doc, ctx.area_results_dir)
    if not ctx.book_output:
        print(f"Resultaten för {slug} {ctx.year} är sparade i {path}")
    return doc


def recorded_results(ctx: Context) -> dict[str, dict]:
    """The goal areas' recorded documents the overview shows: from ctx.results_dir when given (the build's),
    else the newest recorded (the last build's, or the goal-area notebooks run by hand), which it names."""
    folder = ctx.results_dir
    if folder is None:
        repo = Path(ctx.plan.path).resolve().parent.parent
        folder, where = results.latest_recorded(repo, ctx.year)
        display(Markdown(f"Översikten visar resultaten från {md_escape(where)}."))
    slugs = results.recorded_slugs(folder, ctx.plan.slugs)
    if not slugs:
        raise results.ResultsError(
            f"{folder}: no recorded results for {ctx.year}: run the goal areas' notebooks (or make report) first"
        )
    return results.read_documents(folder, slugs, ctx.year)


SHORT_IDS = 6  # a print line names at most this many Kolada ids (the appendix names them all)


def source_line(ctx: Context, indicators) -> str:
    """The short source of a figure or table, as plain text: "Källa: Kolada N15428 (SCB); egen beräkning."
    (Kolada's ids and their original producers, each name once; the local suppliers; our own computation)."""
    kolada = [i for i in indicators if i.is_kolada]
    local = [i for i in indicators if not i.is_kolada]
    parts = []
    if kolada:
        what = "exempeldata i Koladas format" if ctx.data.is_example else "Kolada"
        if len(kolada) <= SHORT_IDS:
            producers = analysis.source_names(ctx.data.producer(i.id) for i in kolada)
            parts.append(f"{what} {', '.join(i.id for i in kolada)}" + (f" ({producers})" if producers else ""))
        else:
            parts.append(f"{what}, {len(kolada)} nyckeltal")
    if local:
        suppliers = analysis.source_names(ctx.data.local_sources.get(i.id, i.supplier) for i in local)
        parts.append(f"lokala uppgifter från {suppliers}")
    parts.append("egen beräkning")
    return "Källa: " + "; ".join(parts) + "."


def provenance_entry(
    ctx: Context, kind: str, name: str, title: str, indicators, function: str, path: Path, numbers: Path | None = None
) -> dict:
    """What is known of where a figure or table (kind "figure" or "table", `name` its label) came from: its
    sources, the checksum of the data rows it read, the function that computed it, its file and the file of
    a chart's numbers with their sha256 (paths relative to the notebook's folder); with the Markdown the
    "Underlag" element and the appendix show (`title_md`, `details_md`)."""
    kolada = [i.id for i in indicators if i.is_kolada]
    local = [i.id for i in indicators if not i.is_kolada]
    producers = analysis.source_names(ctx.data.producer(i) for i in kolada)
    # The rows it read, not the whole snapshot: a change to another goal area's data leaves it as it was.
    rows = ctx.data.rows_sha256(i.id for i in indicators)
    parts = []
    if kolada:
        what = "exempeldata i Koladas format" if ctx.data.is_example else "Kolada"
        parts.append(f"{what} {', '.join(kolada)}, hämtade {ctx.data.retrieved[:10]}")
        if producers:
            parts.append(f"ursprunglig producent {producers}")
    if local:
        where = "i local/values.csv" if ctx.data.local_delivered else "har inte levererats"
        parts.append(f"lokala uppgifter ({', '.join(local)}) {where}")
    parts.append(f"radernas kontrollsumma {rows[:16]}")
    entry = {
        "kind": kind,
        "name": name,
        "label": appendix_label(name),
        "title": title,
        "source": source_line(ctx, indicators),
        "kolada": kolada,
        "producers": producers,
        "local": local,
        "local_delivered": ctx.data.local_delivered if local else None,
        "retrieved": ctx.data.retrieved,
        "rows_sha256": rows,
        "function": function,
        "file": _relative(ctx, path),
        "sha256": sha256_file(path),
        "title_md": md_escape(title),
        "details_md": md_escape("; ".join(parts)),
    }
    if numbers is not None:
        entry["numbers_file"] = _relative(ctx, numbers)
        entry["numbers_sha256"] = sha256_file(numbers)
    return entry


def _relative(ctx: Context, path: Path) -> str:
    return Path(path).relative_to(ctx.files).as_posix()


def record_provenance(ctx: Context, entry: dict) -> Path:
    """Add an entry to the notebook's provenance record (<files>/provenance/<chapter>.json, rewritten whole:
    it is complete whenever the notebook stops); an entry of the same name replaces the earlier one."""
    ctx.provenance = [e for e in ctx.provenance if e["name"] != entry["name"]] + [entry]
    return results.write_provenance(ctx.chapter, ctx.provenance, ctx.files)


def underlag_text(entry: dict) -> str:
    """The full provenance of a figure or table as MyST Markdown (in its "Underlag" element)."""
    text = (
        f"{md_escape(entry['source'])} Underlag: {entry['details_md']}. Beräkning: `{entry['function']}`. "
        f"Fil: `{Path(entry['file']).name}`, sha256 `{entry['sha256'][:16]}`."
    )
    if "numbers_file" in entry:
        text += f" Diagrammets siffror: `{Path(entry['numbers_file']).name}`, sha256 `{entry['numbers_sha256'][:16]}`."
    return text


def appendix_label(name: str) -> str:
    """The appendix's target for a figure's or table's full provenance."""
    return f"underlag-{name}"


def dropdown(title: str, body: str, css: str) -> str:
    """A collapsed element on the website (sphinx-design: a <details> with its <summary>), never printed."""
    return f"::::{{dropdown}} {title}\n:class-container: only-screen {css}\n\n{body}\n::::\n"


def provenance_markdown(ctx: Context, entry: dict, source_shown: bool = False) -> str:
    """Under a figure or table: in the book, the full provenance collapsed ("Underlag", website only) and one
    short line for the PDF that points to the appendix (without the source when `source_shown`: a chart's
    caption names it already); run by hand, the provenance as a paragraph."""
    if not ctx.book_output:
        return underlag_text(entry)
    see = "Se även {doc}`Om rapporten <../om-rapporten>`."
    source = "" if source_shown else f"{md_escape(entry['source'])} "
    printed = f"{source}Underlag: {{ref}}`bilagan <{entry['label']}>`."
    return (
        dropdown("Underlag", f"{underlag_text(entry)} {see}", "followup-underlag")
        + f"\n:::{{container}} only-print followup-kalla\n{printed}\n:::\n"
    )


def _peer_names(ctx: Context) -> str:
    group = ctx.data.groups[ctx.plan.peer_group.id]
    return ", ".join(m["member_title"] for m in group["members"])


def show_definitions(ctx: Context, slug: str) -> None:
    """Each indicator's title and description as Kolada gives them (text, never markup)."""
    area = ctx.plan.area(slug)
    items = []
    for ind in area.indicators:
        if ind.is_kolada:
            meta = ctx.data.kpis.get(ind.id, {})
            title = meta.get("title", ind.title)
            text = " ".join(str(meta.get("description") or "").replace("\\n", " ").split())
            ended = " Nyckeltalet har upphört i Kolada." if ind.id in ctx.data.removed_kpis else ""
            items.append(f"{ind.id}\n: **{md_escape(title)}** ({md_escape(ind.unit)}). {md_escape(text)}{ended}")
        else:
            items.append(
                f"{md_escape(ind.id)}\n: **{md_escape(ind.title)}** ({md_escape(ind.unit)}). Lokal "
                f"uppgift från {md_escape(ctx.data.local_sources.get(ind.id, ind.supplier))}."
            )
    display(Markdown("\n\n".join(items)))


def show_changes(ctx: Context) -> None:
    """What the last fetch from Kolada found changed since the snapshot before it."""
    ch = ctx.data.changes
    if not ch or ch.get("previous_retrieved") is None:
        source = "exempeldata" if ctx.data.is_example else "den första hämtningen"
        display(Markdown(f"Det finns ingen tidigare hämtning att jämföra med (rapporten bygger på {source})."))
        return
    prev, now = ch["previous_retrieved"][:10], ctx.data.retrieved[:10]
    kinds = ("revised_values", "renamed_kpis", "removed_kpis", "group_changes")
    if not any(ch.get(k) for k in kinds):
        display(Markdown(f"Hämtningen {now} hittade inga ändringar jämfört med hämtningen {prev}."))
        return
    display(Markdown(f"Hämtningen {now} jämförd med hämtningen {prev}."))
    if ch["renamed_kpis"]:
        rows = [
            {
                "Nyckeltal": r["kpi"],
                "Tidigare titel": r["old"],
                "Ny titel": r["new"],
                "Tidsseriebrott": "ja, enheten ändrades" if r["unit_changed"] else "nej",
            }
            for r in ch["renamed_kpis"]
        ]
        renamed = [ind for _, ind in ctx.plan.indicators() if ind.id in {r["kpi"] for r in ch["renamed_kpis"]}]
        _table(
            ctx,
            pd.DataFrame(rows),
            "tab-andringar-titlar",
            "Nyckeltal med ändrad titel",
            renamed,
            "followup.fetch.compare",
        )
        display(Markdown("Där enheten ändrades jämförs värdena inte över brottet."))
    if ch["removed_kpis"]:
        lines = [
            f"- {r['kpi']} {md_escape(r['title'])}: kan ej bedömas – nyckeltalet har upphört"
            for r in ch["removed_kpis"]
        ]
        display(Markdown("Nyckeltal som Kolada inte längre har:\n\n" + "\n".join(lines)))
    for g in ch["group_changes"]:
        added = ", ".join(md_escape(m["title"]) for m in g["added"]) or "inga"
        removed = ", ".join(md_escape(m["title"]) for m in g["removed"]) or "inga"
        display(Markdown(f"Gruppen {g['group']} har ändrade medlemmar. Nya: {added}. Borttagna: {removed}."))
    if ch["revised_values"]:
        shown_places = {ctx.plan.municipality.id, ctx.plan.comparison.id}
        names = ctx.data.municipalities
        units = {ind.id: ind for _, ind in ctx.plan.indicators()}
        rows = []
        for r in ch["revised_values"]:
            if r["municipality"] not in shown_places or r["gender"] != "T":
                continue
            ind = units.get(r["kpi"])
            d, unit = (ind.decimals, ind.unit) if ind else (1, "")
            rows.append(
                {
                    "Nyckeltal": r["kpi"],
                    "Kommun": names.get(r["municipality"], r["municipality"]),
                    "År": str(r["year"]),
                    "Tidigare värde": fmt.value(r["old"], unit, d),
                    "Nytt värde": fmt.value(r["new"], unit, d),
                }
            )
        others = len(ch["revised_values"]) - len(rows)
        if rows:
            revised = [ind for _, ind in ctx.plan.indicators() if ind.id in {r["Nyckeltal"] for r in rows}]
            _table(
                ctx,
                pd.DataFrame(rows),
                "tab-andringar-varden",
                f"Reviderade värden för {ctx.plan.municipality.name} och {ctx.plan.comparison.name.lower()}",
                revised,
                "followup.fetch.compare",
            )
        display(
            Markdown(
                f"Kolada har reviderat {len(ch['revised_values'])} värden sedan förra hämtningen"
                + (f", varav {others} för liknande kommuner eller uppdelat på kön." if others else ".")
            )
        )


def _write_csv(ctx: Context, df: pd.DataFrame, name: str) -> Path:
    """A table as a published CSV file (tables/<name>.csv beside the notebook)."""
    path = ctx.files / TABLE_DIR / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(df.to_csv(index=False, lineterminator="\n"), encoding="utf-8", newline="\n")
    return path


def _table(ctx: Context, df: pd.DataFrame, table_id: str, caption: str, indicators, function: str) -> None:
    """Show a table, write it as a CSV file (a published file with a hash) and record where it came from."""
    path = _write_csv(ctx, df, table_id)
    display(HTML(analysis.table_html(df, table_id, caption)))
    entry = provenance_entry(ctx, "table", table_id, caption, indicators, function, path)
    record_provenance(ctx, entry)
    display(Markdown(provenance_markdown(ctx, entry)))


def chart_numbers(table: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """A chart's numbers (its `table`: "År", then a column per line drawn) as Swedish display strings."""
    if list(table.columns[:1]) != ["År"]:
        raise FollowupError(f"a chart's table of {ind.id}: the first column must be 'År', got {list(table.columns)}")
    shown = pd.DataFrame({"År": [str(int(y)) for y in table["År"]]})
    for column in table.columns[1:]:
        shown[column] = [ind.show(v) for v in table[column]]
    return shown


def _show_figure(ctx: Context, fig: figures.Figure, ind: Indicator, title: str, function: str) -> None:
    """A chart: a MyST figure in the book, with its numbers as a table and its provenance collapsed under it;
    an image with its caption, its numbers and its provenance when run by hand. The numbers (the figure's
    `table`) are also written as tables/<figure>.csv, a published file."""
    if fig.table is None:  # the chart's text alternative: never left out without a word
        raise FollowupError(f"{fig.name}: the chart has no numbers (figures.Figure.table) to show under it")
    numbers = _write_csv(ctx, fig.table, fig.name)
    entry = provenance_entry(ctx, "figure", fig.name, title, [ind], function, fig.path, numbers)
    record_provenance(ctx, entry)
    caption = f"Diagrammets siffror: {title}, {ind.unit}"
    shown = analysis.table_html(chart_numbers(fig.table, ind), f"{fig.name}-siffror", caption)
    if ctx.book_output:
        parts = [
            fig.directive(Path(".")),
            dropdown("Diagrammets siffror", _html_block(shown), "followup-siffror"),
            provenance_markdown(ctx, entry, source_shown="Källa:" in fig.caption),
        ]
        display(Markdown("\n".join(parts)))
    else:
        display(SVG(filename=str(fig.path)))
        display(Markdown(fig.caption))
        display(HTML(shown))
        display(Markdown(provenance_markdown(ctx, entry)))


def _html_block(html_text: str) -> str:
    """HTML as one raw block inside MyST Markdown: a blank line would end the block, so none is left."""
    return "\n".join(line for line in html_text.splitlines() if line.strip())


def _show(r: dict, value) -> str:
    """A value of an indicator record in its unit's form."""
    return fmt.value(value, r["unit"], r["decimals"])


def _area_indicators(ctx: Context, doc: dict) -> list[tuple[Indicator, dict]]:
    area = ctx.plan.area(doc["goal_area"]["slug"])
    return list(zip(area.indicators, doc["indicators"], strict=True))


def show_assessment(ctx: Context, doc: dict) -> None:
    """The goal area's verdict with its rule, and each indicator's verdict with its rule and inputs."""
    g = doc["goal_area"]
    slug, area = g["slug"], ctx.plan.area(g["slug"])
    lines = [f"**Bedömning {ctx.year}: {assessment.label(g['shown'])}.** {md_escape(g['met_text'])}."]
    if g["override"]:
        lines.append(
            f"Beräknad bedömning: {assessment.label(g['verdict'])}. Bedömningen har justerats av "
            f"analytiker. Motivering: {md_escape(g['justification'])}"
        )
    lines.append(md_escape(g["wording"]))
    display(Markdown("\n\n".join(lines)))
    rows = [
        {
            "Indikator": r["short_title"],
            "Bedömning": assessment.label(r["verdict"]["verdict"]),
            "Bedömt år": str(r["verdict"]["year"]) if r["verdict"]["year"] else fmt.DASH,
            "Regel och underlag": r["verdict"]["wording"],
        }
        for r in doc["indicators"]
    ]
    _table(
        ctx,
        pd.DataFrame(rows),
        f"tab-{slug}-bedomning",
        f"Bedömning av indikatorerna för {area.title} {ctx.year}",
        area.indicators,
        "followup.assessment.assess",
    )
    pace = any(r["verdict"]["verdict"] in PACE_VERDICTS for r in doc["indicators"])
    display(
        Markdown(
            "Varje indikator bedöms på det senaste året med värde till och med "
            f"{ctx.year}. Symbolerna: ✔ uppfyllt, ◐ delvis uppfyllt, ✘ ej uppfyllt, ? kan ej bedömas."
            + (
                " Ett mål för hela planperioden bedöms före periodens sista år på takten: ↗ i fas, → delvis i fas, "
                "↘ ej i fas."
                if pace
                else ""
            )
            + ctx.example_note()
        )
    )


INDICATOR_COLUMNS = [
    "Indikator",
    "Enhet",
    "Senaste värde (år)",
    "Föregående värde (år)",
    "Förändring",
    "Riket",
    "Liknande kommuner, medel",
    "Rang bland liknande",
    "Plats bland alla kommuner",
    "Kommentar",
]


def _value_year(r: dict, p: dict | None) -> str:
    return f"{_show(r, p['value'])} ({p['year']})" if p else fmt.DASH


def _peers_text(r: dict) -> str:
    peers = r["peers"]
    if peers is not None:
        text = _show(r, peers["value"])
        if peers["n"] and peers["n"] < peers["of"]:
            return text + f" ({peers['n']} av {peers['of']})"
        return text if peers["n"] else f"{fmt.DASH} (inga värden)"
    if r["latest"] is not None and r["source"] != "kolada":
        return f"{fmt.DASH} (lokal uppgift)"
    return fmt.DASH


def national_place(r: dict) -> str:
    """ "57 av 287 ▲ bästa fjärdedelen" (a mark and words, never colour alone); local indicators have none."""
    rank = r.get("national_rank")
    if rank is None:
        return fmt.DASH
    mark, words = analysis.QUARTILES[rank["quartile"]]
    return f"{rank['place']} av {rank['of']} {mark} {words}"


def indicator_table(records: list[dict]) -> pd.DataFrame:
    """The goal area's indicator table as Swedish display strings, one row per indicator record."""
    rows = []
    for r in records:
        national = _show(r, r["national"]["value"]) if r["national"] else fmt.DASH
        if national == fmt.DASH and r["national_reason"]:
            national += f" ({r['national_reason']})"
        rows.append(
            {
                "Indikator": r["short_title"],
                "Enhet": r["unit"],
                "Senaste värde (år)": _value_year(r, r["latest"]),
                "Föregående värde (år)": _value_year(r, r["previous"]),
                "Förändring": fmt.value_change(r["change"], r["unit"], r["decimals"]),
                "Riket": national,
                "Liknande kommuner, medel": _peers_text(r),
                "Rang bland liknande": f"{r['rank'][0]} av {r['rank'][1]}" if r["rank"] else fmt.DASH,
                "Plats bland alla kommuner": national_place(r),
                "Kommentar": r["missing_note"],
            }
        )
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def show_indicator_table(ctx: Context, doc: dict) -> None:
    slug = doc["goal_area"]["slug"]
    area = ctx.plan.area(slug)
    table = indicator_table(doc["indicators"])
    caption = f"Indikatorer för {area.title}, {ctx.plan.municipality.name}, senaste värde till och med {ctx.year}"
    # Why values are missing goes in a list under the table (a column would make the table too wide).
    _table(
        ctx,
        table.drop(columns=["Kommentar"]),
        f"tab-{slug}-indikatorer",
        caption,
        area.indicators,
        "followup.analysis.summarise",
    )
    missing = [
        f"- {md_escape(row['Indikator'])}: {md_escape(row['Kommentar'])}"
        for _, row in table.iterrows()
        if row["Kommentar"]
    ]
    notes = ["Värden som saknas:\n\n" + "\n".join(missing)] if missing else []
    notes += [
        f"{md_escape(r['short_title'])} publiceras vartannat år; åren emellan saknas inte utan har inget värde. "
        f"Förändringen jämförs med föregående publicerade värde."
        for r in doc["indicators"]
        if r.get("biennial")
    ]
    notes.append(
        "Förändring mot föregående år med värde; för andelar i procentenheter (p.e.). "
        "Riket och liknande kommuner avser samma år som det senaste värdet; rang 1 är bäst. "
        "Plats bland alla kommuner: bland alla kommuner med ett värde samma år (lika värden delar den bättre "
        "platsen); ▲ bästa fjärdedelen, ● mellersta hälften, ▼ sämsta fjärdedelen. "
        "Liknande kommuner: " + md_escape(_peer_names(ctx)) + "."
    )
    display(Markdown("\n\n".join(notes) + ctx.example_note()))


def show_directions(ctx: Context, doc: dict) -> None:
    """Direction of travel, kept apart from the verdict: against the previous value and the period's start."""
    slug = doc["goal_area"]["slug"]
    area = ctx.plan.area(slug)
    rows = []
    for ind, r in _area_indicators(ctx, doc):
        rows.append(
            {
                "Indikator": ind.short_title,
                "Mot föregående värde": r["directions"]["previous"]["text"],
                f"Mot planperiodens start ({ctx.plan.period_start})": r["directions"]["period_start"]["text"],
                "Gräns för oförändrad": fmt.value_change(ind.unchanged_within, ind.unit, ind.decimals).lstrip("+")
                if ind.unchanged_within
                else "0",
            }
        )
    _table(
        ctx,
        pd.DataFrame(rows),
        f"tab-{slug}-riktning",
        f"Utvecklingsriktning för {area.title}",
        area.indicators,
        "followup.assessment.directions",
    )
    display(
        Markdown(
            "Bättre eller sämre efter indikatorns riktning; en förändring inom gränsen räknas som "
            "oförändrad. Över ett tidsseriebrott jämförs inte värdena." + ctx.example_note()
        )
    )


def show_gender(ctx: Context, doc: dict) -> None:
    """Women and men, and the gap, for the indicators that have the split."""
    slug = doc["goal_area"]["slug"]
    area = ctx.plan.area(slug)
    rows, split = [], []
    for ind, r in _area_indicators(ctx, doc):
        g = r["gender"]
        if g is None:
            continue
        split.append(ind)
        rows.append(
            {
                "Indikator": ind.short_title,
                "År": str(g["year"]),
                "Kvinnor": ind.show(g["women"]),
                "Män": ind.show(g["men"]),
                "Skillnad (kvinnor − män)": fmt.value_change(g["women"] - g["men"], ind.unit, ind.decimals),
            }
        )
    if not rows:
        display(Markdown("Inga av målområdets indikatorer redovisas för kvinnor och män."))
        return
    _table(
        ctx,
        pd.DataFrame(rows),
        f"tab-{slug}-kon",
        f"Kvinnor och män, {area.title}, senaste år med värden",
        split,
        "followup.analysis.gender_split",
    )
    if ctx.data.is_example:
        display(Markdown(ctx.example_note().strip()))


def change_sentence(ctx: Context, ind: Indicator, r: dict) -> str:
    """ "Värdet ökade från 78,1 % år 2024 till 81,3 % år 2025." from the recorded values."""
    last, prev = r["latest"], r["previous"]
    if last is None:
        return f"{ind.short_title}: inget värde till och med {ctx.year}."
    now = f"{ind.show(last['value'])} år {last['year']}"
    if prev is None:
        return f"{ind.short_title}: {now}; inget tidigare värde att jämföra med."
    before = f"{ind.show(prev['value'])} år {prev['year']}"
    if ind.show(last["value"]) == ind.show(prev["value"]):
        return f"{ind.short_title}: värdet var oförändrat, {now}."
    verb = "ökade" if last["value"] > prev["value"] else "minskade"
    return f"{ind.short_title}: värdet {verb} från {before} till {now}."


def show_trends(ctx: Context, doc: dict) -> None:
    slug = doc["goal_area"]["slug"]
    area = ctx.plan.area(slug)
    out_dir = ctx.files / FIGURE_DIR / slug
    for ind, r in _area_indicators(ctx, doc):
        display(Markdown(md_escape(change_sentence(ctx, ind, r))))
        fig = figures.trend_chart(ctx.data, ctx.plan, area, ind, ctx.year, out_dir)
        _show_figure(ctx, fig, ind, ind.short_title, "followup.figures.trend_chart")
        if ind.target.rule == "cumulative":
            fig = figures.cumulative_chart(ctx.data, ctx.plan, area, ind, ctx.year, out_dir)
            display(Markdown(md_escape(r["verdict"]["wording"])))
            _show_figure(ctx, fig, ind, f"{ind.short_title}, sammanlagt", "followup.figures.cumulative_chart")


def show_missing_actions(ctx: Context, doc: dict) -> None:
    """Run by hand: a visible "Åtgärder saknas" where the goal area is judged "ej uppfyllt" and its commentary
    describes no actions. (In the book the build writes it into the commentary's Markdown after execution, so
    that its heading stays a section of the chapter.)"""
    if doc["goal_area"]["commentary"]["missing_actions"] and not ctx.book_output:
        display(Markdown(MISSING_ACTIONS.format(year=ctx.year)))


OVERVIEW_COLUMNS = ["Målområde", "Indikator", "Bedömning", "Senaste värde", "År", "Förändring", "Riket"]


def _overview_rows(docs: dict[str, dict]) -> tuple[list[dict], list[dict], list[dict]]:
    goal_rows, matrix, rows = [], [], []
    for doc in docs.values():
        g, records = doc["goal_area"], doc["indicators"]
        shown = assessment.label(g["shown"]) + (" (justerad)" if g["override"] else "")
        goal_rows.append(
            {
                "Målområde": g["title"],
                "Bedömning": shown,
                "Indikatorer": g["met_text"],
                "Kan ej bedömas": str(g["counts"][UNKNOWN]),
            }
        )
        cells = {assessment.label(v): _matrix_cell(records, v) for v in VERDICTS}
        matrix.append({"Målområde": g["title"], **cells})
        for r in records:
            latest = r["latest"]
            rows.append(
                {
                    "Målområde": g["title"],
                    "Indikator": r["short_title"],
                    "Bedömning": assessment.label(r["verdict"]["verdict"]),
                    "Senaste värde": _show(r, latest["value"]) if latest else fmt.DASH,
                    "År": str(latest["year"]) if latest else fmt.DASH,
                    "Förändring": fmt.value_change(r["change"], r["unit"], r["decimals"]),
                    "Riket": _show(r, r["national"]["value"]) if r["national"] else fmt.DASH,
                }
            )
    return goal_rows, matrix, rows


def _matrix_cell(records: list[dict], verdict: str) -> str:
    """The indicators with this verdict; a pace verdict stands in its class's column, named as such."""
    names = []
    for r in records:
        v = r["verdict"]["verdict"]
        if v == verdict:
            names.append(r["short_title"])
        elif PACE_CLASS.get(v) == verdict:
            names.append(f"{r['short_title']} ({v})")
    return "; ".join(names) or fmt.DASH


def quartile_sentence(docs: dict[str, dict], municipality: str) -> str:
    """How many indicators place the municipality in each quartile among all municipalities."""
    records = [r for doc in docs.values() for r in doc["indicators"]]
    n = {q: sum(1 for r in records if (r.get("national_rank") or {}).get("quartile") == q) for q in analysis.QUARTILES}
    (b_mark, best), (m_mark, middle), (w_mark, worst) = analysis.QUARTILES.values()
    none = len(records) - sum(n.values())
    return (
        f"Bland alla kommuner ligger {municipality} i {best} ({b_mark}) för {n['best']} indikatorer, i {middle} "
        f"({m_mark}) för {n['middle']} och i {worst} ({w_mark}) för {n['worst']}; {none} har ingen plats "
        f"(lokala uppgifter eller inget värde för alla kommuner)."
    )


def show_overview(ctx: Context, docs: dict[str, dict]) -> None:
    """Every recorded goal area's verdict, the indicators' verdicts per goal area, and all indicators."""
    if len(docs) < len(ctx.plan.slugs):
        titles = ", ".join(doc["goal_area"]["title"] for doc in docs.values())
        display(Markdown(md_escape(f"Översikten omfattar {len(docs)} av {len(ctx.plan.slugs)} målområden: {titles}.")))
    goal_rows, matrix, rows = _overview_rows(docs)
    all_inds = [ind for slug in docs for ind in ctx.plan.area(slug).indicators]
    _table(
        ctx,
        pd.DataFrame(goal_rows),
        "tab-oversikt-malomraden",
        f"Målområdenas bedömning {ctx.year}, {ctx.plan.municipality.name}",
        all_inds,
        "followup.assessment.roll_up",
    )
    display(
        Markdown(
            md_escape(
                summary.count_sentence(summary.counts(docs)) + " " + quartile_sentence(docs, ctx.plan.municipality.name)
            )
            + ctx.example_note()
        )
    )
    _table(
        ctx,
        pd.DataFrame(matrix),
        "tab-oversikt-matris",
        f"Indikatorernas bedömning per målområde {ctx.year}",
        all_inds,
        "followup.assessment.assess",
    )
    _table(
        ctx,
        pd.DataFrame(rows, columns=OVERVIEW_COLUMNS),
        "tab-oversikt",
        f"Alla målområden och deras indikatorer, {ctx.plan.municipality.name}, senaste värde till och med {ctx.year}",
        all_inds,
        "followup.analysis.summarise",
    )
    if ctx.data.is_example:
        display(Markdown(ctx.example_note().strip()))
