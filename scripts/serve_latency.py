"""Measure `newsgen serve` save-to-reload latency: from an article file's write to the reload event.

    python scripts/serve_latency.py [--articles 1000] [--edits 10]

Generates a site with N articles in a temporary folder, starts `newsgen serve` on it, listens to the
live-reload event stream like an open page does, edits one article's headline and times the moment
the "new build" event arrives (the page reloads at that moment; loading it adds one local request).
Not a test: prints the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests


def make_site(root: Path, count: int) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "newsgen.yaml").write_text("title: Latency\nbase_url: https://example.org/\ntimezone: UTC\n")
    sections = ["World", "Politics", "Business", "Science", "Sport", "Culture"]
    for number in range(count):
        day = 1 + number % 28
        month = 1 + (number // 28) % 12
        (root / f"content/story-{number:04d}.md").write_text(
            f"---\ntitle: Story number {number}\ndate: 2021-{month:02d}-{day:02d}T10:{number % 60:02d}:00+00:00\n"
            f"categories: [{sections[number % len(sections)]}]\ntags: [tag{number % 40}, topic{number % 7}]\n---\n"
            + "A paragraph of reporting with *some* emphasis and a [link](https://example.org/).\n\n" * 5
        )
    return root


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp) / "site", args.articles)
        log = Path(tmp) / "serve.out"
        with log.open("wb") as out:
            server = subprocess.Popen([sys.executable, "-m", "newsgen", "serve", str(site), "--port", "0", "-q"],
                                      stdout=out, stderr=subprocess.STDOUT)
        try:
            origin = None
            while origin is None:
                found = re.search(r"at (http://[^/]+)", log.read_text())
                origin = found.group(1) if found else None
                if server.poll() is not None:
                    print(log.read_text())
                    return 1
                time.sleep(0.05)
            arrivals: list[tuple[float, int | None]] = []
            arrived = threading.Condition()

            def listen() -> None:
                with requests.get(origin + "/__newsgen/events", stream=True, timeout=600) as events:
                    for line in events.iter_lines(chunk_size=1, decode_unicode=True):
                        if line.startswith("data: "):
                            with arrived:
                                arrivals.append((time.perf_counter(), json.loads(line[6:])["build"] or 0))
                                arrived.notify_all()

            threading.Thread(target=listen, daemon=True).start()
            with arrived:
                arrived.wait_for(lambda: arrivals, 60)
            times = []
            target = site / "content/story-0000.md"
            original = target.read_text()
            temp = site / "content/.story-0000.md.tmp"
            for edit in range(args.edits):
                time.sleep(0.5)
                last = arrivals[-1][1]
                temp.write_text(original.replace("title: Story number 0", f"title: Edited headline {edit}"))
                written = time.perf_counter()
                os.replace(temp, target)  # an atomic save, as most editors do it
                with arrived:
                    arrived.wait_for(lambda: arrivals[-1][1] > last, 120)
                # the first event announcing a newer build than the one before the save
                times.append((next(at for at, build in arrivals if build > last) - written) * 1000)
            print(f"{args.articles} articles: save -> reload event, {args.edits} edits: "
                  f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms")
            time.sleep(0.5)  # the last "Built" line is printed just after its event goes out
            builds = [line for line in log.read_text().splitlines() if line.startswith("Built")]
            print(f"{len(builds)} builds (expected {args.edits + 1}); first: {builds[0]}")
            if os.environ.get("SHOW_LOG"):
                print(log.read_text())
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
