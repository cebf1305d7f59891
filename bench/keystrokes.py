"""Time from a keystroke to results painted, in Chromium, beside Pagefind's in-browser query time on the same site.

Usage: python -m bench.keystrokes [--corpus rust-blog] [--queries 60] [--interval 0.2]

postsearch: indexes the corpus, starts `postsearch serve`, opens its page in headless Chromium (Debian's chromium
and chromedriver) and types each benchmark query letter by letter, one key every --interval seconds (a steady
typist). With the Performance API the page records each keystroke (the input event's time stamp) and when the
results of each query were painted (the page's `postsearch:results` mark, then the next frame); a keystroke is
timed to the paint of its own text's results. Keystrokes whose results never painted (the next key came first)
are counted apart. The last keystroke of each query is what a reader waits for once they stop typing.

Pagefind: the same sections written as one HTML page per post, indexed by Pagefind (PyPI `pagefind[bin]`),
served on 127.0.0.1, and every prefix the typist produced searched in the same browser with Pagefind's own
API (`search()` and the data of the first 10 results, the work its UI does per search, without its 300 ms
debounce). Writes bench/results/keystrokes-<corpus>.json and .md.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.load import POSTSEARCH, free_port, start_server
from bench.run import CORPORA, extract_sections, machine, make_queries, save_results, spread_ms
from bench.screenshots import browser

RECORDER = """
window.psKeys = []; window.psPaints = [];
const box = document.querySelector('.ps-input');
box.addEventListener('input', e => window.psKeys.push([e.timeStamp, box.value]), true);
new PerformanceObserver(list => {
  for (const mark of list.getEntries()) {
    if (mark.name !== 'postsearch:results') continue;
    requestAnimationFrame(() => setTimeout(() => window.psPaints.push([performance.now(), mark.detail]), 0));
  }
}).observe({type: 'mark'});
"""

PAGEFIND_RUN = """
const [prefixes, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const pagefind = await import('/pagefind/pagefind.js');
  await pagefind.init();
  const times = [];
  for (const prefix of prefixes) {
    const start = performance.now();
    const found = await pagefind.search(prefix);
    await Promise.all(found.results.slice(0, 10).map(result => result.data()));
    times.push(performance.now() - start);
  }
  done(times);
})().catch(error => done(String(error)));
"""


def typed_prefixes(query: str) -> list[str]:
    """What the box holds after each keystroke."""
    return [query[:end] for end in range(1, len(query) + 1)]


def type_queries(driver: Any, base: str, queries: list[str], interval: float) -> dict[str, Any]:
    """Type each query into the page; the keystrokes' times to their results' paint (ms), and the counts."""
    from selenium.webdriver.common.by import By

    driver.get(base + "/")
    box = driver.find_element(By.CSS_SELECTOR, ".ps-input")
    driver.execute_script(RECORDER)
    every, last, unpainted = [], [], 0
    for query in queries:
        driver.execute_script("arguments[0].value = ''; window.psKeys = []; window.psPaints = [];", box)
        for letter in query:
            box.send_keys(letter)
            time.sleep(interval)
        time.sleep(1.0)  # the last keystroke's results
        keys, paints = driver.execute_script("return [window.psKeys, window.psPaints];")
        waits = keystroke_waits(keys, paints)
        unpainted += sum(1 for wait in waits if wait is None)
        every += [wait for wait in waits if wait is not None]
        if waits and waits[-1] is not None:
            last.append(waits[-1])
    fetches = driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/search?'))"
        ".map(e => e.responseEnd - e.startTime);"
    )
    return {"every": every, "last": last, "unpainted": unpainted, "keystrokes": sum(map(len, queries)), "fetch": fetches}


def keystroke_waits(keys: list[list], paints: list[list]) -> list[float | None]:
    """For each keystroke, ms until the results of its text were painted (None: never, a later key came first)."""
    waits: list[float | None] = []
    for pressed, text in keys:
        painted = [when for when, query in paints if when >= pressed and query.strip() == text.strip()]
        waits.append(painted[0] - pressed if painted else None)
    return waits


def pagefind_site(documents: list[dict], folder: Path) -> None:
    """One HTML page per post of the sections, then Pagefind's index of them in folder/pagefind."""
    posts: dict[str, list[dict]] = defaultdict(list)
    for document in documents:
        posts[document["path"]].append(document)
    for number, sections in enumerate(posts.values()):
        title = html.escape(sections[0]["title"])
        parts = [f"<h1>{title}</h1>"]
        for section in sections:
            if section["heading"]:
                parts.append(f"<h2>{html.escape(section['heading'])}</h2>")
            parts += [f"<p>{html.escape(section['body'])}</p>", f"<pre>{html.escape(section.get('code') or '')}</pre>"]
        page = f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body><main>{''.join(parts)}</main></body></html>"
        (folder / f"post-{number}.html").write_text(page, encoding="utf-8")
    (folder / "index.html").write_text("<!doctype html><html lang='en'><head><title>search</title></head><body></body></html>")
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(folder)], check=True, capture_output=True)


class QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that logs nothing."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


def serve_folder(folder: Path) -> ThreadingHTTPServer:
    """A static HTTP server of folder on 127.0.0.1 (in a thread)."""
    handler = partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(corpus: str, query_count: int, interval: float) -> dict[str, Any]:
    documents = extract_sections(CORPORA / corpus)
    queries = [q for q in make_queries(documents, 200) if q.isascii()][:query_count]
    with tempfile.TemporaryDirectory(prefix="postsearch-keys-") as work:
        index_dir, site = Path(work) / "index", Path(work) / "pagefind-site"
        subprocess.run([POSTSEARCH, "index", str(CORPORA / corpus), "--index", str(index_dir)], check=True, capture_output=True)
        site.mkdir()
        pagefind_site(documents, site)
        port = free_port()
        server, static = start_server(index_dir, port, None), serve_folder(site)
        driver = browser(Path(work) / "profile")
        try:
            ours = type_queries(driver, f"http://127.0.0.1:{port}", queries, interval)
            driver.get(f"http://127.0.0.1:{static.server_address[1]}/index.html")
            driver.set_script_timeout(600)
            theirs = driver.execute_async_script(PAGEFIND_RUN, [p for q in queries for p in typed_prefixes(q)])
        finally:
            driver.quit()
            server.terminate()
            server.wait(10)
            static.shutdown()
    if isinstance(theirs, str):
        raise SystemExit(f"Pagefind failed in the browser: {theirs}")
    return {
        "corpus": corpus, "queries": len(queries), "interval_s": interval,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
        "keystrokes": ours["keystrokes"], "unpainted": ours["unpainted"],
        "keystroke_to_paint_ms": spread_ms(ours["every"]), "last_keystroke_to_paint_ms": spread_ms(ours["last"]),
        "search_fetch_ms": spread_ms(ours["fetch"]), "pagefind_query_ms": spread_ms(theirs),
        "pagefind_searches": len(theirs),
    }


def table(result: dict[str, Any]) -> str:
    def cell(figures: dict[str, float]) -> str:
        return f"{figures['p50']:.1f} / {figures['p95']:.1f}"

    return "\n".join([
        f"# Keystroke to results painted: {result['corpus']}, {result['when']}",
        "",
        f"{result['queries']} benchmark queries typed a letter every {result['interval_s'] * 1000:.0f} ms in headless "
        f"Chromium ({result['keystrokes']} keystrokes; {result['unpainted']} superseded by the next key before their results painted).",
        "",
        "| measure | p50 / p95 (ms) |",
        "|---|---|",
        f"| postsearch page: keystroke to its results painted | {cell(result['keystroke_to_paint_ms'])} |",
        f"| postsearch page: last keystroke of a query to its results painted | {cell(result['last_keystroke_to_paint_ms'])} |",
        f"| postsearch page: `/search` request, sent to received | {cell(result['search_fetch_ms'])} |",
        f"| Pagefind in the same browser: `search()` + data of the first 10 results ({result['pagefind_searches']} prefixes) | {cell(result['pagefind_query_ms'])} |",
        "",
        "The page's keystroke time includes its 150 ms wait for a pause in typing; Pagefind's UI waits 300 ms before it searches, which its row leaves out.",
        "",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="rust-blog")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between keystrokes")
    args = parser.parse_args()
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        raise SystemExit("Debian's chromium and chromium-driver are needed")
    result = measure(args.corpus, args.queries, args.interval)
    markdown = table(result)
    save_results(f"keystrokes-{args.corpus}", result, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
