"""Front matter through python-frontmatter: find the dialect, split it from the body, read it strictly.

python-frontmatter detects the dialect and splits the metadata from the body, with one handler per
dialect: YAML (`---`), TOML (`+++`), JSON (`{` … `}`) and Pelican's `Key: value` lines. Its own
handlers load metadata with PyYAML's safe loader, the `toml` package and `json`: they type values by
guessing, accept anchors and duplicate keys, and drop line numbers. Ours subclass them so that
`load()` gives `{key: Entry(value, line)}` with every scalar as text, typed later by the field that
reads it, and every problem carries its line in the file.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import frontmatter
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler

from .spelling import typo_of
from .yamltext import MAX_DEPTH, MAX_YAML_BYTES, Entry, YamlProblem, parse_mapping

YAML, TOML, JSON, PELICAN = "yaml", "toml", "json", "pelican"


class FormatProblem(ValueError):
    def __init__(self, message: str, line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


@dataclass(frozen=True)
class Head:
    """The parsed head of an article file."""

    dialect: str  # yaml, toml, json or pelican
    entries: dict[str, Entry]
    body: str
    body_line: int  # the file line the body starts on


class _Fenced(BaseHandler):
    """Metadata between an opening line and a closing line, the opening one being the file's first.

    python-frontmatter splits on one pattern for both fences, and its pattern (`^-{3,}\\s*$`) lets
    `\\s*` run over the blank lines that follow, which moves every line after them. Ours split on the
    exact fence lines and return the metadata starting right after the opening fence, so line N of
    the metadata text is line N of the file; an unclosed block is an error, not a body."""

    DIALECT = ""
    CLOSE: re.Pattern[str]

    def split(self, text: str) -> tuple[str, str]:
        opening = text.find("\n")
        if opening < 0:
            opening = len(text)
        closing = self.CLOSE.search(text, opening)
        if closing is None:
            raise FormatProblem(f"front matter is not closed: add a '{self.START_DELIMITER}' line after the last field")
        # without the newline before the closing fence, so YAML's "end of stream" is on the last field's line
        return text[opening:max(opening, closing.start() - 1)], text[closing.end() + 1:]


class YamlFront(_Fenced, YAMLHandler):
    """Jekyll's and Hugo's `---` fences (`...` may close, as in YAML itself)."""

    DIALECT = YAML
    FM_BOUNDARY = re.compile(r"---[ \t]*(?:\n|$)")
    CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)

    def load(self, fm: str, **_: object) -> dict[str, Entry]:  # type: ignore[override]
        try:
            return parse_mapping(fm)
        except YamlProblem as exc:
            raise FormatProblem(exc.message, exc.line, exc.field) from None


class TomlFront(_Fenced):
    """Hugo's `+++` fences. python-frontmatter's own TOML handler exists only with the `toml` package
    installed, which is no longer maintained; the standard library's tomllib reads TOML 1.0."""

    DIALECT = TOML
    FM_BOUNDARY = re.compile(r"\+\+\+[ \t]*(?:\n|$)")
    START_DELIMITER = END_DELIMITER = "+++"
    CLOSE = re.compile(r"^\+\+\+[ \t]*$", re.MULTILINE)

    def load(self, fm: str, **_: object) -> dict[str, Entry]:  # type: ignore[override]
        _check_size(fm)
        try:
            data = tomllib.loads(fm)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            raise FormatProblem(f"invalid TOML: {exc}", int(found.group(1)) if found else 1) from None
        return _entries(data, fm, r"""\s*(?:\[\s*)?["']?{key}["']?\s*(?:=|\])""")


class JsonFront(JSONHandler):
    """Hugo's JSON front matter: an object whose `{` and `}` stand alone on the first and a later line."""

    DIALECT = JSON
    FM_BOUNDARY = re.compile(r"\{[ \t]*\n")
    CLOSE = re.compile(r"^\}[ \t]*$", re.MULTILINE)

    def split(self, text: str) -> tuple[str, str]:
        closing = self.CLOSE.search(text)
        if closing is None:
            raise FormatProblem("front matter is not closed: add a '}' line after the last field")
        return text[:closing.end()], text[closing.end() + 1:]

    def load(self, fm: str, **_: object) -> dict[str, Entry]:  # type: ignore[override]
        _check_size(fm)

        def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            seen: dict[str, Any] = {}
            for key, value in pairs:
                if key in seen:
                    raise FormatProblem("duplicate key", _line_of(fm, rf'\s*"{re.escape(key)}"\s*:', last=True), key)
                seen[key] = value
            return seen

        try:
            data = json.loads(fm, object_pairs_hook=unique)
        except json.JSONDecodeError as exc:
            raise FormatProblem(f"invalid JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise FormatProblem(f"nested deeper than {MAX_DEPTH} levels", 1) from None
        return _entries(data, fm, r'\s*"{key}"\s*:')


class PelicanFront(BaseHandler):
    """Pelican's Markdown reader: `Key: value` lines up to the first blank line, keys case-insensitive.
    A file is read this way only when one of those lines is one of Pelican's own keys or a near-miss
    of one, so an article whose body starts with "Note: ..." is never mistaken for metadata, while a
    block that starts with a custom key (`Wire_Id:`) or whose keys are all misspelt (`Tittle:`) is
    still read, and its typos reported rather than the file left out as having no front matter."""

    DIALECT = PELICAN
    KEYS = (
        "author", "authors", "category", "date", "keywords", "lang", "modified", "save_as", "slug", "status",
        "summary", "tags", "template", "title", "translation", "url",
    )
    LINE = re.compile(r"([A-Za-z][A-Za-z0-9_-]*):(?:[ \t]+(.*))?$")
    FM_BOUNDARY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*:(?:[ \t]|\n|$)")  # a first line that could be metadata

    def detect(self, text: str) -> bool:
        """python-frontmatter's detect() matches FM_BOUNDARY at the start of the text and nothing more;
        Pelican's reader takes every leading `Key: value` line, so ours looks at the whole first block,
        up to a line that is not metadata (an indented line continues the value above)."""
        if not self.FM_BOUNDARY.match(text):
            return False
        for number, line in enumerate(text.split("\n", 200)[:200]):  # no real head has 200 fields
            if number > 0 and line[:1] in (" ", "\t") and line.strip():
                continue
            match = self.LINE.match(line)
            if match is None:
                return False
            if match.group(1).lower() in self.KEYS or typo_of(match.group(1), self.KEYS):
                return True
        return False

    def split(self, text: str) -> tuple[str, str]:
        blank = re.search(r"^[ \t]*$", text, re.MULTILINE)
        if blank is None:
            return text.rstrip("\n"), ""
        return text[:blank.start()].rstrip("\n"), text[blank.end() + 1:]

    def load(self, fm: str, **_: object) -> dict[str, Entry]:  # type: ignore[override]
        _check_size(fm)
        entries: dict[str, Entry] = {}
        key = ""
        for number, line in enumerate(fm.split("\n"), start=1):
            if line[:1] in (" ", "\t") and key:  # an indented line continues the previous value
                entry = entries[key]
                entries[key] = Entry(f"{entry.value or ''} {line.strip()}".strip(), entry.line)
                continue
            match = self.LINE.match(line)
            if not match:
                raise FormatProblem("expected a 'Key: value' metadata line or a blank line before the text", number)
            key = match.group(1).lower()
            if key in entries:
                raise FormatProblem(f"duplicate key (first set on line {entries[key].line})", number, key)
            entries[key] = Entry((match.group(2) or "").strip() or None, number)
        return entries


HANDLERS = (YamlFront(), TomlFront(), JsonFront(), PelicanFront())


def read_head(text: str) -> Head | None:
    """Split and read the front matter of an article's text; None when the text has none."""
    handler = frontmatter.detect_format(text, HANDLERS)
    if handler is None:
        return None
    metadata, body = handler.split(text)
    entries = handler.load(metadata)
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    return Head(handler.DIALECT, entries, body, body_line)  # type: ignore[attr-defined]


def _check_size(fm: str) -> None:
    if len(fm.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise FormatProblem(f"front matter is larger than {MAX_YAML_BYTES // 1024} KiB", 1)


def _text(value: Any, depth: int = 0) -> Any:
    """TOML and JSON values -> the text form the YAML reader gives, so one schema types every dialect."""
    if depth > MAX_DEPTH:
        raise FormatProblem(f"nested deeper than {MAX_DEPTH} levels", 1)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_text(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {str(k): _text(v, depth + 1) for k, v in value.items()}
    return value


def _line_of(fm: str, pattern: str, last: bool = False) -> int:
    lines = [number for number, text in enumerate(fm.split("\n"), start=1) if re.match(pattern, text)]
    return (lines[-1] if last else lines[0]) if lines else 1


def _entries(data: Any, fm: str, key_pattern: str) -> dict[str, Entry]:
    if not isinstance(data, dict):
        raise FormatProblem("expected a mapping of keys to values", 1)
    return {key: Entry(_text(value), _line_of(fm, key_pattern.format(key=re.escape(key))))
            for key, value in data.items()}
