"""Site configuration: `newsgen.yaml` at the site root, typed, validated, unknown keys refused."""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale

from .errors import ConfigError, Problem, did_you_mean
from .urls import PERMALINK_FIELDS
from .yamltext import YamlProblem, parse_mapping, problem

CONFIG_FILE = "newsgen.yaml"
FeedText = Literal["full", "summary"]
FEED_CONTENTS: tuple[str, ...] = get_args(FeedText)


@dataclass(frozen=True)
class FeedContent:
    """What each kind of feed carries per entry: `full` text, or the `summary` (description and link).

    The site feed is the one readers subscribe to, and there is one: full text costs little. There is a
    feed for every category, tag and author, each repeating articles the site feed already carries in
    full, in three formats: at 10,000 articles full-text term feeds are most of the output. Hugo's and
    Pelican's term feeds carry summaries by default too.
    """

    site: FeedText = "full"
    category: FeedText = "summary"
    tag: FeedText = "summary"
    author: FeedText = "summary"

    def full(self, kind: str) -> bool:
        """Whether feeds of this kind ("site", or a term's kind) carry the article's full text."""
        return getattr(self, kind) == "full"


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Newsroom"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    locale: str = ""  # og:locale, e.g. en_US; derived from `language` when empty
    timezone: str = "UTC"
    author: str = "Staff"
    permalink: str = "{year}/{month}/{day}/{slug}/"
    page_size: int = 10
    feed_size: int = 20
    feed_content: FeedContent = FeedContent()
    allow_raw_html: bool = False
    social_cards: bool = True  # draw a 1200x630 PNG card for og:image when an article has no picture
    relative_urls: bool = False  # links from each page to the next as ../x/index.html: opens from disk
    # A Pagefind index of the articles and a /search/ page (search.py). On by default, as every news site
    # has a search box; Pagefind makes the whole index again on any article change (24 s of CPU at
    # 10,000 articles), which `search: false` saves.
    search: bool = True
    keep: tuple[str, ...] = ()  # files in the output folder a deployment needs (CNAME, .nojekyll)
    # Hosts whose pages the site embeds as click-to-load iframes, besides the providers embeds.py knows
    # (the site's own charts server, its newsroom's Mastodon instance): matched exactly, https only.
    embed_domains: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: '/' at a domain root, '/news/' under a sub-path."""
        return urlsplit(self.base_url).path

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def og_locale(self) -> str:
        return self.locale or likely_locale(self.language)


@functools.cache  # read for every page; CLDR's tables are loaded once either way
def likely_locale(language: str) -> str:
    """og:locale (`ll_TT`) for a BCP 47 tag: its own region, else the one CLDR's likely subtags give
    (zh -> zh_CN, zh-Hant -> zh_TW, sv -> sv_SE); "" when CLDR knows neither."""
    try:
        locale = Locale.parse(language, sep="-")  # CLDR's aliases too: iw -> he_IL
        lang, region, script = locale.language, locale.territory, locale.script
    except UnknownLocaleError:  # a language CLDR has no data for: the tag as written
        lang, region, script, *_ = parse_locale(language, sep="-")
    except ValueError:
        return ""
    if not (region and region.isalpha()):  # none, or a UN M.49 area such as 419, which og:locale cannot say
        likely = get_global("likely_subtags")
        full = likely.get(f"{lang}_{script}") or likely.get(lang)
        region = parse_locale(full)[1] if full else None
    return f"{lang}_{region}" if region else ""


def normalise_base_url(value: str) -> str:
    """Check a base URL and give it exactly one trailing slash. Raises ValueError with the reason."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL such as https://example.org/ or https://example.org/news/")
    if parts.query or parts.fragment:
        raise ValueError("a base URL cannot have a query or fragment")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if any(seg in (".", "..") for seg in path.split("/")):
        raise ValueError("a base URL path cannot contain '.' or '..'")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _check_permalink(value: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    unknown = names - PERMALINK_FIELDS
    if unknown:
        raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}}; use {', '.join(sorted(PERMALINK_FIELDS))}")
    if "slug" not in names:
        raise ValueError("the pattern must contain {slug}")
    if value.startswith("/") or "\\" in value or any(seg in (".", "..") for seg in value.split("/")):
        raise ValueError("the pattern must be a relative path without '.', '..' or backslashes")
    if not (value.endswith("/") or value.endswith(".html")):
        raise ValueError("the pattern must end with '/' (pretty URL) or '.html'")
    return value


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("expected text")
    return v


def _int_between(low: int, high: int):
    def convert(v: Any) -> int:
        if not isinstance(v, str) or not re.fullmatch(r"\d+", v) or not low <= int(v) <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return int(v)

    return convert


def _bool(v: Any) -> bool:
    if isinstance(v, str) and v.lower() in ("true", "yes", "on"):
        return True
    if isinstance(v, str) and v.lower() in ("false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _timezone(v: Any) -> str:
    try:
        ZoneInfo(_text(v))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Zurich or America/New_York") from None
    return v


def _language(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", v):
        raise ValueError("expected a BCP 47 language tag such as en, en-GB or de-CH")
    return v


def _locale(v: Any) -> str:
    if not isinstance(v, str) or not re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}", v):
        raise ValueError("expected a locale such as en_US")
    return v


def _keep(v: Any) -> tuple[str, ...]:
    names = [v] if isinstance(v, str) else v
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError("expected a list of file or folder names")
    for name in names:
        if "/" in name or "\\" in name or name in (".", ".."):
            raise ValueError(f"{name!r}: expected a name at the top of the output folder, not a path")
    return tuple(names)


_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")


def _embed_domains(v: Any) -> tuple[str, ...]:
    names = [v] if isinstance(v, str) else v
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("expected a list of host names such as charts.example.org")
    for name in names:
        if not _HOST.fullmatch(name):
            raise ValueError(f"{name!r}: expected a host name such as charts.example.org, in lower case, "
                             "without https://, a path, a port or a wildcard")
    return tuple(sorted(set(names)))


def _feed_content(v: Any) -> FeedContent:
    """`feed_content: summary` for every kind of feed, or a mapping of kinds (others keep their defaults)."""
    kinds = [f.name for f in fields(FeedContent)]
    choices = " or ".join(FEED_CONTENTS)
    if isinstance(v, str):
        if v not in FEED_CONTENTS:
            raise ValueError(f"expected {choices}, not {v!r}")
        return FeedContent(**dict.fromkeys(kinds, v))
    if not isinstance(v, dict):
        raise ValueError(f"expected {choices}, or a mapping of {', '.join(kinds)} to either")
    for kind, value in v.items():
        if kind not in kinds:
            hint = did_you_mean(kind, kinds)
            raise ValueError(f"{kind}: unknown kind of feed, expected {', '.join(kinds)}"
                             + (f" ({hint})" if hint else ""))
        if value not in FEED_CONTENTS:
            raise ValueError(f"{kind}: expected {choices}, not {'nothing' if value is None else repr(value)}")
    return FeedContent(**v)


def _mapping(v: Any) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ValueError("expected a mapping")
    return v


_CONVERTERS = {
    "title": _text,
    "description": _text,
    "base_url": lambda v: normalise_base_url(_text(v)),
    "language": _language,
    "locale": _locale,
    "timezone": _timezone,
    "author": _text,
    "permalink": lambda v: _check_permalink(_text(v)),
    "page_size": _int_between(1, 1000),
    "feed_size": _int_between(1, 1000),
    "feed_content": _feed_content,
    "allow_raw_html": _bool,
    "social_cards": _bool,
    "relative_urls": _bool,
    "search": _bool,
    "keep": _keep,
    "embed_domains": _embed_domains,
    "extra": _mapping,
}
assert set(_CONVERTERS) == {f.name for f in fields(SiteConfig)}


def parse(text: str, path: str = CONFIG_FILE) -> SiteConfig:
    """Parse config text; every problem is collected and raised together as a ConfigError."""
    try:
        entries = parse_mapping(text)
    except YamlProblem as exc:
        raise ConfigError(problem(exc, path)) from None
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, entry in entries.items():
        convert = _CONVERTERS.get(key)
        if convert is None:
            problems.append(Problem("unknown setting", path, entry.line, key, did_you_mean(key, _CONVERTERS)))
            continue
        if entry.value is None:
            continue
        try:
            values[key] = convert(entry.value)
        except ValueError as exc:
            problems.append(Problem(str(exc), path, entry.line, key))
    config = SiteConfig(**values)
    if not config.og_locale:
        problems.append(Problem(f"CLDR knows no region for {config.language!r}, so og:locale cannot be derived", path,
                                entries["language"].line, "language", "add a line such as 'locale: en_US'"))
    if problems:
        raise ConfigError(problems)
    return config


def load(site_dir: Path) -> SiteConfig:
    """Read `newsgen.yaml` from the site folder; a site without one gets the defaults."""
    config_path = site_dir / CONFIG_FILE
    if not config_path.exists():
        return SiteConfig()
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(Problem(f"cannot read: {exc}", CONFIG_FILE)) from None
    return parse(text, CONFIG_FILE)


def with_overrides(config: SiteConfig, base_url: str | None) -> SiteConfig:
    """Apply command-line overrides (validated like the file)."""
    if base_url is None:
        return config
    try:
        return replace(config, base_url=normalise_base_url(base_url))
    except ValueError as exc:
        raise ConfigError(Problem(str(exc), field="--base-url")) from None
