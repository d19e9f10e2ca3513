"""What other generators' front matter means in newsgen's fields.

front.py reads the head of a file in any dialect into `{key: Entry(value, line)}`; this module maps
Hugo's, Jekyll's and Pelican's names onto newsgen's fields, keeps custom keys in `extra`, catches
typos of known fields, and reads what a generator takes from a file's path (dates in file names,
Jekyll's folders, Hugo's bundles, Pelican's folder categories).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import Problem
from .front import PELICAN, Head
from .spelling import typo_of
from .urls import slugify
from .yamltext import quoted_line

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
                       ":slug": "{slug}", ":categories": "{categories}", ":output_ext": ".html"}

# A date at the start of a file name: Jekyll's `2021-05-25-geneva-summit.md`, Pelican's
# `2012-11-30_filename.md`. The date and slug come from the name when the front matter has none.
_DATED_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})[-_](.+)")
# Fields whose text a ` #` would cut short: a comment there is almost always part of the text.
TEXT_FIELDS = frozenset({"title", "summary", "dateline", "image_alt", "image_caption", "image_credit", "author",
                         "authors"})
KEPT_IN_EXTRA = "kept in extra"  # the warning for a custom key; model.py counts them by key name


@dataclass(frozen=True)
class PathFacts:
    """What a generator reads from where a file lies: Jekyll post names, Hugo bundles, folders."""

    jekyll: bool  # under _posts/ or _drafts/
    jekyll_draft: bool  # under _drafts/
    date: str | None  # the YYYY-MM-DD a file name starts with
    slug: str | None  # from a dated file name or the bundle folder (Hugo index.md)
    folders: tuple[str, ...]  # folders between content/ and the file (or _posts/)


def path_facts(relative: str) -> PathFacts:
    """Facts from a path relative to content/, e.g. `news/_posts/2021-05-25-summit.md`."""
    path = PurePosixPath(relative)
    parents = path.parts[:-1]
    dated = _dated_name(path.stem)
    for marker in ("_posts", "_drafts"):
        if marker in parents:
            above = parents[: parents.index(marker)]
            if marker == "_posts" and dated:
                return PathFacts(True, False, *dated, above)
            return PathFacts(True, marker == "_drafts", None, path.stem, above)
    if path.stem == "index" and parents:
        return PathFacts(False, False, None, parents[-1], parents[:-1])  # a Hugo page bundle
    if dated:
        return PathFacts(False, False, *dated, parents)
    return PathFacts(False, False, None, None, parents)


def _dated_name(stem: str) -> tuple[str, str] | None:
    """(date, rest) of a `YYYY-MM-DD-rest` or `YYYY-MM-DD_rest` name whose date is a real day."""
    match = _DATED_NAME.fullmatch(stem)
    if match is None:
        return None
    try:
        date.fromisoformat(match.group(1))
    except ValueError:
        return None
    return match.group(1), match.group(2)


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
    quoted: set[str] = field(default_factory=set)  # fields whose value was one quoted string
    typos: set[str] = field(default_factory=set)  # fields a misspelt key was taken for
    skip: str = ""  # why the file is left out whatever the options (Pelican's `Status: skip`)


def translate(head: Head, facts: PathFacts, source: str, known: tuple[str, ...], aliases: dict[str, str],
              is_type_label: Callable[[Any], bool], fallback_date: str | None) -> Fields:
    """Map every dialect's keys onto newsgen's fields (`known`); the other tools' own keys and custom
    keys go to extra."""
    out = Fields(list_style="pelican" if head.dialect == PELICAN else "jekyll" if facts.jekyll else "")
    values, lines, extra = out.values, out.lines, out.extra
    fallbacks: dict[str, tuple[Any, int]] = {}
    spellings = (*known, *aliases, *FALLBACKS, *FOREIGN_KEYS)
    for key, entry in head.entries.items():
        lower = key.lower()  # Pelican keys are case-insensitive; Hugo's too, for its own names
        if head.dialect == PELICAN:
            key = lower  # Pelican hands templates its metadata under lower-case names
        name = aliases.get(lower, lower) if head.dialect == PELICAN else aliases.get(key, aliases.get(lower, key))
        if name not in known and lower in known:
            name = lower  # Hugo reads its own keys in any case: `Title`, `Date`
        value = entry.value
        if name == "published" and isinstance(value, str) and value.lower() in ("true", "false"):
            name, value = "draft", ("false" if value.lower() == "true" else "true")  # Jekyll
        elif name == "published":
            name = "publishdate"  # Hugo: another name for the publication date
        if name == "status" and head.dialect == PELICAN:
            status = (value or "").lower()
            if status not in ("draft", "hidden", "published", "skip"):
                out.problems.append(Problem("expected draft, hidden, published or skip", source, entry.line, key))
                continue
            if status == "hidden":
                out.warnings.append(Problem("Pelican's hidden status is treated as a draft", source, entry.line, key))
            if status == "skip":
                out.skip = "Pelican Status: skip"
            name, value = "draft", ("false" if status == "published" else "true")
        if entry.dropped is not None and name in TEXT_FIELDS:
            out.warnings.append(Problem(
                "the text after '#' is a YAML comment and was dropped; put the "
                f"{'headline' if name == 'title' else 'value'} in quotes: {quoted_line(key, entry.dropped)}",
                source, entry.line, key))
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
            typo = typo_of(key, spellings)
            if typo is not None:
                out.problems.append(Problem("unknown field", source, entry.line, key, f"did you mean '{typo}'?"))
                out.typos.add(aliases.get(typo, FALLBACKS.get(typo, typo)))
            else:  # somebody's own key (a wire id, an old CMS field): kept for templates, as Hugo and Jekyll do
                extra[key] = value
                out.warnings.append(Problem(KEPT_IN_EXTRA, source, entry.line, key))
            continue
        if name in values:
            out.problems.append(Problem(f"given twice (as '{key}' and as another name)", source, entry.line, key))
            continue
        if value is not None:
            values[name], lines[name] = value, entry.line
            if entry.quoted:
                out.quoted.add(name)
    for name, (value, line) in fallbacks.items():
        if name not in values and value is not None:
            values[name], lines[name] = value, line
    if "date" not in values and facts.date:
        values["date"], lines["date"] = facts.date, 1  # from the file name, as Jekyll and Pelican read it
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
