"""Search: a Pagefind index of the site's articles, made from the model, and the files it publishes.

Pagefind (Rust, on PyPI with its binary) writes a static index split into fragments that the browser
fetches on demand, so search works on any static host with no server. newsgen hands it one small
document per article made from what the model already has (headline, summary, body, terms, date)
rather than letting it crawl the rendered pages: those carry navigation, related stories and feeds
links that would only be noise in the index, and would need markers in the article page's budget.

The documents go to Pagefind as one folder through its Python API's `add_directory`, in one request:
the API's reader takes one response off the pipe every 0.1 s, so a request per article would cost a
10,000-article site some 17 minutes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import gzip
import hashlib
import json
import logging
import os
import tempfile
import threading
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from markupsafe import escape

from .errors import Problem, UsageError
from .model import Article, Site
from .search_order import in_order
from .urls import output_path

SEARCH_DIR = "pagefind"  # the index's folder in the site, where Pagefind's script looks for it
SEARCH_PAGE = "search/index.html"
# Pagefind's own ready-made interfaces: the theme shows results as its cards with its own script.
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
HEADLINE_WEIGHT = 10  # Pagefind's highest; it weighs an <h1> 7 and body text 1
T = TypeVar("T")
# The API logs its complaints (a timeout waiting for a process that died) where an application that set
# no logging up would get them printed raw: newsgen reports the failure itself. An application's own
# handlers still receive them.
logging.getLogger("pagefind").addHandler(logging.NullHandler())


def document(article: Article, site: Site, url: Callable[[str], str], long_date: Callable[..., str]) -> str:
    """The HTML Pagefind indexes for one article. Every value from the article is escaped, as in a
    page: a headline is text to Pagefind, never markup (the body is the page's own sanitised HTML).
    Terms and card fields sit in an ignored block: filters and metadata, not searchable text."""
    section = article.section
    extras = "".join(
        [f'<span data-pagefind-filter="category">{escape(t.name)}</span>' for t in article.categories]
        + [f'<span data-pagefind-filter="tag">{escape(t.name)}</span>' for t in article.tags]
        + [f'<span data-pagefind-filter="author">{escape(name)}</span>' for name in article.authors]
        + ([f'<span data-pagefind-meta="section">{escape(section.name)}</span>'
            f'<span data-pagefind-meta="section_url">{escape(url(section.url))}</span>'] if section else [])
        + [f'<span data-pagefind-meta="date">{escape(long_date(article.published))}</span>',
           f'<span data-pagefind-meta="datetime">{escape(article.published.at.isoformat())}</span>',
           # whole seconds: Pagefind sorts values that are all numbers as numbers, newest last
           f'<span data-pagefind-sort="date">{int(article.published.at.timestamp())}</span>'])
    return (f'<!DOCTYPE html><html lang="{escape(site.config.language)}"><body>'
            f'<h1 data-pagefind-weight="{HEADLINE_WEIGHT}">{escape(article.title)}</h1>'
            f"<p>{escape(article.summary)}</p>\n{article.body_html}\n"
            f"<div data-pagefind-ignore>{extras}</div></body></html>\n")


def documents(site: Site, url: Callable[[str], str], long_date: Callable[..., str]) -> dict[str, str]:
    """Every article's document, by the path of its page: Pagefind makes the result's URL from it."""
    return {output_path(a.url): document(a, site, url, long_date) for a in site.articles}


def index_digest(docs: dict[str, str], language: str) -> str:
    """What the index is made from: the documents, the language and the Pagefind release."""
    sha = hashlib.sha256(f"{_pagefind_version()}|{language}|".encode())
    for path in sorted(docs):
        sha.update(f"{path}\0{docs[path]}\0".encode("utf-8", "surrogatepass"))
    return sha.hexdigest()


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind") + "/" + metadata.version("pagefind-bin-extended")
    except metadata.PackageNotFoundError:
        return "?"


def make_index(docs: dict[str, str], language: str) -> dict[str, bytes]:
    """Pagefind's files for these documents, by their path in the site (under pagefind/).

    Raises UsageError naming Pagefind when it cannot be started or fails; nothing is written to the
    site, so the build stops with the previous one in place."""
    with tempfile.TemporaryDirectory(prefix="newsgen-search-") as scratch:
        source, output = Path(scratch) / "documents", Path(scratch) / SEARCH_DIR
        for path, text in docs.items():
            target = source / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
        source.mkdir(exist_ok=True)  # a site without articles still gets an (empty) index
        try:
            _run_alone(_run_pagefind(source, output, language))
        except UsageError:
            raise
        except Exception as exc:  # the API raises bare Exceptions with Pagefind's message
            raise _failed(f"{type(exc).__name__}: {exc}") from None
        files: dict[str, bytes] = {}
        for folder, _, names in os.walk(output):
            for name in names:
                if not name.startswith(UNUSED):
                    path = Path(folder, name)
                    files[f"{SEARCH_DIR}/{path.relative_to(output).as_posix()}"] = path.read_bytes()
        if f"{SEARCH_DIR}/pagefind.js" not in files:
            raise _failed("it wrote no pagefind.js")
        # Every file Pagefind writes has content: one still empty after _written's wait would be
        # published as a broken index.
        empty = [path for path, data in files.items() if not data]
        if empty:
            raise _failed(f"it wrote {empty[0]} empty")
        for path, data in files.items():
            if path.rsplit(".", 1)[-1].startswith("pf_"):  # the index's own files: gzip, whole or not
                try:
                    gzip.decompress(data)
                except (OSError, EOFError, zlib.error):
                    raise _failed(f"it wrote {path} cut short") from None
        return in_order(files)


def _run_alone(work: Awaitable[T]) -> T:
    """Run a coroutine to its end from synchronous code, also when this thread already runs an event
    loop (a build called from a notebook, an async server or Playwright's synchronous API), where
    asyncio.run refuses: then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="newsgen-pagefind") as thread:
        return thread.submit(asyncio.run, work).result()  # type: ignore[arg-type]


async def _run_pagefind(source: Path, output: Path, language: str) -> None:
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    # force_language: one index in the site's language, whatever a body's markup says, so stemming fits
    config = IndexConfig(force_language=language.lower(), output_path=str(output))
    service = await PagefindService().launch()
    # The API reads the binary's answers in a task of its own and would wait for ever on an answer
    # from a process that died: each request also stops when that task does.
    helpers = asyncio.all_tasks() - {asyncio.current_task()}
    try:
        index = await _until_done(service.create_index(config), helpers)
        result = await _until_done(index.add_directory(str(source)), helpers)
        if result.get("page_count") != sum(1 for _ in source.rglob("*.html")):
            raise _failed(f"it indexed {result.get('page_count')} of the articles")
        await _until_done(index.write_files(str(output)), helpers)
        await _written(output)
    finally:
        try:
            await service.close()
        except ProcessLookupError:  # it had stopped already: what went wrong is reported, not this
            pass
        for task in helpers:  # taken, so that asyncio does not print it again as never retrieved
            if task.done() and not task.cancelled():
                task.exception()


async def _written(output: Path, patience: float = 20.0) -> None:
    """Until the files Pagefind wrote have their bytes. Pagefind answers `write_files` once it has created
    each file and handed its bytes to a tokio `File`, which writes them from a background thread, unflushed
    (pagefind/src/output/mod.rs, `write`): on a busy machine a file can still be empty, or growing, when
    the answer comes, and its bytes would be lost if the process were stopped then (the API's close()
    terminates it). So: wait until no file is empty and no size changed over 0.1 s. make_index then
    checks each compressed file whole and reports what is not."""
    sizes: dict[Path, int] = {}
    for _ in range(int(patience / 0.1)):
        now = {path: path.stat().st_size for path in output.rglob("*") if path.is_file()}
        if now == sizes and all(now.values()):
            return
        sizes = now
        await asyncio.sleep(0.1)


async def _until_done(work: Awaitable[T], helpers: set[asyncio.Task[object]]) -> T:
    job = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({job, *helpers}, return_when=asyncio.FIRST_COMPLETED)
    if job in done:
        try:
            return job.result()
        except ConnectionError:  # its pipe closed under the request
            raise _failed("the pagefind process stopped") from None
    # The request is left to the service's close(), which gives up on it: cancelled here, it would
    # cancel the answer close() waits for, and close() would stop before it ends the process.
    reasons = [repr(task.exception()) for task in done if not task.cancelled() and task.exception()]
    raise _failed("the pagefind process stopped" + (f" ({reasons[0]})" if reasons else ""))


def _failed(reason: str) -> UsageError:
    return UsageError(Problem(f"Pagefind failed to index the articles: {reason}", field="search",
                              hint="the previous build is unchanged; `search: false` in newsgen.yaml builds without search"))


MEMO_FILE = "search.json"


@dataclass(frozen=True)
class IndexMemo:
    """The index the last build published, kept in the cache folder. A build trusts no file on disk by
    it: each is linked only if the served site has it with that sha256."""

    digest: str  # index_digest of its documents
    files: dict[str, str]  # its files -> sha256
    seconds: float  # what Pagefind took to make it (the bench reports it)

    @staticmethod
    def read(cache_folder: Path) -> IndexMemo | None:
        try:
            data = json.loads((cache_folder / MEMO_FILE).read_text(encoding="utf-8"))
            return IndexMemo(str(data["digest"]), {str(path): str(sha) for path, sha in data["files"].items()},
                             float(data["seconds"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, cache_folder: Path) -> None:
        cache_folder.mkdir(parents=True, exist_ok=True)
        temporary = cache_folder / f".{MEMO_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps(dataclasses.asdict(self)), encoding="utf-8")
        os.replace(temporary, cache_folder / MEMO_FILE)


class PreviewIndex:
    """Search in `newsgen serve`: the index of a snapshot's articles, made when a page first asks for
    it, in memory, and made again only when an article's document changed since the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: tuple[str, dict[str, bytes]] = ("", {})

    def files(self, site: Site, url: Callable[[str], str], long_date: Callable[..., str]) -> dict[str, bytes]:
        docs = documents(site, url, long_date)
        digest = index_digest(docs, site.config.language)
        with self._lock:  # one Pagefind run at a time; requests that wait get its result
            if self._made[0] != digest:
                self._made = (digest, make_index(docs, site.config.language))
            return self._made[1]
