"""The preview's site in memory: sources, model, plan and renderer kept between saves.

`newsgen serve` never writes a build. It keeps every parsed article, the Site model, the plan (every
page by output path) and a Renderer, and answers requests by rendering pages on demand from one
immutable `Snapshot` (memoised per snapshot). A save makes a new snapshot:

- an article edit that leaves its place in the site alone (date, URL, categories, tags, authors,
  draft/future status, aliases, corrections...) re-parses that one file and patches the snapshot: the
  new Article replaces the old one in the model, in every term and feed that lists it, and in the
  pages whose data reach it (found through an index of what each page's data point at, and brought
  up to date when such a page is next rendered);
- any other article change (added, deleted, renamed, moved, re-tagged) rebuilds model and plan from
  the kept sources, re-parsing only the files that changed;
- templates and static files make a new renderer or static table over the same model;
- newsgen.yaml or taxonomies.yaml reloads everything (a settings change re-parses every article).

What is served is what `newsgen build --drafts --future` would write for the same sources (the test
suite compares the two byte for byte, before and after patches).
"""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from PIL import Image

from . import config as config_module
from .build import (STATIC_DIR, ArticleValue, BuildOptions, load_articles, markdown_renderer, parse_source, read_source,
                    photo_jobs, photo_problem, photo_users, source_date_epoch, static_files)
from .config import SiteConfig
from .content import SourceArticle, find_bundle_files, find_sources
from .errors import ContentError, NewsgenError, Problem
from .formats import is_hugo_project
from .markup import MarkdownRenderer
from .formats import MARKDOWN_SUFFIXES
from .model import Article, Redirect, Site, Term, build_site, bundle_targets
from .photos import Photo, PhotoError, encode, is_photo
from .plan import Feed, Page, check_collisions, plan_site
from .references import check_references
from .render import Renderer
from .search import SEARCH_DIR, PreviewIndex
from .taxonomy import TAXONOMY_FILE, Taxonomy, load_taxonomy
from .urls import output_path, slugify
from .watch import CONFIG_FILE
from .write import digest

# An editor that saves by truncating the file and then writing it (VS Code, vim with backupcopy=yes)
# leaves it empty for a moment, and the watcher may report that moment: a file that was an article
# and reads empty is looked at again for up to this long before it is taken as emptied.
SAVE_SETTLE_SECONDS = 0.25
MEMO_PAGES = 256  # rendered pages kept per snapshot: an editor looks at a few, a crawler at all
# SourceArticle fields an edit may change and still be patched in: they only show on pages. Every
# other field (and any field added later) decides what pages exist, where, and what they list.
SHOWN_ONLY = frozenset({"title", "summary", "body", "body_line", "image", "image_line", "image_alt", "extra",
                        "article_type", "dateline", "image_caption", "image_credit", "image_focus"})


class _Bytecode(jinja2.BytecodeCache):
    """Compiled templates shared by every snapshot's renderer: a new Jinja environment per snapshot
    would otherwise compile its templates again (~45 ms). Jinja checks each entry against the
    template's source, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self.catalog = ""  # digest of the theme's strings, which are compiled in (i18n.ThemeStrings)

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return f"{self.catalog}:{super().get_cache_key(name, filename)}"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


def _key(value: object) -> tuple[str, ...] | None:
    """What a page's data point at, by a name that survives patches."""
    if isinstance(value, Article):
        return ("article", value.source)
    if isinstance(value, Term):
        return ("term", value.kind, value.slug)
    if isinstance(value, Feed):
        return ("feed", value.url)
    if isinstance(value, Redirect):
        return ("redirect", value.url)
    return None


def _collect(value: Any, found: set[tuple[str, ...]], feeds: dict[str, Feed]) -> None:
    key = _key(value)
    if key is not None:
        found.add(key)
        if isinstance(value, Feed):
            feeds[value.url] = value
    elif isinstance(value, (tuple, list)):
        for item in value:
            _collect(item, found, feeds)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found, feeds)


@dataclass(frozen=True)
class References:
    """Which pages' data point at each article, term, feed and redirect (not into them: a term's
    articles are reached through the term). Built once per plan; patches keep every name in place."""

    pages: dict[tuple[str, ...], tuple[str, ...]]
    feeds: dict[str, Feed]  # by the URL of the page they belong to

    @staticmethod
    def of(pages: Iterable[Page]) -> References:
        index: dict[tuple[str, ...], list[str]] = {}
        feeds: dict[str, Feed] = {}
        for page in pages:
            found: set[tuple[str, ...]] = set()
            _collect(page.context, found, feeds)
            for key in found:
                index.setdefault(key, []).append(page.path)
        return References({key: tuple(paths) for key, paths in index.items()}, feeds)


@dataclass(frozen=True)
class Swaps:
    """What patches replaced since the plan was made: objects by the id of the one they replace, and
    the pages whose data may still hold a replaced one. Such a page is brought up to date when it is
    read, so a save costs what the model changes, not the thousands of listing pages it touches."""

    new: dict[int, object] = field(default_factory=dict)
    old: tuple[object, ...] = ()  # every replaced object, kept alive so that no other takes its id
    stale: frozenset[str] = frozenset()

    def then(self, swap: dict[int, object], replaced: Iterable[object], pages: Iterable[str]) -> Swaps:
        new = {key: swap.get(id(value), value) for key, value in self.new.items()}
        new.update(swap)
        return Swaps(new, (*self.old, *replaced), self.stale | frozenset(pages))

    def page(self, page: Page) -> Page:
        if page.path not in self.stale:
            return page
        return dataclasses.replace(page, context=self._deep(page.context))

    def _deep(self, value: Any) -> Any:
        if id(value) in self.new:
            return self.new[id(value)]
        if isinstance(value, tuple):
            return tuple(self._deep(item) for item in value)
        if isinstance(value, list):
            return [self._deep(item) for item in value]
        if isinstance(value, dict):
            return {name: self._deep(item) for name, item in value.items()}
        return value


@dataclass(frozen=True)
class Snapshot:
    """One complete generation of the served site. Never changes once published (its memo only
    remembers what its own renderer produced)."""

    number: int
    site: Site
    sources: dict[str, ArticleValue]  # what the model was built from, by source path, in source order
    pages: dict[str, Page]  # by output path
    statics: dict[str, bytes]
    renderer: Renderer
    now: datetime
    known_references: References | None = None  # made on first use (see `references`)
    swaps: Swaps = field(default_factory=Swaps)
    search: PreviewIndex | None = None  # the search index's files, made on first use (see `search_files`)
    _memo: OrderedDict[str, bytes] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _made: dict[str, Any] = field(default_factory=dict, repr=False)
    _making: threading.Lock = field(default_factory=threading.Lock, repr=False)  # not _lock: requests go on
    _searching: threading.Lock = field(default_factory=threading.Lock, repr=False)  # nor _making: a patch goes on

    @property
    def base_path(self) -> str:
        return self.site.config.base_path

    @property
    def references(self) -> References:
        """What the pages' data point at: only a patch needs it, so it is made after publishing
        (~0.5 s at 10,000 articles) rather than before."""
        if self.known_references is not None:
            return self.known_references
        with self._making:
            if "references" not in self._made:
                self._made["references"] = References.of(self.pages.values())
            return self._made["references"]

    def search_files(self) -> dict[str, bytes]:
        """The search index this snapshot's articles make, as `newsgen build` writes it under pagefind/.
        Made when a page first asks for a file of it, so a save costs no indexing until a search."""
        if self.search is None:
            return {}
        with self._searching:
            if "search" not in self._made:
                try:
                    self._made["search"] = self.search.files(self.site, self.renderer.url, self.renderer.long_date)
                except NewsgenError as exc:  # Pagefind failed: shown like a page that does not render
                    raise ContentError(exc.problems) from None
            return self._made["search"]

    def __contains__(self, path: str) -> bool:
        if path.startswith(f"{SEARCH_DIR}/") and self.search is not None:
            return path in self.search_files()
        return path in self.statics or path in self.pages

    def read(self, path: str) -> bytes | None:
        """The bytes `newsgen build` would write at `path`; None if there is no such file.
        Raises ContentError when the page does not render."""
        if path in self.statics:
            return self.statics[path]
        if path.startswith(f"{SEARCH_DIR}/") and self.search is not None:
            return self.search_files().get(path)
        page = self.pages.get(path)
        if page is None:
            return None
        with self._lock:
            if path in self._memo:
                self._memo.move_to_end(path)
                return self._memo[path]
        data = self.renderer.render(self.swaps.page(page))  # outside the lock: other requests go on
        with self._lock:
            self._memo[path] = data
            while len(self._memo) > MEMO_PAGES:
                self._memo.popitem(last=False)
        return data


@dataclass
class LiveSite:
    """Makes snapshots of one site folder: update() loads everything, update(changed) follows saves."""

    site_dir: Path
    base_url: str  # the preview's origin; the config's base path is kept
    drafts: bool = True  # drafts and future articles shown, as `build --drafts --future`
    snapshot: Snapshot | None = None
    config: SiteConfig | None = None
    taxonomy: Taxonomy = field(default_factory=Taxonomy)
    hugo: bool = False
    parsed: dict[str, ArticleValue | list[Problem]] = field(default_factory=dict)  # every source file, in order
    pending: set[str] = field(default_factory=set)  # changed since the snapshot: failed attempts add up
    last_kind: str = ""  # how the last snapshot was made: load, model, patch, render (for tests and logs)
    _statics: dict[str, bytes] | None = None
    _site_statics: frozenset[str] = frozenset()
    _bytecode: _Bytecode = field(default_factory=_Bytecode)
    _markdown: MarkdownRenderer | None = None
    _search: PreviewIndex = field(default_factory=PreviewIndex)
    # photos as `newsgen build` publishes them (photos.py), by Job.key: a save that leaves a picture and the
    # crops its articles ask for alone encodes nothing
    _encoded: dict[str, tuple[Photo, dict[str, bytes]]] = field(default_factory=dict)
    _photo_digests: tuple[dict[str, bytes] | None, dict[str, str]] = (None, {})
    _published: tuple[object, dict[str, bytes], dict[str, Photo]] | None = None
    _bundle_files: dict[str, bytes] | None = None  # Hugo page bundles' files, by site-relative path
    _with_bundles: tuple[object, dict[str, str], dict[str, bytes]] | None = None

    def update(self, changed: Iterable[str] | None = None, number: int | None = None) -> Snapshot:
        """The next snapshot after `changed` (site-relative paths; None: reload everything), numbered
        `number` (default: one more than the last). Raises NewsgenError and keeps the last snapshot
        when the sources do not build; what changed is then looked at again next time."""
        if changed is None or self.snapshot is None:
            self.pending.add(CONFIG_FILE)
        else:
            self.pending |= set(changed)
        if number is None:
            number = self.snapshot.number + 1 if self.snapshot else 1
        snapshot = self._next(number, frozenset(self.pending))
        self.pending = set()
        self.snapshot = snapshot
        return snapshot

    # --- the steps -----------------------------------------------------------------------------
    def _next(self, number: int, changed: frozenset[str]) -> Snapshot:
        old = self.snapshot
        settings = any(path in (CONFIG_FILE, TAXONOMY_FILE) for path in changed)
        content = {path for path in changed if path not in (CONFIG_FILE, TAXONOMY_FILE)
                   and not path.startswith(("templates/", "static/", "translations/"))}
        # the site's translations are compiled into the templates (i18n.ThemeStrings): a new renderer reads them
        templates = any(path.startswith(("templates/", "translations/")) for path in changed)
        if settings:
            self._load_settings()
        else:
            self._reparse(content)
        problems = [p for value in self.parsed.values() if isinstance(value, list) for p in value]
        if problems:
            raise ContentError(problems)
        sources: dict[str, ArticleValue] = self.parsed  # type: ignore[assignment]  # no problems: all values
        if settings or self._statics is None or any(path.startswith("static/") for path in changed):
            self._load_statics()
        raw_statics = self._statics
        assert self.config is not None and raw_statics is not None

        now = source_date_epoch() or datetime.now(timezone.utc)
        reference = source_date_epoch()
        touched = [source for source in sources if old is None or sources[source] is not old.sources.get(source)]
        patched = None if settings or old is None else self._patch(old, sources, touched, now)
        swaps, references = Swaps(), None
        if patched is not None:
            site, pages, references, swaps = patched
            self.last_kind = "patch" if touched else "render"
        else:
            site = build_site(self.config, [value[0] for value in sources.values()],
                              {source: value[1] for source, value in sources.items()}, now,
                              include_drafts=self.drafts, include_future=self.drafts, taxonomy=self.taxonomy)
            planned = plan_site(site, reference=reference)
            pages = {page.path: page for page in planned}
            self.last_kind = "load" if settings else "model"
        if settings or self._bundle_files is None or any(
                path.startswith("content/") and not path.lower().endswith(MARKDOWN_SUFFIXES) for path in changed):
            self._load_bundles()
        statics, photos = self._publish_photos(site, self._add_bundles(site, raw_statics))
        if patched is None or statics is not (old.statics if old else None):
            check_collisions(list(pages.values()), {path: f"{STATIC_DIR}/{path}" for path in statics})
        problems = check_references(site.articles, pages, statics)
        if problems:
            raise ContentError(problems)

        snapshot = Snapshot(number, site, dict(sources), pages, statics, self._renderer(site, statics, photos), now,
                            references, swaps, self._search if self.config.search else None)
        # Render before publishing what a broken edit would break first: the pages of the changed
        # articles (the editor is looking at one, so this also warms the reload) and, after a
        # template or settings change or a new model, one page of every template.
        edited = set(touched)
        checks = [output_path(a.url) for a in site.articles if a.source in edited][:20]
        if patched is None or templates or settings:
            checks += list({page.template: page.path for page in reversed(pages.values())
                            if page.template.endswith((".html", ".xml", ".txt"))}.values())
        found: dict[str, Problem] = {}
        for path in checks:
            try:
                snapshot.read(path)
            except ContentError as exc:
                for problem in exc.problems:
                    found.setdefault(f"{problem.path}:{problem.line}", problem)
        if found:
            raise ContentError(list(found.values()))
        return snapshot

    def _load_settings(self) -> None:
        """newsgen.yaml and taxonomies.yaml: a change of either re-parses every article."""
        config = config_module.load(self.site_dir)
        config = config_module.with_overrides(config, self.base_url.rstrip("/") + config.base_path)
        taxonomy = load_taxonomy(self.site_dir)
        hugo = is_hugo_project(self.site_dir)
        same = (repr(config), repr(taxonomy), hugo) == (repr(self.config), repr(self.taxonomy), self.hugo)
        self.config, self.taxonomy, self.hugo, self._markdown = config, taxonomy, hugo, None
        if same and self.parsed:
            self._reparse(set(), rescan=True)  # nothing any article reads changed
            return
        options = BuildOptions(drafts=self.drafts, future=self.drafts, cache=False)
        self.parsed = {}
        try:
            sources, bodies = load_articles(self.site_dir, config, taxonomy, options)
        except ContentError:
            # Something does not parse: go file by file, so that what did parse is kept and the next
            # save re-reads only the files it touches.
            self._reparse(set(), rescan=True)
            return
        self.parsed = {source.source: (source, bodies[source.source]) for source in sources}

    def _reparse(self, paths: set[str], rescan: bool = False) -> None:
        """Read and parse the article files among `paths`; find the sources again when one came or went."""
        known = self.parsed
        if rescan or any(path not in known or not (self.site_dir / path).is_file() for path in paths):
            order = [path.relative_to(self.site_dir).as_posix() for path in find_sources(self.site_dir)]
            paths = paths | (set(order) - set(known))
            self.parsed = {source: known.get(source, []) for source in order}
        for source in sorted(paths & set(self.parsed)):
            self.parsed[source] = self._parse(source)

    def _parse(self, source: str) -> ArticleValue | list[Problem]:
        """One article file, as `newsgen build` reads it."""
        config = self.config
        assert config is not None
        path = self.site_dir / source
        if isinstance(self.parsed.get(source), tuple):
            settled = time.monotonic() + SAVE_SETTLE_SECONDS
            while path.is_file() and path.stat().st_size == 0 and time.monotonic() < settled:
                time.sleep(0.02)
        read = read_source(path, source, config)
        if isinstance(read, list):
            return read
        raw, file_date = read
        if self._markdown is None:
            self._markdown = markdown_renderer(self.site_dir, config)
        return parse_source(raw, source, config, self.taxonomy, self.hugo, self._markdown, file_date)

    def _load_statics(self) -> None:
        found = static_files(self.site_dir)
        try:
            self._statics = {path: source.read_bytes() for path, source in found.items()}
        except OSError as exc:  # removed while we read, say: the next scan brings the change
            raise ContentError(Problem(f"cannot read: {exc.strerror}", exc.filename)) from None
        site_static = (self.site_dir / STATIC_DIR).resolve()
        self._site_statics = frozenset(path for path, source in found.items()
                                       if source.resolve().is_relative_to(site_static))

    def _load_bundles(self) -> None:
        try:
            self._bundle_files = {source: path.read_bytes() for source, path in find_bundle_files(self.site_dir).items()}
        except OSError as exc:  # removed while we read, say: the next scan brings the change
            raise ContentError(Problem(f"cannot read: {exc.strerror}", exc.filename)) from None

    def _add_bundles(self, site: Site, statics: dict[str, bytes]) -> dict[str, bytes]:
        """The static files with the published articles' page bundles beside their pages, as `newsgen build`
        publishes them; the same dict while neither changes."""
        files = self._bundle_files or {}
        if not files:
            return statics
        targets = bundle_targets(site.articles, files)
        known = self._with_bundles
        if known is not None and known[0] is statics and known[1] == targets and all(
                known[2][path] is files[source] for path, source in targets.items()):
            return known[2]
        merged = {**statics, **{path: files[source] for path, source in targets.items()}}
        self._with_bundles = (statics, targets, merged)
        return merged

    def _publish_photos(self, site: Site, statics: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, Photo]]:
        """The static files as `newsgen build` publishes them: each photo replaced by its resized, stripped
        files. The same dict while neither the static files nor the crops the articles ask for change."""
        if self._photo_digests[0] is not statics:
            self._photo_digests = (statics, {path: digest(data) for path, data in statics.items() if is_photo(path)})
        digests = self._photo_digests[1]
        jobs = photo_jobs(site, digests)
        signature = (statics, tuple(job.key for job in jobs))
        if self._published is not None and self._published[0] == signature:
            return self._published[1], self._published[2]
        encoded: dict[str, tuple[Photo, dict[str, bytes]]] = {}
        problems: list[Problem] = []
        for job in jobs:
            found = self._encoded.get(job.key)
            if found is None:
                try:
                    found = encode(job.path, statics[job.path], job.focuses)
                except PhotoError as exc:
                    problems.append(photo_problem(job.path, str(exc), photo_users(site)))
                    continue
            encoded[job.key] = found
        if problems:
            raise ContentError(problems)
        self._encoded = encoded  # only the current ones: a replaced picture's files are let go
        served = {path: data for path, data in statics.items() if path not in digests}
        for _, files in encoded.values():
            served |= files
        photos = {photo.path: photo for photo, _ in encoded.values()}
        self._published = (signature, served, photos)
        return served, photos

    def _renderer(self, site: Site, statics: dict[str, bytes], photos: dict[str, Photo]) -> Renderer:
        renderer = Renderer(self.site_dir, site, photos=photos)
        self._bytecode.catalog = renderer.catalog.digest
        renderer.env.bytecode_cache = self._bytecode
        own = self._site_statics

        def image_size(image: str) -> tuple[int, int] | None:
            """Picture sizes from this snapshot's static files, not from whatever is on disk now."""
            key = image.lstrip("/")
            if "://" in image or key not in own:
                return renderer.image_size(image)
            try:
                with Image.open(io.BytesIO(statics[key])) as picture:
                    return picture.size
            except (OSError, ValueError):
                return None

        renderer.env.filters["image_size"] = image_size
        return renderer

    # --- patching ------------------------------------------------------------------------------
    def _patch(self, old: Snapshot, sources: dict[str, ArticleValue], touched: list[str],
               now: datetime) -> tuple[Site, dict[str, Page], References, Swaps] | None:
        """The old snapshot's model and plan with the touched articles swapped in, or None when an
        edit moves something (then the model is built again)."""
        if list(sources) != list(old.sources):
            return None  # an article came or went
        site = old.site
        if any(old.now < value[0].published.at <= now for value in sources.values()):
            return None  # a scheduled article's time came: it is no longer marked (or now published)
        by_source = {a.source: a for a in site.articles} if touched else {}
        swap: dict[int, object] = {}
        keys: set[tuple[str, ...]] = set()
        for source in touched:
            before, (after, body) = old.sources[source][0], sources[source]
            if not _same_place(before, after):
                return None
            article = by_source.get(source)
            if article is None:
                continue  # not published (a draft without --drafts): nothing shows it
            fresh = build_site(site.config, [after], {source: body}, now, include_drafts=self.drafts,
                               include_future=self.drafts, taxonomy=self.taxonomy).articles
            if len(fresh) != 1:
                return None
            # Its place is unchanged, so its terms and URL are the old ones (a one-article model
            # would name and number colliding terms differently).
            swap[id(article)] = dataclasses.replace(fresh[0], categories=article.categories, tags=article.tags,
                                                    author_refs=article.author_refs, url=article.url)
            keys.add(("article", source))
        if not swap:
            return site, old.pages, old.references, old.swaps

        def each(items: tuple[Any, ...]) -> tuple[Any, ...]:
            new = tuple(swap.get(id(item), item) for item in items)  # type: ignore[misc]
            return items if all(a is b for a, b in zip(new, items)) else new

        places = {(ref.kind, ref.slug) for source in touched if source in by_source
                  for ref in (*by_source[source].categories, *by_source[source].tags, *by_source[source].author_refs)}
        feeds = dict(old.references.feeds)
        for term in (*site.categories, *site.tags, *site.authors):
            if (term.kind, term.slug) in places:
                swap[id(term)] = dataclasses.replace(term, articles=each(term.articles))
                keys.add(("term", term.kind, term.slug))
                places.add(("feed", term.url))
        for url, feed in old.references.feeds.items():
            if url == "" or ("feed", url) in places:  # the home feed, or the feed of a term that lists it
                articles = each(feed.articles)
                if articles is not feed.articles:
                    feeds[url] = swap[id(feed)] = dataclasses.replace(feed, articles=articles)  # type: ignore
                    keys.add(("feed", url))
        for redirect in site.redirects:
            for source in touched:
                article = swap.get(id(by_source.get(source)))
                if redirect.source == source and isinstance(article, Article) and redirect.title != article.title:
                    swap[id(redirect)] = dataclasses.replace(redirect, title=article.title)
                    keys.add(("redirect", redirect.url))
        new_site = dataclasses.replace(site, articles=each(site.articles), categories=each(site.categories),
                                       tags=each(site.tags), authors=each(site.authors),
                                       redirects=each(site.redirects))

        replaced = [*(t for t in (*site.categories, *site.tags, *site.authors) if id(t) in swap),
                    *(f for f in old.references.feeds.values() if id(f) in swap),
                    *(r for r in site.redirects if id(r) in swap), *(by_source[s] for s in touched if s in by_source)]
        stale = [path for key in keys for path in old.references.pages.get(key, ())]
        return new_site, old.pages, References(old.references.pages, feeds), old.swaps.then(swap, replaced, stale)


def _same_place(before: SourceArticle, after: SourceArticle) -> bool:
    """Whether an edit leaves the article where it was: same URL, date, terms, status, aliases,
    corrections, warnings; only what its pages show differs."""
    for each in dataclasses.fields(SourceArticle):
        if each.name not in SHOWN_ONLY and getattr(before, each.name) != getattr(after, each.name):
            return False
    return ((before.slug or slugify(before.title)) == (after.slug or slugify(after.title))
            and bool(before.image) == bool(after.image))  # a picture of its own replaces the drawn card
