"""The website in a real browser (Debian's Chromium, driven by Playwright): WCAG 2.1 AA as axe-core checks it
in light and dark mode, reflow at 320 px, visible keyboard focus, nothing from another host, no console
errors, the interface in Swedish; and screenshots for a person to look at.

The website is built once for the module from the example data, without the PDF. To check a website that is
already built instead, point FOLLOWUP_BROWSER_SITE at its folder (e.g. _build/html). Screenshots go into a
folder under pytest's temporary folder, or into FOLLOWUP_SCREENSHOTS; the test prints where.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_support import (
    AXE_OPTIONS,
    ENGLISH_JS,
    ENGLISH_LABELS,
    ENGLISH_PHRASES,
    FOCUS_JS,
    LABEL_ATTRIBUTES,
    REFLOW_JS,
    Recorder,
    chromium,
    mode_script,
    serve,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from followup.build import build

from conftest import make_project

pytestmark = pytest.mark.slow

SITE = "FOLLOWUP_BROWSER_SITE"
SHOTS = "FOLLOWUP_SCREENSHOTS"
MODES = ("light", "dark")
DESKTOP = {"width": 1366, "height": 900}
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"
SEARCH_DONE_JS = "() => /\\d/.test(document.querySelector('.search-summary')?.textContent || '')"
STATEMENT = "tillganglighet.html"  # the accessibility statement (Tillgänglighetsredogörelse)


@pytest.fixture(scope="module")
def site(tmp_path_factory, example_dataset) -> Path:
    given = os.environ.get(SITE)
    if given:
        return Path(given).resolve()
    project = make_project(tmp_path_factory.mktemp("web"), example_dataset)
    build(project, with_pdf=False, quiet=True)
    return project / "_build" / "html"


@pytest.fixture(scope="module")
def pages(site) -> list[str]:
    found = sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "_static"
    )
    assert "index.html" in found and "chapters/skolan.html" in found
    return found


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def new_context(browser, mode: str, recorder: Recorder | None = None, viewport=DESKTOP):
    context = browser.new_context(color_scheme=mode, viewport=viewport, reduced_motion="reduce")
    context.add_init_script(mode_script(mode))
    if recorder is not None:
        recorder.attach(context)
    return context


def node_list(violation: dict) -> str:
    nodes = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
    return "; ".join(nodes[:6]) + (f"; … ({len(nodes)} in all)" if len(nodes) > 6 else "")


@pytest.fixture(scope="module")
def crawl(base_url, browser, pages) -> dict:
    """Every page in light and dark mode, its <details> opened: axe's violations, the English interface
    strings left, and (through the Recorder) every request and console error. Then the search page with a
    query, whose messages come from script."""
    recorder = Recorder(base_url)
    violations, english, dark_charts = [], [], []
    axe = Axe()
    for mode in MODES:
        context = new_context(browser, mode, recorder)
        page = context.new_page()
        for rel in pages:
            page.goto(base_url + rel, wait_until="load")
            found = page.evaluate(ENGLISH_JS, [ENGLISH_PHRASES, sorted(ENGLISH_LABELS), LABEL_ATTRIBUTES])
            english += [f"{rel}: {s}" for s in found] if mode == "light" else []
            page.evaluate(OPEN_DETAILS)
            for v in axe.run(page, options=AXE_OPTIONS).response["violations"]:
                violations.append(f"{mode} {rel}: {v['id']} ({v['impact']}): {v['help']}: {node_list(v)}")
            if mode == "dark":
                dark_charts += [f"{rel}: {s}" for s in page.evaluate(CHART_BACKGROUND_JS)]
        page.goto(base_url + "search.html?q=skolan", wait_until="load")
        try:  # the summary says how many pages were found (an untranslated message is empty)
            page.wait_for_function(SEARCH_DONE_JS, timeout=20_000)
        except PlaywrightTimeout:
            english.append(f"{mode} search.html?q=skolan: no summary of the search results")
        found = page.evaluate(ENGLISH_JS, [ENGLISH_PHRASES, sorted(ENGLISH_LABELS), LABEL_ATTRIBUTES])
        english += [f"search.html?q=skolan: {s}" for s in found] if mode == "light" else []
        page.goto(base_url + "chapters/skolan.html?highlight=skolan", wait_until="load")  # a search result
        found = page.evaluate(ENGLISH_JS, [ENGLISH_PHRASES, sorted(ENGLISH_LABELS), LABEL_ATTRIBUTES])
        english += [f"chapters/skolan.html?highlight=skolan: {s}" for s in found] if mode == "light" else []
        context.close()
    return {"violations": violations, "english": english, "recorder": recorder, "dark_charts": dark_charts}


# In dark mode each chart (an SVG with a transparent background and dark text) must sit on a light background.
CHART_BACKGROUND_JS = """() => {
  const bad = [];
  for (const img of document.querySelectorAll("figure img")) {
    let n = img, color = null;
    for (; n; n = n.parentElement) {
      const m = /rgba?\\(([^)]+)\\)/.exec(getComputedStyle(n).backgroundColor);
      const p = m ? m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number) : [0, 0, 0, 0];
      if (p.length < 4 || p[3] > 0.9) { color = p; break; }
    }
    const light = color && color[0] > 230 && color[1] > 230 && color[2] > 230;
    if (!light) bad.push(`${img.getAttribute("src")} on ${color ? "rgb(" + color.slice(0, 3).join(", ") + ")" : "?"}`);
  }
  return bad;
}"""


def test_no_wcag_violations_in_light_and_dark_mode(crawl):
    assert not crawl["violations"], "axe-core (WCAG 2.0/2.1 A and AA):\n" + "\n".join(crawl["violations"])


def test_charts_sit_on_a_light_background_in_dark_mode(crawl):
    assert not crawl["dark_charts"], "charts on a dark background:\n" + "\n".join(crawl["dark_charts"])


def test_no_request_to_another_host_and_no_console_error(crawl):
    recorder = crawl["recorder"]
    assert not recorder.foreign, "requests to another host:\n" + "\n".join(sorted(set(recorder.foreign)))
    assert not recorder.failed, "failed requests:\n" + "\n".join(sorted(set(recorder.failed)))
    assert not recorder.errors, "console errors:\n" + "\n".join(recorder.errors)


def test_interface_is_in_swedish(crawl):
    assert not crawl["english"], "English interface strings:\n" + "\n".join(crawl["english"])


def test_template_fragments_are_not_shipped(site):
    for name in ("webpack-macros.html", "sbt-webpack-macros.html"):
        assert not (site / "_static" / name).exists(), name


def test_every_page_links_the_accessibility_statement(site, pages):
    assert (site / STATEMENT).is_file()
    statement = (site / STATEMENT).read_text(encoding="utf-8")
    assert "Tillgänglighetsredogörelse" in statement and "Myndigheten för digital förvaltning" in statement
    for rel in pages:
        html = (site / rel).read_text(encoding="utf-8")
        href = "#" if rel == STATEMENT else "../" * rel.count("/") + STATEMENT
        assert f'<a href="{href}">Tillgänglighetsredogörelse</a>' in html.split('class="bd-footer-content"')[-1], rel


@pytest.mark.parametrize("width", [320, 390])
def test_no_sideways_scrolling(base_url, browser, pages, width):
    """WCAG 1.4.10 Reflow: at 320 CSS px nothing but a table's own container scrolls sideways. At 320 px,
    axe checks every page again (a table's container that scrolls must be reachable by keyboard)."""
    context = new_context(browser, "light", viewport={"width": width, "height": 800})
    page = context.new_page()
    wide, violations = [], []
    for rel in pages:
        page.goto(base_url + rel, wait_until="load")
        for state in ("", " (details opened)"):
            if state:
                page.evaluate(OPEN_DETAILS)
            r = page.evaluate(REFLOW_JS)
            if r["scrollWidth"] > r["innerWidth"]:
                wide.append(
                    f"{rel}{state}: {r['scrollWidth']} px wide at {r['innerWidth']}: {', '.join(r['culprits'])}"
                )
        if width == 320:
            for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]:
                violations.append(f"{rel}: {v['id']} ({v['impact']}): {v['help']}: {node_list(v)}")
    context.close()
    assert not wide, f"pages wider than {width} px:\n" + "\n".join(wide)
    assert not violations, f"axe-core at {width} px:\n" + "\n".join(violations)


@pytest.mark.parametrize("mode", MODES)
def test_every_focus_stop_has_a_visible_focus_indicator(base_url, browser, mode):
    """Tab through the start page and a chapter: each focus stop shows an outline (or ring) of at least
    2 CSS px with a contrast of at least 3:1 against the background next to it (WCAG 2.4.7, 1.4.11)."""
    context = new_context(browser, mode)
    page = context.new_page()
    bad, stops = [], {}
    for rel in ("index.html", "chapters/skolan.html"):
        page.goto(base_url + rel, wait_until="load")
        seen = set()
        for _ in range(1500):
            page.keyboard.press("Tab")
            info = page.evaluate(FOCUS_JS)
            if info is None or info["key"] in seen:
                break  # back at the document, or round again
            seen.add(info["key"])
            if not (info["visible"] and info["ok"]):
                bad.append(
                    f"{mode} {rel}: {info['name']}: {'not visible; ' if not info['visible'] else ''}{info['how']}"
                )
        stops[rel] = len(seen)
    context.close()
    assert all(n >= 10 for n in stops.values()), stops  # the walk did go through the page
    assert not bad, "focus stops without a visible focus indicator:\n" + "\n".join(bad)


def test_screenshots(base_url, browser, tmp_path_factory, capsys):
    """Full-page screenshots of the start page, the overview and a chapter, 1366 and 390 px wide, in both
    modes: for a person to look at (never written into _build/)."""
    folder = Path(os.environ.get(SHOTS) or tmp_path_factory.mktemp("screenshots")).resolve()
    assert "_build" not in folder.parts, f"{SHOTS} must not point into _build/: {folder}"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for mode in MODES:
        for width in (1366, 390):
            context = new_context(browser, mode, viewport={"width": width, "height": 900})
            page = context.new_page()
            for rel in ("index.html", "chapters/oversikt.html", "chapters/skolan.html"):
                page.goto(base_url + rel, wait_until="load")
                path = folder / f"{Path(rel).stem}-{width}-{mode}.png"
                page.screenshot(path=str(path), full_page=True)
                written.append(path)
            context.close()
    assert all(p.stat().st_size > 10_000 for p in written)
    with capsys.disabled():
        print(f"\nscreenshots ({len(written)}): {folder}")
