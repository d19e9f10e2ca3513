"""Languages: the theme's strings (gettext catalogs), local dates and numbers (Babel, CLDR), quotation
marks and text direction. Pure but for load_catalog, which reads the shipped catalog and the site's
override file.

Theme strings are resolved when a template is compiled, not when a page is rendered: the Jinja i18n
extension's `{% trans %}` blocks and `_("…")` calls become the translated text in the compiled code
(ThemeStrings), so a page costs what it cost before translations, and the compiled code is keyed by the
catalog's digest (build.py). Only plural blocks choose their form at render time, by the catalog's
plural rule.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_datetime, get_timezone_gmt
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import nodes
from jinja2.ext import InternationalizationExtension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup, escape

from .errors import ContentError, Problem

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
OVERRIDES_DIR = "translations"  # in the site folder: translations/<language>.po overrides shipped strings
ENGLISH = "en"

# CLDR's delimiters (common/main/*.xml, <delimiters>): quotation start and end, then the alternate
# (nested) pair. Babel does not carry this part of CLDR, so the languages of the shipped catalogs and a
# few neighbours are transcribed here; any other language gets the English marks.
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("“", "”", "‘", "’"),
    "fr": ("«", "»", "«", "»"),
    "de": ("„", "“", "‚", "‘"),
    "es": ("“", "”", "‘", "’"),
    "it": ("«", "»", "“", "”"),
    "pt": ("“", "”", "‘", "’"),
    "pt_PT": ("«", "»", "“", "”"),
    "nl": ("‘", "’", "‘", "’"),
    "pl": ("„", "”", "«", "»"),
    "ru": ("«", "»", "„", "“"),
    "uk": ("«", "»", "„", "“"),
    "tr": ("“", "”", "‘", "’"),
    "ar": ("”", "“", "’", "‘"),
    "he": ("”", "”", "’", "’"),
    "fa": ("«", "»", "‹", "›"),
    "ja": ("「", "」", "『", "』"),
    "zh": ("“", "”", "‘", "’"),
    "zh_Hant": ("「", "」", "『", "』"),
    "ko": ("“", "”", "‘", "’"),
    "de_CH": ("«", "»", "‹", "›"),
    "fr_CH": ("«", "»", "‹", "›"),
    "cs": ("„", "“", "‚", "‘"),
    "sv": ("”", "”", "’", "’"),
    "da": ("“", "”", "‘", "’"),
}


@functools.lru_cache(maxsize=64)
def parse_language(tag: str) -> Locale | None:
    """Babel's locale for a BCP 47 tag (`fr`, `de-CH`, `zh-Hant`); None when CLDR has no data for it."""
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(tag.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return None


@functools.lru_cache(maxsize=64)
def candidates(tag: str) -> tuple[str, ...]:
    """Catalog names to look for, most specific first: `zh-CN` -> zh_Hans_CN, zh_Hans, zh_CN, zh; `zh-TW` ->
    zh_Hant_TW, zh_Hant, zh_TW, zh (CLDR's likely subtags add the script, so the Simplified Chinese catalog,
    zh_Hans, is found for `zh` and `zh-CN`, never for `zh-TW`)."""
    parts = tag.replace("-", "_").split("_")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p.upper() for p in parts[1:] if len(p) in (2, 3) and p != language), None)
    if script is None:  # the script CLDR expects for the language (and region), when it is written in one
        likely = get_global("likely_subtags")
        full = (likely.get(f"{language}_{region}") if region else None) or likely.get(language) or ""
        found = full.split("_")[1:2]
        if found and len(found[0]) == 4:
            script = found[0]
    names = [
        "_".join(filter(None, (language, script, region))),
        "_".join(filter(None, (language, script))),
        "_".join(filter(None, (language, region))),
        language,
    ]
    return tuple(dict.fromkeys(names))


def quotes_for(tag: str) -> tuple[str, str, str, str]:
    for name in candidates(tag):
        if name in QUOTES:
            return QUOTES[name]
    return QUOTES[ENGLISH]


def is_rtl(tag: str) -> bool:
    """Whether the language is written right to left (CLDR's character order)."""
    locale = parse_language(tag)
    return locale is not None and locale.character_order == "right-to-left"


@functools.lru_cache(maxsize=256)
def language_name(tag: str) -> str:
    """The language's name in itself, as a reader looks for it: `Français`, `Deutsch`, `العربية`."""
    locale = parse_language(tag)
    name = locale.get_display_name(locale) if locale is not None else None
    return (name[:1].upper() + name[1:]) if name else tag


class Catalog:
    """The theme's strings in one language: the shipped catalog, with the site's override merged over it.
    Pickles as the compiled files it was made from (a worker started by forkserver makes it again)."""

    def __init__(self, language: str, shipped: tuple[str, bytes] | None, override: bytes | None,
                 warning: str | None = None):
        self.language, self.warning = language, warning
        self.found = shipped[0] if shipped else ""  # the shipped catalog's name (fr, zh_Hans), or ""
        self._files = (shipped, override)
        sha = hashlib.sha256(language.encode() + b"\0")
        translations: NullTranslations = NullTranslations()
        if shipped is not None:
            sha.update(shipped[0].encode() + b"\0" + shipped[1] + b"\0")
            translations = Translations(io.BytesIO(shipped[1]), domain=DOMAIN)
        if override is not None:
            sha.update(b"override\0" + override)
            mine = Translations(io.BytesIO(override), domain=DOMAIN)
            if isinstance(translations, Translations):
                translations.merge(mine)
            else:
                translations = mine
        self.translations = translations
        # of every file it was made from: part of the keys of compiled templates and pages (build.py)
        self.digest = sha.hexdigest()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Catalog, (self.language, *self._files, self.warning))


def _shipped(tag: str) -> tuple[str, bytes] | None:
    for name in candidates(tag):
        path = LOCALES_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if path.is_file():
            return name, path.read_bytes()
    return None


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _read_override(path: Path, relative: str) -> bytes:
    """The override file as a compiled catalog; a ContentError with its line for a file that is not a
    valid .po or names a placeholder its message does not have (the page would fail to render)."""
    try:
        raw = path.read_bytes()
        catalog = read_po(io.BytesIO(raw), locale=None, abort_invalid=True)
    except PoFileError as exc:
        raise ContentError(Problem(f"not a valid gettext .po file: {exc}", relative, getattr(exc, "lineno", None)))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(Problem(f"cannot read: {exc}", relative)) from None
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        allowed = {name for text in ids for name in _PLACEHOLDER.findall(text)}
        for text in strings:
            unknown = set(_PLACEHOLDER.findall(text)) - allowed
            if unknown:
                problems.append(Problem(
                    f"the translation names %({sorted(unknown)[0]})s, which the message does not have",
                    relative, message.lineno, "msgstr",
                    f"use only {', '.join(f'%({n})s' for n in sorted(allowed)) or 'no placeholders'}"))
    if problems:
        raise ContentError(problems)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def load_catalog(site_dir: Path, tag: str) -> Catalog:
    """The theme's strings for a language tag. A language without a shipped catalog shows English and
    says so once, unless the site's own file translates it."""
    shipped = _shipped(tag)
    relative = f"{OVERRIDES_DIR}/{tag}.po"
    override_path = site_dir / relative
    override = _read_override(override_path, relative) if override_path.is_file() else None
    warning = None
    if shipped is None and override is None and candidates(tag)[-1] != ENGLISH:
        warning = (f"newsgen has no translation of its theme for language {tag!r}: pages show the theme's "
                   f"words in English (add {relative} to translate them)")
    return Catalog(tag, shipped, override, warning)


# --- templates ------------------------------------------------------------------------------------
_FORMAT = re.compile(r"%\((\w+)\)s|%%")


class ThemeStrings(InternationalizationExtension):
    """Jinja's i18n extension, with each message translated when the template is compiled.

    `{% trans %}` blocks become their translated text and variables as plain template output (each
    variable escaped, as any output is); a block with `{% pluralize %}` asks the catalog at render time
    which form its count takes. `_("text")` with a literal becomes the translated literal. Translated
    text is text, never markup: a hostile override file cannot add tags. The catalog is the
    environment's `theme_translations`, set before any template loads."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(theme_translations=NullTranslations())

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        tokens = list(stream)
        gettext = self.environment.theme_translations.gettext  # type: ignore[attr-defined]
        index = 0
        while index < len(tokens):
            token = tokens[index]
            window = tokens[index:index + 4]
            if (token.type == "name" and token.value in ("_", "gettext") and len(window) == 4
                    and window[1].type == "lparen" and window[2].type == "string" and window[3].type == "rparen"
                    and not (index and tokens[index - 1].type == "dot")):
                yield Token(token.lineno, "string", gettext(window[2].value))
                index += 4
                continue
            yield token
            index += 1

    def _make_node(self, singular: str, plural: str | None, context: str | None,  # type: ignore[override]
                   variables: dict[str, nodes.Expr], plural_expr: nodes.Expr | None, vars_referenced: bool,
                   num_called_num: bool) -> nodes.Node:
        translations = self.environment.theme_translations  # type: ignore[attr-defined]
        if plural_expr is None:
            text = (translations.pgettext(context, singular) if context is not None
                    else translations.gettext(singular))
            if not vars_referenced:
                text = text.replace("%%", "%")
                return nodes.Output([nodes.TemplateData(str(escape(text)))])
            return nodes.Output(list(_pieces(text, variables)))
        # the form is chosen by the count at render time; the text is escaped, the values by Markup's %
        choose = nodes.Filter(plural_expr, "theme_ngettext", [nodes.Const(singular), nodes.Const(plural)],
                              [], None, None)
        pairs = [nodes.Pair(nodes.Const(key), value) for key, value in variables.items()]
        return nodes.Output([nodes.Mod(choose, nodes.Dict(pairs))])


def _pieces(text: str, variables: dict[str, nodes.Expr]) -> Iterator[nodes.Expr]:
    start = 0
    for match in _FORMAT.finditer(text):
        if match.start() > start:
            yield nodes.TemplateData(str(escape(text[start:match.start()])))
        if match.group(1) is None:
            yield nodes.TemplateData("%")
        else:
            yield variables[match.group(1)]
        start = match.end()
    if start < len(text):
        yield nodes.TemplateData(str(escape(text[start:])))


def plural_filter(translations: NullTranslations):
    """The `theme_ngettext` filter of ThemeStrings' plural blocks: the translated form for a count, as
    escaped markup that `%` fills with escaped values."""
    ngettext = translations.ngettext

    def choose(count: int, singular: str, plural: str) -> Markup:
        return Markup(escape(ngettext(singular, plural, count)))

    return choose


def plural_forms(translations: NullTranslations, tag: str, singular: str, plural: str) -> dict[str, str]:
    """The catalog's form of a plural message for each CLDR plural category of the language (one, few,
    many, other…), for a script that picks the form of a count with Intl.PluralRules, which uses the
    same categories. Each form is found by asking the catalog about a number of that category."""
    rule = (parse_language(tag) or Locale.parse(ENGLISH)).plural_form
    forms: dict[str, str] = {}
    for number in (*range(0, 200), 1000, 1000000):
        forms.setdefault(rule(number), translations.ngettext(singular, plural, number))
    return forms


# --- dates and numbers ----------------------------------------------------------------------------
class LocalFormats:
    """Dates and numbers as a reader of the site's language writes them, through Babel. One per
    renderer, with one Locale; every string is made once per distinct value (a listing shows the same
    dates on many pages, and Babel costs tens of microseconds a call). English keeps newsgen's own
    `25 May 2021`."""

    def __init__(self, tag: str, locale_name: str = ""):
        self.english = candidates(tag)[-1] == ENGLISH  # whatever `locale` says: English keeps its own format
        self.locale = parse_language(locale_name or tag) or Locale.parse(ENGLISH)
        if not self.english:
            locale = self.locale
            date_pattern = locale.date_formats["long"].pattern
            time_pattern = locale.time_formats["short"].pattern
            joined = locale.datetime_formats["long"]
            self._datetime_pattern = joined.replace("{1}", date_pattern).replace("{0}", time_pattern)
        self._dates: dict[Any, str] = {}
        self._datetimes: dict[Any, str] = {}
        self._numbers: dict[int, str] = {}

    def date(self, local: datetime) -> str:
        key = (local.year, local.month, local.day)
        found = self._dates.get(key)
        if found is None:
            if self.english:
                found = f"{local.day} {local:%B %Y}"
            else:
                found = format_date(local.date(), "long", locale=self.locale)
            self._dates[key] = found
        return found

    def datetime(self, local: datetime) -> str:
        found = self._datetimes.get(local)
        if found is None:
            if self.english:
                found = f"{local.day} {local:%B %Y}, {local:%H:%M} {local.tzname()}"
            else:
                found = (format_datetime(local, self._datetime_pattern, tzinfo=local.tzinfo, locale=self.locale)
                         + " " + self.zone(local))
            self._datetimes[local] = found
        return found

    def zone(self, local: datetime) -> str:
        """The time zone's abbreviation in the language (MESZ, JST), else its offset (UTC+02:00)."""
        name = format_datetime(local, "z", tzinfo=local.tzinfo, locale=self.locale)
        if re.fullmatch(r"[+-]\d{4}", name):  # CLDR has no abbreviation for it in this language
            name = get_timezone_gmt(local, "long", locale=self.locale)
        return name

    def number(self, value: int) -> str:
        found = self._numbers.get(value)
        if found is None:
            found = self._numbers[value] = str(value) if self.english else format_decimal(value, locale=self.locale)
        return found
