"""Front-matter dialects: newsgen/Hugo/Jekyll YAML (`---`), Hugo TOML (`+++`) and Pelican metadata lines.

Each reader turns the head of a file into `{key: Entry(value, line)}` with every scalar as text, so
content.py validates every dialect with one schema. What a dialect means beyond its syntax (Jekyll's
file-name dates, Pelican's folder categories) is decided here too, from the file's path.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import Problem, did_you_mean
from .urls import slugify
from .yamltext import Entry, YamlProblem, parse_mapping

YAML, TOML, PELICAN = "yaml", "toml", "pelican"

# The Markdown file names Hugo, Jekyll and Pelican read; `_index.md` is Hugo's list-page text, not an article.
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
HUGO_LIST_PAGE = "_index.md"
HUGO_CONFIG_FILES = ("hugo.toml", "hugo.yaml", "hugo.json", "config.toml")
JEKYLL_FOLDERS = ("_posts", "_drafts")  # read at the site root too, so a Jekyll site builds in place

# The same meaning under another generator's name.
FOREIGN_ALIASES = {
    "lastmod": "updated", "modified": "updated", "last_modified_at": "updated",  # Hugo, Pelican, jekyll-seo-tag
    "redirect_from": "aliases",  # jekyll-redirect-from
    "url": "permalink",  # Hugo and Pelican: the page's whole URL path
}
# Keys that fill a field only when the article does not set it (Hugo, Jekyll, Pelican spellings).
FALLBACKS = {
    "description": "summary", "excerpt": "summary",
    "publishdate": "date", "pubdate": "date",
    "images": "image",
}
# Keys other generators document that newsgen has no use for: kept in `extra` under their own name,
# so templates can still read them and nothing is silently dropped.
FOREIGN_KEYS = frozenset({
    # Hugo
    "weight", "keywords", "series", "linktitle", "layout", "build", "cascade", "expirydate", "unpublishdate",
    "headless", "iscjklanguage", "markup", "menu", "menus", "outputs", "resources", "sitemap",
    "translationkey", "toc",
    # Jekyll
    "excerpt_separator", "render_with_liquid", "comments", "lang",
    # Pelican
    "save_as", "template", "translation",
})
JEKYLL_PLACEHOLDERS = {":year": "{year}", ":month": "{month}", ":day": "{day}", ":title": "{slug}",
                       ":slug": "{slug}", ":categories": "{category}", ":output_ext": ".html"}

# Pelican's Markdown reader takes `Key: value` lines up to the first blank line; keys are
# case-insensitive. A file is read this way only when its first line is one of these keys, so an
# article whose body starts with "Note: ..." is never mistaken for metadata.
PELICAN_KEYS = frozenset({
    "title", "date", "modified", "category", "tags", "slug", "author", "authors", "summary", "status",
    "lang", "translation", "save_as", "url", "template", "keywords",
})
_PELICAN_LINE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?:\s+(.*))?$")
# Jekyll posts: `_posts/2021-05-25-geneva-summit.md`; the date and slug come from the name.
_JEKYLL_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)")


class FormatProblem(ValueError):
    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


@dataclass(frozen=True)
class Head:
    """The parsed head of an article file."""

    dialect: str  # yaml, toml or pelican
    entries: dict[str, Entry]
    body: str


def read_head(text: str) -> Head:
    """Split front matter from the body in whichever dialect the first line announces."""
    lines = text.split("\n")
    first = lines[0].rstrip() if lines else ""
    if first in ("---", "+++"):
        closers = ("---", "...") if first == "---" else ("+++",)
        for index in range(1, len(lines)):
            if lines[index].rstrip() in closers:
                head, body = "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
                if first == "+++":
                    return Head(TOML, _toml_entries(head), body)
                try:
                    return Head(YAML, parse_mapping(head, first_line=2), body)
                except YamlProblem as exc:
                    raise FormatProblem(exc.message, exc.line, exc.field) from None
        raise FormatProblem(f"front matter is not closed: add a '{first}' line after the last field")
    match = _PELICAN_LINE.match(first)
    if match and match.group(1).lower() in PELICAN_KEYS:
        return _pelican_head(lines)
    raise FormatProblem("no front matter: the file must start with a '---' line, then title, date, ...")


def _pelican_head(lines: list[str]) -> Head:
    entries: dict[str, Entry] = {}
    key = ""
    index = 0
    for index, line in enumerate(lines):
        if not line.strip():
            break
        match = _PELICAN_LINE.match(line)
        if line[:1] in (" ", "\t") and key:  # an indented line continues the previous value
            entry = entries[key]
            entries[key] = Entry(f"{entry.value} {line.strip()}".strip(), entry.line)
            continue
        if not match:
            raise FormatProblem("expected a 'Key: value' metadata line or a blank line before the text", index + 1)
        key = match.group(1).lower()
        if key in entries:
            raise FormatProblem(f"duplicate key (first set on line {entries[key].line})", index + 1)
        entries[key] = Entry((match.group(2) or "").strip() or None, index + 1)
    else:
        index = len(lines)
    return Head(PELICAN, entries, "\n".join(lines[index + 1 :]))


def _toml_text(value: Any) -> Any:
    """TOML values -> the text form the YAML reader gives, so one schema types both."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_toml_text(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _toml_text(v) for k, v in value.items()}
    return value


def _toml_entries(head: str) -> dict[str, Entry]:
    try:
        data = tomllib.loads(head)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise FormatProblem(f"invalid TOML: {exc}", int(found.group(1)) + 1 if found else 2) from None
    head_lines = head.split("\n")

    def line_of(key: str) -> int:
        pattern = re.compile(rf"""\s*(\[\s*)?["']?{re.escape(key)}["']?\s*(=|\])""")
        return next((n + 2 for n, text in enumerate(head_lines) if pattern.match(text)), 1)

    return {key: Entry(_toml_text(value), line_of(key)) for key, value in data.items()}


@dataclass(frozen=True)
class PathFacts:
    """What a generator reads from where a file lies: Jekyll post names, Hugo bundles, folders."""

    jekyll: bool  # under _posts/ or _drafts/
    jekyll_draft: bool  # under _drafts/
    date: str | None  # the YYYY-MM-DD of a Jekyll post name
    slug: str | None  # from the file name (Jekyll) or the bundle folder (Hugo index.md)
    folders: tuple[str, ...]  # folders between content/ and the file (or _posts/)


def path_facts(relative: str) -> PathFacts:
    """Facts from a path relative to content/, e.g. `news/_posts/2021-05-25-summit.md`."""
    path = PurePosixPath(relative)
    parents = path.parts[:-1]
    for marker in ("_posts", "_drafts"):
        if marker in parents:
            above = parents[: parents.index(marker)]
            match = _JEKYLL_NAME.fullmatch(path.stem)
            if marker == "_posts" and match:
                return PathFacts(True, False, match.group(1), match.group(2), above)
            return PathFacts(True, marker == "_drafts", None, path.stem, above)
    if path.stem == "index" and parents:
        return PathFacts(False, False, None, parents[-1], parents[:-1])  # a Hugo page bundle
    return PathFacts(False, False, None, None, parents)


def is_hugo_project(site_dir: Path) -> bool:
    """A Hugo site folder: its pages take their slug from the file name, as Hugo does."""
    return any((site_dir / name).is_file() for name in HUGO_CONFIG_FILES)


def jekyll_roots(site_dir: Path, content_dir: str) -> list[Path]:
    """A Jekyll site's `_posts/` and `_drafts/`, at the top and one folder down (`news/_posts/`, whose
    folder name Jekyll makes a category)."""
    folders = [site_dir] + sorted(p for p in site_dir.iterdir() if p.is_dir() and p.name[:1] not in "._"
                                  and p.name != content_dir and not p.is_symlink())
    return [folder / name for folder in folders for name in JEKYLL_FOLDERS if (folder / name).is_dir()]


def file_slug(facts: PathFacts, source: str, from_file: bool) -> str:
    """The slug a generator takes from the path: Jekyll's post name, a Hugo bundle's folder, or
    (Hugo) the file name; empty means the title's slug."""
    if facts.slug:
        return slugify(facts.slug)
    return slugify(PurePosixPath(source).stem) if from_file else ""


def split_names(value: Any, style: str) -> Any:
    """Jekyll (spaces) and Pelican (commas, or semicolons when present) write lists as one string."""
    if not isinstance(value, str):
        return value
    if style == "pelican":
        return value.split(";") if ";" in value else value.split(",")
    return value.split()


@dataclass
class Fields:
    """Front matter in newsgen's terms: field -> raw value and line, plus what went to `extra`."""

    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    list_style: str = ""  # how one string lists names: "jekyll" (spaces), "pelican" (commas) or ""


def translate(head: Head, facts: PathFacts, source: str, known: tuple[str, ...], aliases: dict[str, str],
              is_type_label: Callable[[Any], bool], fallback_date: str | None) -> Fields:
    """Map every dialect's keys onto newsgen's fields (`known`); the other tools' own keys go to extra."""
    out = Fields(list_style="pelican" if head.dialect == PELICAN else "jekyll" if facts.jekyll else "")
    values, lines, extra = out.values, out.lines, out.extra
    fallbacks: dict[str, tuple[Any, int]] = {}
    for key, entry in head.entries.items():
        lower = key.lower()  # Pelican keys are case-insensitive; Hugo's too, for its own names
        name = aliases.get(lower, lower) if head.dialect == PELICAN else aliases.get(key, aliases.get(lower, key))
        value = entry.value
        if name == "published" and isinstance(value, str) and value.lower() in ("true", "false"):
            name, value = "draft", ("false" if value.lower() == "true" else "true")  # Jekyll
        elif name == "published":
            name = "publishdate"  # Hugo: another name for the publication date
        if name == "status" and head.dialect == PELICAN:
            status = (value or "").lower()
            if status not in ("draft", "hidden", "published"):
                out.problems.append(Problem("expected draft, hidden or published", source, entry.line, key))
                continue
            if status == "hidden":
                out.warnings.append(Problem("Pelican's hidden status is treated as a draft", source, entry.line, key))
            name, value = "draft", ("false" if status == "published" else "true")
        if name == "params" and isinstance(value, dict):
            extra.update(value)  # Hugo's own place for custom fields
            continue
        if name.lower() in FALLBACKS:
            fallbacks.setdefault(FALLBACKS[name.lower()], (value, entry.line))
            extra[key] = value
            continue
        if name.lower() in FOREIGN_KEYS or (name == "type" and not is_type_label(value)):
            extra[key] = value  # Hugo's `type` (`post`) picks a layout: kept, not a type label
            continue
        if name not in known:
            hint = did_you_mean(key, (*known, *aliases, *FALLBACKS, *FOREIGN_KEYS))
            out.problems.append(Problem("unknown field", source, entry.line, key,
                                        hint or "put your own data under 'extra:'"))
            continue
        if name in values:
            out.problems.append(Problem(f"given twice (as '{key}' and as another name)", source, entry.line, key))
            continue
        if value is not None:
            values[name], lines[name] = value, entry.line
    for name, (value, line) in fallbacks.items():
        if name not in values and value is not None:
            values[name], lines[name] = value, line
    if "date" not in values and facts.date:
        values["date"], lines["date"] = facts.date, 1  # Jekyll: from the file name
    if "date" not in values and facts.jekyll_draft and fallback_date:
        values["date"], lines["date"] = fallback_date, 1  # Jekyll drafts: the file's modification time
    if facts.jekyll_draft and "draft" not in values:
        values["draft"], lines["draft"] = "true", 1
    if "categories" not in values and head.dialect == PELICAN and facts.folders:
        values["categories"], lines["categories"] = facts.folders[-1], 1  # Pelican: the folder is the category
    if facts.jekyll and facts.folders:
        # Jekyll: folders above _posts/ are categories too, before those in the front matter
        written = split_names(values.get("categories") or [], "jekyll")
        values["categories"] = [*facts.folders, *(written if isinstance(written, list) else [written])]
        lines.setdefault("categories", 1)
    return out
