"""A memo of the expensive pure steps, keyed by a digest of everything each step reads.

Two stores live in a folder beside the build folder (`.<build-name>.newsgen-cache`):

- articles/<key>: one article file parsed and its Markdown rendered. The key covers the file's path
  and bytes, the config values parsing and rendering read (time zone, default author, raw HTML),
  and the code digest.
- pages.json: page digest -> sha256 of the bytes that page rendered to. The digest covers the page's
  own fields and data (articles, terms, feeds, deeply), the site config, every template source, and
  the template globals (`nav`, `model`) as far as the page's templates can reach them. A page whose
  digest is known, and whose file in the previous build has that sha256, is linked, not rendered.

The code digest (newsgen's own sources and the Markdown and Jinja versions) is part of every key, so
a changed newsgen never reuses what an older one computed. A missing, corrupt or foreign cache only
costs time: every entry is checked by its key, and anything unreadable counts as a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
from collections.abc import Iterable
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.defaults import DEFAULT_NAMESPACE

from .config import SiteConfig
from .content import Moment
from .model import Article, Site, Term, TermRef
from .plan import Feed, Page

PACKAGE_DIR = Path(__file__).parent


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


@functools.cache  # the code a process runs cannot change under it
def code_digest() -> str:
    """newsgen's own Python sources plus the libraries whose output we keep."""
    sha = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        sha.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    # every library whose output ends up in a cached article or page: Markdown, Jinja, nh3 (raw HTML), Pillow (cards)
    sha.update(";".join(f"{name}={_version(name)}" for name in ("markdown", "jinja2", "nh3", "pillow")).encode())
    return sha.hexdigest()


def cache_dir(output: Path) -> Path:
    return output.parent / f".{output.name}.newsgen-cache"


def _h(*parts: str | bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        sha.update(b"\0")
    return sha.hexdigest()


class Cache:
    """Read what a previous build left, collect what this build used, save only that."""

    def __init__(self, folder: Path, salt: str):
        self.folder = folder
        self.salt = salt
        self._articles = folder / "articles"
        self._pages_file = folder / "pages.json"
        self.pages_before = self._read_pages()
        self.pages: dict[str, str] = {}
        self.used_articles: set[str] = set()
        self.hits = 0

    # --- articles ---------------------------------------------------------------------------
    def article_key(self, source: str, raw: bytes, settings: str) -> str:
        return _h(self.salt, settings, source, raw)

    def get_article(self, key: str) -> Any | None:
        self.used_articles.add(key)
        try:
            with open(self._articles / key, "rb") as handle:
                value = pickle.load(handle)
        except Exception:  # missing, truncated, or written by something else: a miss
            return None
        self.hits += 1
        return value

    def put_article(self, key: str, value: Any) -> None:
        self.used_articles.add(key)
        try:
            self._articles.mkdir(parents=True, exist_ok=True)
            _atomic_write(self._articles / key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            pass  # a full disk or read-only folder costs the memo, never the build

    # --- pages ------------------------------------------------------------------------------
    def _read_pages(self) -> dict[str, str]:
        try:
            data = json.loads(self._pages_file.read_text(encoding="utf-8"))
            if data.get("salt") == self.salt and isinstance(data.get("pages"), dict):
                return {str(k): str(v) for k, v in data["pages"].items()}
        except (OSError, ValueError, AttributeError):
            pass
        return {}

    def save(self) -> None:
        """Keep only what this build used, so the cache never grows past one site's worth."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.pages != self.pages_before:
                _atomic_write(self._pages_file, json.dumps({"salt": self.salt, "pages": self.pages}).encode())
            if self._articles.is_dir():
                for name in os.listdir(self._articles):
                    if name not in self.used_articles:
                        (self._articles / name).unlink(missing_ok=True)
        except OSError:
            pass  # the memo is an optimisation: failing to keep it never fails a build


def _atomic_write(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class Uncacheable(Exception):
    """A page's data holds something we cannot digest faithfully: render it every time."""


class PageDigests:
    """Digests of what each page's rendering can read. Articles and terms are digested once each."""

    def __init__(self, site: Site, env: jinja2.Environment, template_roots: Iterable[Path], salt: str):
        self.site = site
        self.env = env
        self._memo: dict[int, str] = {}
        self._alive: list[object] = []
        self._trees: dict[str, str] = {}
        self._uncacheable: set[str] = set()
        self._templates: dict[str, tuple[set[str], set[str], list[str | None], set[str] | None]] = {}
        sources = _h(*(f"{p}\0{p.read_bytes().hex()}" for root in template_roots if root.is_dir()
                       for p in sorted(root.rglob("*")) if p.is_file()))
        self._base = _h(salt, sources, repr(site.config))

    def page(self, page: Page) -> str:
        return _h(self._base, self._globals(page.template), page.path, page.url, page.kind, page.template,
                  page.source, self.value(page.context))

    # --- template globals, as far as a page's templates reach them ------------------------------
    def _globals(self, name: str) -> str:
        if name not in self._trees:
            try:
                self._trees[name] = self._globals_for(name)
            except Uncacheable:
                self._trees[name] = ""
                self._uncacheable.add(name)
        if name in self._uncacheable:
            raise Uncacheable(f"a global of {name}")
        return self._trees[name]

    def _globals_for(self, name: str) -> str:
        if not name.endswith((".html", ".xml", ".txt")):
            return ""  # rendered in Python (feed.json) from the page data alone
        try:
            names, attributes, complete, shallow_nav = self._reach(name)
        except jinja2.TemplateError:
            return "unparsed"  # rendering will report it; nothing to reuse
        # Every page shows the section menu: were it digested deeply, one edited article would
        # re-render every page of its sections' neighbours.
        deep = not (complete and shallow_nav)
        parts = []
        reached = set(self.env.globals) if not complete else names & set(self.env.globals)
        for global_name in sorted(reached - set(DEFAULT_NAMESPACE)):
            if global_name == "model":
                parts.append("model:" + self._site_digest())
            elif global_name == "nav":
                parts.append("nav:" + "".join(self.value(t) if deep else f"{t.kind}|{t.name}|{t.slug}"
                                              for t in self.env.globals["nav"]))
            else:  # any other global is digested whole; one we cannot digest makes the page uncacheable
                parts.append(f"{global_name}:" + self.value(self.env.globals[global_name]))
        return _h(*parts)

    def _reach(self, name: str) -> tuple[set[str], set[str], bool, bool]:
        """Names and attribute names used by a template and all it extends, includes, imports; whether
        that set is complete; and whether `nav`'s terms are read for their own fields only."""
        names: set[str] = set()
        attributes: set[str] = set()
        seen: set[str] = set()
        todo = [name]
        complete = True
        shallow_nav = True
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            file_names, file_attributes, references, nav_reads = self._read_template(current)
            names |= file_names
            attributes |= file_attributes
            shallow_nav = shallow_nav and nav_reads is not None and nav_reads <= SHALLOW_TERM_FIELDS
            for referenced in references:
                if referenced is None:
                    complete = False
                else:
                    todo.append(referenced)
        return names, attributes, complete, shallow_nav

    def _read_template(self, name: str) -> tuple[set[str], set[str], list[str | None], set[str] | None]:
        if name not in self._templates:
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            tree = self.env.parse(source)
            # Every name the template loads. Not meta.find_undeclared_variables: it leaves out names that
            # are environment globals, which are exactly the ones this digest is looking for. Local
            # names that shadow a global only make the digest cover more than it must.
            loaded = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
            self._templates[name] = (loaded, _attribute_names(tree), list(meta.find_referenced_templates(tree)),
                                     _reads_through(tree, "nav"))
        return self._templates[name]

    def _site_digest(self) -> str:
        site = self.site
        return _h(*(self.value(a) for a in site.articles), *(self.value(t) for t in (*site.categories, *site.tags)),
                  repr(site.skipped), repr(site.warnings))

    # --- values ------------------------------------------------------------------------------
    def value(self, value: Any) -> str:
        # The common shapes first, by exact type: this runs about 30 times per page.
        memo = self._memo
        found = memo.get(id(value))  # only live articles, terms and feeds are memoised, so ids are unique
        if found is not None:
            return found
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None or kind is float:
            return f"{kind.__name__}:{value!r}"
        if kind is tuple or kind is list:
            return "[" + ",".join(memo.get(id(v)) or self.value(v) for v in value) + "]"
        if isinstance(value, (str, int, float, bool)):
            return f"{type(value).__name__}:{value!r}"
        if isinstance(value, (Moment, TermRef, SiteConfig, datetime, date)):
            return repr(value)
        if isinstance(value, dict):
            return "{" + ",".join(f"{self.value(k)}={self.value(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (tuple, list)):
            return "[" + ",".join(self.value(v) for v in value) + "]"
        if isinstance(value, Article):
            result = "A" + _h(repr(value))
        elif isinstance(value, Term):
            result = "T" + _h(value.kind, value.name, value.slug, *(self.value(a) for a in value.articles))
        elif isinstance(value, Feed):
            result = "F" + _h(value.title, value.url, repr(value.paths), *(self.value(a) for a in value.articles))
        else:
            raise Uncacheable(type(value).__name__)
        memo[id(value)] = result
        self._alive.append(value)  # an id stays unique only while its object lives
        return result


SHALLOW_TERM_FIELDS = frozenset({"kind", "name", "slug", "url", "ref"})  # what "kind|name|slug" determines


def _reads_through(tree: nodes.Template, global_name: str) -> set[str] | None:
    """The attributes a template reads on a sequence global's items (`{% for t in nav %}{{ t.name }}`),
    or None when it uses them any other way (passes them to a macro, a filter, a `set`...): then
    anything they lead to may be read."""
    reads: set[str] = set()
    # Names standing for the global itself or for one of its items. A loop variable is found by its
    # loop (the walk meets `for` before its body); a name reused for something else only adds reads.
    items: set[str] = set()

    def visit(node: nodes.Node, parent: nodes.Node | None) -> bool:
        if isinstance(node, nodes.Name) and node.ctx == "load" and (node.name == global_name or node.name in items):
            is_item = node.name in items
            if isinstance(parent, nodes.Getattr) and is_item:
                reads.add(parent.attr)
            elif isinstance(parent, nodes.For) and parent.iter is node and not is_item:
                targets = parent.target.items if isinstance(parent.target, nodes.Tuple) else [parent.target]
                if not all(isinstance(t, nodes.Name) for t in targets) or len(targets) != 1:
                    return False
                items.add(targets[0].name)  # type: ignore[attr-defined]
            elif isinstance(parent, nodes.If) and parent.test is node:
                pass  # `{% if nav %}`
            elif isinstance(parent, nodes.Test) and parent.name == "sameas":
                pass  # identity, as in "is this the current section"
            else:
                return False
        return all(visit(child, node) for child in node.iter_child_nodes())

    return reads if visit(tree, None) else None


def _attribute_names(tree: nodes.Template) -> set[str]:
    """Attribute names a template reads: `x.name`, `x['name']`, and text arguments of filters and tests
    (`map(attribute='name')`, `attr('name')`), so a global's deep data counts only where it is reachable."""
    found: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Getattr):
            found.add(node.attr)
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                found.add(node.arg.value)
            else:
                found.add("articles")  # a computed key could reach anything
        else:
            for argument in (*node.args, *(k.value for k in node.kwargs)):
                if isinstance(argument, nodes.Const) and isinstance(argument.value, str):
                    found.add(argument.value)
                elif not isinstance(argument, nodes.Const):
                    found.add("articles")
    return found
