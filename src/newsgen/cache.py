"""A memo of the expensive pure steps, keyed by a digest of everything each step reads.

Five stores live in a folder beside the build folder (`.<build-name>.newsgen-cache`):

- articles.pack: each article file the last build read, parsed and its Markdown rendered, as one
  pickle per article behind an index of keys at the head of the file: a build opens one file, not
  one per article, and unpickles only the entries its files' keys find. The key covers the file's
  path and bytes, the config values parsing and rendering read (time zone, default author, raw
  HTML), and the code digest.
- related.pickle: every article's related articles, with the articles' order and tags they were
  ranked from: the next build re-ranks only the articles a change of tags can reach.
- pages.pickle: page digest -> sha256 of the bytes that page rendered to. The digest covers the page's
  own fields and data, the site config, every template source, and the template globals (`nav`,
  `model`) as far as the page's templates can reach them. An article counts by its file's cache key
  plus the fields the model derives from other articles and the clock (model.NOT_FROM_FILE); a term
  or feed by all its articles, or by its name and links only where the templates provably read no
  more of it; a page whose templates the analysis cannot bound depends on everything (PageDigests).
  A page whose digest is known, and whose file in the previous build has that sha256, is linked,
  not rendered.
- groups.pickle: a digest of each term with all its articles and its pages' own fields -> the digests
  of those pages (its listings and feeds, made from the term and the config alone): a term an edit did
  not touch has its pages' digests taken from here instead of computed again.
- analysis.pickle: which template globals each template reaches, what it reads of a term, a feed or
  the menu, and whether it can be bounded at all, as page digests found in the templates' source,
  while that source is the same.

Beside them: build.pickle (the memo of the last build as a whole), templates/ (Jinja's compiled
templates) and spare/ (the tree the last swap retired, write.Staging).

The code digest (newsgen's own sources and the Markdown and Jinja versions) is part of every key, so
a changed newsgen never reuses what an older one computed: a store kept under another key is a miss.
Every file is sealed with a CRC-32 of its bytes (the pack: its index and each entry) and checked
before it is unpickled. A file that exists but fails that check, or cannot be read, raises
CacheUnreadable wherever it is found: build() then starts again with the cache cleared (Cache.clear()),
so a damaged cache costs one clean build and one line in the log, never a wrong or failed build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import os
import pickle
import shutil
import tempfile
import weakref
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import jinja2
from jinja2 import meta, nodes
from jinja2.bccache import Bucket
from jinja2.defaults import DEFAULT_NAMESPACE

from .config import SiteConfig
from .content import Moment
from .errors import CacheUnreadable

PHOTO_MEMO = "photos.json"  # what build.PhotoMemo keeps: each photo's description and published files
from .model import NOT_FROM_FILE, Article, Site, SiteSummary, Term, TermRef
from .plan import Feed, Page, RelatedTable, article_tags, related_table, stale_related
from .write import SERVED_STATS, SPARE, SPARE_STATS, open_regular, read_regular, seal, unseal

PACKAGE_DIR = Path(__file__).parent


def _version(module: str) -> str:
    # the module's own attribute: importlib.metadata would cost every build some 80 ms of imports
    return str(getattr(importlib.import_module(module), "__version__", "?"))


@functools.cache  # the code a process runs cannot change under it
def code_digest() -> str:
    """newsgen's own Python sources plus the libraries whose output we keep."""
    sha = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    # every library whose output ends up in a cached article or page: Markdown, Jinja, nh3 (raw HTML), Pillow (cards)
    sha.update(";".join(f"{name}={_version(name)}" for name in ("markdown", "jinja2", "nh3", "PIL")).encode())
    return sha.hexdigest()


def cache_dir(output: Path) -> Path:
    return output.parent / f".{output.name}.newsgen-cache"


def hash_parts(*parts: str | bytes) -> str:
    """sha256 of the parts, each followed by a NUL byte."""
    try:  # all text, as page digests are: one join and one update instead of two updates a part
        return hashlib.sha256(("\0".join(parts) + "\0").encode("utf-8", "surrogatepass")).hexdigest()  # type: ignore
    except TypeError:
        pass
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        sha.update(b"\0")
    return sha.hexdigest()


def files_digest(files: dict[str, str]) -> str:
    """One digest for a build folder's manifest (path -> sha256 of every file)."""
    sha = hashlib.sha256()
    for path in sorted(files):  # one entry at a time: this runs at the end of a build, at its peak memory
        sha.update(f"{path}\0{files[path]}\0".encode("utf-8", "surrogatepass"))
    return sha.hexdigest()


def template_digest(roots: Iterable[Path]) -> str:
    """Every template file under these folders, names and bytes."""
    return hash_parts(*(f"{p}\0{p.read_bytes().hex()}" for root in roots if root.is_dir()
                        for p in sorted(root.rglob("*")) if p.is_file()))


@dataclass(frozen=True)
class BuildMemo:
    """What a finished build leaves for the next one to recognise an unchanged site by."""

    fingerprint: str  # every input but the clock (build._fingerprint)
    files: str  # files_digest of the files the build folder got
    summary: SiteSummary
    pages: Counter[str]  # pages by kind
    statics: int
    valid: tuple[datetime | None, datetime | None]  # the clock times giving the same site (model.valid_between)

    def holds(self, fingerprint: str, now: datetime) -> bool:
        start, end = self.valid
        return self.fingerprint == fingerprint and (start is None or start <= now) and (end is None or now < end)


PACK_MAGIC = b"newsgen article pack 2\n"  # 2: the index has a CRC-32
COPY_CHUNK = 1 << 20
Entry = tuple[int, int, int]  # where a pickled value is in a file: offset, length, CRC-32 of its bytes


class Cache:
    """Read what a previous build left, collect what this build used, save only that."""

    def __init__(self, folder: Path, salt: str):
        self.folder = folder
        self.salt = salt
        self._pack_file = folder / "articles.pack"
        self._pages_file = folder / "pages.pickle"
        self._related_file = folder / "related.pickle"
        self._build_file = folder / "build.pickle"
        self._groups_file = folder / "groups.pickle"
        self._analysis_file = folder / "analysis.pickle"
        self._analysis: tuple[str, dict[str, dict[Any, Any]], int] | None = None  # see template_analysis
        self._memo: BuildMemo | None = None
        self.pages: dict[str, str] = {}
        self.groups: dict[str, tuple[str | None, ...]] = {}  # this build's, as groups_before
        self.used_articles: set[str] = set()
        self.keys: dict[str, str] = {}  # article source -> the key of the value this build uses
        self._stale = False  # whether the pack holds entries this build does not use
        # Entries this build computed, pickled into an unnamed temporary file until save() writes the
        # pack: held in memory they would add a cold build's whole pack to every process's peak.
        self._spill: BinaryIO | None = None
        self._new: dict[str, Entry] = {}  # key -> where in the spill file
        self._spill_failed = False
        self._key_prefixes: dict[str, Any] = {}  # settings -> sha256 of the salt and them, to copy
        self._preloaded: tuple[set[str], dict[str, Any]] | CacheUnreadable | None = None  # see preload_articles

    def clear(self) -> bool:
        """Remove every store, whatever is in its place (a folder, a link...), write.Staging's and the
        names of earlier versions' stores too; False when that fails. Nothing else: the folder may be
        one the caller named. After CacheUnreadable: the build then starts from nothing."""
        try:
            if self.folder.is_symlink() or (self.folder.exists() and not self.folder.is_dir()):
                self.folder.unlink()
                return True
            for path in (self._pack_file, self._pages_file, self._related_file, self._build_file,
                         self._groups_file, self._analysis_file, *(self.folder / name for name in (
                             SPARE, SERVED_STATS, SPARE_STATS, "templates", "pages.json", "articles", PHOTO_MEMO))):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        except OSError:
            return False
        return True

    @functools.cached_property  # a build that changed nothing never reads it
    def pages_before(self) -> dict[str, str]:
        """The previous build's page digests (see pages)."""
        return _read_keyed(self._pages_file, (self.salt,), dict) or {}

    @functools.cached_property
    def groups_before(self) -> dict[str, tuple[str | None, ...]]:
        """The previous build's group digests (PageDigests.group) -> the digests of the group's pages."""
        return _read_keyed(self._groups_file, (self.salt,), dict) or {}

    # --- articles ---------------------------------------------------------------------------
    def article_key(self, source: str, raw: bytes, settings: str) -> str:
        """hash_parts(salt, settings, source, raw), with the salt and the settings (a few kB, the same
        for every file) hashed once per build instead of once per file."""
        prefix = self._key_prefixes.get(settings)
        if prefix is None:
            prefix = self._key_prefixes[settings] = hashlib.sha256(f"{self.salt}\0{settings}\0".encode(
                "utf-8", "surrogatepass"))
        sha = prefix.copy()
        sha.update(source.encode("utf-8", "surrogatepass") + b"\0")
        sha.update(raw)
        sha.update(b"\0")
        return sha.hexdigest()

    def preload_articles(self) -> None:
        """Unpickle every value the pack holds now, before the build knows which it needs: a build
        does it while another process reads and digests the article files (build.read_inputs). A damaged
        pack is reported by get_articles(): a build that finds nothing changed never needs it."""
        try:
            self._preloaded = self._read_pack(None)
        except CacheUnreadable as exc:
            self._preloaded = exc

    def get_articles(self, keys: Collection[str]) -> dict[str, Any]:
        """The values the pack holds for these keys; a key it lacks is absent: a miss. A damaged pack
        or entry is CacheUnreadable."""
        self.used_articles.update(keys)
        preloaded, self._preloaded = self._preloaded, None  # what this build does not use is freed with the dict
        if isinstance(preloaded, CacheUnreadable):
            raise preloaded
        held, values = preloaded if preloaded is not None else self._read_pack(keys)
        self._stale = not held <= self.used_articles
        return {key: values[key] for key in keys if key in values}

    def _read_pack(self, keys: Collection[str] | None) -> tuple[set[str], dict[str, Any]]:
        """The keys the pack's index holds, and the values for `keys` (None: all) read from one open file."""
        found: dict[str, Any] = {}
        try:
            pack = open_regular(self._pack_file)
        except FileNotFoundError:
            return set(), found  # no pack yet
        except OSError as exc:
            raise CacheUnreadable(f"{self._pack_file}: {exc.strerror or exc}") from None
        with pack:
            try:
                index = _read_index(pack, self.salt)
                for key in index if keys is None else keys:
                    where = index.get(key)
                    if where is not None:
                        found[key] = _unpickle(_read_entry(pack, where), self._pack_file)
            except OSError as exc:
                raise CacheUnreadable(f"{self._pack_file}: {exc.strerror or exc}") from None
        return set(index), found

    def put_article(self, key: str, blob: bytes) -> None:
        """Keep a value this build computed, pickled (where it was computed: see build._parse_chunk),
        for save() to write into the pack."""
        self.used_articles.add(key)
        if self._spill_failed:
            return
        try:
            if self._spill is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                spill = tempfile.TemporaryFile(dir=self.folder, buffering=0)  # gone with the process
                weakref.finalize(self, spill.close)  # a failed build never reaches save()
                self._spill = spill
            offset = self._spill.seek(0, os.SEEK_END)  # after any bytes a failed write left
            if self._spill.write(blob) != len(blob):
                raise OSError("short write")
            self._new[key] = (offset, len(blob), zlib.crc32(blob))
        except OSError:
            # A full disk or read-only folder costs the memo, never the build: give the space back
            # (the build needs it more) and keep nothing new this time.
            self._spill_failed = True
            self._new.clear()
            if self._spill is not None:
                self._spill.close()

    def _pack_chunks(self) -> Iterator[bytes]:
        """The new pack, piece by piece: the index, the entries of the old pack this build used, then
        those it computed, all copied as bytes in runs, never unpickled."""
        try:
            old: BinaryIO | None = open_regular(self._pack_file)
        except OSError:
            old = None
        with old or contextlib.nullcontext():
            try:
                index = _read_index(old, self.salt) if old else {}
            except CacheUnreadable:  # damaged since this build read it: keep none of it
                index = {}
            kept = sorted((where, key) for key, where in index.items()
                          if key in self.used_articles and key not in self._new)
            new = sorted((where, key) for key, where in self._new.items())
            entries: dict[str, Entry] = {}
            offset = 0
            for (_, length, crc), key in kept + new:
                entries[key] = (offset, length, crc)
                offset += length
            head = pickle.dumps((self.salt, entries), protocol=pickle.HIGHEST_PROTOCOL)
            yield PACK_MAGIC + len(head).to_bytes(8, "little") + zlib.crc32(head).to_bytes(4, "little") + head
            for source, part in ((old, kept), (self._spill, new)):
                for start, length in _runs([where[:2] for where, _ in part]):
                    yield from _copy(source, start, length)  # type: ignore[arg-type]  # part is empty without it

    # --- the last build as a whole ---------------------------------------------------------
    def last_build(self, fingerprint: str, now: datetime) -> BuildMemo | None:
        memo = _read_keyed(self._build_file, (self.salt,), BuildMemo)
        return memo if memo is not None and memo.holds(fingerprint, now) else None

    def keep_build(self, memo: BuildMemo) -> None:
        self._memo = memo  # written by save(), with the rest

    # --- related articles -------------------------------------------------------------------
    def related(self, site: Site) -> RelatedTable:
        """plan.related_table(site), re-ranking only what changed since the previous build when the
        articles are the same, in the same order; kept for the next build when anything changed."""
        order = hash_parts(self.salt, *(a.source for a in site.articles))
        tags = article_tags(site)
        kept = _read_keyed(self._related_file, (order,), tuple)
        if kept is not None:
            kept_tags, table = kept
            stale = stale_related(site, tags, kept_tags)
            if not stale:
                return table
            table = related_table(site, table, stale)
        else:  # none kept for these articles in this order: rank every article
            table = related_table(site)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_keyed(self._related_file, (order,), (tags, table))
        except OSError:
            pass
        return table

    # --- templates ----------------------------------------------------------------------------
    def template_analysis(self, templates: str) -> dict[str, dict[Any, Any]]:
        """What page digests found in the templates' source (PageDigests), kept for the next build
        while the templates (`templates`: their digest) and newsgen are the same."""
        analysis: dict[str, dict[Any, Any]] = _read_keyed(self._analysis_file, (self.salt, templates), dict) or {}
        self._analysis = (templates, analysis, _entries(analysis))
        return analysis

    def compiled_templates(self, settings: str) -> jinja2.BytecodeCache | None:
        """Jinja's compiled templates (render.Renderer), in a folder per digest of the settings the
        compiled code depends on; the folders of other settings are dropped. None when it cannot be made."""
        root = self.folder / "templates"
        folder = root / hash_parts(self.salt, settings)[:32]
        try:
            if not folder.is_dir() or folder.is_symlink():
                shutil.rmtree(root, ignore_errors=True)
                folder.mkdir(parents=True)
        except OSError:
            return None
        return SealedBytecode(folder)

    # --- pages ------------------------------------------------------------------------------
    def save_stores(self) -> None:
        """Write the pages' digests and the article pack. They are keyed by content, so they may be written
        before or while the build's tree is swapped in: build.py does it in another process meanwhile."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.pages != self.pages_before:
                _write_keyed(self._pages_file, (self.salt,), self.pages)
            if self.groups != self.groups_before:
                _write_keyed(self._groups_file, (self.salt,), self.groups)
            if self._analysis is not None and _entries(self._analysis[1]) != self._analysis[2]:
                templates, analysis, _ = self._analysis
                _write_keyed(self._analysis_file, (self.salt, templates), analysis)
            if self._new or self._stale:
                _atomic_write(self._pack_file, self._pack_chunks())
            # Stores of earlier versions: every article a file of its own in articles/, pages.json.
            shutil.rmtree(self.folder / "articles", ignore_errors=True)
            (self.folder / "pages.json").unlink(missing_ok=True)
        except OSError:
            pass  # the memo is an optimisation: failing to keep it never fails a build

    def save(self, stores: bool = True) -> None:
        """Keep only what this build used, so the cache never grows past one site's worth: the stores
        (unless save_stores() wrote them) and the memo of this build, which must come after its swap."""
        try:
            if stores:
                self.save_stores()
            if self._memo is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                _write_keyed(self._build_file, (self.salt,), self._memo)
        except OSError:
            pass
        finally:
            if self._spill is not None:
                self._spill.close()


def _read_index(pack: BinaryIO, salt: str) -> dict[str, Entry]:
    """key -> where its pickle is in the pack; {} for a pack written with another salt (another
    newsgen, or other code). CacheUnreadable for one that is damaged or not a pack."""
    pack.seek(0)
    start = len(PACK_MAGIC) + 12
    head = pack.read(start)
    size = int.from_bytes(head[len(PACK_MAGIC):-4], "little")
    # a damaged length is never read: it could ask for any amount of memory
    if not head.startswith(PACK_MAGIC) or len(head) != start or size > os.fstat(pack.fileno()).st_size:
        raise CacheUnreadable(f"{pack.name}: not an article pack, or its head is damaged")
    index = pack.read(size)
    if zlib.crc32(index) != int.from_bytes(head[-4:], "little"):
        raise CacheUnreadable(f"{pack.name}: its index is damaged")
    stored_salt, entries = _unpickle(index, pack.name)
    if stored_salt != salt:
        return {}
    base = start + size  # offsets count from the end of the index, which they cannot know
    return {key: (base + offset, length, crc) for key, (offset, length, crc) in entries.items()}


def _read_keyed(path: Path, key: tuple[str, ...], kind: type) -> Any:
    """What _write_keyed kept under this key; None when there is no file or it was kept under another
    key (another newsgen, other templates). CacheUnreadable for a file that is damaged, not ours, or
    holds something other than a `kind`."""
    data = _unseal(path)
    if data is None:
        return None
    kept = _unpickle(data, path)
    if not (type(kept) is tuple and len(kept) == 2):
        raise CacheUnreadable(f"{path}: holds a {type(kept).__name__}")
    kept_key, value = kept
    if kept_key != key:
        return None
    if not isinstance(value, kind):
        raise CacheUnreadable(f"{path}: holds a {type(value).__name__}, not a {kind.__name__}")
    return value


def _write_keyed(path: Path, key: tuple[str, ...], value: object) -> None:
    _atomic_write(path, [seal(pickle.dumps((key, value), pickle.HIGHEST_PROTOCOL))])


def _unseal(path: Path) -> bytes | None:
    """The data of a file seal() made; None when there is no file. CacheUnreadable when it cannot be
    read (a folder, a link, a FIFO in its place), is not sealed, or its bytes are not those sealed."""
    try:
        return unseal(read_regular(path)[0])
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise CacheUnreadable(f"{path}: {exc}") from None
    except OSError as exc:
        raise CacheUnreadable(f"{path}: {exc.strerror or exc}") from None


def _unpickle(data: bytes, path: object) -> Any:
    """Unpickle checked bytes. They are this newsgen's, as the key they are kept under says; another
    newsgen's may name classes that are gone or have changed, which is CacheUnreadable too."""
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise CacheUnreadable(f"{path}: {type(exc).__name__}: {exc}") from None


class SealedBytecode(jinja2.BytecodeCache):
    """Jinja's compiled templates, one sealed file each (_seal), all read and checked when the build
    opens the folder, before any worker forks: a dozen small files. Jinja checks an entry against its
    template's source, not against damage: a damaged one would crash the render, or run."""

    def __init__(self, folder: Path):
        self.folder = folder
        try:
            self._code = {path.stem: _unseal(path) for path in folder.iterdir() if not path.name.startswith(".")}
        except OSError as exc:
            raise CacheUnreadable(f"{folder}: {exc.strerror or exc}") from None

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        self._code[bucket.key] = code
        with contextlib.suppress(OSError):  # a cache only saves time
            _atomic_write(self.folder / f"{bucket.key}.bytecode", [seal(code)])


def _entries(analysis: dict[str, dict[Any, Any]]) -> int:
    return sum(map(len, analysis.values()))  # a build only adds to it


def _read_entry(pack: BinaryIO, where: Entry) -> bytes:
    offset, length, crc = where
    pack.seek(offset)
    data = pack.read(length)
    # A damaged string in a pickle would still unpickle, into wrong HTML: check every byte
    # (CRC-32 costs about 45 ms for 10,000 articles).
    if len(data) != length or zlib.crc32(data) != crc:
        raise CacheUnreadable(f"{pack.name}: an entry is damaged")
    return data


def _runs(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(offset, length) ranges in ascending order, adjacent ones merged: one read per run."""
    runs: list[tuple[int, int]] = []
    for offset, length in ranges:
        if runs and sum(runs[-1]) == offset:
            runs[-1] = (runs[-1][0], runs[-1][1] + length)
        else:
            runs.append((offset, length))
    return runs


def _copy(source: BinaryIO, offset: int, length: int) -> Iterator[bytes]:
    source.seek(offset)
    while length > 0:
        data = source.read(min(length, COPY_CHUNK))
        if not data:  # shorter than its index says: better no new pack than a wrong one
            raise OSError("a file of the article cache ends early")
        length -= len(data)
        yield data


def _atomic_write(path: Path, chunks: Iterable[bytes]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.writelines(chunks)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Uncacheable(Exception):
    """A page's data holds something we cannot digest faithfully: render it every time."""


@dataclass(frozen=True)
class TemplateReach:
    """What a template and everything it extends, includes and imports can read."""

    trees: tuple[nodes.Template, ...]
    names: frozenset[str]  # every name loaded
    complete: bool  # False when a reference is computed, so the set of templates is unknown


class PageDigests:
    """Digests of what each page's rendering can read. Articles and terms are digested once each.

    A page reads its own fields and data, the template globals and the config (filters read the config
    and the static files, which are in the salt). Its digest covers every global its templates load by
    name, each digested whole, and its data, each value whole, with one narrowing: a term, a feed or the
    section menu that the templates provably read only by name and link (see _reads_through) is
    digested by those. Where the templates cannot be analysed, or reach the page otherwise than by its
    fields and `page.context.<name>`, the page depends on everything: every global, all its data and
    its basis, whole."""

    def __init__(self, site: Site, env: jinja2.Environment, templates: str, salt: str,
                 article_keys: dict[str, str] | None = None, analysis: dict[str, dict[Any, Any]] | None = None):
        """`analysis`: what an earlier build found in these same templates' source (Cache.template_analysis);
        it is added to here. Parsing and walking the templates costs a 10,000-article rebuild 0.1 s."""
        self.site = site
        self._article_keys = article_keys or {}
        self.env = env
        self._memo: dict[int, str] = {}
        self._alive: list[object] = []
        self._globals_memo: dict[str, str] = {}
        self._uncacheable: set[str] = set()
        self._parsed: dict[str, tuple[nodes.Template, set[str], list[str | None]]] = {}
        self._reaches: dict[str, TemplateReach] = {}
        analysis = analysis if analysis is not None else {}
        # (template, name) -> what _reads_through found; template -> whether it depends on everything
        self._through: dict[tuple[str, str], frozenset[str] | None] = analysis.setdefault("through", {})
        self._unbounded: dict[str, bool] = analysis.setdefault("unbounded", {})
        self._reached: dict[str, frozenset[str]] = analysis.setdefault("reached", {})  # template -> globals
        self._base = hash_parts(salt, templates, repr(site.config))

    def group(self, pages: list[Page]) -> str:
        """One digest for pages made from the same basis (Page.basis: a term): the basis digested deeply,
        with all its articles, and each page's own fields and template globals. Their data is made from
        these and the config alone, so an unchanged group digest stands for unchanged page digests."""
        return hash_parts(self._base, self.value(pages[0].basis), *(
            f"{self._globals(p.template)}|{p.path}|{p.url}|{p.kind}|{p.template}|{p.source}|{','.join(p.context)}"
            for p in pages))

    def page(self, page: Page) -> str:
        everything = self._everything(page.template)
        return hash_parts(self._base, self._globals(page.template), page.path, page.url, page.kind, page.template,
                          page.source, self._context(page), self.value(page.basis) if everything else "-")

    def _context(self, page: Page) -> str:
        """The page's data. A listing's own term and feed are digested by their names and links only
        when the templates read nothing else of them: otherwise one edited article would re-render
        every page of its sections, tags and authors, though only the page listing it shows it."""
        parts = []
        for key, value in page.context.items():
            kind = type(value)
            if kind is Term and self._reads_shallowly(page.template, key, SHALLOW_TERM_FIELDS, in_context=True):
                parts.append(f"{key}=T{(value.kind, value.name, value.slug)!r}")
            elif kind is Feed and self._reads_shallowly(page.template, key, SHALLOW_FEED_FIELDS, in_context=True):
                parts.append(f"{key}=F{(value.title, value.url, sorted(value.paths.items()))!r}")
            else:
                parts.append(f"{key}={self.value(value)}")
        return "{" + ",".join(parts) + "}"

    def _reads_shallowly(self, template: str, name: str, fields: frozenset[str], in_context: bool) -> bool:
        """Whether every template a page renders with reads nothing of `name` (or of its items) but `fields`."""
        if not _jinja(template) or self._everything(template):
            return False  # Python reads the data of feed.json and card.png whole
        if (template, name) not in self._through:
            self._through[(template, name)] = _reads_through(self._reach(template).trees, name, in_context)
        reads = self._through[(template, name)]
        return reads is not None and reads <= fields

    def _everything(self, template: str) -> bool:
        """Whether a page of this template may read anything: its templates cannot all be found (a
        computed name in `include`, `import` or `extends`, a missing or broken file), or one of them
        reads the page otherwise than by its fields and `page.context.<name>` (`page.basis`,
        `page.context.get(…)`, `page` passed to a macro…)."""
        if not _jinja(template):
            return False  # rendered in Python (feed.json, card.png) from the page data alone
        if template not in self._unbounded:
            try:
                reach = self._reach(template)
                plain = all(_reads_page_plainly([tree]) for tree in reach.trees)
                self._unbounded[template] = not (reach.complete and plain)
            except jinja2.TemplateError:
                self._unbounded[template] = True  # rendering reports it, or finds what we could not
        return self._unbounded[template]

    # --- template globals, as far as a page's templates reach them ------------------------------
    def _globals(self, name: str) -> str:
        if name not in self._globals_memo:
            try:
                self._globals_memo[name] = self._globals_for(name)
            except Uncacheable:
                self._globals_memo[name] = ""
                self._uncacheable.add(name)
        if name in self._uncacheable:
            raise Uncacheable(f"a global of {name}")
        return self._globals_memo[name]

    def _globals_for(self, name: str) -> str:
        if not _jinja(name):
            return ""  # rendered in Python (feed.json, card.png) from the page data alone
        reached = self._reached.get(name)
        if reached is None:
            # Jinja's templates find a global only by its name (no template global is a context function)
            reached = frozenset(self.env.globals)
            if not self._everything(name):
                reached &= self._reach(name).names
            self._reached[name] = reached
        # Every page shows the section menu: were it digested deeply, one edited article would
        # re-render every page of its sections' neighbours.
        deep = not self._reads_shallowly(name, "nav", SHALLOW_TERM_FIELDS, in_context=False)
        parts = []
        for global_name in sorted(reached - set(DEFAULT_NAMESPACE)):
            if global_name == "nav" and not deep:
                parts.append("nav:" + repr([(t.kind, t.name, t.slug) for t in self.env.globals["nav"]]))
            else:  # digested whole (the model: every field of it); one we cannot digest makes the page uncacheable
                parts.append(f"{global_name}:" + self.value(self.env.globals[global_name]))
        return hash_parts(*parts)

    def _reach(self, name: str) -> TemplateReach:
        """A template and all it extends, includes, imports, read once per build."""
        if name in self._reaches:
            return self._reaches[name]
        trees, names = [], set()
        seen: set[str] = set()
        todo = [name]
        complete = True
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            tree, file_names, references = self._parse(current)
            trees.append(tree)
            names |= file_names
            for referenced in references:
                if referenced is None:
                    complete = False
                else:
                    todo.append(referenced)
        self._reaches[name] = TemplateReach(tuple(trees), frozenset(names), complete)
        return self._reaches[name]

    def _parse(self, name: str) -> tuple[nodes.Template, set[str], list[str | None]]:
        if name not in self._parsed:
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            tree = self.env.parse(source)
            # Every name the template loads. Not meta.find_undeclared_variables: it leaves out names that
            # are environment globals, which are exactly the ones this digest is looking for. Local
            # names that shadow a global only make the digest cover more than it must.
            loaded = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
            self._parsed[name] = (tree, loaded, list(meta.find_referenced_templates(tree)))
        return self._parsed[name]

    # --- values ------------------------------------------------------------------------------
    def value(self, value: Any) -> str:
        # The common shapes first, by exact type: this runs about 30 times per page.
        kind = type(value)
        if kind is str:
            return "str:" + repr(value)
        if kind is int or kind is bool or value is None or kind is float:
            return f"{kind.__name__}:{value!r}"
        memo = self._memo
        found = memo.get(id(value))  # only live articles, terms and feeds are memoised, so ids are unique
        if found is not None:
            return found
        if kind is tuple or kind is list:
            return "[" + ",".join([memo.get(id(v)) or self.value(v) for v in value]) + "]"
        if kind is Moment:  # a sitemap lists one per page: the dataclass repr would cost five times more
            result = memo[id(value)] = f"Moment({value.at!r},{value.date_only!r})"
            self._alive.append(value)  # an article's: the sitemap names it again for each listing it leads
            return result
        if isinstance(value, (str, int, float, bool)):
            return f"{type(value).__name__}:{value!r}"
        if isinstance(value, (SiteConfig, datetime, date)):
            return repr(value)
        if isinstance(value, dict):
            return "{" + ",".join(f"{self.value(k)}={self.value(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (tuple, list)):
            return "[" + ",".join(self.value(v) for v in value) + "]"
        if isinstance(value, Article):
            key = self._article_keys.get(value.source)
            # The cache key covers everything read from the file; a repr of ~5 kB costs a hundred times more.
            result = "A" + (hash_parts(key, *(self.value(getattr(value, name)) for name in NOT_FROM_FILE)) if key
                            else hash_parts(repr(value)))
        elif isinstance(value, TermRef):  # shared by every article of its term: one repr each
            result = repr(value)
        elif isinstance(value, Term):
            result = "T" + hash_parts(value.kind, value.name, value.slug, *(self.value(a) for a in value.articles))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            # The model (Site, Feed, Redirect, Skipped…), field by field: a field added to it is digested too.
            result = kind.__qualname__ + hash_parts(*(self.value(getattr(value, f.name))
                                                      for f in dataclasses.fields(value)))
        else:
            raise Uncacheable(type(value).__name__)
        memo[id(value)] = result
        self._alive.append(value)  # an id stays unique only while its object lives
        return result


SHALLOW_TERM_FIELDS = frozenset({"kind", "name", "slug", "url", "ref"})  # what "kind|name|slug" determines
SHALLOW_FEED_FIELDS = frozenset({"title", "url", "paths"})  # a feed's links, as every page's <head> shows them
PAGE_FIELDS = frozenset({"url", "path", "kind", "template", "source"})  # Page's own scalar fields
# What `loop` tells of the sequence besides its items: positions and length, which the names of its
# items determine. `loop.nextitem`, `loop.previtem`, `loop.changed()` or `loop(…)` reach the items.
LOOP_POSITION = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
                           "depth0", "cycle"})
DICT_ATTRIBUTES = frozenset(dir(dict))  # Jinja's `page.context.get` is the method, not a key "get"


def _jinja(template: str) -> bool:
    return template.endswith((".html", ".xml", ".txt"))  # the others are rendered in Python (render.Renderer)


def _context_key(path: list[nodes.Node]) -> str | None:
    """For `page` at the end of path: the key of `page.context.<key>` or `page.context['<key>']`, or None
    when the page is used otherwise, or for a key that is computed or names a method of dict."""
    parent, grand = path[-2], path[-3]
    if not (isinstance(parent, nodes.Getattr) and parent.attr == "context"):
        return None
    if isinstance(grand, nodes.Getattr):
        key = grand.attr
    elif isinstance(grand, nodes.Getitem) and grand.node is parent and isinstance(grand.arg, nodes.Const):
        key = grand.arg.value
    else:
        return None
    return key if isinstance(key, str) and key not in DICT_ATTRIBUTES else None


def _reads_page_plainly(path: list[nodes.Node]) -> bool:
    """Whether the tree at the end of path reads the page only by its own fields and `page.context.<key>`."""
    node = path[-1]
    if isinstance(node, nodes.Name) and node.name == "page" and node.ctx == "load":
        parent = path[-2]
        return isinstance(parent, nodes.Getattr) and parent.attr in PAGE_FIELDS or _context_key(path) is not None
    return all(_reads_page_plainly([*path, child]) for child in node.iter_child_nodes())


def _reads_through(trees: Iterable[nodes.Template], name: str, in_context: bool) -> frozenset[str] | None:
    """The attributes the templates of one page (`trees`: all it extends, includes and imports) read on
    the terms a name stands for: the name's own (`term.name`) and, for a sequence, its items'
    (`{% for t in nav %}{{ t.name }}`). For a page-context name, `page.context.<name>` counts as the name.

    A whitelist: None when the name or an item is used any way not listed here (passed to a macro or a
    filter, `set` to another name, indexed, a method called, `loop.nextitem`…): then anything they lead
    to may be read, and the caller digests the name whole."""
    reads: set[str] = set()
    # Names standing for one of the sequence's items, in any of the trees: an included template or a
    # scoped block sees the loop variable of the loop around it. A name reused for something else only
    # adds reads.
    items: set[str] = set()
    looped = False  # whether a loop runs over the name: then any `loop` may be that loop

    def used(path: list[nodes.Node]) -> bool:
        """Whether the expression at the end of path (ancestors first) is used in a way we follow."""
        nonlocal looped
        node, parent = path[-1], path[-2]
        if isinstance(parent, nodes.Getattr):
            reads.add(parent.attr)  # anything but the few shallow fields makes the caller digest it whole
        elif isinstance(parent, nodes.For) and parent.iter is node:
            if not isinstance(parent.target, nodes.Name):
                return False  # unpacked items
            items.add(parent.target.name)
            looped = True
        elif isinstance(parent, (nodes.If, nodes.CondExpr)) and parent.test is node:
            pass  # `{% if nav %}`
        elif isinstance(parent, nodes.Test) and (parent.name == "sameas" or (
                parent.node is node and parent.name in ("defined", "undefined", "none"))):
            pass  # presence, or identity ("is this the current section"): terms are the same by kind and slug
        elif isinstance(parent, nodes.Filter) and parent.name in ("default", "d") and parent.node is node:
            return used(path[:-1])  # `x | default(none)` is x, or a constant
        else:
            return False
        return True

    def visit(path: list[nodes.Node]) -> bool:
        node = path[-1]
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name == name or node.name in items:
                return used(path)
            if in_context and node.name == "page":
                # any other use of the page made it depend on everything (_everything) before this walk
                return _context_key(path) != name or used(path[:-2])  # path[:-2] ends with page.context.<name>
            if looped and node.name == "loop":
                parent = path[-2]
                return isinstance(parent, nodes.Getattr) and parent.attr in LOOP_POSITION
        return all(visit([*path, child]) for child in node.iter_child_nodes())

    trees = list(trees)
    while True:  # walk again until no loop variable is found that an earlier tree or node used
        known = (len(items), looped)
        if not all(visit([tree]) for tree in trees):
            return None
        if (len(items), looped) == known:
            return frozenset(reads)
