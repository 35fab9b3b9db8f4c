"""Layout checks run in the browser: what a projector at 1280×720 shows without scrolling, text that
overlaps other text, tables that scroll sideways, and the contrast of a button's text.

Each function takes a Playwright page and returns plain data (lists of problems in words), so a
test can assert on it and a script (scripts/screenshot.py) can print it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from playwright.sync_api import Page

# Every visible piece of text as boxes: each text node's line boxes (HTML) or its <text> element's
# box (SVG, where Vega-Lite draws axis labels, legends and values), clipped by any ancestor that
# hides overflow (a cell whose text ends in an ellipsis shows only its box). A text node whose
# ancestor is invisible, or whose clipped box is empty, is left out.
_TEXT_BOXES = """
() => {
  const hidden = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || parseFloat(s.opacity) === 0) return true;
    }
    return false;
  };
  const clip = (el, r) => {
    let [l, t, rr, b] = [r.left, r.top, r.right, r.bottom];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.position === 'fixed') break;
      if ([s.overflowX, s.overflowY].some((o) => o !== 'visible')) {
        const c = e.getBoundingClientRect();
        [l, t] = [Math.max(l, c.left), Math.max(t, c.top)];
        [rr, b] = [Math.min(rr, c.right), Math.min(b, c.bottom)];
      }
    }
    return {left: l, top: t, right: rr, bottom: b};
  };
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || ['STYLE', 'SCRIPT', 'NOSCRIPT', 'TITLE'].includes(el.tagName)) continue;
    if (el.closest('[data-testid="stTooltipContent"], .vg-tooltip, [role="tooltip"]')) continue;
    if (hidden(el)) continue;
    let rects;
    if (el instanceof SVGElement) {
      rects = [el.getBoundingClientRect()];
    } else {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects = Array.from(range.getClientRects());
    }
    for (const r of rects) {
      const c = clip(el, r);
      if (c.right - c.left < 1 || c.bottom - c.top < 1) continue;
      boxes.push({...c, text: text.slice(0, 40), owner: el});
    }
  }
  return boxes;
}
"""

_OVERLAPS = (
    """
(slack) => {
  const boxes = ("""
    + _TEXT_BOXES
    + """)();
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.owner === b.owner) continue;  // one text's own lines
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > slack && h > slack) {
        found.push(`"${a.text}" and "${b.text}" overlap by ${Math.round(w)}×${Math.round(h)} px at ` +
                   `(${Math.round(Math.max(a.left, b.left))}, ${Math.round(Math.max(a.top, b.top))})`);
        if (found.length >= 10) return found;
      }
    }
  }
  return found;
}
"""
)

_SIDEWAYS_TABLES = """
() => {
  const found = [];
  for (const frame of document.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stTable"]')) {
    if (!frame.getClientRects().length) continue;
    for (const el of [frame, ...frame.querySelectorAll('*')]) {
      const s = getComputedStyle(el);
      if (!['auto', 'scroll'].includes(s.overflowX)) continue;
      if (el.scrollWidth > el.clientWidth + 1) {
        const title = frame.closest('[data-testid="stVerticalBlock"]')?.querySelector('h2, h3')?.textContent;
        found.push(`a table${title ? ` under "${title}"` : ''} scrolls sideways: ` +
                   `${el.scrollWidth} px of content in ${el.clientWidth} px`);
        break;
      }
    }
  }
  return found;
}
"""

_SMALL_CHART_TEXT = """
(least) => {
  const found = [];
  for (const text of document.querySelectorAll('[data-testid="stVegaLiteChart"] svg text')) {
    if (!text.textContent.trim() || !text.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(text).fontSize);
    if (size < least) found.push(`chart text "${text.textContent.trim().slice(0, 30)}" is ${size} px`);
  }
  return found.slice(0, 10);
}
"""

CONTRAST = """
(el) => {
  const rgb = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  // The background: the first ancestor-or-self with an opaque background colour.
  let back = null;
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) { back = c; break; }
  }
  back = back || {r: 255, g: 255, b: 255, a: 1};
  const texts = [el, ...el.querySelectorAll('p, span, div')].filter((e) => e.textContent.trim());
  let worst = 21;
  for (const t of texts) {
    const fore = rgb(getComputedStyle(t).color);
    if (!fore) continue;
    const [hi, lo] = [lum(fore), lum(back)].sort((x, y) => y - x);
    worst = Math.min(worst, (hi + 0.05) / (lo + 0.05));
  }
  return worst;
}
"""


def text_overlaps(page: Page, *, slack: float = 2.0) -> list[str]:
    """Pairs of visible texts whose boxes overlap by more than `slack` pixels each way."""
    return cast(list[str], page.evaluate(_OVERLAPS, slack))


def sideways_tables(page: Page) -> list[str]:
    """Tables (st.dataframe, st.table) anywhere on the page whose columns do not all fit their width."""
    return cast(list[str], page.evaluate(_SIDEWAYS_TABLES))


def small_chart_text(page: Page, *, least: float) -> list[str]:
    """Texts in the page's Altair charts (drawn as SVG) smaller than `least` pixels."""
    return cast(list[str], page.evaluate(_SMALL_CHART_TEXT, least))


def contrast(page: Page, selector: str) -> float:
    """The lowest contrast ratio (WCAG) between the text of the first element matching `selector`
    and the background behind it."""
    return float(page.locator(selector).first.evaluate(CONTRAST))


CHARTS = '[data-testid="stVegaLiteChart"], [data-testid="stDeckGlJsonChart"], [data-testid="stImage"]'

_FIRST_SCREEN = (
    """
() => {
  const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter((e) => e.getClientRects().length);
  const box = (e) => e.getBoundingClientRect();
  const chart = shown('"""
    + CHARTS
    + """')[0];
  const chartTop = chart ? box(chart).top : Infinity;
  // A tile: the bordered block that holds an st.metric; the first screen's are those above the chart.
  const tiles = shown('[data-testid="stMetric"]')
    .map((m) => m.closest('[data-testid="stVerticalBlock"]') || m)
    .filter((e) => box(e).top < chartTop);
  const title = shown('h1')[0];
  const bottom = (list) => (list.length ? Math.round(Math.max(...list.map((e) => box(e).bottom))) : null);
  return {
    title: bottom(title ? [title] : []),
    scope: bottom(shown('[data-testid="present-scope"]')),
    tiles: bottom(tiles),
    chart: chart ? Math.round(box(chart).bottom) : null,
    chart_top: chart ? Math.round(chartTop) : null,
    tile_count: tiles.length,
  };
}
"""
)


def first_screen(page: Page) -> dict[str, Any]:
    """The bottom edges (px from the viewport's top) of the page's title, its selection line, the
    tiles above its first chart and that chart (an Altair chart, the map or a slide's picture);
    None for what the page does not have."""
    return cast(dict[str, Any], page.evaluate(_FIRST_SCREEN))


def scroll_height(page: Page) -> int:
    """How tall the page's content is: the main area's scroll height (Streamlit scrolls it, not
    the document) or the document's, whichever is more."""
    script = """
    () => Math.max(
      document.scrollingElement.scrollHeight,
      ...Array.from(document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]'))
        .map((e) => e.scrollHeight))
    """
    return int(page.evaluate(script))


# --- walking presentation mode -------------------------------------------------------------------

READY = ", ".join(
    [
        "[data-testid='stMetric']",
        "[data-testid='slide-position']",
        "[data-testid='stAlert']",
        "[data-testid='stDeckGlJsonChart'] canvas",
    ]
)

# Settled: the script has finished (no stale elements, no spinner), the pictures have loaded and
# every chart has drawn its SVG.
_SETTLED = """
() => !document.querySelector('[data-stale="true"], [data-testid="stSpinner"]')
  && Array.from(document.images).every((img) => img.complete)
  && Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]'))
    .every((chart) => chart.querySelector('svg'))
"""


def settle(page: Page, *, timeout_ms: int = 60_000) -> None:
    """Wait until the page has finished drawing (see _SETTLED), then a moment for the layout."""
    page.wait_for_selector(READY, timeout=timeout_ms)
    page.wait_for_function(_SETTLED, timeout=timeout_ms)
    page.wait_for_timeout(300)


def presented_url(base_url: str, name: str, *, lang: str, theme: str) -> str:
    return f"{base_url}/{name}?lang={lang}&present=1&theme={theme}"


def slide_position(page: Page) -> tuple[int, int]:
    """(n, total) from the slideshow's "Slide n of total" / "第 n / total 页"."""
    text = page.get_by_test_id("slide-position").inner_text()
    numbers = [int(part) for part in text.replace("/", " ").split() if part.isdigit()]
    return numbers[0], numbers[-1]


def next_slide(page: Page) -> None:
    """Press → and wait for the next slide to be drawn."""
    before = page.get_by_test_id("slide-position").inner_text()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(old) => document.querySelector('[data-testid=\"slide-position\"]')?.innerText !== old", arg=before
    )
    settle(page)


_PICTURE_SCALE = """
() => Array.from(document.querySelectorAll('[data-testid="stImage"] img'))
  .filter((img) => img.getClientRects().length && img.naturalHeight)
  .map((img) => img.getBoundingClientRect().height / img.naturalHeight)
"""


def picture_scales(page: Page) -> list[float]:
    """For each picture shown: screen pixels per pixel of the PNG."""
    return cast(list[float], page.evaluate(_PICTURE_SCALE))
