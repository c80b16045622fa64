"""The built book in a real browser: pages load cleanly, figures render, heatmaps show hover values.

Builds the book once per session with tiny parameters into a temporary folder (the checkout's
``_build/`` stays untouched), serves it from 127.0.0.1 and drives Debian's chromium through
Playwright. Screenshots of every page go to ``tests/screenshots/`` (gitignored).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import jupytext
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
FIGURES = Path(__file__).resolve().parents[2] / "_build" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]



@pytest.fixture(scope="session")
def book_html(tmp_path_factory):
    from almodules.chapters.execution import build_book

    work = tmp_path_factory.mktemp("book")
    params = work / "tiny.yaml"
    import yaml

    from almodules.chapters.execution import notebook_names, notebooks_dir

    tiny = {name: jupytext.read(notebooks_dir() / f"{name}.md").metadata["almodules"]["tiny"]
            for name in notebook_names()}
    params.write_text(yaml.safe_dump(tiny))
    mp = pytest.MonkeyPatch()
    mp.setenv("ALM_RESULTS_DIR", str(work / "results"))
    try:
        index = build_book(book_parameters=params, root=work / "root", progress=False)
    finally:
        mp.undo()
    return index.parent


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports failures itself
        pass


@pytest.fixture(scope="session")
def server(book_html):
    handler = functools.partial(_QuietHandler, directory=str(book_html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _pages(html: Path) -> list[str]:
    pages = [p.relative_to(html).as_posix() for p in sorted(html.rglob("*.html"))
             if not p.relative_to(html).parts[0].startswith("_")]
    assert any(p.startswith("book/executed/") for p in pages)
    return pages


def _open(browser, url: str):
    """Open ``url``; return the page and the list of problems it reports."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    return page, problems


# Titles of each figure (its title and its panel titles) whose boxes intersect.
OVERLAPPING_TITLES = """() => {
  const hits = [];
  for (const fig of document.querySelectorAll("div.plotly-graph-div")) {
    const boxes = [...fig.querySelectorAll(".gtitle, .annotation-text")]
      .map(e => [e.textContent, e.getBoundingClientRect()]).filter(([t, r]) => t && r.width > 0);
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, r] = boxes[i], [b, q] = boxes[j];
        if (r.left < q.right - 1 && q.left < r.right - 1 && r.top < q.bottom - 1 && q.top < r.bottom - 1)
          hits.push(a + " | " + b);
      }
  }
  return hits;
}"""


def test_every_page_loads_cleanly_and_every_figure_renders(book_html, server, browser):
    SCREENSHOTS.mkdir(exist_ok=True)
    n_figures = 0
    for rel in _pages(book_html):
        page, problems = _open(browser, f"{server}/{rel}")
        try:
            graphs = page.locator("div.plotly-graph-div")
            count = graphs.count()
            for i in range(count):
                graphs.nth(i).locator(".main-svg").first.wait_for(state="attached", timeout=15_000)
            rendered = page.locator(".js-plotly-plot .main-svg").count()
            assert count == 0 or rendered >= count, f"{rel}: {count} figures, {rendered} rendered SVGs"
            if rel.startswith("book/executed/"):
                assert count > 0, f"{rel}: a chapter without figures"
            n_figures += count
            overlaps = page.evaluate(OVERLAPPING_TITLES)
            assert not overlaps, f"{rel}: figure titles overlap: {overlaps}"
            page.screenshot(path=str(SCREENSHOTS / (re.sub(r"[^A-Za-z0-9]+", "_", rel) + ".png")), full_page=True)
            if rel.startswith("book/executed/") and count:
                # a reviewer's look at the book without opening it: each chapter's first figure
                FIGURES.mkdir(parents=True, exist_ok=True)
                graphs.first.screenshot(path=str(FIGURES / f"{Path(rel).stem}.png"))
        finally:
            page.close()
        assert not problems, f"{rel}: " + "; ".join(problems)
    assert n_figures >= 20


def test_hovering_a_win_rate_cell_shows_its_value(server, browser):
    page, problems = _open(browser, f"{server}/book/executed/04_embedding_quality.html")
    try:
        heatmap = page.locator(".js-plotly-plot", has=page.locator("g.hm")).first
        heatmap.scroll_into_view_if_needed()
        # _fullData holds the decoded arrays (the figure JSON ships them base64-encoded)
        n = heatmap.evaluate("gd => gd._fullData[0].y.length")
        expected = heatmap.evaluate("gd => gd._fullData[0].z[0][1]")
        box = heatmap.locator(".nsewdrag").first.bounding_box()
        # row 0 (top, the axis is reversed), column 1: an off-diagonal cell
        page.mouse.move(box["x"] + 1.5 * box["width"] / n, box["y"] + 0.5 * box["height"] / n)
        label = heatmap.locator(".hoverlayer .hovertext")
        label.first.wait_for(state="attached", timeout=5_000)
        text = label.first.text_content()
        page.screenshot(path=str(SCREENSHOTS / "heatmap_hover.png"))
    finally:
        page.close()
    assert "beats" in text and "win rate" in text
    assert f"{100 * expected:.1f}%" in text
    assert not problems, "; ".join(problems)


def test_the_dataset_menu_swaps_traces_panels_and_titles(browser, tmp_path):
    import pandas as pd

    from almodules.figures import study as figures

    curves = pd.DataFrame([{"dataset": f"d{d}", "embedder": f"e{e}", "strategy": s, "n_labeled": n, "mean": 0.5,
                            "std": 0.1, "n_seeds": 3}
                           for d in range(5) for e in range(4 if d == 0 else 6 if d < 4 else 11) for s in ("random", "badge")
                           for n in (10, 20)])
    html = tmp_path / "menu.html"
    figures.learning_curve_figure(curves).write_html(html, include_plotlyjs=True)  # plotly.js from the package
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(html.as_uri(), wait_until="load")

    def titles():
        return page.eval_on_selector_all(".annotation-text", "els => els.map(e => e.textContent)")

    def traces():  # lines plotly actually drew (a path with points)
        return page.eval_on_selector_all(".scatterlayer .trace path.js-line",
                                         "els => els.filter(e => (e.getAttribute('d') || '').length > 10).length")

    assert titles() == ["e0", "e1", "e2", "e3"] and traces() == 4 * 2 * 2  # panels x strategies x (band + line)
    page.click(".updatemenu-header")
    page.click(".updatemenu-item-text >> text='dataset: d3'")
    page.wait_for_timeout(300)
    assert titles() == [f"e{k}" for k in range(6)] and traces() == 6 * 2 * 2  # d3's six embedders, two rows
    assert page.eval_on_selector(".updatemenu-header .updatemenu-item-text", "e => e.textContent") == "dataset: d3"
    page.close()


def test_every_chapter_page_offers_its_downloads_and_the_command_to_rerun_it(book_html, server, browser):
    import nbformat

    from almodules.chapters.parameters import notebook_names

    for name in notebook_names():
        page, problems = _open(browser, f"{server}/book/executed/{name}.html")
        try:
            assert page.locator("h2", has_text="Run this chapter yourself").count() == 1, name
            assert f"python -m almodules book --only {name}" in page.inner_text("article")
            links = {href.rsplit("/", 1)[-1]: href for href in page.eval_on_selector_all(
                "a.download", "els => els.map(e => e.getAttribute('href'))")}
            for file in (f"{name}.ipynb", f"{name}-student.ipynb", f"{name}.md"):
                assert file in links, f"{name}: no download link to {file} ({sorted(links)})"
                response = page.request.get(f"{server}/book/executed/{links[file]}")
                assert response.status == 200, f"{name}: {file} answers HTTP {response.status}"
                if file.endswith(".ipynb"):
                    nbformat.validate(nbformat.reads(response.text(), as_version=4))
        finally:
            page.close()
        assert not problems, f"{name}: " + "; ".join(problems)


def test_hovering_a_learning_curve_shows_its_spread(server, browser):
    page, problems = _open(browser, f"{server}/book/executed/03_al_cycles.html")
    try:
        graph = page.locator(".js-plotly-plot").first
        graph.scroll_into_view_if_needed()
        point = graph.evaluate("gd => { const t = gd._fullData.find(d => d.mode === 'lines+markers' && d.visible === true);"
                               " return [t.xaxis, t.yaxis, t.x[1], t.y[1], t.name]; }")
        xa, ya, x, y, _ = point
        position = graph.evaluate(
            "(gd, p) => { const L = gd._fullLayout; const xa = L[p[0].replace('x', 'xaxis')];"
            " const ya = L[p[1].replace('y', 'yaxis')]; const r = gd.getBoundingClientRect();"
            " return [r.left + xa._offset + xa.l2p(p[2]), r.top + ya._offset + ya.l2p(p[3])]; }", [xa, ya, x, y])
        page.mouse.move(*position)
        label = graph.locator(".hoverlayer .hovertext")
        label.first.wait_for(state="attached", timeout=5_000)
        text = " ".join(label.all_text_contents())
    finally:
        page.close()
    assert "±" in text and "seeds" in text, text
    assert not problems, "; ".join(problems)


def test_every_downloaded_notebook_executes_with_papermill_where_it_was_saved(book_html, server, browser,
                                                                                tmp_path, monkeypatch):
    """A reader downloads a chapter's .ipynb from its page and runs it with papermill in their own folder."""
    import papermill

    from almodules.chapters.execution import _this_interpreters_kernels, notebook_names, notebooks_dir

    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    for name in notebook_names():
        page, _ = _open(browser, f"{server}/book/executed/{name}.html")
        try:
            href = next(h for h in page.eval_on_selector_all("a.download", "els => els.map(e => e.getAttribute('href'))")
                        if h.endswith(f"/{name}.ipynb"))
            saved = tmp_path / f"{name}.ipynb"
            saved.write_bytes(page.request.get(f"{server}/book/executed/{href}").body())
        finally:
            page.close()
        tiny = jupytext.read(notebooks_dir() / f"{name}.md").metadata["almodules"]["tiny"]
        with _this_interpreters_kernels():
            papermill.execute_notebook(str(saved), str(tmp_path / f"{name}.out.ipynb"), parameters=tiny,
                                       cwd=str(tmp_path), progress_bar=False)  # its own kernelspec
