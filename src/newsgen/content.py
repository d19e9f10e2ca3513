"""Read articles: `content/**/*.md` files with YAML front matter -> validated SourceArticle records.

Every problem in every file is collected and raised together, each as `path:line: field: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .errors import ContentError, Problem, did_you_mean
from .urls import slugify
from .yamltext import YamlProblem, parse_mapping, problem

CONTENT_DIR = "content"
MAX_ARTICLE_BYTES = 2 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Moment:
    """A publication time. Date-only values keep their calendar day: they are midnight in the
    site's zone and are shown without a time."""

    at: datetime  # always time-zone aware
    date_only: bool = False


@dataclass(frozen=True)
class SourceArticle:
    source: str  # path relative to the site folder, with forward slashes
    title: str
    published: Moment
    updated: Moment | None
    authors: tuple[str, ...]
    summary: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    slug: str
    draft: bool
    image: str
    image_alt: str
    body: str  # Markdown
    extra: dict[str, Any] = field(default_factory=dict)


class _FieldProblem(ValueError):
    pass


def clean_text(value: str) -> str:
    """Drop control characters (invisible, and invalid in XML) from a piece of content."""
    return _CONTROL.sub("", value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _FieldProblem("expected text")
    return clean_text(value).strip()


def _required_text(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _FieldProblem("must not be empty")
    return text


def _names(value: Any, allow_commas: bool) -> tuple[str, ...]:
    """A list of names, or one name; with allow_commas a comma-separated string is a list too."""
    if isinstance(value, str):
        items: list[Any] = value.split(",") if allow_commas else [value]
    elif isinstance(value, list):
        items = value
    else:
        raise _FieldProblem("expected a list of names")
    names = []
    for item in items:
        if not isinstance(item, str):
            raise _FieldProblem("expected each entry to be text")
        name = " ".join(clean_text(item).split())
        if name:
            names.append(name)
    return tuple(dict.fromkeys(names))


def parse_moment(value: Any, zone: ZoneInfo) -> Moment:
    """ISO 8601 date or date-time; a value without an offset is read in the site's time zone."""
    if not isinstance(value, str):
        raise _FieldProblem("expected a date such as 2021-05-25 or 2021-05-25T14:30:00+02:00")
    text = value.strip()
    try:
        if _DATE_ONLY.fullmatch(text):
            return Moment(datetime.combine(date.fromisoformat(text), time(0), tzinfo=zone), date_only=True)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _FieldProblem(
            f"{text!r} is not a valid date; expected ISO 8601 such as 2021-05-25 or 2021-05-25T14:30:00+02:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return Moment(parsed)


def _url(value: Any) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise _FieldProblem("expected an http(s) URL or a path on this site")
    if any(c.isspace() for c in text) or (not parts.scheme and parts.netloc):
        raise _FieldProblem("expected an http(s) URL or a path on this site")
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no"):
        return False
    raise _FieldProblem("expected true or false")


def _slug(value: Any) -> str:
    text = _text(value)
    if not _SLUG.fullmatch(text):
        raise _FieldProblem(f"expected lower-case letters, digits and hyphens (try '{slugify(text)}')")
    return text


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _FieldProblem("expected a mapping of keys to values")
    return value


# Front-matter fields, in the order they are documented; aliases map to their canonical name.
FIELDS = (
    "title", "date", "updated", "author", "authors", "summary", "categories", "tags",
    "slug", "draft", "image", "image_alt", "extra",
)
ALIASES = {"headline": "title", "category": "categories"}


def split_front_matter(text: str) -> tuple[str, int, str, int]:
    """Split `---` front matter from the body: (yaml, its first line, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise _FieldProblem("no front matter: the file must start with a '---' line, then title, date, ...")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    raise _FieldProblem("front matter is not closed: add a '---' line after the last field")


def decode(raw: bytes) -> str:
    """Bytes -> text with LF line ends; a BOM is dropped, invalid UTF-8 is named by byte offset."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _FieldProblem(f"not valid UTF-8 at byte {exc.start}; save the file as UTF-8") from None
    if "\x00" in text:
        raise _FieldProblem(f"contains a NUL byte at character {text.index(chr(0))}; the file may be binary")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_article(raw: bytes, source: str, zone: ZoneInfo, default_author: str) -> SourceArticle:
    """Parse one article file; raises ContentError listing every problem in it."""
    try:
        if not raw.strip():
            raise _FieldProblem("the file is empty")
        if len(raw) > MAX_ARTICLE_BYTES:
            raise _FieldProblem(f"the file is larger than {MAX_ARTICLE_BYTES // 1024 // 1024} MiB")
        yaml_text, yaml_line, body, _ = split_front_matter(decode(raw))
    except _FieldProblem as exc:
        raise ContentError(Problem(str(exc), source)) from None
    try:
        entries = parse_mapping(yaml_text, first_line=yaml_line)
    except YamlProblem as exc:
        raise ContentError(problem(exc, source)) from None

    problems: list[Problem] = []
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, entry in entries.items():
        name = ALIASES.get(key, key)
        if name not in FIELDS:
            hint = did_you_mean(key, (*FIELDS, *ALIASES))
            problems.append(Problem("unknown field", source, entry.line, key, hint or "put your own data under 'extra:'"))
            continue
        if name in values:
            problems.append(Problem(f"given twice (as '{key}' and as another name)", source, entry.line, key))
            continue
        if entry.value is not None:
            values[name], lines[name] = entry.value, entry.line
    if "author" in values and "authors" in values:
        problems.append(Problem("use either 'author' or 'authors', not both", source, lines["authors"], "authors"))

    def take(name: str, convert, default: Any = None, required: bool = False) -> Any:
        if name not in values:
            if required:
                problems.append(Problem("is required", source, 1, name, _REQUIRED_HINTS.get(name)))
            return default
        try:
            return convert(values[name])
        except _FieldProblem as exc:
            problems.append(Problem(str(exc), source, lines[name], name))
            return default

    title = take("title", _required_text, required=True)
    published = take("date", lambda v: parse_moment(v, zone), required=True)
    updated = take("updated", lambda v: parse_moment(v, zone))
    authors = take("authors", lambda v: _names(v, False), ()) or take("author", lambda v: _names(v, False), ())
    article = dict(
        summary=take("summary", _text, ""),
        categories=take("categories", lambda v: _names(v, False), ()),
        tags=take("tags", lambda v: _names(v, True), ()),
        slug=take("slug", _slug, ""),
        draft=take("draft", _bool, False),
        image=take("image", _url, ""),
        image_alt=take("image_alt", _text, ""),
        extra=take("extra", _mapping, {}),
    )
    if article["image"] and not article["image_alt"]:
        problems.append(Problem("is required when 'image' is set (describe the picture for readers who cannot see it)",
                                source, lines["image"], "image_alt"))
    if published and updated and updated.at < published.at:
        problems.append(Problem("is earlier than 'date'", source, lines["updated"], "updated"))
    if problems:
        raise ContentError(problems)
    return SourceArticle(
        source=source,
        title=title,
        published=published,
        updated=updated,
        authors=authors or (default_author,),
        body=clean_text(body).strip("\n") + "\n",
        **article,
    )


_REQUIRED_HINTS = {
    "title": "add a line such as 'title: Biden and Putin to meet in Geneva'",
    "date": "add a line such as 'date: 2021-05-25T18:00:00-04:00'",
}


def find_sources(site_dir: Path) -> list[Path]:
    """Every Markdown file under content/, in a stable order, never following links out of the site."""
    root = site_dir / CONTENT_DIR
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*.md")):
        relative_parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in relative_parts) or not path.is_file():
            continue
        if not path.resolve().is_relative_to(site_dir.resolve()):
            continue  # a symlink pointing outside the site is never read
        found.append(path)
    return found


def load_articles(site_dir: Path, zone: ZoneInfo, default_author: str) -> list[SourceArticle]:
    """Read and validate every article; raise one ContentError carrying all problems of all files."""
    articles: list[SourceArticle] = []
    problems: list[Problem] = []
    for path in find_sources(site_dir):
        source = path.relative_to(site_dir).as_posix()
        try:
            articles.append(parse_article(path.read_bytes(), source, zone, default_author))
        except ContentError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(f"cannot read: {exc.strerror}", source))
    if problems:
        raise ContentError(problems)
    return articles
