"""build(site_dir, options) -> BuildResult: the stages in order.

load config -> load content -> Markdown -> model -> plan -> render -> write (staged, swapped in).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import config as config_module
from .content import load_articles
from .errors import ContentError, Problem, UsageError
from .markup import MarkdownRenderer, MarkupTooComplex
from .model import Site, build_site
from .plan import Page, check_collisions, plan_site
from .render import THEME_DIR, Renderer
from .taxonomy import load_taxonomy
from .write import Staging, check_output_dir

STATIC_DIR = "static"


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None  # default: SITE_DIR/build
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    now: datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    strict: bool = False  # warnings fail the build before anything is written


@dataclass
class BuildResult:
    site: Site
    output: Path
    pages_by_kind: Counter[str] = field(default_factory=Counter)
    static_files: int = 0
    written: int = 0
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def source_date_epoch() -> datetime | None:
    """SOURCE_DATE_EPOCH (reproducible builds) as a UTC time; malformed values are an error."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise UsageError(Problem(f"expected whole seconds since 1970, got {value!r}", field="SOURCE_DATE_EPOCH"))
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def static_files(site_dir: Path) -> dict[str, Path]:
    """Files copied as they are: the theme's, overridden file by file by the site's static/."""
    found: dict[str, Path] = {}
    for root in (THEME_DIR / "static", site_dir / STATIC_DIR):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            hidden = any(part.startswith(".") for part in relative.parts)
            # a link pointing out of static/ is never published
            if path.is_file() and not hidden and path.resolve().is_relative_to(root.resolve()):
                found[relative.as_posix()] = path
    return found


def load_site(site_dir: Path, options: BuildOptions) -> tuple[Site, datetime | None]:
    """Everything before rendering: config, content, Markdown, model. No output is touched."""
    config = config_module.with_overrides(config_module.load(site_dir), options.base_url)
    epoch = source_date_epoch()
    now = options.now or epoch or datetime.now(timezone.utc)
    taxonomy = load_taxonomy(site_dir)
    sources = load_articles(site_dir, config.zone, config.author, taxonomy)
    markdown = MarkdownRenderer(allow_raw_html=config.allow_raw_html, base_path=config.base_path)
    bodies = {}
    problems = []
    for source in sources:
        try:
            bodies[source.source] = markdown.render(source.body)
        except MarkupTooComplex as exc:
            problems.append(Problem(str(exc), source.source, field="body"))
    if problems:
        raise ContentError(problems)
    site = build_site(config, sources, bodies, now, include_drafts=options.drafts, include_future=options.future,
                      taxonomy=taxonomy)
    return site, epoch


def build(site_dir: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    started = time.perf_counter()
    site_dir = site_dir.resolve()
    if not site_dir.is_dir():
        raise UsageError(Problem(f"{site_dir} is not a folder", field="SITE_DIR"))
    output = check_output_dir(options.output if options.output is not None else site_dir / "build", site_dir)
    site, epoch = load_site(site_dir, options)
    if options.strict and site.notices:
        raise ContentError([Problem(f"warning: {n.message} (--strict)", n.path, n.line, n.field) for n in site.notices])
    pages = plan_site(site, reference=epoch)
    statics = static_files(site_dir)
    check_collisions(pages, {path: f"{STATIC_DIR}/{path}" for path in statics})
    renderer = Renderer(site_dir, site)

    result = BuildResult(site=site, output=output)
    try:
        with Staging(output, keep=site.config.keep) as staging:
            problems = _render_all(pages, renderer, staging)
            if problems:
                raise ContentError(problems)
            for path, source in statics.items():
                staging.write(path, source.read_bytes())
            staging.commit()
            result.written = staging.written
            result.changed = staging.changed_paths()
    except OSError as exc:  # disk full, read-only folder, …: the previous site stays as it was
        where = f" {exc.filename}" if exc.filename else ""
        raise UsageError(Problem(f"cannot write{where}: {exc.strerror or exc}", field="--output")) from None
    result.pages_by_kind = Counter(page.kind for page in pages)
    result.static_files = len(statics)
    result.seconds = time.perf_counter() - started
    return result


def _render_all(pages: list[Page], renderer: Renderer, staging: Staging) -> list[Problem]:
    """Render and stage every page; collect each distinct problem once (a template bug hits many pages)."""
    problems: dict[str, Problem] = {}
    for page in pages:
        try:
            data = renderer.render(page)
        except ContentError as exc:
            for problem in exc.problems:
                problems.setdefault(f"{problem.path}:{problem.line}", problem)
            continue
        if not problems:
            staging.write(page.path, data)
    return list(problems.values())
