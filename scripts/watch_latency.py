"""Measure the watcher's save-to-rebuild-start latency: from an article's write to Watcher.wait returning.

    python scripts/watch_latency.py [--articles 1000] [--saves 20]

Generates a site of N article files in a temporary folder, starts a Watcher on it, and saves one article
from another thread at a random moment while wait() blocks, as an editor saves while `newsgen serve`
idles. Not a test: prints the figures. PYTHONPATH=<other checkout>/src measures another newsgen.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from newsgen.watch import Watcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "newsgen.yaml").write_text("title: Latency\n")
        for number in range(args.articles):
            (site / f"content/{number % 50:02d}").mkdir(parents=True, exist_ok=True)
            (site / f"content/{number % 50:02d}/story-{number:05d}.md").write_text(f"# Story {number}\n")
        target = site / "content/00/story-00000.md"
        watcher = Watcher(site)
        stop = threading.Event()
        rng = random.Random(1)
        figures = []
        saved_at = 0.0
        for number in range(args.saves):
            def save(text: str = f"# Story 0, take {number}\n") -> None:
                nonlocal saved_at
                time.sleep(rng.uniform(0.05, 0.3))  # the watcher is idle in wait() when the save comes
                saved_at = time.perf_counter()
                target.write_text(text)

            saver = threading.Thread(target=save)
            saver.start()
            batch = watcher.wait(stop)
            figures.append((time.perf_counter() - saved_at) * 1000)
            saver.join()
            assert batch == {"content/00/story-00000.md"}, batch
        watcher.close()
    figures.sort()
    print(f"{args.articles} articles, {args.saves} saves: median {statistics.median(figures):.0f} ms, "
          f"p90 {figures[int(len(figures) * 0.9) - 1]:.0f} ms, min {figures[0]:.0f} ms, max {figures[-1]:.0f} ms")


if __name__ == "__main__":
    main()
