"""Measure `newsgen serve` save-to-reload latency: from an article file's write to the reloaded page.

    python scripts/serve_latency.py [--articles 1000] [--edits 10]

Generates a site with N articles in a temporary folder, starts `newsgen serve` on it, listens to the
live-reload event stream like an open page does, edits the newest article's headline (its slug is
set, so its URL stays), and times the moment the "new build" event arrives (an open page reloads at
that moment), then the reload itself: a GET of the article's page, as the browser makes it.
Not a test: prints the figures. PYTHONPATH=<other checkout>/src runs another newsgen for comparison.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests


def make_site(root: Path, count: int) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "newsgen.yaml").write_text("title: Latency\nbase_url: https://example.org/\ntimezone: UTC\n")
    sections = ["World", "Politics", "Business", "Science", "Sport", "Culture"]
    start = datetime(2021, 1, 1, 10, 0, tzinfo=timezone.utc)
    for number in range(count):
        date = (start + timedelta(hours=number)).isoformat()  # the last story is the newest
        (root / f"content/story-{number:05d}.md").write_text(
            f"---\ntitle: Story number {number}\nslug: story-{number:05d}\ndate: {date}\n"
            f"categories: [{sections[number % len(sections)]}]\n"
            f"tags: [tag{number % max(1, count // 10)}, topic{number % 7}]\n---\n"
            + "A paragraph of reporting with *some* emphasis and a [link](https://example.org/).\n\n" * 5
        )
    return root


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children (its parse workers); Linux, else 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=1)
    parser.add_argument("--edits", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp) / "site", args.articles)
        log = Path(tmp) / "serve.out"
        launched = time.perf_counter()
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
            startup_cpu = cpu_seconds(server.pid)
            print(f"{args.articles} articles: start-up (launch -> serving) {time.perf_counter() - launched:.1f} s, "
                  f"server CPU {startup_cpu:.1f} s")
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
            newest = args.articles - 1
            sitemap = requests.get(origin + "/sitemap.xml", timeout=60).text
            page_url = re.search(rf"<loc>https?://[^/]+(/[^<]*story-{newest:05d}/)</loc>", sitemap).group(1)
            session = requests.Session()
            events, loads = [], []
            target = site / f"content/story-{newest:05d}.md"
            original = target.read_text()
            temp = site / f"content/.story-{newest:05d}.md.tmp"
            for edit in range(args.edits):
                time.sleep(0.5)
                last = arrivals[-1][1]
                headline = f"Edited headline {edit}"
                temp.write_text(original.replace(f"title: Story number {newest}", f"title: {headline}"))
                written = time.perf_counter()
                os.replace(temp, target)  # an atomic save, as most editors do it
                with arrived:
                    arrived.wait_for(lambda: arrivals[-1][1] > last, 120)
                # the first event announcing a newer build than the one before the save
                event = next(at for at, build in arrivals if build > last)
                asked = time.perf_counter()
                page = session.get(origin + page_url, timeout=60)
                loaded = time.perf_counter()
                assert page.status_code == 200 and headline in page.text, (page.status_code, page_url)
                events.append((event - written) * 1000)
                loads.append((loaded - asked) * 1000)
            totals = [e + load for e, load in zip(events, loads)]
            for what, times in (("save -> reload event", events), ("reload -> page loaded", loads),
                                ("save -> page loaded", totals)):
                print(f"{args.articles} articles, {args.edits} edits: {what}: median {statistics.median(times):.0f} ms,"
                      f" min {min(times):.0f} ms, max {max(times):.0f} ms")
            time.sleep(0.5)  # the last "Built" line is printed just after its event goes out
            builds = [line for line in log.read_text().splitlines() if line.startswith("Built")]
            print(f"{len(builds)} builds (expected {args.edits + 1}); first: {builds[0]}")
            print(f"server CPU per save, watching included: {(cpu_seconds(server.pid) - startup_cpu) / args.edits * 1000:.0f} ms")
            status = Path(f"/proc/{server.pid}/status")
            if status.exists():  # Linux: the server's peak resident memory so far
                peak = re.search(r"VmHWM:\s+(\d+) kB", status.read_text())
                print(f"server peak RSS: {int(peak.group(1)) / 1024:.0f} MiB" if peak else "")
            if os.environ.get("SHOW_LOG"):
                print(log.read_text())
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                print("the server did not stop within 30 s of Ctrl-C")
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
