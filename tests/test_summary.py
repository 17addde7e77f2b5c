"""The summary on the start page (followup.summary, followup.book.substitutions): every number computed from
the goal areas' results documents, and last year's published results compared through the results file's
versioned format."""

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from followup import book, summary
from followup.errors import InputError
from followup.results import combine

from conftest import ADOPTED, ADOPTED_LINE, REPO, log_lines, make_project


def record(ind_id, verdict, *, rule="value", year=2025, value=50.0, target=60.0, reference=None, short=None):
    """An indicator's record in a results document (the keys the results file's row is made from)."""
    return {
        "id": ind_id,
        "source": "kolada",
        "title": f"Titel {ind_id}",
        "short_title": short or f"Kort {ind_id}",
        "unit": "andel (%)",
        "decimals": 1,
        "higher_is_better": True,
        "target": {"rule": rule, "value": target, "source": "exempelmål"},
        "latest": {"year": year, "value": value, "status": ""},
        "previous": None,
        "change": None,
        "national": None,
        "national_reason": "",
        "peers": None,
        "rank": None,
        "missing_note": "",
        "verdict": {
            "verdict": verdict,
            "year": year,
            "value": value,
            "reference": target if reference is None else reference,
            "wording": f"{verdict}.",
        },
        "directions": {"previous": {"word": "bättre", "text": ""}, "period_start": {"word": "bättre", "text": ""}},
        "gender": None,
        "national_rank": None,
        "biennial": False,
        "status": "",
        "national_status": "",
        "missing_delivery": None,
    }


def document(slug, title, shown, indicators, *, override=None, has_actions=True, missing_actions=False, year=2025):
    return {
        "format": "borlange-followup-area-results",
        "format_version": 2,
        "report_year": year,
        "municipality": "2081",
        "data": {"source": "example", "retrieved": "2026-03-15T08:00:00Z", "rows": "abc"},
        "goal_area": {
            "slug": slug,
            "title": title,
            "verdict": shown if override is None else "ej uppfyllt",
            "override": override,
            "justification": None,
            "shown": shown,
            "counts": {},
            "wording": "",
            "met_text": f"{sum(r['verdict']['verdict'] == 'uppfyllt' for r in indicators)} av {len(indicators)}",
            "rule": {"met_share": 0.75, "partly_share": 0.5},
            "commentary": {"has_actions": has_actions, "missing_actions": missing_actions},
        },
        "indicators": indicators,
    }


@pytest.fixture
def docs():
    return {
        "skolan": document(
            "skolan",
            "Skolan",
            "delvis uppfyllt",
            [record("N1", "uppfyllt"), record("N2", "ej uppfyllt"), record("N3", "kan ej bedömas")],
        ),
        "boende": document(
            "boende",
            "Boende",
            "ej uppfyllt",
            [record("L1", "ej i fas", rule="cumulative"), record("N4", "ej uppfyllt"), record("N5", "i fas")],
            has_actions=False,
            missing_actions=True,
        ),
        "miljo": document(
            "miljo", "Miljö", "delvis uppfyllt", [record("N6", "delvis uppfyllt")], override="delvis uppfyllt"
        ),
    }


def test_counts_keep_the_pace_verdicts_apart(docs):
    n = summary.counts(docs)
    assert n["uppfyllt"] == 1 and n["ej uppfyllt"] == 2 and n["ej i fas"] == 1 and n["i fas"] == 1
    assert sum(n.values()) == 7
    assert summary.count_sentence(n) == (
        "Av 7 indikatorer är 1 uppfyllda, 1 delvis uppfyllda, 2 ej uppfyllda och 1 kan ej bedömas; "
        "2 indikatorer med ett mål för hela planperioden bedöms på takten hittills och räknas för sig: "
        "1 i fas, 1 ej i fas."
    )


def test_count_sentence_without_pace_verdicts():
    n = dict.fromkeys(summary.ALL_VERDICTS, 0) | {"uppfyllt": 3}
    assert summary.count_sentence(n) == (
        "Av 3 indikatorer är 3 uppfyllda, 0 delvis uppfyllda, 0 ej uppfyllda och 0 kan ej bedömas."
    )


def test_glance_shows_symbol_word_and_a_colour_class(docs):
    rows = summary.glance(docs)
    assert [r.slug for r in rows] == ["skolan", "boende", "miljo"]
    assert rows[0].label == "◐ Delvis uppfyllt" and rows[0].css_class == "verdict-partly"
    assert rows[1].label == "✘ Ej uppfyllt" and rows[1].css_class == "verdict-not-met"
    assert rows[2].label == "◐ Delvis uppfyllt (justerad)"
    assert summary.VERDICT_CLASS["ej i fas"] == "verdict-not-met"


def test_goal_areas_without_actions(docs):
    assert summary.without_actions(docs) == (["Boende"], ["Boende"])


def test_the_start_page_table_links_each_chapter(docs):
    inputs = SimpleNamespace(
        status=SimpleNamespace(line=lambda year: "Utkast"),
        data=SimpleNamespace(is_example=True),
        previous=None,
        year=2025,
    )
    values = book.summary_texts(inputs, docs)
    table = values["summary_areas"].splitlines()
    assert table[0] == "| Målområde | Bedömning | Indikatorer |"
    assert table[3].startswith('| {doc}`Boende <chapters/boende>` | <span class="verdict verdict-not-met">✘ Ej')
    assert values["summary_changes"] == "Det finns ingen publicerad rapport för 2024 att jämföra med."
    assert values["status_line"] == "**Rapportens status:** Utkast. **Exempeldata – inte officiell statistik.**"
    assert (
        "Målområden utan en text om åtgärder: Boende. Av dem bedöms Boende som ej uppfyllt"
        in (values["summary_actions"])
    )


# ---------------------------------------------------------------- last year's results


def plain(text) -> str:
    """Text with its no-break spaces (between a number and its unit) as ordinary ones."""
    return text.replace("\u00a0", " ") if isinstance(text, str) else tuple(plain(t) for t in text)


def previous_file(tmp_path, docs, year=2024, **changes):
    """Last year's results file as `make publish` archives it, made from these documents."""
    tree = combine(docs) | {"report_year": year} | changes
    path = tmp_path / "reports" / str(year) / "results" / f"resultat-{year}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(tree, ensure_ascii=False), encoding="utf-8")
    return tree


def test_no_previous_report(tmp_path):
    assert summary.read_previous(tmp_path, 2025) is None


def test_an_unchanged_year_compares_as_the_same(tmp_path, docs):
    previous_file(tmp_path, docs)
    prev = summary.read_previous(tmp_path, 2025)
    assert prev["path"] == "reports/2024/results/resultat-2024.json"
    changes = summary.compare(docs, prev)
    assert {c.kind for c in changes} == {"same"} and len(changes) == 7
    assert summary.areas_moved(docs, prev) == []


def test_a_later_format_version_with_more_columns_is_read(tmp_path, docs):
    tree = combine(docs)
    rows = [row | {"a_later_column": 1} for row in tree["indicators"]]
    previous_file(tmp_path, docs, format_version=2, indicators=rows)
    assert summary.read_previous(tmp_path, 2025)["format_version"] == 2


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"format": "something-else"}, "format: expected 'borlange-followup-results', got 'something-else'"),
        ({"format_version": 0}, "format_version: expected 1 or later, got 0"),
        ({"report_year": 2023}, "report_year: expected 2024, got 2023"),
        ({"indicators": {}}, "indicators: expected a list, got {}"),
        ({"indicators": [{"indicator": "N1"}]}, "indicators[0]: missing goal_area, title, unit, rule, verdict"),
    ],
)
def test_a_bad_previous_results_file_is_refused_naming_file_and_key(tmp_path, docs, changes, expected):
    previous_file(tmp_path, docs, **changes)
    with pytest.raises(InputError) as err:
        summary.read_previous(tmp_path, 2025)
    assert str(err.value).startswith("reports/2024/results/resultat-2024.json: ")
    assert expected in str(err.value)


def test_a_previous_file_that_is_not_json(tmp_path):
    path = tmp_path / "reports" / "2024" / "results" / "resultat-2024.json"
    path.parent.mkdir(parents=True)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable JSON results file"):
        summary.read_previous(tmp_path, 2025)


def test_moved_verdicts_say_why(tmp_path, docs):
    last = {
        "skolan": document(
            "skolan",
            "Skolan",
            "ej uppfyllt",
            [
                record("N1", "ej uppfyllt", year=2024, value=41.0),  # a new year's value since
                record("N2", "uppfyllt", year=2025, value=62.0),  # 2025's value revised from 62,0 to 50,0
                record("N3", "ej uppfyllt", rule="national"),  # judged by another rule last year
                record("N9", "uppfyllt"),  # gone this year
            ],
            year=2024,
        ),
        "boende": document(
            "boende",
            "Boende",
            "ej uppfyllt",
            [record("N4", "uppfyllt", target=40.0), record("N5", "ej i fas")],  # a changed target; no known reason
            year=2024,
        ),
    }
    previous_file(tmp_path, last)
    prev = summary.read_previous(tmp_path, 2025)
    changes = {c.title: c for c in summary.compare(docs, prev)}
    assert changes["Kort N1"].kind == "moved" and plain(changes["Kort N1"].reasons) == ("nytt värde för 2025: 50,0 %",)
    assert (changes["Kort N1"].before, changes["Kort N1"].after) == ("ej uppfyllt", "uppfyllt")
    assert plain(changes["Kort N2"].reasons) == ("reviderat värde för 2025: 62,0 % → 50,0 %",)
    assert changes["Kort N3"].kind == "rule_changed"
    assert changes["Titel N9"].kind == "removed" and changes["Titel N9"].goal_area == "Skolan"
    assert plain(changes["Kort N4"].reasons) == ("ändrat mål: 40,0 % → 60,0 %",)
    assert changes["Kort N5"].kind == "moved" and changes["Kort N5"].reasons == ()
    assert changes["Kort L1"].kind == "new" and changes["Kort N6"].kind == "new"
    assert summary.areas_moved(docs, prev) == [("Skolan", "ej uppfyllt", "delvis uppfyllt")]
    assert summary.comparison_sentence(list(changes.values()), 2024) == (
        "Jämfört med rapporten för 2024: av 4 indikatorer som bedöms efter samma regel båda åren har 4 fått en "
        "annan bedömning och 0 samma; 2 indikatorer är nya; 1 indikator bedöms efter en ändrad regel och "
        "jämförs inte; 1 indikator från förra året finns inte med i år."
    )
    inputs = SimpleNamespace(previous=prev, year=2025, plan=SimpleNamespace(slugs=list(docs)), slugs=list(docs))
    text = plain(book.changes_text(inputs, docs))
    assert "- Skolan, Kort N2: ✔ Uppfyllt → ✘ Ej uppfyllt (reviderat värde för 2025: 62,0 % → 50,0 %)" in text
    assert "- Boende, Kort N5: ↘ Ej i fas → ↗ I fas (skälet framgår inte av resultaten)" in text
    assert "Målområden med en annan bedömning än förra året: Skolan (✘ Ej uppfyllt → ◐ Delvis uppfyllt)." in text
    assert "Nya indikatorer: Kort L1 (Boende), Kort N6 (Miljö)." in text


# ---------------------------------------------------------------- published reports, next year, adopted


def marked_build(tmp_path, source="example", missing=None, status=None):
    """A stand-in build for `publish.marks`: its manifest, its results file and its status file."""
    (tmp_path / "results").mkdir(parents=True)
    row = {"indicator": "L1", "missing_delivery": missing}
    (tmp_path / "results" / "resultat-2025.json").write_text(json.dumps({"indicators": [row]}), encoding="utf-8")
    inputs = {}
    if status is not None:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "status.yml").write_text(status, encoding="utf-8")
        inputs["data/status.yml"] = "…"
    return {"parameters": {"year": 2025}, "data": {"source": source}, "inputs": inputs}


@pytest.mark.parametrize(
    "source, missing, status, expected",
    [
        ("example", None, None, ("utkast", ["utkast", "exempeldata"])),
        ("kolada", 2025, ADOPTED, ("fastställd", ["lokala uppgifter saknas"])),
        ("kolada", None, ADOPTED, ("fastställd", [])),
        ("kolada", None, ADOPTED.replace("2025", "2024").replace("2026-04", "2025-04"), ("utkast", ["utkast"])),
    ],
)
def test_publish_marks_drafts_example_data_and_missing_deliveries(tmp_path, source, missing, status, expected):
    from followup.publish import marks

    manifest = marked_build(tmp_path, source, missing, status)
    got = marks(manifest, tmp_path, tmp_path)
    assert (got["status"], got["marks"]) == expected
    assert got["line"] == (ADOPTED_LINE if expected[0] == "fastställd" else "Utkast")


def start_page(project) -> str:
    return (project / "_build" / "html" / "index.html").read_text(encoding="utf-8")


def run(*args):
    return subprocess.run([sys.executable, str(REPO / "run_all.py"), *args], capture_output=True, text=True)


def publish_ok(project) -> str:
    out = run("publish", "--project", str(project))
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


@pytest.mark.slow
def test_last_years_published_report_and_an_adopted_report(tmp_path, example_dataset):
    """Publish 2024's report, build 2025's: the summary compares with 2024's published results, a recorded
    input. Adopt 2025's: no notebook runs again, only the status lines change, and its draft is kept."""
    project = make_project(tmp_path / "p", example_dataset)
    next_year_compares_with_the_published_report(project)
    an_adopted_report_keeps_its_draft_and_differs_only_in_status(project)


def next_year_compares_with_the_published_report(project):
    from followup.build import build
    from followup.fingerprint import unchanged
    from followup.pdf import bookmark_titles

    build(project, year=2024, quiet=True)
    assert "Det finns ingen publicerad rapport för 2023 att jämföra med." in start_page(project)
    said = publish_ok(project)
    assert "warning: publishing a report marked 'utkast'" in said
    assert "warning: publishing a report marked 'exempeldata'" in said
    archived = json.loads((project / "reports" / "2024" / "manifest.json").read_text(encoding="utf-8"))
    assert archived["publication"] == {"status": "utkast", "line": "Utkast", "marks": ["utkast", "exempeldata"]}

    build(project, quiet=True)  # 2025
    page = start_page(project)
    assert "Jämfört med rapporten för 2024: av 42 indikatorer som bedöms efter samma regel" in page
    assert "nytt värde för 2025" in page  # at least one verdict moved with the new year's values
    manifest = json.loads((project / "_build" / "manifest.json").read_text(encoding="utf-8"))
    assert "reports/2024/results/resultat-2024.json" in manifest["inputs"]
    assert unchanged(project, None, None, True) is not None  # the no-change check holds with the new input
    titles = bookmark_titles(project / "_build" / "pdf" / "arsuppfoljning-2025.pdf")
    first = titles.index(book.START_PAGE_HEADINGS[0])  # the start page's headings, right after the title
    assert titles[first - 1] == "Uppföljning 2025 av Borlänge kommuns strategiska plan"
    assert titles[first : first + len(book.START_PAGE_HEADINGS)] == list(book.START_PAGE_HEADINGS)
    publish_ok(project)  # 2025's draft


def an_adopted_report_keeps_its_draft_and_differs_only_in_status(project):
    from followup.build import build

    (project / "data" / "status.yml").write_text(ADOPTED, encoding="utf-8")
    with log_lines() as lines:
        build(project)
    assert "notebooks: 0 executed, 11 reused from the cache" in lines
    page = start_page(project)
    assert f'<p class="report-cover-status">{ADOPTED_LINE}</p>' in page
    assert f"Rapportens status:</strong> {ADOPTED_LINE}." in page
    assert "reports/2025-utkast/" in publish_ok(project)
    kept = json.loads((project / "reports" / "2025-utkast" / "manifest.json").read_text(encoding="utf-8"))
    assert kept["publication"]["status"] == "utkast"
    adopted = project / "reports" / "2025" / "manifest.json"
    assert json.loads(adopted.read_text(encoding="utf-8"))["publication"]["line"] == ADOPTED_LINE
    draft = project / "reports" / "2025-utkast" / "manifest.json"
    shown = run("verify", str(adopted), "--draft", str(draft), "--project", str(project))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "rapporterna skiljer sig bara i statusraderna (Utkast → Fastställd" in shown.stdout
    assert f"rapporten '{ADOPTED_LINE}'" in shown.stdout  # the status line, shown
    # Against last year's report, much differs.
    other = run("verify", str(adopted), "--draft", str(project / "reports" / "2024" / "manifest.json"))
    assert other.returncode == 1 and "olika parametrar" in other.stdout

    (project / "data" / "status.yml").write_text(ADOPTED.replace("fastställd", "utkast").split("decision")[0])
    build(project, quiet=True)
    refused = run("publish", "--project", str(project))
    assert refused.returncode == 1 and "a draft cannot replace it" in refused.stdout + refused.stderr


def test_last_years_results_are_a_recorded_input_when_published(tmp_path, docs):
    from followup.layout import input_files

    (tmp_path / "data").mkdir()
    assert not [r for r in input_files(tmp_path, tmp_path / "data", 2025, []) if r.startswith("reports/")]
    previous_file(tmp_path, docs)
    assert "reports/2024/results/resultat-2024.json" in input_files(tmp_path, tmp_path / "data", 2025, [])
    assert not [r for r in input_files(tmp_path, tmp_path / "data", 2026, []) if r.startswith("reports/")]


def test_the_pdf_bookmarks_list_the_start_pages_headings():
    text = (REPO / "book" / "index.md").read_text(encoding="utf-8")
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    # the report's title (the document's title, above the chapters in the PDF's bookmarks), then the summary
    assert headings == ["{{ report_title }}", *book.START_PAGE_HEADINGS]
    assert [line for line in text.splitlines() if line.startswith("## ")][0] == "## Sammanfattning"
    assert text.startswith('<div class="report-cover only-print">')  # the cover, before the first heading


def test_a_subset_build_does_not_call_the_other_goal_areas_removed(tmp_path, docs):
    previous_file(tmp_path, docs)
    prev = summary.read_previous(tmp_path, 2025)
    chosen = {"skolan": docs["skolan"]}
    kinds = {c.title: c.kind for c in summary.compare(chosen, prev, not_chosen=("boende", "miljo"))}
    assert set(kinds.values()) == {"same"} and len(kinds) == 3
    removed = [c for c in summary.compare(chosen, prev) if c.kind == "removed"]
    assert [c.title for c in removed] == ["Titel L1", "Titel N4", "Titel N5", "Titel N6"]


def test_the_cover_names_status_example_data_and_missing_deliveries(docs):
    docs["boende"]["indicators"][0]["missing_delivery"] = 2025
    plan = SimpleNamespace(
        title="Borlänge kommuns strategiska plan",
        municipality=SimpleNamespace(name="Borlänge"),
        period_start=2023,
        period_end=2026,
        indicators=lambda: iter([(None, SimpleNamespace(id="L1", supplier="Samhällsbyggnadsförvaltningen"))]),
    )
    inputs = SimpleNamespace(
        plan=plan, year=2025, data=SimpleNamespace(is_example=True), status=SimpleNamespace(line=lambda y: "Utkast")
    )
    cover = book.cover(inputs, docs)
    assert cover["cover_municipality"] == "Borlänge kommun" and cover["cover_status"] == "Utkast"
    assert cover["cover_title"] == "Uppföljning 2025 av Borlänge kommuns strategiska plan"
    assert cover["cover_notes"] == (
        '<p class="report-cover-note">Exempeldata – inte officiell statistik</p>'
        '<p class="report-cover-note">Lokala uppgifter för 2025 saknas: Kort L1</p>'
    )
    inputs.data.is_example = False
    docs["boende"]["indicators"][0]["missing_delivery"] = None
    assert book.cover(inputs, docs)["cover_notes"] == ""
