"""Command line: argument parsing, progress and summary. The only place that prints errors and exits."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from . import config as config_module
from .build import BuildOptions, BuildResult, build, source_date_epoch
from .check import check_site
from .content import CONTENT_DIR, PLACEHOLDER_BODY
from .errors import EXIT_USAGE, NewsgenError, Problem, UsageError, did_you_mean
from .sitedir import find_site, require_site
from .urls import slugify

STARTER_DIR = Path(__file__).parent / "starter"
COMMANDS = ("build", "init", "new", "serve", "check")
EXIT_INTERNAL = 70  # a bug in newsgen itself (BSD's EX_SOFTWARE)
# What a command that stopped on an error did not do: each is true of every error that command raises.
FAILED = {
    "build": "nothing was written",
    "init": "no site was created",
    "new": "no article was written",
    "serve": "the preview is not running",
    "check": "nothing was checked",
}


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
    parser = _Parser(
        prog="newsgen", description="Build a static news site from Markdown articles.",
        epilog="examples:\n  newsgen init mysite\n  cd mysite && newsgen new \"Council approves budget\" --category Local\n"
               "  newsgen build\n\nrun 'newsgen COMMAND --help' for each command's options",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build_cmd = commands.add_parser(
        "build", help="build the site into a folder",
        description="Build the site in SITE_DIR into SITE_DIR/build (or --output).",
        epilog="examples:\n  newsgen build\n  newsgen build mysite -o public --base-url https://example.org/news/\n"
               "  newsgen build --drafts --future          # preview everything\n"
               "  newsgen build --strict -q                # in CI: warnings fail the build\n"
               "  newsgen build --json | jq -r '.changed[]'  # URLs to purge from a CDN\n\n"
               "colour and progress appear only on a terminal; set NO_COLOR=1 to turn colour off",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    build_cmd.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                           help="the site folder (default: the current folder)")
    build_cmd.add_argument("-o", "--output", type=Path, help="output folder (default: SITE_DIR/build)")
    build_cmd.add_argument("--base-url", help="override base_url, e.g. https://example.org/news/")
    build_cmd.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
    build_cmd.add_argument("--future", action="store_true", help="include articles dated in the future")
    build_cmd.add_argument("--strict", action="store_true",
                           help="treat warnings as errors: the build fails and nothing is written")
    # one of three ways to report: none of them can be honoured alongside another
    output_mode = build_cmd.add_mutually_exclusive_group()
    output_mode.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    output_mode.add_argument("-v", "--verbose", action="store_true",
                             help="also list every article with its URL and every changed file")
    output_mode.add_argument("--json", action="store_true",
                             help="print a machine-readable report on stdout instead of the summary")
    build_cmd.add_argument("--debug", action="store_true",
                           help="print a full traceback when newsgen itself fails (with the summary, also the -v "
                                "listing)")

    init_cmd = commands.add_parser(
        "init", help="create a new site", description="Create a new site in DIR, ready to build.",
        epilog="examples:\n  newsgen init mysite && newsgen build mysite\n"
               "  newsgen init . # in an empty folder\n\n"
               "the new site has newsgen.yaml, one sample article in content/, and empty templates/ and static/\n"
               "folders for overriding the theme (see README.md there)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init_cmd.add_argument("directory", type=Path, metavar="DIR", help="a new or empty folder")

    check_cmd = commands.add_parser(
        "check", help="validate a built site offline",
        description="Check a built site: internal links and anchors, assets, feeds, sitemaps, "
                    "titles, descriptions, canonical links and JSON-LD. Exits 1 when anything is wrong.",
        epilog="example:\n  newsgen build && newsgen check build",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check_cmd.add_argument("build_dir", nargs="?", type=Path, metavar="BUILD_DIR",
                           help="the built site (default: build/ of the site in the current folder)")

    new_cmd = commands.add_parser(
        "new", help="start a new article",
        description="Create content/<date>-<slug>.md with its front matter filled in (the date is now, in the "
                    "site's time zone), marked draft: true. The site is the current folder or the nearest one "
                    "above it with newsgen.yaml or content/. An existing file is never overwritten.",
        epilog="examples:\n  newsgen new \"Council approves harbour budget\"\n"
               "  newsgen new \"Storm closes the port\" --category Local --tag Weather --tag Harbour\n"
               "  newsgen new \"Results are in\" --publish  # no draft: true, published by the next build\n"
               "  newsgen new \"Why the vote matters\" --type Analysis --site mysite",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new_cmd.add_argument("headline", metavar="HEADLINE", help="the article's title")
    new_cmd.add_argument("--site", type=Path, default=Path("."), metavar="SITE_DIR",
                         help="a folder in the site (default: the current folder)")
    new_cmd.add_argument("--category", action="append", default=[], metavar="NAME",
                         help="a category (repeat for more); the first is the section")
    new_cmd.add_argument("--tag", action="append", default=[], metavar="NAME", help="a tag (repeat for more)")
    new_cmd.add_argument("--author", action="append", default=[], metavar="NAME", help="a byline (repeat for more)")
    new_cmd.add_argument("--type", dest="article_type", choices=("News", "Opinion", "Analysis"),
                         help="the article type label")
    drafting = new_cmd.add_mutually_exclusive_group()
    drafting.add_argument("--publish", action="store_true",
                          help="leave out draft: true, so that the next build publishes it")
    drafting.add_argument("--draft", action="store_true",
                          help="mark it draft: true (the default; kept for scripts written when it was not)")
    _add_serve(commands)
    return parser


def _add_serve(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve_cmd = commands.add_parser(
        "serve", help="preview the site, rebuilding and reloading on every save",
        description="Build SITE_DIR into a private folder, serve it, and rebuild and reload open pages on "
                    "every change to content/, templates/, static/ or newsgen.yaml.",
        epilog="examples:\n  newsgen serve\n  newsgen serve mysite --port 8001 --open",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve_cmd.add_argument("site_dir", nargs="?", default=".", type=Path, metavar="SITE_DIR",
                           help="the site folder (default: the current folder)")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this computer only)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--drafts", action=argparse.BooleanOptionalAction, default=True,
                           help="show drafts and scheduled articles, marked as such (default: on)")
    serve_cmd.add_argument("--open", action="store_true", help="open the site in the web browser")
    serve_cmd.add_argument("-q", "--quiet", action="store_true", help="do not log requests")


def _serve(args: argparse.Namespace) -> int:
    from .serve import ServeOptions, run  # only the serve command needs the HTTP machinery

    return run(ServeOptions(site_dir=args.site_dir, host=args.host, port=args.port, drafts=args.drafts,
                            open_browser=args.open, log_requests=not args.quiet))


class Terminal:
    """Colour and progress only where a person is watching: a TTY, without NO_COLOR, not TERM=dumb."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.colour = self.interactive and not os.environ.get("NO_COLOR")
        self._shown = 0.0  # when the progress line was last drawn
        self._dirty = False  # a progress line is on screen

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def error(self, message: str) -> None:
        print(f"{self.paint('error:', '1;31')} {message}", file=self.stream)

    def warning(self, message: str) -> None:
        print(f"{self.paint('warning:', '1;33')} {message}", file=self.stream)

    def progress(self, step: str, done: int, total: int) -> None:
        """One self-overwriting line for long builds, at most ten updates a second (a build.Progress)."""
        now = time.monotonic()
        if not self.interactive or (now - self._shown < 0.1 and done < total):
            return
        self._shown, self._dirty = now, True
        self.stream.write(f"\r\x1b[KBuilding {step}: {done}/{total} ({100 * done // max(total, 1)}%)")
        self.stream.flush()

    def done(self) -> None:
        if self._dirty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._dirty = False


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    terminal = Terminal()
    as_json = getattr(args, "json", False)
    try:
        if args.command == "build":
            return _build(args, terminal)
        if args.command == "new":
            return _new(args)
        if args.command == "check":
            return _check(args.build_dir if args.build_dir is not None else require_site(Path(".")) / "build")
        if args.command == "serve":
            return _serve(args)
        return _init(args.directory)
    except NewsgenError as exc:
        terminal.done()
        for problem in exc.problems:
            terminal.error(str(problem))
        noun = "problem" if len(exc.problems) == 1 else "problems"
        print(f"newsgen {args.command}: {len(exc.problems)} {noun}; {FAILED[args.command]}", file=sys.stderr)
        if as_json:
            print(json.dumps({"ok": False, "exit_code": exc.exit_code, "errors": [_problem_json(p) for p in exc.problems]},
                             ensure_ascii=False, indent=2))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in newsgen, not in the site: say so in one line unless --debug
        terminal.done()
        if getattr(args, "debug", False):
            traceback.print_exc()
        else:
            print(f"newsgen: internal error: {type(exc).__name__}: {exc} (run again with --debug for the traceback)",
                  file=sys.stderr)
        return EXIT_INTERNAL


def _problem_json(problem: Problem) -> dict[str, object]:
    return {"path": problem.path, "line": problem.line, "field": problem.field, "message": problem.message,
            "hint": problem.hint}


def _build(args: argparse.Namespace, terminal: Terminal) -> int:
    show_progress = terminal.interactive and not (args.quiet or args.json)
    options = BuildOptions(output=args.output, base_url=args.base_url, drafts=args.drafts, future=args.future,
                           strict=args.strict, progress=terminal.progress if show_progress else None)
    try:
        result = build(args.site_dir, options)
    finally:
        terminal.done()
    for warning in [*result.notes, *result.summary.warnings]:
        terminal.warning(warning)
    if args.json:
        print(json.dumps(report(result), ensure_ascii=False, indent=2))
    elif not args.quiet:
        print(summary(result))
        if args.verbose or args.debug:
            print(details(result))
    return 0


def _check(build_dir: Path) -> int:
    if not build_dir.is_dir():
        raise UsageError(Problem(f"{build_dir} is not a folder; build the site first", field="BUILD_DIR"))
    problems = check_site(build_dir)
    for problem in problems:
        location = build_dir / problem.path if problem.path else build_dir
        line = f":{problem.line}" if problem.line else ""
        print(f"{location}{line}: {problem.message}", file=sys.stderr)
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"newsgen check: {len(problems)} {noun} in {build_dir}", file=sys.stderr)
        return 1
    print(f"newsgen check: {build_dir} is fine")
    return 0


def _url_of(path: str) -> str:
    """Site-relative URL of an output file: `a/b/index.html` -> `a/b/`."""
    return path[: -len("index.html")] if path == "index.html" or path.endswith("/index.html") else path


def report(result: BuildResult) -> dict[str, object]:
    """The `--json` build report: what was built, what was left out and why, and what changed."""
    site = result.summary
    base = site.base_url.rstrip("/") + "/"
    warnings: dict[str, list[str]] = {}
    for notice in site.notices:
        where = notice.path or ""
        text = (f"{notice.line}: " if notice.line else "") + (f"{notice.field}: " if notice.field else "") + notice.message
        warnings.setdefault(where, []).append(text)
    return {
        "ok": True,
        "output": str(result.output),
        "pages": dict(sorted(result.pages_by_kind.items())),
        "static_files": result.static_files,
        "files": sum(result.pages_by_kind.values()) + result.static_files + len(result.search_files),
        "search": {"files": len(result.search_files), "seconds": result.search_seconds},
        "written": result.written,
        "articles": len(site.articles),
        "categories": site.categories,
        "tags": site.tags,
        "authors": site.authors,
        "redirects": len(site.redirects),
        "skipped": [{"source": s.source, "reason": s.reason, "due": s.due.isoformat() if s.due else None}
                    for s in site.skipped],
        "warnings": warnings,
        "timings": {"total_seconds": round(result.seconds, 4), **getattr(result, "timings", {})},
        "changed": [base + _url_of(path) for path in result.changed],
    }


def details(result: BuildResult) -> str:
    """The -v listing: every article with its URL, every redirect, every changed file."""
    lines = [f"  article {source} -> /{url}" for source, url in sorted(result.summary.articles)]
    lines += [f"  redirect /{url} -> /{target}" for url, target in result.summary.redirects]
    lines += [f"  changed {path}" for path in result.changed]
    return "\n".join(lines)


def summary(result: BuildResult) -> str:
    site = result.summary
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(result.pages_by_kind.items()))
    drafts = sum(1 for s in site.skipped if s.reason == "draft")
    scheduled = [s for s in site.skipped if s.reason == "scheduled"]
    files = sum(result.pages_by_kind.values()) + result.static_files + len(result.search_files)
    pages = sum(result.pages_by_kind.values())
    cached = [f"{count} {what}" for count, what in ((result.article_files - result.parsed, "article files"),
                                                    (pages - result.rendered, "pages")) if count > 0]
    lines = [
        f"Built {files} files into {result.output} in {result.seconds:.2f}s "
        f"({result.written} written, {files - result.written} unchanged)",
        f"  pages: {kinds}; {result.static_files} static files"
        + (f"; {len(result.search_files)} files of the search index" if result.search_files else "")
        + (f", made by Pagefind in {result.search_seconds:.2f}s" if result.search_seconds is not None else ""),
        f"  {len(site.articles)} articles, {site.categories} categories, {site.tags} tags; "
        f"skipped {drafts} drafts, {len(scheduled)} scheduled",
        f"  {result.parsed} article files parsed and {result.rendered} pages rendered"
        + (f"; {' and '.join(cached)} came from the cache" if cached else "")
        + (f"; {result.photos} pictures encoded" if result.photos else ""),
    ]
    for skipped in site.skipped:
        when = f" (due {skipped.due.isoformat()})" if skipped.due else ""
        lines.append(f"  skipped {skipped.source}: {skipped.reason}{when}")
    due = site.next_due
    if due and due.due:
        lines.append(f"  next scheduled article is due {due.due.isoformat()}: rebuild then to publish {due.source}")
    return "\n".join(lines)


def _new(args: argparse.Namespace) -> int:
    """Write content/<date>-<slug>.md for a new article, as a draft unless --publish; never overwrite."""
    site_dir = find_site(args.site)  # from content/ or any folder below, as git finds its repository
    config = config_module.load(site_dir)
    headline = " ".join(args.headline.split())
    if not headline:
        raise UsageError(Problem("must not be empty", field="HEADLINE"))
    now = (source_date_epoch() or datetime.now(timezone.utc)).astimezone(config.zone).replace(microsecond=0)
    slug = slugify(headline)
    path = site_dir / CONTENT_DIR / f"{now:%Y-%m-%d}-{slug}.md"

    def text(value: str) -> str:  # JSON strings are YAML double-quoted scalars: any headline is safe
        return json.dumps(value, ensure_ascii=False)

    def names(values: list[str]) -> str:
        return "[" + ", ".join(text(v) for v in values) + "]"

    lines = ["---", f"title: {text(headline)}", f"date: {now.isoformat()}"]
    if args.author:
        lines.append(f"authors: {names(args.author)}")
    lines.append(f"summary: {text('')}")
    if args.category:
        lines.append(f"categories: {names(args.category)}")
    if args.tag:
        lines.append(f"tags: {names(args.tag)}")
    if args.article_type:
        lines.append(f"type: {args.article_type}")
    if not args.publish:  # a placeholder on the home page, in the feed and the sitemap is worse than none
        lines.append("draft: true")
    lines += [f"slug: {slug}", "---", PLACEHOLDER_BODY, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            handle.write("\n".join(lines))
    except FileExistsError:
        raise UsageError(Problem("already exists; newsgen new never overwrites an article",
                                 path=os.fspath(_shown(path)))) from None
    print(_shown(path))  # alone on stdout, for `$EDITOR "$(newsgen new …)"`
    if not args.publish:
        print("It is a draft: remove the line 'draft: true' to publish it with the next build, or preview it "
              "with `newsgen serve` or `newsgen build --drafts`.", file=sys.stderr)
    return 0


def _shown(path: Path) -> Path:
    """A path as short as it can be said from the current folder (the site may be a folder above)."""
    here = Path.cwd().resolve()
    return path.relative_to(here) if path.is_relative_to(here) else path


def _init(directory: Path) -> int:
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(Problem(f"{directory} exists and is not empty; choose a new folder", field="DIR"))
    shutil.copytree(STARTER_DIR, directory, dirs_exist_ok=True)
    for folder in ("templates", "static"):
        (directory / folder).mkdir(exist_ok=True)
    print(f"Created a new site in {directory}\nBuild it with: newsgen build {os.fspath(directory)}")
    return 0
