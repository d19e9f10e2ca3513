"""Front-matter dialects: newsgen/Hugo/Jekyll YAML (`---`), Hugo TOML (`+++`) and Pelican metadata lines.

Each reader turns the head of a file into `{key: Entry(value, line)}` with every scalar as text, so
content.py validates every dialect with one schema. What a dialect means beyond its syntax (Jekyll's
file-name dates, Pelican's folder categories) is decided here too, from the file's path.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import PurePosixPath
from typing import Any

from .yamltext import Entry, YamlProblem, parse_mapping

YAML, TOML, PELICAN = "yaml", "toml", "pelican"

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
