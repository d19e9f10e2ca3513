"""Read articles: `content/**/*.md` files with YAML front matter -> validated SourceArticle records.

Every problem in every file is collected and raised together, each as `path:line: field: message`.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .errors import ContentError, Problem
from .formats import (FOREIGN_ALIASES, HUGO_LIST_PAGE, JEKYLL_PLACEHOLDERS, KEPT_IN_EXTRA, MARKDOWN_SUFFIXES,
                      PathFacts, file_slug, jekyll_roots, path_facts, split_names, translate)
from .front import PELICAN, TOML, FormatProblem, read_head
from .taxonomy import Taxonomy
from .urls import PERMALINK_FIELDS, slugify

CONTENT_DIR = "content"
MAX_ARTICLE_BYTES = 2 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SLASHED_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})(?=$|[ T])")  # Pelican's `2012/10/30`
# What `newsgen new` writes as the body: published unchanged, it would reach readers and feeds.
PLACEHOLDER_BODY = "Write the story here."
_SPACED_OFFSET = re.compile(r"(?<=\d)\s+([+-]\d{2}:?\d{2}|Z)$")


@dataclass(frozen=True)
class Moment:
    """A publication time. Date-only values keep their calendar day: they are midnight in the
    site's zone and are shown without a time."""

    at: datetime  # always time-zone aware
    date_only: bool = False


@dataclass(frozen=True)
class Correction:
    at: Moment
    text: str


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
    body_line: int = 1  # the file line `body` starts on
    image_line: int | None = None  # the file line of `image`
    image_caption: str = ""  # shown under the lead photo
    image_credit: str = ""  # the photographer or agency: shown with the caption, and in the JSON-LD
    image_focus: tuple[float, float] | None = None  # the crops' centre, 0-1 across and down
    extra: dict[str, Any] = field(default_factory=dict)
    article_type: str = ""  # News, Opinion, Analysis or empty
    dateline: str = ""  # where the story was filed from, e.g. GENEVA
    corrections: tuple[Correction, ...] = ()  # oldest first
    aliases: tuple[str, ...] = ()  # old site-relative URL paths that redirect here
    permalink: str = ""  # this article's own URL pattern, overriding the site's
    language: str = ""  # BCP 47 tag, when the article is not in the site's language
    translation_of: str = ""  # the slug of the story this is a version of (or Hugo's shared translationKey)
    warnings: tuple[Problem, ...] = ()  # things to tell the editor that do not stop the build
    not_article: str = ""  # why this file is another generator's page and not published, e.g. a Pelican page


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
    text = _SPACED_OFFSET.sub(r"\1", value.strip())  # Jekyll: `2021-05-25 14:30:00 -0400`
    text = _SLASHED_DATE.sub(r"\1-\2-\3", text)
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


def _slug(value: Any) -> tuple[str, str]:
    """A URL slug, and the text it was normalised from when it was not one (`My Story` -> `my-story`)."""
    text = _text(value)
    if _SLUG.fullmatch(text):
        return text, ""
    slug = slugify(text)
    if not any(char.isalnum() for char in text):
        raise _FieldProblem("expected lower-case letters, digits and hyphens")
    return slug, text


def _language(value: Any) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text):
        raise _FieldProblem("expected a BCP 47 language tag such as fr, pt-BR or zh-Hant")
    return text


def _translation_of(value: Any) -> str:
    """The slug (or Hugo translationKey) that ties the versions of one story together."""
    text = _text(value).strip()
    if not text:
        raise _FieldProblem("expected the slug of the article this one translates")
    return text


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _FieldProblem("expected a mapping of keys to values")
    return value


# Front-matter fields, in the order they are documented; aliases map to their canonical name.
FIELDS = (
    "title", "date", "updated", "author", "authors", "summary", "categories", "tags",
    "slug", "draft", "image", "image_alt", "image_caption", "image_credit", "image_focus", "type", "dateline", "corrections", "aliases", "permalink", "extra",
    "language", "translation_of",
)
ALIASES = {"headline": "title", "category": "categories", **FOREIGN_ALIASES}
ARTICLE_TYPES = ("News", "Opinion", "Analysis")
_PERMALINK = re.compile(r"[A-Za-z0-9._~\-/{}]+")
_PLACEHOLDER = re.compile(r"\{[a-z]*\}")


def _corrections(value: Any, zone: ZoneInfo) -> tuple[Correction, ...]:
    if not isinstance(value, list):
        raise _FieldProblem("expected a list of corrections, each with 'date' and 'text'")
    found = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) - {"date", "text"} or not item.get("date") or not item.get("text"):
            raise _FieldProblem(f"correction {number}: expected 'date' and 'text' (and nothing else)")
        try:
            found.append(Correction(parse_moment(item["date"], zone), _required_text(item["text"])))
        except _FieldProblem as exc:
            raise _FieldProblem(f"correction {number}: {exc}") from None
    return tuple(sorted(found, key=lambda c: c.at.at))


def site_path(value: Any, what: str = "a path on this site") -> str:
    """A site-relative URL path from `/old/path/`, `old/path.html`: no scheme, no `..`, no query.

    A path without a file extension is a folder, so `/old/story` becomes `old/story/`."""
    text = _text(value)
    parts = urlsplit(text)
    segments = text.strip("/").split("/")
    if (parts.scheme or parts.netloc or parts.query or parts.fragment or text.startswith("//")
            or any(c.isspace() or c == "\\" for c in text) or any(s in ("", ".", "..") for s in segments)):
        raise _FieldProblem(f"{text!r} is not {what} such as /2019/03/old-headline/")
    path = "/".join(segments)
    last = segments[-1]
    return path if not text.endswith("/") and "." in last else path + "/"


def _aliases(value: Any, folder: str | None = None) -> tuple[str, ...]:
    """Old URL paths. With `folder` (a Hugo project), an alias without a leading slash is relative to the
    page's folder, as Hugo reads it: `old-name` in content/examples/a.md is /examples/old-name/, and
    `../old/path` is /old/path/. Anywhere else every alias is a path from the site's root."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _FieldProblem("expected a list of old URL paths")
    if folder is not None:
        items = [_page_relative(item, folder) for item in items]
    return tuple(dict.fromkeys(site_path(item, "an old URL path on this site") for item in items))


def _page_relative(item: Any, folder: str) -> Any:
    if not isinstance(item, str) or item.startswith("/") or urlsplit(item).scheme or not item.strip():
        return item  # site_path says what is wrong with it, if anything
    joined = posixpath.normpath(posixpath.join("/", folder, item))  # `..` stops at the site's root
    return joined + "/" if item.endswith("/") and joined != "/" else joined


def _permalink(value: Any) -> str:
    """An article's own URL pattern: newsgen `{slug}` or Jekyll `:title` placeholders, or a fixed path."""
    text = _text(value)
    for jekyll, ours in JEKYLL_PLACEHOLDERS.items():
        text = text.replace(jekyll, ours)
    if not _PERMALINK.fullmatch(text) or any(p[1:-1] not in PERMALINK_FIELDS for p in _PLACEHOLDER.findall(text)):
        raise _FieldProblem("expected a URL path such as /2019/03/old-headline/ (placeholders: "
                            f"{' '.join('{' + name + '}' for name in sorted(PERMALINK_FIELDS))})")
    return site_path(text)


def _is_type_label(value: Any) -> bool:
    """A type label, or close enough to one that a typo gets an error rather than vanishing."""
    return isinstance(value, str) and bool(difflib.get_close_matches(value.strip().casefold(),
                                                                    [t.casefold() for t in ARTICLE_TYPES], cutoff=0.7))


def _article_type(value: Any) -> str:
    text = _text(value)
    for label in ARTICLE_TYPES:
        if text.casefold() == label.casefold():
            return label
    raise _FieldProblem(f"expected one of {', '.join(ARTICLE_TYPES)}")


def _focus(value: Any) -> tuple[float, float]:
    """`image_focus: 0.3,0.4` (or a list of two numbers): where the crops centre, 0-1 across and down."""
    items = value.split(",") if isinstance(value, str) else value
    try:
        x, y = (float(item) for item in items)
    except (TypeError, ValueError):
        raise _FieldProblem("expected two numbers from 0 to 1, across and down, such as 0.5,0.3") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise _FieldProblem("expected two numbers from 0 to 1, across and down, such as 0.5,0.3")
    return x, y


def _image(value: Any) -> tuple[str, str | None]:
    """`image: path`, jekyll-seo-tag's `image: {path, alt}`, or Hugo's `images: [path, ...]`.

    Alt text is None when it must come from `image_alt`; the other generators' share images often
    have none, and are then shown as decorative (empty alt) rather than refused."""
    if isinstance(value, dict) and "path" in value:
        return _url(value["path"]), (_text(value["alt"]) if value.get("alt") else "")
    if isinstance(value, list):
        if not value:
            raise _FieldProblem("expected at least one image")
        return _url(value[0]), ""
    return _url(value), None


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


_NO_DATE = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


def _page_reason(dialect: str, facts: PathFacts, dated: bool, hugo: bool) -> str:
    """Why a file is another generator's non-article page, or empty: Pelican's `pages/` folder holds
    pages by definition; in a Hugo project, a page without a date is one."""
    if dialect == PELICAN and facts.folders[:1] == ("pages",):
        return "page (Pelican pages/ folder)"
    if hugo and not dated:
        return "page (Hugo page without a date)"
    return ""


def parse_article(raw: bytes, source: str, zone: ZoneInfo, default_author: str,
                  taxonomy: Taxonomy | None = None, fallback_date: str | None = None,
                  slug_from_file: bool = False) -> SourceArticle:
    """Parse one article file in any supported dialect; raises ContentError listing every problem in it."""
    try:
        if len(raw) > MAX_ARTICLE_BYTES:
            raise _FieldProblem(f"the file is larger than {MAX_ARTICLE_BYTES // 1024 // 1024} MiB")
        text = decode(raw)
        head = read_head(text) if text.strip() else None
    except _FieldProblem as exc:
        raise ContentError(Problem(str(exc), source)) from None
    except FormatProblem as exc:
        raise ContentError(Problem(exc.message, source, exc.line, exc.field)) from None
    if head is None:
        # Hugo, Jekyll and Pelican build on past such files (Jekyll copies them as they are): so does
        # newsgen, naming them, since an article without its `---` lines would otherwise vanish unseen.
        reason = "no front matter" if text.strip() else "empty file"
        hint = "" if reason == "empty file" else "an article starts with a '---' line, then title, date, ..."
        return _not_article(source, default_author, reason,
                            (Problem(f"left out: {reason}", source, 1, hint=hint or None),))
    facts = path_facts(source.split("/", 1)[1] if source.startswith(CONTENT_DIR + "/") else source)
    taxonomy = taxonomy or Taxonomy()

    fields = translate(head, facts, source, FIELDS, ALIASES, _is_type_label, fallback_date)
    problems, warnings, values, lines = fields.problems, fields.warnings, fields.values, fields.lines
    if "author" in values and "authors" in values:
        problems.append(Problem("use either 'author' or 'authors', not both", source, lines["authors"], "authors"))

    def take(name: str, convert, default: Any = None, required: bool = False) -> Any:
        if name not in values:
            if required and name not in fields.typos:  # a misspelt `titel:` is one problem, not two
                problems.append(Problem("is required", source, 1, name, _REQUIRED_HINTS.get(name)))
            return default
        try:
            return convert(values[name])
        except _FieldProblem as exc:
            problems.append(Problem(str(exc), source, lines[name], name))
            return default

    list_style = fields.list_style

    def names(name: str, commas: bool) -> tuple[str, ...]:
        style = "" if name == "categories" and list_style == "pelican" else list_style  # Pelican: one category
        found = take(name, lambda v: _names(split_names(v, style) if style else v, commas), ())
        vocabulary = taxonomy.vocabulary(name[:-1] if name == "tags" else "category") if name != "authors" else None
        if vocabulary is None:
            return found
        kept = []
        for each in found:
            canonical, warning = vocabulary.resolve(each)
            if canonical is None:
                problems.append(Problem(f"'{each}' is not in the closed list of {name}", source, lines[name], name,
                                        vocabulary.hint(each)))
            else:
                kept.append(canonical)
                if warning:
                    warnings.append(Problem(warning, source, lines[name], name))
        return tuple(dict.fromkeys(kept))

    page = fields.skip or _page_reason(head.dialect, facts, "date" in values, slug_from_file)
    if page:
        # another generator's page (About, Contact), not an article: reported as skipped, never an error
        title = values.get("title") if isinstance(values.get("title"), str) else source
        # its custom keys are published nowhere: nothing to report about them, under --strict either
        kept = tuple(w for w in warnings if w.message != KEPT_IN_EXTRA)
        return _not_article(source, default_author, page, kept, title)
    title = take("title", _required_text, required=True)
    published = take("date", lambda v: parse_moment(v, zone), required=True)
    updated = take("updated", lambda v: parse_moment(v, zone))
    if head.dialect == PELICAN and "authors" in values:
        values["authors"] = split_names(values["authors"], "pelican")
    # `author: Jane Doe, John Smith` is two names, as tags are; `author: "Doe, Jane"` is one
    authors = (take("authors", lambda v: _names(v, "authors" not in fields.quoted), ())
               or take("author", lambda v: _names(v, "author" not in fields.quoted), ()))
    image, image_alt = take("image", _image, ("", None))
    if image_alt is None:
        image_alt = take("image_alt", _text, None)
    if image and image_alt is None:
        problems.append(Problem("is required when 'image' is set (describe the picture for readers who cannot see it)",
                                source, lines["image"], "image_alt"))
    corrections = take("corrections", lambda v: _corrections(v, zone), ())
    slug, written_slug = take("slug", _slug, ("", ""))
    if written_slug:
        warnings.append(Problem(f"'{written_slug}' is not a URL slug; used '{slug}'", source, lines["slug"], "slug",
                                "a slug is lower-case letters, digits and hyphens"))
    if head.body.strip() == PLACEHOLDER_BODY:
        warnings.append(Problem(f"the body is still the placeholder '{PLACEHOLDER_BODY}' that newsgen new wrote",
                                source, head.body_line, "body", "write the story, or delete the file"))
    article = dict(
        summary=take("summary", _text, ""),
        categories=names("categories", False),
        tags=names("tags", True),
        slug=slug or file_slug(facts, source, slug_from_file or head.dialect == TOML),
        draft=take("draft", _bool, False),
        image=image,
        image_alt=image_alt or "",
        image_caption=take("image_caption", _text, ""),
        image_credit=take("image_credit", _text, ""),
        image_focus=take("image_focus", _focus, None),
        article_type=take("type", _article_type, ""),
        dateline=take("dateline", _text, ""),
        corrections=corrections,
        aliases=take("aliases", lambda v: _aliases(v, "/".join(facts.folders) if slug_from_file else None), ()),
        permalink=take("permalink", _permalink, ""),
        language=take("language", _language, ""),
        translation_of=take("translation_of", _translation_of, ""),
        extra={**fields.extra, **take("extra", _mapping, {})},
    )
    if published and updated and updated.at < published.at:
        problems.append(Problem("is earlier than 'date'", source, lines["updated"], "updated"))
    if published and any(c.at.at < published.at for c in corrections):
        problems.append(Problem("a correction is dated before the article", source, lines["corrections"], "corrections"))
    if problems:
        raise ContentError(problems)
    body = clean_text(head.body)
    return SourceArticle(
        source=source,
        title=title,
        published=published,
        updated=updated,
        authors=authors or (default_author,),
        body=body.strip("\n") + "\n",
        body_line=head.body_line + len(body) - len(body.lstrip("\n")),
        image_line=lines.get("image") if image else None,
        warnings=tuple(warnings),
        **article,
    )


def _not_article(source: str, default_author: str, reason: str, warnings: tuple[Problem, ...],
                 title: str | None = None) -> SourceArticle:
    """A file that is read but left out of the site: the summary names it with the reason."""
    return SourceArticle(source=source, title=title or source, published=Moment(_NO_DATE, date_only=True),
                         updated=None, authors=(default_author,), summary="", categories=(), tags=(), slug="",
                         draft=False, image="", image_alt="", body="", not_article=reason, warnings=warnings)


_REQUIRED_HINTS = {
    "title": "add a line such as 'title: Biden and Putin to meet in Geneva'",
    "date": "add a line such as 'date: 2021-05-25T18:00:00-04:00'",
}


def find_sources(site_dir: Path) -> list[Path]:
    """Every Markdown file under content/ (and a Jekyll site's _posts/ and _drafts/), in a stable order,
    never following links out of the site."""
    found = []
    for root in (site_dir / CONTENT_DIR, *jekyll_roots(site_dir, CONTENT_DIR)):
        if root.is_dir():
            found += _markdown_files(root, site_dir)
    return found


def _markdown_files(root: Path, site_dir: Path) -> list[Path]:
    """Markdown files under root, skipping hidden names and never following a folder link. Each folder
    is resolved once (resolving every file costs seconds at 10,000 articles), a file link each time."""
    site = site_dir.resolve()
    found: list[tuple[tuple[str, ...], Path]] = []

    def visit(folder: Path, parts: tuple[str, ...]) -> None:
        inside = folder.resolve().is_relative_to(site)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    visit(folder / entry.name, (*parts, entry.name))
                elif (inside and os.path.splitext(entry.name)[1].lower() in MARKDOWN_SUFFIXES
                      and entry.name != HUGO_LIST_PAGE):
                    path = folder / entry.name
                    # Path.is_file, not entry.is_file: a link loop must read as "not a file", not raise
                    if entry.is_file(follow_symlinks=False) or (
                            entry.is_symlink() and path.is_file() and path.resolve().is_relative_to(site)):
                        found.append(((*parts, entry.name), path))

    visit(root, ())
    return [path for _, path in sorted(found)]


def bundle_folder(source: str) -> str | None:
    """The folder of a Hugo page bundle (`content/posts/harbour/` for content/posts/harbour/index.md), or None."""
    folder, _, name = source.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    return folder + "/" if folder and stem == "index" and f"{dot}{suffix}".lower() in MARKDOWN_SUFFIXES else None


def find_bundle_files(site_dir: Path) -> dict[str, Path]:
    """The files of Hugo page bundles: everything but Markdown beside a content/**/index.md, in its folder and
    the folders below that hold no index.md of their own, by site-relative path, in sorted order. Hidden names
    and links are skipped, as find_sources skips them."""
    root = site_dir / CONTENT_DIR
    found: dict[str, Path] = {}
    if not root.is_dir():
        return found

    def index_in(folder: Path) -> bool:
        return any((folder / f"index{suffix}").is_file() for suffix in MARKDOWN_SUFFIXES)

    def collect(folder: Path, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.startswith(".") or entry.is_symlink():
                    continue
                if entry.is_dir():
                    if not index_in(folder / entry.name):
                        collect(folder / entry.name, f"{prefix}{entry.name}/")
                elif entry.is_file() and os.path.splitext(entry.name)[1].lower() not in MARKDOWN_SUFFIXES:
                    found[f"{prefix}{entry.name}"] = folder / entry.name

    def visit(folder: Path, prefix: str) -> None:
        if index_in(folder):
            collect(folder, prefix)
            return
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                    visit(folder / entry.name, f"{prefix}{entry.name}/")

    visit(root, f"{CONTENT_DIR}/")
    return found


def draft_date(path: Path, source: str, zone: ZoneInfo) -> str | None:
    """Jekyll drafts carry no date; Jekyll dates them by the file's modification time."""
    if "/_drafts/" not in f"/{source}":
        return None
    return datetime.fromtimestamp(path.stat().st_mtime, tz=zone).replace(microsecond=0).isoformat()
