"""What the notebooks call: a goal area's chapter and the overview, as displayed outputs.

The notebooks stay thin: they load a context with their parameters and call one function per section.
Every number in a sentence here is filled in from computed values; no number is typed by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from . import analysis, assessment, figures, fmt
from .commentary import load_commentary
from .data import EXAMPLE_NOTE, Dataset, check_plan_against_data, load_dataset, sha256_file, with_data_breaks
from .errors import FollowupError
from .figures import md_escape
from .plan import GoalArea, Plan, load_plan

FIGURE_DIR = "figures"  # relative to the executed notebook


@dataclass
class Context:
    plan: Plan
    data: Dataset
    year: int
    municipality: str
    commentary_dir: Path

    @classmethod
    def load(cls, plan_path, data_dir, report_year: int, municipality: str, commentary_dir) -> "Context":
        ds = load_dataset(data_dir)
        plan = with_data_breaks(load_plan(plan_path), ds)
        check_plan_against_data(plan, ds)
        if municipality != plan.municipality.id:
            raise FollowupError(f"municipality {municipality!r}: the plan {plan_path} is for "
                                f"{plan.municipality.name} ({plan.municipality.id})")
        figures.setup()
        return cls(plan, ds, int(report_year), municipality, Path(commentary_dir))

    def summaries(self, area: GoalArea) -> list[analysis.IndicatorSummary]:
        return [analysis.summarise(self.data, self.plan, ind, self.year, self.municipality)
                for ind in area.indicators]

    def verdicts(self, area: GoalArea) -> tuple[list[assessment.Verdict], assessment.GoalVerdict]:
        verdicts = [assessment.assess(self.data, self.plan, ind, self.year) for ind in area.indicators]
        c = load_commentary(self.commentary_dir, self.year, area.slug)
        return verdicts, assessment.roll_up(area, verdicts, c.override, c.justification)

    def example_note(self) -> str:
        return f" **{EXAMPLE_NOTE}.**" if self.data.is_example else ""


def goal_verdict(commentary_dir, plan: Plan, ds: Dataset, year: int, area: GoalArea) -> assessment.GoalVerdict:
    """The goal area's verdict as shown (with the analyst's override, if any): used by the build too."""
    ctx = Context(plan, ds, year, plan.municipality.id, Path(commentary_dir))
    return ctx.verdicts(area)[1]


def sources_paragraph(ctx: Context, indicators) -> str:
    """The source note under a table: Kolada ids with producers, local suppliers, our own computations."""
    kolada = [i for i in indicators if i.is_kolada]
    local = [i for i in indicators if not i.is_kolada]
    parts = []
    if kolada:
        ids = ", ".join(i.id for i in kolada)
        producers = sorted({p for p in (ctx.data.producer(i.id) for i in kolada) if p})
        text = f"Källa: Kolada ({ids})"
        if producers:
            text += f", ursprunglig producent {', '.join(producers)}"
        parts.append(text + ".")
    for i in local:
        parts.append(f"Källa för {i.short_title.lower()}: {ctx.data.local_sources.get(i.id, i.supplier)}.")
    parts.append("Förändring, medelvärde och rang bland liknande kommuner, bedömningar: egen beräkning på data "
                 "från Kolada.")
    return md_escape(" ".join(parts))


TABLE_DIR = "tables"  # relative to the executed notebook


def provenance(ctx: Context, indicators, function: str, path: Path) -> str:
    """Under a figure or table: its source and snapshot, the function that computed it, its file's hash."""
    kolada = [i.id for i in indicators if i.is_kolada]
    local = [i for i in indicators if not i.is_kolada]
    parts = []
    if kolada:
        what = "exempeldata i Koladas format" if ctx.data.is_example else "Kolada"
        parts.append(f"{what} {', '.join(kolada)}, hämtade {ctx.data.retrieved[:10]}, ögonblicksbild "
                     f"{ctx.data.snapshot_id}")
    if local:
        parts.append(f"lokala uppgifter ({', '.join(i.id for i in local)}) i local/values.csv, {ctx.data.local_id}")
    digest = sha256_file(path)[:16]
    return (f"Underlag: {md_escape('; '.join(parts))}. Beräkning: `{function}`. "
            f"Fil: `{path.name}`, sha256 `{digest}` (se {{doc}}`Om rapporten <../om-rapporten>`).")


def _table(ctx: Context, df: pd.DataFrame, table_id: str, caption: str, indicators, function: str) -> None:
    """Show a table, write it as a CSV file (a published file with a hash) and say where it came from."""
    path = Path(TABLE_DIR) / f"{table_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(df.to_csv(index=False, lineterminator="\n"), encoding="utf-8", newline="\n")
    display(HTML(analysis.table_html(df, table_id, caption)))
    display(Markdown(provenance(ctx, indicators, function, path)))


def show_assessment(ctx: Context, slug: str) -> None:
    """The goal area's verdict with its rule, and each indicator's verdict with its rule and inputs."""
    area = ctx.plan.area(slug)
    verdicts, goal = ctx.verdicts(area)
    lines = [f"**Bedömning {ctx.year}: {assessment.label(goal.shown)}.** {md_escape(goal.met_text)}."]
    if goal.override:
        lines.append(f"Beräknad bedömning: {assessment.label(goal.verdict)}. Bedömningen har justerats av "
                     f"analytiker. Motivering: {md_escape(goal.justification)}")
    lines.append(md_escape(goal.wording))
    display(Markdown("\n\n".join(lines)))
    rows = [{"Indikator": v.indicator.short_title, "Bedömning": assessment.label(v.verdict),
             "Bedömt år": str(v.year) if v.year else fmt.DASH, "Regel och underlag": v.wording}
            for v in verdicts]
    _table(ctx, pd.DataFrame(rows), f"tab-{slug}-bedomning",
           f"Bedömning av indikatorerna för {area.title} {ctx.year}", area.indicators,
           "followup.assessment.assess")
    display(Markdown("Varje indikator bedöms på det senaste året med värde till och med "
                     f"{ctx.year}. Symbolerna: ✔ uppfyllt, ◐ delvis uppfyllt, ✘ ej uppfyllt, ? kan ej bedömas."
                     + ctx.example_note()))


def show_indicator_table(ctx: Context, slug: str) -> None:
    area = ctx.plan.area(slug)
    table = analysis.indicator_table_display(ctx.summaries(area))
    caption = f"Indikatorer för {area.title}, {ctx.plan.municipality.name}, senaste värde till och med {ctx.year}"
    # Why values are missing goes in a list under the table (a column would make the table too wide).
    _table(ctx, table.drop(columns=["Kommentar"]), f"tab-{slug}-indikatorer", caption, area.indicators,
           "followup.analysis.summarise")
    missing = [f"- {md_escape(row['Indikator'])}: {md_escape(row['Kommentar'])}"
               for _, row in table.iterrows() if row["Kommentar"]]
    notes = ["Värden som saknas:\n\n" + "\n".join(missing)] if missing else []
    notes.append(sources_paragraph(ctx, area.indicators))
    notes.append("Förändring mot föregående år med värde; för andelar i procentenheter (p.e.). "
                 "Riket och liknande kommuner avser samma år som det senaste värdet; rang 1 är bäst. "
                 "Liknande kommuner: " + md_escape(_peer_names(ctx)) + ".")
    display(Markdown("\n\n".join(notes) + ctx.example_note()))


def _peer_names(ctx: Context) -> str:
    group = ctx.data.groups[ctx.plan.peer_group.id]
    return ", ".join(m["member_title"] for m in group["members"])


def show_directions(ctx: Context, slug: str) -> None:
    """Direction of travel, kept apart from the verdict: against the previous value and the period's start."""
    area = ctx.plan.area(slug)
    rows = []
    for ind in area.indicators:
        prev, start = assessment.directions(ctx.data, ctx.plan, ind, ctx.year)
        rows.append({"Indikator": ind.short_title, "Mot föregående värde": prev.text,
                     f"Mot planperiodens start ({ctx.plan.period_start})": start.text,
                     "Gräns för oförändrad": fmt.value_change(ind.unchanged_within, ind.unit, ind.decimals)
                     .lstrip("+") if ind.unchanged_within else "0"})
    _table(ctx, pd.DataFrame(rows), f"tab-{slug}-riktning", f"Utvecklingsriktning för {area.title}",
           area.indicators, "followup.assessment.directions")
    display(Markdown("Bättre eller sämre efter indikatorns riktning; en förändring inom gränsen räknas som "
                     "oförändrad. Över ett tidsseriebrott jämförs inte värdena." + ctx.example_note()))


def show_gender(ctx: Context, slug: str) -> None:
    """Women and men, and the gap, for the indicators that have the split."""
    area = ctx.plan.area(slug)
    rows, split = [], []
    for ind in area.indicators:
        g = analysis.gender_split(ctx.data, ind, ctx.municipality, ctx.year)
        if g is None:
            continue
        split.append(ind)
        year, women, men = g
        rows.append({"Indikator": ind.short_title, "År": str(year),
                     "Kvinnor": ind.show(women),
                     "Män": ind.show(men),
                     "Skillnad (kvinnor − män)": fmt.value_change(women - men, ind.unit, ind.decimals)})
    if not rows:
        display(Markdown("Inga av målområdets indikatorer redovisas för kvinnor och män."))
        return
    _table(ctx, pd.DataFrame(rows), f"tab-{slug}-kon", f"Kvinnor och män, {area.title}, senaste år med värden",
           split, "followup.analysis.gender_split")
    display(Markdown(sources_paragraph(ctx, [i for i in area.indicators if i.is_kolada]) + ctx.example_note()))


def change_sentence(ctx: Context, summary: analysis.IndicatorSummary) -> str:
    """"Värdet ökade från 78,1 % år 2024 till 81,3 % år 2025." from the computed values."""
    ind, last, prev = summary.indicator, summary.latest, summary.previous
    if last is None:
        return f"{ind.short_title}: inget värde till och med {ctx.year}."
    now = f"{ind.show(last.value)} år {last.year}"
    if prev is None:
        return f"{ind.short_title}: {now}; inget tidigare värde att jämföra med."
    before = f"{ind.show(prev.value)} år {prev.year}"
    if ind.show(last.value) == ind.show(prev.value):
        return f"{ind.short_title}: värdet var oförändrat, {now}."
    verb = "ökade" if last.value > prev.value else "minskade"
    return f"{ind.short_title}: värdet {verb} från {before} till {now}."


def show_trends(ctx: Context, slug: str, figure_dir: str = FIGURE_DIR) -> None:
    area = ctx.plan.area(slug)
    for ind, summary in zip(area.indicators, ctx.summaries(area)):
        display(Markdown(md_escape(change_sentence(ctx, summary))))
        fig = figures.trend_chart(ctx.data, ctx.plan, area, ind, ctx.year, Path(figure_dir) / slug)
        display(Markdown(fig.directive(Path("."), provenance(ctx, [ind], "followup.figures.trend_chart", fig.path))))
        if ind.target.rule == "cumulative":
            verdict = assessment.assess(ctx.data, ctx.plan, ind, ctx.year)
            fig = figures.cumulative_chart(ctx.data, ctx.plan, area, ind, ctx.year, Path(figure_dir) / slug)
            display(Markdown(md_escape(verdict.wording)))
            display(Markdown(fig.directive(Path("."), provenance(ctx, [ind], "followup.figures.cumulative_chart",
                                                                  fig.path))))


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
            items.append(f"{md_escape(ind.id)}\n: **{md_escape(ind.title)}** ({md_escape(ind.unit)}). Lokal "
                         f"uppgift från {md_escape(ctx.data.local_sources.get(ind.id, ind.supplier))}.")
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
        rows = [{"Nyckeltal": r["kpi"], "Tidigare titel": r["old"], "Ny titel": r["new"],
                 "Tidsseriebrott": "ja, enheten ändrades" if r["unit_changed"] else "nej"}
                for r in ch["renamed_kpis"]]
        renamed = [ind for _, ind in ctx.plan.indicators() if ind.id in {r["kpi"] for r in ch["renamed_kpis"]}]
        _table(ctx, pd.DataFrame(rows), "tab-andringar-titlar", "Nyckeltal med ändrad titel", renamed,
               "followup.fetch.compare")
        display(Markdown("Där enheten ändrades jämförs värdena inte över brottet."))
    if ch["removed_kpis"]:
        lines = [f"- {r['kpi']} {md_escape(r['title'])}: kan ej bedömas – nyckeltalet har upphört"
                 for r in ch["removed_kpis"]]
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
            rows.append({"Nyckeltal": r["kpi"], "Kommun": names.get(r["municipality"], r["municipality"]),
                         "År": str(r["year"]), "Tidigare värde": fmt.value(r["old"], unit, d),
                         "Nytt värde": fmt.value(r["new"], unit, d)})
        others = len(ch["revised_values"]) - len(rows)
        if rows:
            revised = [ind for _, ind in ctx.plan.indicators() if ind.id in {r["Nyckeltal"] for r in rows}]
            _table(ctx, pd.DataFrame(rows), "tab-andringar-varden",
                   f"Reviderade värden för {ctx.plan.municipality.name} och {ctx.plan.comparison.name.lower()}",
                   revised, "followup.fetch.compare")
        display(Markdown(f"Kolada har reviderat {len(ch['revised_values'])} värden sedan förra hämtningen"
                         + (f", varav {others} för liknande kommuner eller uppdelat på kön." if others else ".")))


OVERVIEW_COLUMNS = ["Målområde", "Indikator", "Bedömning", "Senaste värde", "År", "Förändring", "Riket"]


def show_overview(ctx: Context) -> None:
    goal_rows, matrix, rows = [], [], []
    for area in ctx.plan.goal_areas:
        verdicts, goal = ctx.verdicts(area)
        shown = assessment.label(goal.shown) + (" (justerad)" if goal.override else "")
        goal_rows.append({"Målområde": area.title, "Bedömning": shown, "Indikatorer": goal.met_text,
                          "Kan ej bedömas": str(goal.counts[assessment.UNKNOWN])})
        cells = {assessment.label(v): "; ".join(x.indicator.short_title for x in verdicts if x.verdict == v)
                 or fmt.DASH for v in assessment.VERDICTS}
        matrix.append({"Målområde": area.title, **cells})
        for s, v in zip(ctx.summaries(area), verdicts):
            ind, d = s.indicator, s.indicator.decimals
            rows.append({
                "Målområde": area.title,
                "Indikator": ind.short_title,
                "Bedömning": assessment.label(v.verdict),
                "Senaste värde": ind.show(s.latest.value) if s.latest else fmt.DASH,
                "År": str(s.latest.year) if s.latest else fmt.DASH,
                "Förändring": fmt.value_change(s.change, ind.unit, d),
                "Riket": ind.show(s.national.value) if s.national else fmt.DASH,
            })
    all_inds = [ind for _, ind in ctx.plan.indicators()]
    _table(ctx, pd.DataFrame(goal_rows), "tab-oversikt-malomraden",
           f"Målområdenas bedömning {ctx.year}, {ctx.plan.municipality.name}", all_inds,
           "followup.assessment.roll_up")
    counts = {v: sum(1 for r in rows if r["Bedömning"] == assessment.label(v)) for v in assessment.VERDICTS}
    display(Markdown(md_escape(
        f"Av {len(rows)} indikatorer är {counts[assessment.MET]} uppfyllda, {counts[assessment.PARTLY]} delvis "
        f"uppfyllda och {counts[assessment.NOT_MET]} ej uppfyllda; {counts[assessment.UNKNOWN]} kan ej bedömas.")
        + ctx.example_note()))
    _table(ctx, pd.DataFrame(matrix), "tab-oversikt-matris", f"Indikatorernas bedömning per målområde {ctx.year}",
           all_inds, "followup.assessment.assess")
    _table(ctx, pd.DataFrame(rows, columns=OVERVIEW_COLUMNS), "tab-oversikt",
           f"Alla målområden och deras indikatorer, {ctx.plan.municipality.name}, "
           f"senaste värde till och med {ctx.year}", all_inds, "followup.analysis.summarise")
    display(Markdown(sources_paragraph(ctx, all_inds) + ctx.example_note()))
