"""Command line: argument parsing, progress and summary. The only place that prints errors and exits."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .build import BuildOptions, BuildResult, build
from .errors import EXIT_USAGE, NewsgenError, Problem, UsageError, did_you_mean

STARTER_DIR = Path(__file__).parent / "starter"
COMMANDS = ("build", "init")


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a "did you mean" for mistyped commands."""

    def error(self, message: str) -> None:  # type: ignore[override]
        if "invalid choice" in message and len(sys.argv) > 1:
            hint = did_you_mean(sys.argv[1], COMMANDS)
            message += f"; {hint}" if hint else ""
        self.print_usage(sys.stderr)
        print(f"newsgen: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsgen", description="Build a static news site from Markdown articles.")
    parser.add_argument("--version", action="version", version=f"newsgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build_cmd = commands.add_parser(
        "build", help="build the site into a folder",
        description="Build the site in SITE_DIR into SITE_DIR/build (or --output).",
        epilog="examples:\n  newsgen build\n  newsgen build mysite -o public --base-url https://example.org/news/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build_cmd.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                           help="the site folder (default: the current folder)")
    build_cmd.add_argument("-o", "--output", type=Path, help="output folder (default: SITE_DIR/build)")
    build_cmd.add_argument("--base-url", help="override base_url, e.g. https://example.org/news/")
    build_cmd.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    build_cmd.add_argument("--future", action="store_true", help="include articles dated in the future")
    build_cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")

    init_cmd = commands.add_parser(
        "init", help="create a new site", description="Create a new site in DIR, ready to build.",
        epilog="example:\n  newsgen init mysite && newsgen build mysite",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init_cmd.add_argument("directory", type=Path, metavar="DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        return _init(args.directory)
    except NewsgenError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        noun = "problem" if len(exc.problems) == 1 else "problems"
        print(f"newsgen: {len(exc.problems)} {noun}; nothing was written", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _build(args: argparse.Namespace) -> int:
    progress = _Progress() if sys.stderr.isatty() and not args.quiet else None
    options = BuildOptions(output=args.output, base_url=args.base_url, drafts=args.drafts, future=args.future,
                           progress=progress)
    try:
        result = build(args.site_dir, options)
    finally:
        if progress:
            progress.clear()
    for warning in result.site.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not args.quiet:
        print(summary(result))
    return 0


class _Progress:
    """One self-overwriting stderr line for long builds (terminals only), at most ten updates a second."""

    def __init__(self) -> None:
        self._shown = 0.0
        self._dirty = False

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._shown < 0.1 and done < total:
            return
        self._shown = now
        self._dirty = True
        print(f"\r\033[K{step}: {done}/{total} ({100 * done // max(total, 1)}%)", end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self._dirty:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def summary(result: BuildResult) -> str:
    site = result.site
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.pages_by_kind.items()))
    drafts = sum(1 for s in site.skipped if s.reason == "draft")
    scheduled = [s for s in site.skipped if s.reason == "scheduled"]
    lines = [
        f"Built {sum(result.pages_by_kind.values())} files into {result.output} in {result.seconds:.2f}s "
        f"({result.written} written, the rest unchanged)",
        f"  pages: {kinds}; {result.static_files} static files",
        f"  {len(site.articles)} articles, {len(site.categories)} categories, {len(site.tags)} tags; "
        f"skipped {drafts} drafts, {len(scheduled)} scheduled",
        f"  {result.parsed} article files parsed and {result.rendered} pages rendered; the rest came from the cache",
    ]
    for skipped in site.skipped:
        when = f" (due {skipped.due.isoformat()})" if skipped.due else ""
        lines.append(f"  skipped {skipped.source}: {skipped.reason}{when}")
    due = site.next_due
    if due and due.due:
        lines.append(f"  next scheduled article is due {due.due.isoformat()}: rebuild then to publish {due.source}")
    return "\n".join(lines)


def _init(directory: Path) -> int:
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(Problem(f"{directory} exists and is not empty; choose a new folder", field="DIR"))
    shutil.copytree(STARTER_DIR, directory, dirs_exist_ok=True)
    for folder in ("templates", "static"):
        (directory / folder).mkdir(exist_ok=True)
    print(f"Created a new site in {directory}\nBuild it with: newsgen build {os.fspath(directory)}")
    return 0
