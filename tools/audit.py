#!/usr/bin/env python3
"""Lighthouse audit of a built newsgen site, served on localhost, as a phone sees it.

    python tools/audit.py [SITE_DIR] [--page /some/path/] [--fail-under 90]

Builds SITE_DIR (default: the repository) into a temporary folder with base_url pointing at a
local HTTP server, runs Lighthouse (node_modules/.bin/lighthouse, the system Chromium) on the
newest article, or on each --page, and prints the four category scores. Audits that lost points
are listed under the scores. Exit status 1 when a score is below --fail-under.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                "--disable-background-networking --disable-component-update --no-first-run")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def lighthouse(url: str) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    run = subprocess.run(
        [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
         "--form-factor=mobile", f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
        env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        sys.exit(f"lighthouse failed on {url}:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout)


def median_run(url: str, runs: int = 3) -> dict:
    """The run of `runs` with the median performance score. A simulated mobile run's Total Blocking Time
    moves by tens of milliseconds with whatever else the machine does; Lighthouse's documentation on
    variability advises the median of several runs (its own `computeMedianRun`) over one."""
    found = sorted((lighthouse(url) for _ in range(runs)), key=lambda r: r["categories"]["performance"]["score"] or 0)
    return found[len(found) // 2]


def shortfalls(result: dict, key: str) -> list[dict]:
    """The audits of a category that count towards its score and did not pass in full."""
    audits = (result["audits"][ref["id"]] for ref in result["categories"][key]["auditRefs"] if ref["weight"])
    return [audit for audit in audits if audit["score"] is not None and audit["score"] < 1]


def report(url: str, result: dict) -> list[int]:
    scores = []
    print(url)
    for key in CATEGORIES:
        category = result["categories"][key]
        score = round((category["score"] or 0) * 100)
        scores.append(score)
        print(f"  {category['title']:<16} {score:>3}")
        for audit in shortfalls(result, key):
            shown = audit.get("displayValue", "")
            print(f"    - {audit['title']} ({audit['score']:.2f}{', ' + shown if shown else ''})")
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site_dir", nargs="?", default=str(REPO), type=Path)
    parser.add_argument("--page", action="append", default=[], help="site path to audit (default: newest article)")
    parser.add_argument("--fail-under", type=int, default=0, help="exit 1 when any score is lower")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: run `npm ci` in {REPO}")

    with tempfile.TemporaryDirectory(prefix="newsgen-audit-") as work:
        output = Path(work) / "site"
        handler = functools.partial(_Quiet, directory=str(output))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        origin = f"http://127.0.0.1:{server.server_address[1]}/"
        # Built for the address it is served from, so canonical links and feeds point at it too.
        build = subprocess.run([sys.executable, "-m", "newsgen", "build", str(args.site_dir), "-o", str(output),
                                "--base-url", origin, "-q"], capture_output=True, text=True)
        if build.returncode != 0:
            sys.exit(build.stderr)
        pages = args.page or [json.loads((output / "feed.json").read_text())["items"][0]["url"][len(origin) - 1:]]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            scores = [s for page in pages for s in report(origin + page.lstrip("/"), lighthouse(origin + page.lstrip("/")))]
        finally:
            server.shutdown()
            server.server_close()
    return 1 if min(scores) < args.fail_under else 0


if __name__ == "__main__":
    sys.exit(main())
