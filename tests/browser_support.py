"""Helpers of the browser tests (tests/test_browser.py): a loopback web server for a built website, the
browser, and the checks that run inside a page (reflow, focus indicators, English interface strings)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlsplit

from followup.pdf import find_chromium

# axe-core's tags for WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# The theme's interface strings in English (the report is in Swedish): none may remain anywhere in a page,
# as text, attribute or hidden element. Phrases are searched in the page's HTML after its scripts have run.
ENGLISH_PHRASES = [
    "Skip to main content",
    "Toggle primary sidebar",
    "Toggle secondary sidebar",
    "Color mode",
    "System Settings",
    "Back to top",
    "Link to this heading",
    "Link to this image",
    "Link to this table",
    "Link to this definition",
    "Link to this code",
    "Site navigation",
    "Section Navigation",
    "On this page",
    "previous page",
    "next page",
    "Version warning",
    "Announcement",
    "Breadcrumb",
    "Copyright",
    "Please activate JavaScript",
    "Hide Search Matches",
    "Search Results",
    "Search finished",
    "Preparing search",
    "Toggle hidden content",
    "Click to expand",
    "Click to collapse",
]
# Single English words the theme uses as a whole label (aria-label, title, ...): compared with whole values.
ENGLISH_LABELS = {"Main", "Page", "Light", "Dark", "Search", "Home", "Error", "Contents", "Navigation"}
LABEL_ATTRIBUTES = ["aria-label", "title", "placeholder", "alt", "data-bs-title", "data-bs-original-title"]

# Requests known to fail harmlessly: axe-core resolves the theme's `@import "../basic.css"` against the page
# itself (and gets 404 for <page folder>/basic.css); the browser asks for /favicon.ico (the report has none).
HARMLESS_404 = ("basic.css", "favicon.ico")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(root: Path):
    """The folder served on 127.0.0.1 at a free port, for the block's duration; yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser is never downloaded)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def mode_script(mode: str) -> str:
    """Set before any page script runs: the theme reads its colour mode from localStorage (an empty value
    logs "Got invalid theme mode")."""
    return (
        f'if (location.protocol.startsWith("http")) {{ localStorage.mode = "{mode}"; localStorage.theme = "{mode}"; }}'
    )


def is_harmless_404(url: str) -> bool:
    return urlsplit(url).path.rsplit("/", 1)[-1] in HARMLESS_404


class Recorder:
    """Every request of a browser context and every console error and uncaught exception of its pages."""

    def __init__(self, origin: str):
        self.origin = origin
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.failed: list[str] = []

    def attach(self, context) -> None:
        context.on("request", self._request)
        context.on("response", self._response)
        context.on("page", self._page)

    def _request(self, request) -> None:
        if not request.url.startswith(self.origin) and not request.url.startswith(("data:", "blob:", "about:")):
            self.foreign.append(f"{request.frame.url if request.frame else '?'} -> {request.url}")

    def _response(self, response) -> None:
        if response.status >= 400 and not (response.status == 404 and is_harmless_404(response.url)):
            self.failed.append(f"{response.status} {response.url}")

    def _page(self, page) -> None:
        page.on("console", lambda msg, page=page: self._console(page, msg))
        page.on("pageerror", lambda exc, page=page: self.errors.append(f"{page.url}: uncaught {exc}"))

    def _console(self, page, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource: the server responded with a status of 404") and (
            is_harmless_404(url)
        ):
            return
        self.errors.append(f"{page.url}: {msg.text} ({url})")


# The page's width against the viewport, and the elements that stick out (to say what to fix).
REFLOW_JS = """() => {
  const width = window.innerWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right <= width + 0.5 || r.width === 0) continue;
      let p = el.parentElement, contained = false;
      while (p && p !== document.body) {
        const s = getComputedStyle(p);
        if (["auto", "scroll", "hidden", "clip"].includes(s.overflowX)) { contained = true; break; }
        p = p.parentElement;
      }
      if (contained) continue;
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      out.push(`${name} right=${Math.round(r.right)}`);
      if (out.length >= 8) break;
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits: out};
}"""

# The focused element's focus indicator: an outline (or a box-shadow ring) of at least 2 CSS px whose colour
# has a contrast of at least 3:1 against the background next to it, not clipped by a scrolling ancestor.
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.focusKey) {
    window.__focusKeys = (window.__focusKeys || 0) + 1;
    el.dataset.focusKey = String(window.__focusKeys);
  }
  const key = el.dataset.focusKey;
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
    (el.getAttribute("href") ? `[href=${el.getAttribute("href")}]` : "") +
    (el.textContent.trim() ? ` "${el.textContent.trim().slice(0, 40)}"` : "") +
    (el.getAttribute("aria-label") ? ` [${el.getAttribute("aria-label")}]` : "");
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, below) => ({
    r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a),
    b: top.b * top.a + below.b * (1 - top.a), a: 1});
  const backgroundBehind = (start) => {
    const layers = [];
    for (let n = start; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let color = {r: 255, g: 255, b: 255, a: 1};
    for (const c of layers.reverse()) color = over(c, color);
    return color;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const contrast = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  const rgb = (c) => `rgb(${Math.round(c.r)}, ${Math.round(c.g)}, ${Math.round(c.b)})`;
  const label = (n) => n.tagName.toLowerCase() + "." + (n.className || "").toString().trim().split(/\\s+/).join(".");
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const result = {key, name, visible: r.width > 0 && r.height > 0 && s.visibility !== "hidden", ok: false, how: ""};
  const width = parseFloat(s.outlineWidth) || 0;
  const offset = parseFloat(s.outlineOffset) || 0;
  let ring = null;  // {color, width, outside}
  if (!["none", "auto"].includes(s.outlineStyle) && width >= 2) {
    const how = `outline ${width}px ${s.outlineColor} offset ${offset}px`;
    ring = {color: parse(s.outlineColor), width, reach: offset + width, how};
  } else {
    for (const layer of (s.boxShadow === "none" ? [] : s.boxShadow.split(/,(?![^(]*\\))/))) {
      const color = parse(layer);
      const px = (layer.replace(/rgba?\\([^)]*\\)/, "").match(/-?[\\d.]+px/g) || []).map(parseFloat);
      const spread = px.length >= 4 ? px[3] : 0;
      const inset = layer.includes("inset");
      if (color && Math.abs(spread) >= 2 && (!ring || spread > ring.width)) {
        ring = {color, width: Math.abs(spread), reach: inset ? -1 : spread, how: `box-shadow ${layer.trim()}`};
      }
    }
  }
  if (!ring || !ring.color) {
    result.how = `no outline of 2px or more (outline: ${s.outlineStyle} ${s.outlineWidth}, box-shadow: ${s.boxShadow})`;
    return result;
  }
  const back = ring.reach - ring.width < 0 ? backgroundBehind(el) : backgroundBehind(el.parentElement);
  const color = over(ring.color, back);
  const ratio = contrast(color, back);
  result.how = `${ring.how}, contrast ${ratio.toFixed(2)}:1 against ${rgb(back)}`;
  // Clipped by an ancestor that does not show overflow?
  const reach = Math.max(ring.reach, 0);
  const box = {left: r.left - reach, right: r.right + reach, top: r.top - reach, bottom: r.bottom + reach};
  for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
    const ps = getComputedStyle(p);
    if (ps.overflowX === "visible" && ps.overflowY === "visible") continue;
    const pr = p.getBoundingClientRect();
    const inner = {left: pr.left + p.clientLeft, top: pr.top + p.clientTop};
    inner.right = inner.left + p.clientWidth; inner.bottom = inner.top + p.clientHeight;
    const cut = (ps.overflowX !== "visible" && (box.left < inner.left - 0.5 || box.right > inner.right + 0.5)) ||
                (ps.overflowY !== "visible" && (box.top < inner.top - 0.5 || box.bottom > inner.bottom + 0.5));
    if (cut) {
      result.how += `; clipped by ${label(p)}`;
      return result;
    }
  }
  result.ok = ratio >= 3;
  return result;
}"""

# Every English phrase and label still in the page (after its scripts ran), hidden elements included.
ENGLISH_JS = """([phrases, labels, attributes]) => {
  const html = document.documentElement.outerHTML.replace(/<script[\\s\\S]*?<\\/script>|<!--[\\s\\S]*?-->/g, "");
  const found = phrases.filter((p) => html.includes(p));
  for (const el of document.querySelectorAll("*")) {
    for (const a of attributes) {
      const v = el.getAttribute(a);
      if (v !== null && labels.includes(v.trim())) found.push(`${el.tagName.toLowerCase()}[${a}="${v}"]`);
    }
  }
  return found;
}"""
