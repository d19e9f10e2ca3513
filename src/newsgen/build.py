"""build(site_dir, options) -> BuildResult: the stages in order.

load config -> load content -> Markdown -> model -> plan -> render -> write (staged, swapped in).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from . import __version__
from . import config as config_module
from .background import Background, forks, start_method
from .cache import (PHOTO_MEMO, BuildMemo, Cache, PageDigests, Uncacheable, cache_dir, code_digest, files_digest, hash_parts,
                    template_digest)
from .config import SiteConfig
from .content import SourceArticle, draft_date, find_bundle_files, find_sources, parse_article
from .embeds import EmbedError, PosterSize, picture_size, posters_current
from .errors import CacheUnreadable, ContentError, Problem, UsageError
from .formats import is_hugo_project
from .i18n import Catalog, load_catalog
from .markup import EXCERPT_LIMIT, MarkdownRenderer, MarkupTooComplex, RenderedBody
from .model import Site, SiteSummary, build_site, bundle_targets, summarise, valid_between
from .photos import CENTRE, Job, Photo, PhotoError, encode, is_photo
from .plan import Page, plan_site
from .references import check_references, target
from .render import TEMPLATES_DIR, THEME_DIR, Renderer
from .search import IndexMemo, documents, index_digest, make_index
from .sitedir import require_site
from .taxonomy import Taxonomy, load_taxonomy
from .write import Stat, Staging, check_output_dir, digest, read_regular, seal, unseal

STATIC_DIR = "static"
# Below this many items a step runs in this process: starting workers costs more than it saves.
PARALLEL_MIN = 64
# A worker started by forkserver or spawn receives the model pickled: at 10,000 articles 63 MB, pickled
# here in 0.25 s and unpickled in each worker in 0.17 s, about as long as rendering one page in 70.
SHIP_SHARE = 70
EXCERPT_TEXT = EXCERPT_LIMIT + 40  # more than markup.excerpt() can read, so the excerpt is the same
Progress = Callable[[str, int, int], None]  # (step, done, total)


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None  # default: SITE_DIR/build
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    now: datetime | None = None  # default: SOURCE_DATE_EPOCH, else the clock
    strict: bool = False  # warnings fail the build before anything is written
    jobs: int | None = None  # worker processes; default: one per core
    cache: bool = True  # reuse and keep the memo beside the output folder (cache.py)
    cache_folder: Path | None = None  # default: beside the output folder
    progress: Progress | None = None


@dataclass
class BuildResult:
    summary: SiteSummary
    output: Path
    pages_by_kind: Counter[str] = field(default_factory=Counter)
    static_files: int = 0
    photos: int = 0  # pictures encoded by this build; the rest were known from the cache
    written: int = 0
    rendered: int = 0  # pages rendered by this build; the rest were known from the cache
    parsed: int = 0  # article files parsed and rendered from Markdown; the rest came from the cache
    article_files: int = 0  # article files read, parsed or not
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # one line each for the log: what the build did about its cache
    search_files: dict[str, str] = field(default_factory=dict)  # the search index's files -> sha256
    search_seconds: float | None = None  # the time Pagefind took; None when the index was reused or is off


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


@dataclass(frozen=True)
class Inputs:
    """What a build reads before it parses anything: settings, the article files keyed by their bytes,
    static files. Enough to tell that nothing changed since the last build."""

    config: SiteConfig
    taxonomy: Taxonomy
    now: datetime
    epoch: datetime | None  # SOURCE_DATE_EPOCH
    files: list[ArticleFile]
    statics: dict[str, Path]
    catalog: Catalog  # the theme's strings: compiled into the templates, so part of their digest
    bundles: dict[str, Path] = field(default_factory=dict)  # Hugo page bundles' files, by site-relative path


def read_inputs(site_dir: Path, options: BuildOptions, cache: Cache | None = None) -> Inputs:
    config = config_module.with_overrides(config_module.load(site_dir), options.base_url)
    epoch = source_date_epoch()
    now = options.now or epoch or datetime.now(timezone.utc)
    taxonomy = load_taxonomy(site_dir)
    files = None
    if cache is not None and forks():
        # Reading and digesting every article file is mostly the file system's time: another process
        # does it while this one unpickles the article pack, which any build that changed something
        # needs (a build that changed nothing wastes that, on the other core). Should the other
        # process fail, the scan runs again here, to report why.
        scanning = Background(functools.partial(scan_articles, site_dir, config, taxonomy, cache))
        cache.preload_articles()
        files = scanning.result()
    if files is None:
        files = scan_articles(site_dir, config, taxonomy, cache)
    return Inputs(config, taxonomy, now, epoch, files, static_files(site_dir), load_catalog(site_dir, config.language),
                  find_bundle_files(site_dir))


def make_site(site_dir: Path, inputs: Inputs, options: BuildOptions, cache: Cache | None = None,
              stats: BuildResult | None = None) -> Site:
    """Articles parsed (or taken from the cache) and the model made. No output is touched."""
    sources, bodies = load_articles(site_dir, inputs.config, inputs.taxonomy, options, cache, stats, inputs.files)
    site = build_site(inputs.config, sources, bodies, inputs.now, include_drafts=options.drafts,
                      include_future=options.future, taxonomy=inputs.taxonomy)
    if inputs.catalog.warning:  # once per build, like any warning about the site as a whole
        site = dataclasses.replace(site, warnings=(inputs.catalog.warning, *site.warnings),
                                   notices=(Problem(inputs.catalog.warning), *site.notices))
    return site


def load_site(site_dir: Path, options: BuildOptions) -> tuple[Site, datetime | None]:
    """Everything before rendering: config, content, Markdown, model."""
    inputs = read_inputs(require_site(site_dir), options)
    return make_site(site_dir, inputs, options), inputs.epoch


def build(site_dir: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """The site built. A cache that cannot be read is cleared and the build made again without it: a damaged
    cache costs a clean build and one line in the log (BuildResult.notes), never a failed or wrong build."""
    with _no_cycle_collection():
        try:
            return _build(site_dir, options)
        except CacheUnreadable as exc:
            result = _build(site_dir, options, fresh=True)
            result.notes.append(f"the cache could not be read ({exc}); made a clean build")
            return result


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off for build() and on again after it, whatever way it ends.

    The one process-wide switch newsgen throws, for a measured gain. A build makes millions of
    objects (the model, the plan, the digests), keeps them to its end and makes no reference
    cycles among them: the collector walks the whole, growing heap again and again for nothing.
    Measured at 10,000 articles (bench/corpus.py, one run each, CPU of the build and its workers,
    on a busy 2-core machine): no change 0.91 s against 1.00 s with the collector on, one edit 2.05 s
    against 2.47 s and 3.10 s against 3.25 s, a cold build the same (33 s: its work is in workers,
    which collect, see _start_worker); at 1,000 articles a cold build 3.5 s against 3.7-3.9 s.
    A thread that runs meanwhile (serve's) only has its cycles collected later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(site_dir: Path, options: BuildOptions, fresh: bool = False) -> BuildResult:
    started = time.perf_counter()
    site_dir = require_site(site_dir)  # before anything is read: a wrong folder is no empty site
    output = check_output_dir(options.output if options.output is not None else site_dir / "build", site_dir)
    salt = f"{__version__}:{code_digest()}"
    cache_folder = options.cache_folder or cache_dir(output)
    cache = Cache(cache_folder, salt) if options.cache else None
    if cache is not None and fresh and not cache.clear():
        cache = None  # one that cannot even be cleared: build without it
    result = BuildResult(summary=None, output=output)  # type: ignore[arg-type]  # set below
    inputs = read_inputs(site_dir, options, cache)
    result.article_files = len(inputs.files)
    # Photos are never published as they are (photos.py): only their digests are taken here, and their
    # bytes are read by whoever encodes them, so a build never holds every photo at once.
    photo_digests = photo_sources(inputs.statics)
    static_bytes = {path: source.read_bytes() for path, source in inputs.statics.items() if path not in photo_digests}
    static_digests = {path: digest(data) for path, data in static_bytes.items()}
    # Hugo page bundles' files: where they go depends on their article's URL, known once the model is made
    bundle_digests = {source: file_digest(path) for source, path in inputs.bundles.items()}
    # what every digest below takes of the static files: a photo's bytes too, whose size the pages show
    statics_key = repr(sorted((static_digests | photo_digests | bundle_digests).items()))
    # the theme's strings are compiled into the templates (i18n.ThemeStrings): a digest of both
    templates = hash_parts(template_digest((site_dir / TEMPLATES_DIR, THEME_DIR / TEMPLATES_DIR)),
                           inputs.catalog.digest)
    fingerprint = _fingerprint(inputs, site_dir, salt, templates, statics_key, options)

    try:
        # The tree a build replaces is kept in the cache folder: the next build updates it in place of
        # making a whole new one (write.py).
        with Staging(output, keep=inputs.config.keep, cache=cache.folder if cache is not None else None) as staging:
            last = cache.last_build(fingerprint, inputs.now) if cache is not None and fingerprint else None
            if (last is not None and files_digest(staging.previous.files) == last.files
                    and staging.is_current(staging.previous.files)):
                # Same inputs as the build that made this folder, which is as it left it: the same site.
                result.summary, result.pages_by_kind, result.static_files = last.summary, last.pages, last.statics
                memo = IndexMemo.read(cache_folder) if inputs.config.search else None
                result.search_files = memo.files if memo is not None else {}
                result.seconds = time.perf_counter() - started
                return result
            staging.prepare()
            site = make_site(site_dir, inputs, options, cache, result)
            result.summary = summarise(site)
            # the published articles' bundle files join the static files, beside their pages
            statics = dict(inputs.statics)
            bundled = bundle_targets(site.articles, inputs.bundles)
            for path, source in bundled.items():
                statics[path] = inputs.bundles[source]
                if is_photo(path):
                    photo_digests[path] = bundle_digests[source]
                else:
                    static_bytes[path] = read_bytes(inputs.bundles[source])
                    static_digests[path] = digest(static_bytes[path])
            if options.strict and site.notices:
                raise ContentError([Problem(f"warning: {n.message} (--strict)", n.path, n.line, n.field)
                                    for n in site.notices])
            pages = plan_site(site, reference=inputs.epoch, related=cache.related(site) if cache is not None else None,
                              others={path: bundled.get(path, f"{STATIC_DIR}/{path}") for path in statics})
            problems = check_references(site.articles, (page.path for page in pages), statics)
            if problems:
                raise ContentError(problems)
            # Jinja folds filters applied to constants (`{{ 'feed.xml' | url }}`) into the code it compiles:
            # that code is good only for the settings such filters read, the config and the static files.
            # The theme's strings are compiled in too (i18n.ThemeStrings).
            bytecode = (cache.compiled_templates(hash_parts(repr(inputs.config), statics_key, inputs.catalog.digest))
                        if cache is not None else None)
            renderer = Renderer(site_dir, site, bytecode=bytecode, catalog=inputs.catalog)
            jobs = photo_jobs(site, photo_digests)
            photo_memo = PhotoMemo.read(cache_folder, salt) if cache is not None else PhotoMemo(salt)
            photo_files = photo_memo.files(jobs)
            # Pages may read static files while rendering (a picture's size, say): they are inputs too.
            known = _known_pages(pages, renderer, templates, f"{salt}|{statics_key}", cache)
            result.pages_by_kind, result.static_files = Counter(page.kind for page in pages), len(statics)
            valid = valid_between(site, inputs.now)
            saving = None
            # The search index, made again only when an article's document differs (search.py).
            docs = documents(site, renderer.url, renderer.long_date) if inputs.config.search else None
            search_digest = index_digest(docs, inputs.config.language) if docs is not None else ""
            memo = IndexMemo.read(cache_folder) if cache is not None and docs is not None else None
            if memo is not None and memo.digest != search_digest:
                memo = None
            search_known = {} if docs is None else memo.files if memo is not None else None
            result.search_files = search_known or {}
            files = ({page.path: sha for page, (_, sha) in zip(pages, known)} | static_digests  # type: ignore[misc]
                     | (search_known or {}) | photo_files
                     if cache is not None and all(sha for _, sha in known) and search_known is not None
                     and photo_files is not None else None)
            if files is not None and staging.is_current(files):
                # Every file is known and already in place: swapping in an identical tree would
                # only cost a link and an unlink per file. The staging folder is dropped unused.
                cache.pages = {key: sha for key, sha in known if key and sha}  # type: ignore[misc,union-attr]
            else:
                staging.open_tree()
                renderer.photos = _stage_photos(site_dir, site, statics, jobs, photo_memo, staging, options,
                                                result, bundled)
                problems = _render_all(pages, known, renderer, staging, cache, options, result, site_dir, bytecode)
                if problems:
                    raise ContentError(problems)
                for path, data in static_bytes.items():
                    staging.write(path, data)
                if docs is not None:
                    result.search_files = _stage_search(staging, docs, inputs.config.language, search_known, result)
                # The model and the plan (some 150 MB at 10,000 articles) are done with: what follows
                # reuses their memory instead of adding to the build's peak.
                del site, pages, known, renderer, docs
                # The cache's stores are written by another process while this one swaps the tree in.
                saving = Background(cache.save_stores) if cache is not None and forks() else None
                try:
                    staging.commit()
                finally:
                    if saving is not None:
                        saving.result()
                result.written = staging.written
                result.changed = staging.changed_paths()
                files = staging.files
            # a photo is one static file of the site, published as several
            result.static_files += len(photo_memo.files(jobs) or {}) - len(jobs)
            if cache is not None:
                photo_memo.write(cache_folder, jobs)
                if search_digest:
                    seconds = result.search_seconds if result.search_seconds is not None else memo.seconds if memo else 0.0
                    IndexMemo(search_digest, result.search_files, seconds).write(cache_folder)
                if fingerprint:
                    cache.keep_build(BuildMemo(fingerprint, files_digest(files), result.summary,
                                               result.pages_by_kind, result.static_files, valid))
                cache.save(stores=saving is None)
    except OSError as exc:  # disk full, read-only folder, …: the previous site stays as it was
        where = f" {exc.filename}" if exc.filename else ""
        raise UsageError(Problem(f"cannot write{where}: {exc.strerror or exc}", field="--output")) from None
    result.seconds = time.perf_counter() - started
    return result


def _stage_search(staging: Staging, docs: dict[str, str], language: str, known: dict[str, str] | None,
                  result: BuildResult) -> dict[str, str]:
    """The search index's files staged: linked from the previous build when its documents are the
    same, else made by Pagefind."""
    if known is not None and all(staging.reuse(path, sha) for path, sha in known.items()):
        return known
    started = time.perf_counter()
    made = make_index(docs, language)
    result.search_seconds = time.perf_counter() - started
    return {path: staging.write(path, data) for path, data in made.items()}


def _fingerprint(inputs: Inputs, site_dir: Path, salt: str, templates: str, statics_key: str,
                 options: BuildOptions) -> str | None:
    """A digest of every input of the build but the clock (see valid_between); None when a file could
    not be read, so the build goes on to report it."""
    if any(file.problems for file in inputs.files):
        return None
    return hash_parts(salt, article_settings(site_dir, inputs.config, inputs.taxonomy), templates,
                      statics_key, repr(inputs.epoch),
                      f"drafts={options.drafts}|future={options.future}|strict={options.strict}",
                      *(f"{file.source}\0{file.key}" for file in inputs.files))


# --- parallel work ---------------------------------------------------------------------------
# A worker receives what it needs through the pool's initializer (see _Work): nothing is left in a
# module global for it to find, so workers start the same way under any start method (START_METHOD,
# background.start_method).
def _workers(options: BuildOptions, items: int, method: str, ship: int = 0) -> int:
    """How many worker processes for `items` items; 1 means in this process. `ship`: how many items'
    worth of work it costs a worker started by forkserver or spawn to receive its inputs."""
    jobs = options.jobs or os.cpu_count() or 1
    if method != "fork":
        items -= ship
    if items < PARALLEL_MIN or jobs <= 1:
        return 1
    return max(1, min(jobs, items // (PARALLEL_MIN // 2)))


def _chunks(items: Sequence[object], workers: int, size: int | None = None) -> Iterator[Sequence[object]]:
    """Small enough chunks that both cores stay busy to the end, big enough to keep overhead low."""
    size = size or max(1, min(200, len(items) // (workers * 8) or 1))
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Work:
    """What a worker does with a chunk of items. Pickled to each worker started by forkserver or
    spawn, inherited by a forked one; start() makes, once per process, what it cannot carry."""

    def start(self) -> None:
        pass

    def __call__(self, chunk: Sequence[object]) -> list:  # pragma: no cover - abstract
        raise NotImplementedError


# The worker's own _Work, set by _start_worker in a worker process only (never in the build's process).
_worker_job: _Work | None = None


def _start_worker(work: _Work) -> None:
    global _worker_job
    gc.enable()  # a forked worker inherits _no_cycle_collection's switch: Markdown and Jinja make cycles
    work.start()
    _worker_job = work


def _do_chunk(chunk: Sequence[object]) -> list:
    assert _worker_job is not None, "_start_worker runs first in every worker"
    return _worker_job(chunk)


def _run(work: _Work, items: Sequence[object], workers: int, method: str,
         step: str, progress: Progress | None, chunk_size: int | None = None) -> Iterator[object]:
    """work over chunks of items, in order, in this process or in `workers` worker processes started
    by `method`. `work` travels to each worker through the pool's initializer: under fork it is
    inherited, under forkserver and spawn pickled once per worker."""
    done = 0
    if workers <= 1:
        work.start()
        for chunk in _chunks(items, 1, chunk_size):
            chunk_result = work(chunk)
            yield from chunk_result
            done += len(chunk_result)
            if progress:
                progress(step, done, len(items))
        return
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The server imports newsgen once; each worker it forks starts with it imported.
        context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                             initargs=(work,)) as pool:
        for chunk_result in pool.map(_do_chunk, _chunks(items, workers, chunk_size)):
            yield from chunk_result
            done += len(chunk_result)
            if progress:
                progress(step, done, len(items))


# --- photos: resized, cropped, stripped (photos.py) -----------------------------------------------
def photo_sources(statics: dict[str, Path]) -> dict[str, str]:
    """The static files that are photos -> the sha256 of their bytes."""
    return {path: file_digest(source) for path, source in statics.items() if is_photo(path)}


def file_digest(path: Path) -> str:
    """A file's sha256, read in pieces: a photo is megabytes, and a build never holds them all at once."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def photo_jobs(site: Site, digests: dict[str, str]) -> list[Job]:
    """Every photo to publish, with the crop centres of the articles that lead with it, in path order."""
    focuses: dict[str, set[tuple[float, float]]] = {path: set() for path in digests}
    for article in site.articles:
        path = target(article, article.image) if article.image and "://" not in article.image else None
        if path in focuses:
            focuses[path].add(article.image_focus or CENTRE)
    return [Job(path, digests[path], tuple(sorted(focuses[path]))) for path in sorted(digests)]


def photo_users(site: Site) -> dict[str, Problem]:
    """For each published path, where an article first shows it (file, line, field): what a photo's error names."""
    found: dict[str, Problem] = {}
    for article in site.articles:
        for reference in article.references:
            path = target(article, reference.url, reference.field)
            if path is not None and path not in found:
                found[path] = Problem("", article.source, reference.line, reference.field)
    return found


def photo_problem(path: str, message: str, users: dict[str, Problem], names: dict[str, str] | None = None) -> Problem:
    """`names`: the site-relative file of a published path that is not static/'s (a page bundle's)."""
    name = (names or {}).get(path, f"{STATIC_DIR}/{path}")
    user = users.get(path)
    if user is None:
        return Problem(f"{name} {message}", name)
    return Problem(f"{name} {message}", user.path, user.line, user.field)


@dataclass
class PhotoMemo:
    """What earlier builds published for each photo job (Job.key): the picture's description and its files'
    sha256. A file is taken from the previous build only when the staging folder vouches for those bytes."""

    salt: str = ""  # newsgen's version and code: files another version made are made again
    entries: dict[str, tuple[Photo, dict[str, str]]] = field(default_factory=dict)
    NAME = PHOTO_MEMO

    @classmethod
    def read(cls, folder: Path, salt: str) -> PhotoMemo:
        """The memo the last build left; none is an empty memo. Sealed like every cache file: one that
        exists but is damaged raises CacheUnreadable, and the build starts again from a cleared cache."""
        path = folder / cls.NAME
        try:
            data, _ = read_regular(path)
        except FileNotFoundError:
            return cls(salt)
        except OSError as exc:
            raise CacheUnreadable(f"{path}: {exc.strerror or exc}") from None
        try:
            raw = json.loads(unseal(data))
            if raw["salt"] != salt:
                return cls(salt)  # another newsgen's: its files are made again
            return cls(salt, {str(key): (Photo(*value["photo"]), {str(p): str(sha) for p, sha in value["files"].items()})
                              for key, value in raw["entries"].items()})
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CacheUnreadable(f"{path}: {exc}") from None

    def files(self, jobs: list[Job]) -> dict[str, str] | None:
        """Every job's files, when all are known."""
        found: dict[str, str] = {}
        for job in jobs:
            if job.key not in self.entries:
                return None
            found |= self.entries[job.key][1]
        return found

    def write(self, folder: Path, jobs: list[Job]) -> None:
        keep = {job.key for job in jobs}
        data = {"salt": self.salt, "entries": {key: {"photo": dataclasses.astuple(photo), "files": files}
                                               for key, (photo, files) in sorted(self.entries.items()) if key in keep}}
        if not jobs and not self.entries:
            return  # a site without photos keeps no memo of them
        temporary = folder / f".{self.NAME}.{os.getpid()}"
        folder.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(seal(json.dumps(data).encode()))
        os.replace(temporary, folder / self.NAME)


@dataclass
class _Encode(_Work):
    """Encodes photos: returns (job index, Photo and files, or the problem's message) for each job."""

    site_dir: Path
    sources: dict[str, Path]
    jobs: list[Job]

    def __call__(self, chunk: Sequence[object]) -> list[tuple[int, tuple[Photo, dict[str, bytes]] | str]]:
        out: list[tuple[int, tuple[Photo, dict[str, bytes]] | str]] = []
        for index in chunk:
            job = self.jobs[index]  # type: ignore[index]
            try:
                data = read_bytes(self.sources[job.path])
                out.append((index, encode(job.path, data, job.focuses)))
            except OSError as exc:
                out.append((index, f"cannot be read: {exc.strerror}"))
            except PhotoError as exc:
                out.append((index, str(exc)))
        return out


def _stage_photos(site_dir: Path, site: Site, statics: dict[str, Path], jobs: list[Job], memo: PhotoMemo,
                  staging: Staging, options: BuildOptions, result: BuildResult,
                  names: dict[str, str]) -> dict[str, Photo]:
    """Every photo's files staged: linked from the previous build when the memo knows the job and the staging
    folder still has those bytes, else encoded (in worker processes when there are many). Raises ContentError
    naming the article that shows a picture that cannot be published."""
    photos: dict[str, Photo] = {}
    todo = []
    for index, job in enumerate(jobs):
        known = memo.entries.get(job.key)
        if known is not None and all(staging.reuse(path, sha) for path, sha in known[1].items()):
            photos[job.path] = known[0]
        else:
            todo.append(index)
    result.photos = len(todo)
    problems = []
    users = photo_users(site) if todo else {}
    method = start_method()
    # an encode is some 2 s of CPU: a worker pays for itself from two photos
    workers = min(options.jobs or os.cpu_count() or 1, len(todo)) if len(todo) > 1 else 1
    encoded = _run(_Encode(site_dir, statics, jobs), todo, workers, method, "pictures", options.progress,
                   chunk_size=1) if todo else ()  # one photo's files at a time in flight: megabytes, not a site's worth
    for index, value in encoded:
        job = jobs[index]
        if isinstance(value, str):
            problems.append(photo_problem(job.path, value, users, names))
            continue
        photo, files = value
        photos[job.path] = photo
        memo.entries[job.key] = (photo, {path: staging.write(path, data) for path, data in files.items()})
    if problems:
        raise ContentError(problems)
    return photos


# --- articles: read, parse front matter, render Markdown --------------------------------------
ArticleValue = tuple[SourceArticle, RenderedBody]


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes, as Path.read_bytes reads them at a third of its cost: no buffered file object.
    A build reads every article file."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_source(path: Path, source: str, config: SiteConfig) -> tuple[bytes, str | None] | list[Problem]:
    """An article file's bytes and, for a Jekyll draft, the date it takes from the file; or the problem."""
    try:
        return read_bytes(path), draft_date(path, source, config.zone)
    except OSError as exc:
        return [Problem(f"cannot read: {exc.strerror}", source)]


@dataclass
class _Parse(_Work):
    """Parses article files: what a worker needs is the settings, the site folder and how to key bytes.

    Returns (source, cache key of the bytes parsed, pickled value or problems) for each article.
    Pickled here, in the worker: the parent unpickles it, as it would any value a worker returns,
    and hands the same bytes to the cache. Pickling again in the parent would cost it CPU, and
    scattered short-lived buffers between the values it keeps: some 50 MB more at 10,000 articles."""

    config: SiteConfig
    taxonomy: Taxonomy
    hugo: bool
    site_dir: Path
    key_settings: str  # article_settings(): with the file date, what an article's cache key takes
    cache_folder: Path | None  # None: no cache, no keys
    salt: str = ""
    _markdown: MarkdownRenderer | None = field(default=None, init=False, repr=False)
    _cache: Cache | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        config = self.config
        # one converter per process: they are stateful
        self._markdown = markdown_renderer(self.site_dir, config)
        # for Cache.article_key only, which reads no file
        self._cache = Cache(self.cache_folder, self.salt) if self.cache_folder is not None else None

    def __call__(self, chunk: Sequence[object]) -> list[tuple[str, str, bytes | list[Problem]]]:
        config = self.config
        assert self._markdown is not None, "start() first"
        out: list[tuple[str, str, bytes | list[Problem]]] = []
        for source, key, file_date in chunk:  # type: ignore[misc]
            try:
                # Read here rather than shipped from the parent, which would hold every file at once.
                raw = read_bytes(self.site_dir / source)
                if self._cache is not None:  # the file may have changed since the parent looked: key what we parse
                    key = self._cache.article_key(source, raw, f"{self.key_settings}|{file_date}")
            except OSError as exc:
                out.append((source, key, [Problem(f"cannot read: {exc.strerror}", source)]))
                continue
            value = parse_source(raw, source, config, self.taxonomy, self.hugo, self._markdown, file_date)
            out.append((source, key, value if isinstance(value, list) else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))
        return out


def markdown_renderer(site_dir: Path, config: SiteConfig) -> MarkdownRenderer:
    """The Markdown converter for a site's settings (one per process: they are stateful)."""
    return MarkdownRenderer(allow_raw_html=config.allow_raw_html, base_path=config.base_path,
                            embed_domains=config.embed_domains, poster_size=poster_sizes(site_dir))


def poster_sizes(site_dir: Path) -> PosterSize:
    """An embed poster's pixel size, read from the site's static/ folder."""
    return functools.partial(picture_size, site_dir / STATIC_DIR)


def parse_source(raw: bytes, source: str, config: SiteConfig, taxonomy: Taxonomy, hugo: bool,
                 markdown: MarkdownRenderer, file_date: str | None) -> ArticleValue | list[Problem]:
    """One article file's bytes parsed and its Markdown rendered, or the problems found."""
    try:
        parsed = parse_article(raw, source, config.zone, config.author, taxonomy, file_date, hugo)
    except ContentError as exc:
        return list(exc.problems)
    try:
        body = markdown.render(parsed.body, parsed.language or config.language)
    except MarkupTooComplex as exc:
        return [Problem(str(exc), source, field="body")]
    except EmbedError as exc:
        return [Problem(exc.message, source, parsed.body_line + exc.line - 1 if exc.line else None, "body", exc.hint)]
    # The Markdown is not needed once rendered, and of the plain text only what an excerpt can
    # show (markup.excerpt reads at most EXCERPT_LIMIT + 1 characters): this halves what the cache
    # and the model hold.
    return (dataclasses.replace(parsed, body=""), dataclasses.replace(body, text=body.text[:EXCERPT_TEXT]))


@dataclass(frozen=True)
class ArticleFile:
    source: str  # path relative to the site folder
    key: str  # cache key of its bytes and the settings that parse them ("" without a cache)
    file_date: str | None  # a Jekyll draft's date, taken from the file
    problems: tuple[Problem, ...] = ()  # it could not be read


def article_settings(site_dir: Path, config: SiteConfig, taxonomy: Taxonomy) -> str:
    # all of it: a config edit is rare, and a forgotten input would serve stale pages
    return f"{config!r}|{taxonomy!r}|hugo={is_hugo_project(site_dir)}"


def scan_articles(site_dir: Path, config: SiteConfig, taxonomy: Taxonomy, cache: Cache | None) -> list[ArticleFile]:
    """Every article file, read and keyed, in source order."""
    settings = article_settings(site_dir, config, taxonomy)
    files = []
    prefix = f"{site_dir}/"  # find_sources joins names to site_dir: a slice is Path.relative_to at a tenth of its cost
    for path in find_sources(site_dir):
        text = os.fspath(path)
        source = text[len(prefix):] if os.sep == "/" and text.startswith(prefix) else path.relative_to(site_dir).as_posix()
        read = read_source(path, source, config)
        if isinstance(read, list):
            files.append(ArticleFile(source, "", None, tuple(read)))
            continue
        raw, file_date = read
        key = cache.article_key(source, raw, f"{settings}|{file_date}") if cache is not None else ""
        files.append(ArticleFile(source, key, file_date))
    return files


def load_articles(site_dir: Path, config: SiteConfig, taxonomy: Taxonomy, options: BuildOptions,
                  cache: Cache | None = None, stats: BuildResult | None = None,
                  files: list[ArticleFile] | None = None) -> tuple[list, dict[str, RenderedBody]]:
    """Every article, parsed and rendered (in worker processes when there are many), in source order,
    from the cache where its file and settings are unchanged. `newsgen serve` keeps them between saves."""
    hugo = is_hugo_project(site_dir)
    settings = article_settings(site_dir, config, taxonomy)
    files = files if files is not None else scan_articles(site_dir, config, taxonomy, cache)
    values: dict[str, ArticleValue | list[Problem]] = {}
    todo: list[tuple[str, str, str | None]] = []
    hits = cache.get_articles([file.key for file in files if not file.problems]) if cache is not None else {}
    posters = poster_sizes(site_dir)
    for file in files:
        if file.problems:
            values[file.source] = list(file.problems)
        # an embed's poster is read while the Markdown is rendered: one replaced under the same name
        # has the memoised body rendered again
        elif file.key in hits and posters_current(hits[file.key][1].embeds, posters):
            values[file.source] = hits[file.key]
            cache.keys[file.source] = file.key  # type: ignore[union-attr]
        else:
            todo.append((file.source, file.key, file.file_date))

    work = _Parse(config, taxonomy, hugo, site_dir, settings, cache.folder if cache is not None else None,
                  cache.salt if cache is not None else "")
    method = start_method()
    for source, key, parsed in _run(work, todo, _workers(options, len(todo), method), method, "articles",
                                    options.progress):
        if isinstance(parsed, list):
            values[source] = parsed
            continue
        values[source] = pickle.loads(parsed)
        if cache is not None:  # the key of the bytes the worker parsed: the file may have changed since
            cache.keys[source] = key
            cache.put_article(key, parsed)
    if stats is not None:
        stats.parsed = len(todo)

    order = [file.source for file in files]
    problems = [p for source in order if isinstance(values[source], list) for p in values[source]]
    if problems:
        raise ContentError(problems)
    sources = [values[source][0] for source in order]  # type: ignore[index]
    bodies = {source: values[source][1] for source in order}  # type: ignore[index]
    return sources, bodies


# --- pages: render (or reuse) and stage ------------------------------------------------------
class _Render(_Work):
    """Renders pages into the staging folder. A worker needs the whole model, for templates read any
    of it (`model`, `nav`): a forked worker inherits it; for one started by forkserver or spawn it is
    pickled here once, with the plan and the staging folder's state, and each worker unpickles it.
    Returns (page index, sha256, whether the file was written, its stat, problems) for each page."""

    def __init__(self, site_dir: Path, bytecode: jinja2.BytecodeCache | None, renderer: Renderer, pages: list[Page],
                 staging: Staging, pickled: bool):
        """`pickled`: for workers started by forkserver or spawn (else in this process, or forked)."""
        self.site_dir, self.bytecode, self.catalog = site_dir, bytecode, renderer.catalog
        self.photos = renderer.photos
        self._renderer: Renderer | None = renderer
        self._live: tuple[Site, list[Page], Staging] | None = (renderer.site, pages, staging)
        self._blob = pickle.dumps(self._live, pickle.HIGHEST_PROTOCOL) if pickled else None

    def __getstate__(self) -> dict[str, object]:
        # Only the blob: the live objects are what fork gives for free, and a Jinja environment
        # does not pickle (each such worker makes its own in start()).
        if self._blob is None:
            raise TypeError("made for this process or forked workers; give pickled=True")
        return {**self.__dict__, "_live": None, "_renderer": None}

    def start(self) -> None:
        if self._live is None:
            assert self._blob is not None
            self._live = pickle.loads(self._blob)
        self._blob = None
        if self._renderer is None:
            self._renderer = Renderer(self.site_dir, self._live[0], bytecode=self.bytecode, catalog=self.catalog,
                                      photos=self.photos)

    def __call__(self, chunk: Sequence[object]) -> list[tuple[int, str, bool, Stat | None, list[Problem]]]:
        assert self._live is not None and self._renderer is not None, "start() first"
        _, pages, staging = self._live
        out = []
        for index in chunk:  # type: ignore[union-attr]
            page = pages[index]  # type: ignore[index]
            try:
                data = self._renderer.render(page)
            except ContentError as exc:
                out.append((index, "", False, None, list(exc.problems)))
                continue
            before = staging.written
            sha = staging.write(page.path, data)  # in a worker: straight into the shared staging folder
            out.append((index, sha, staging.written > before, staging.stats[page.path], []))
        return out


def _known_pages(pages: list[Page], renderer: Renderer, templates: str, salt: str,
                 cache: Cache | None) -> list[tuple[str | None, str | None]]:
    """(digest, sha256 of its bytes if a previous build rendered that digest) for every page.

    The pages made from one term (Page.basis) are digested as a group first: when the group digest
    is the previous build's, so are its pages' digests, which are taken from the cache. That is half
    of a 10,000-article site's pages (its 1,000 tags' listings and feeds), which one edit leaves alone.

    In this process: forked workers were no faster (each parses the templates again, and the pages'
    digests read the same memoised article digests), and the other core is free for the link pass
    (Staging.prepare) or the file scan."""
    if cache is None:
        return [(None, None)] * len(pages)
    digester = PageDigests(renderer.site, renderer.env, templates, salt, cache.keys, cache.template_analysis(templates))
    keys: list[str | None] = [None] * len(pages)
    done = [False] * len(pages)
    groups: dict[int, list[int]] = {}
    for index, page in enumerate(pages):
        if page.basis is not None:
            groups.setdefault(id(page.basis), []).append(index)
    for members in groups.values():
        try:
            group = digester.group([pages[index] for index in members])
        except Uncacheable:
            continue  # digested page by page below
        found = cache.groups_before.get(group)
        if found is None or len(found) != len(members):
            found = tuple(_page_key(digester, pages[index]) for index in members)
        cache.groups[group] = found
        for index, key in zip(members, found):
            keys[index], done[index] = key, True
    for index, page in enumerate(pages):
        if not done[index]:
            keys[index] = _page_key(digester, page)
    before = cache.pages_before
    return [(key, before.get(key) if key else None) for key in keys]


def _page_key(digester: PageDigests, page: Page) -> str | None:
    try:
        return digester.page(page)
    except Uncacheable:
        return None


def _render_all(pages: list[Page], known: list[tuple[str | None, str | None]], renderer: Renderer,
                staging: Staging, cache: Cache | None, options: BuildOptions, result: BuildResult,
                site_dir: Path, bytecode: jinja2.BytecodeCache | None) -> list[Problem]:
    """Stage every page: linked from the previous build when the cache knows its bytes, else rendered.
    Each distinct problem is reported once (a template bug hits many pages)."""
    todo: list[int] = []
    for index, (page, (key, sha)) in enumerate(zip(pages, known)):
        if key and sha and staging.reuse(page.path, sha):
            cache.pages[key] = sha  # type: ignore[union-attr]
        else:
            todo.append(index)
    result.rendered = len(todo)

    problems: dict[str, Problem] = {}
    method = start_method()
    # Without fork, a few pages are rendered here rather than shipping the whole model to workers.
    workers = _workers(options, len(todo), method, ship=len(pages) // SHIP_SHARE)
    work = _Render(site_dir, bytecode, renderer, pages, staging, pickled=workers > 1 and method != "fork")
    for index, sha, written, stat, found in _run(work, todo, workers, method, "pages", options.progress):
        for problem in found:
            problems.setdefault(f"{problem.path}:{problem.line}", problem)
        if found:
            continue
        if workers > 1:  # a worker wrote into its copy of `staging`: account for it here
            staging.record(pages[index].path, sha, written, stat)
        key = known[index][0]
        if cache is not None and key:
            cache.pages[key] = sha
    return list(problems.values())
