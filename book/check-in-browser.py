#!/usr/bin/env python3
"""Checks the built book as a reader sees it, in a real browser (headless Chromium).

    mdbook build book && python3 book/check-in-browser.py

It serves book/book/ on 127.0.0.1 (a free port), and opens every chapter of SUMMARY.md in Chromium, through
a small page of its own that loads each chapter in a frame and looks at it:

- the chapter renders its title (an h1), as many code blocks as its Markdown has fences, and no unresolved
  `{{#` directive;
- every image (the diagrams, the charts) loads, with a width and a height above zero;
- every link inside the book points at a page that exists and, with a #fragment, at an id on that page;
- the search box finds SO_REUSEADDR (the search index is built and loads).

It then saves a screenshot of one chapter to target/book-screenshot.png (a CI artifact), and exits with 1
and the list of problems if there is any. Only Python's standard library is used; Chromium comes from
Debian's `chromium` package (.ci/run installs it).
"""

import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book" / "book"
SRC = ROOT / "book" / "src"
SCREENSHOT = ROOT / "target" / "book-screenshot.png"
SCREENSHOT_CHAPTER = "06-reuseaddr.html"
SEARCH_TERM = "SO_REUSEADDR"
# The whole run in the browser: every chapter, its images and links, then the search. A few seconds on
# loopback; the budget only stops a page that never finishes.
BROWSER_TIMEOUT_S = 180

HARNESS = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>checking</title></head>
<body>
<iframe id="frame" style="width:1200px;height:900px"></iframe>
<pre id="result"></pre>
<script>
const CHAPTERS = __CHAPTERS__;
const SEARCH_TERM = __SEARCH__;
const frame = document.getElementById('frame');
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function load(url) {
  return new Promise(resolve => {
    frame.onload = () => resolve(frame.contentWindow);
    frame.src = url;
  });
}

async function waitFor(test, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = test();
    if (value) return value;
    await sleep(50);
  }
  return test();
}

const pages = new Map();
async function page(path) {
  if (!pages.has(path)) {
    const response = await fetch(path);
    const text = response.ok ? await response.text() : null;
    pages.set(path, text === null ? null : new DOMParser().parseFromString(text, 'text/html'));
  }
  return pages.get(path);
}

async function check() {
  const report = { chapters: [], search: 0, problems: [] };
  for (const chapter of CHAPTERS) {
    const win = await load(chapter.url);
    const doc = win.document;
    const problems = [];
    const main = doc.querySelector('main') || doc.body;
    const h1 = main.querySelector('h1');
    const title = h1 ? h1.textContent.trim() : '';
    if (!title) problems.push('no title (h1)');
    const codes = main.querySelectorAll('pre code').length;
    if (codes < chapter.fences) problems.push(`${codes} code blocks, the Markdown has ${chapter.fences}`);
    if (doc.body.innerHTML.includes('{{#')) problems.push('an unresolved {{# directive');
    const images = Array.from(main.querySelectorAll('img'));
    await waitFor(() => images.every(image => image.complete), 10000);
    for (const image of images) {
      if (!image.complete || image.naturalWidth === 0 || image.naturalHeight === 0) {
        problems.push(`the image ${image.getAttribute('src')} did not load`);
      }
    }
    if (images.length < chapter.images) problems.push(`${images.length} images, the Markdown has ${chapter.images}`);
    for (const link of main.querySelectorAll('a[href]')) {
      const url = new URL(link.getAttribute('href'), win.location.href);
      if (url.origin !== location.origin) continue;
      const target = await page(url.pathname);
      if (target === null) {
        problems.push(`a link to ${url.pathname}, which does not exist`);
      } else if (url.hash && !target.getElementById(decodeURIComponent(url.hash.slice(1)))) {
        problems.push(`a link to ${url.pathname}${url.hash}, which has no such id`);
      }
    }
    report.chapters.push({ url: chapter.url, title, codes, images: images.length, problems });
    for (const problem of problems) report.problems.push(`${chapter.url}: ${problem}`);
  }
  const win = await load('index.html?search=' + encodeURIComponent(SEARCH_TERM));
  report.search = await waitFor(
    () => win.document.querySelectorAll('#mdbook-searchresults li').length, 15000);
  if (!report.search) report.problems.push(`the search finds nothing for ${SEARCH_TERM}`);
  return report;
}

check()
  .then(report => { document.getElementById('result').textContent = JSON.stringify(report); })
  .catch(error => {
    document.getElementById('result').textContent = JSON.stringify({ error: String(error) });
  });
</script>
</body></html>
"""


def chapters():
    """The chapters of SUMMARY.md, each with the number of code fences and images its Markdown has."""
    found = []
    summary = (SRC / "SUMMARY.md").read_text()
    for md in re.findall(r"\]\(([^)]+\.md)\)", summary):
        text = (SRC / md).read_text()
        fences, images, in_code = 0, 0, False
        for line in text.splitlines():
            if line.lstrip().startswith("```"):
                if not in_code:
                    fences += 1
                in_code = not in_code
            elif not in_code:
                images += len(re.findall(r"!\[[^\]]*\]\(", line))
        url = md[: -len(".md")] + ".html"
        found.append({"url": url, "fences": fences, "images": images})
    return found


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("error: Chromium is missing: sudo apt-get install chromium")


def browser(*args):
    """Runs headless Chromium with `args`; returns its stdout."""
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        # Chromium's sandbox refuses to run as root, as CI containers do; the pages are our own book.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S)
    return done.stdout


class Quiet(http.server.SimpleHTTPRequestHandler):
    """The book's files, and the harness page at /__check__.html; no log line per request."""

    harness = b""

    def do_GET(self):
        if self.path == "/__check__.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(self.harness)))
            self.end_headers()
            self.wfile.write(self.harness)
        else:
            super().do_GET()

    def log_message(self, *args):
        pass


def main():
    if not (BOOK / "index.html").is_file():
        sys.exit(f"error: {BOOK} has no index.html: run `mdbook build book` first")
    listed = chapters()
    Quiet.harness = (
        HARNESS.replace("__CHAPTERS__", json.dumps(listed))
        .replace("__SEARCH__", json.dumps(SEARCH_TERM))
        .encode()
    )
    handler = functools.partial(Quiet, directory=str(BOOK))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        dom = browser(
            f"--virtual-time-budget={BROWSER_TIMEOUT_S * 1000}",
            "--dump-dom",
            f"{base}/__check__.html",
        )
        match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
        if not match or not match.group(1).strip():
            sys.exit("error: the check page did not finish in the browser:\n" + dom[-2000:])
        report = json.loads(html.unescape(match.group(1)))
        if "error" in report:
            sys.exit(f"error: the check page failed: {report['error']}")

        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        if SCREENSHOT.exists():
            SCREENSHOT.unlink()
        browser(
            f"--screenshot={SCREENSHOT}",
            "--window-size=1280,1600",
            "--hide-scrollbars",
            f"{base}/{SCREENSHOT_CHAPTER}",
        )
    finally:
        server.shutdown()

    for chapter in report["chapters"]:
        status = "ok" if not chapter["problems"] else "PROBLEMS"
        print(
            f"{chapter['url']:<34} {status:<8} title {chapter['title']!r}, "
            f"{chapter['codes']} code blocks, {chapter['images']} images"
        )
    print(f"search for {SEARCH_TERM}: {report['search']} results")
    problems = list(report["problems"])
    if not SCREENSHOT.is_file() or SCREENSHOT.stat().st_size == 0:
        problems.append(f"no screenshot was saved to {SCREENSHOT}")
    else:
        print(f"screenshot of {SCREENSHOT_CHAPTER}: {SCREENSHOT.relative_to(ROOT)} "
              f"({SCREENSHOT.stat().st_size} bytes)")
    if len(report["chapters"]) != len(listed):
        problems.append(f"{len(report['chapters'])} chapters checked of {len(listed)}")
    if problems:
        print("\nThe book has problems:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"\nAll {len(listed)} chapters render, with their code, images and links; search works.")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
