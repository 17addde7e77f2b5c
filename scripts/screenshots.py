"""The README's screenshots (`make screenshots`): the start page and a chapter of the built website
(_build/html), taken in Debian's Chromium through Playwright, written to docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--site _build/html] [--out docs/screenshots]

The images are committed; regenerate them after a change to how the report looks. The browser set-up is the
browser tests' own (tests/browser_support.py): a local server on 127.0.0.1, the system Chromium, light mode.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from browser_support import chromium, mode_script, serve  # noqa: E402

# (file name, page, the element scrolled to the top of the window or None, what it shows)
SHOTS = [
    ("startsida.png", "index.html", None, "the start page: the summary, every goal area's verdict"),
    ("kapitel-skolan.png", "chapters/skolan.html", "#skolan-utveckling", "a chapter: a chart and its numbers"),
]
VIEWPORT = {"width": 1280, "height": 900}


def take(site: Path, out: Path) -> list[Path]:
    if not (site / "index.html").exists():
        raise SystemExit(f"{site}: no built website here: run `make report` first")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with serve(site) as base, chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        context.add_init_script(mode_script("light"))
        page = context.new_page()
        for name, path, anchor, _ in SHOTS:
            page.goto(base + path, wait_until="networkidle")
            if anchor:
                page.locator(anchor).scroll_into_view_if_needed()
                page.evaluate(f"document.querySelector({anchor!r}).scrollIntoView()")
            page.screenshot(path=str(out / name))
            written.append(out / name)
        context.close()
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=REPO / "_build" / "html")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = ap.parse_args(argv)
    for path in take(args.site, args.out):
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
