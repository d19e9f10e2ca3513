"""Slugs, permalinks and base-path aware URLs. Pure functions, no I/O."""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
import unicodedata
from datetime import datetime

# Letters that Unicode decomposition leaves alone, plus Cyrillic and Greek, so a newsroom's
# terms get readable ASCII slugs (`Łódź` -> `lodz`, `Москва` -> `moskva`).
_LETTERS = {
    "ł": "l", "đ": "d", "ð": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i",
    "ħ": "h", "ŋ": "ng", "ŧ": "t", "ĸ": "k",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye",
    "ґ": "g", "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r",
    "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}
# Symbols that carry meaning in names, so `C++` and `C#` do not both become `c`.
_SYMBOLS = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at ", "%": " percent "}
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
MAX_SLUG = 80


@functools.lru_cache(maxsize=65536)  # pure; a 10,000-article site asks ~160,000 times for ~1,000 names
def term_key(name: str) -> str:
    """Identity of a term: names that differ only by case, spacing or Unicode normalisation are one."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


_SYMBOL_TABLE = str.maketrans(_SYMBOLS)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=65536)  # pure; asked for every term of every article and every title
def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated slug; never empty, never a reserved device name.

    Every script is transliterated: the table above for what it covers, Unicode decomposition for
    accented Latin, anyascii for the rest (`北京` -> `beijing`, `القاهرة` -> `lqhrh`). ASCII text, most
    of a newsroom's, takes none of that."""
    folded = unicodedata.normalize("NFC", text).casefold()
    if folded.isascii():
        ascii_text = folded.translate(_SYMBOL_TABLE)
    else:
        ascii_text = "".join(map(_transliterate, folded)).lower()
    return _finish(ascii_text, text)


def _transliterate(char: str) -> str:
    found = _LETTERS.get(char) or _SYMBOLS.get(char)
    if found is not None:
        return found
    if char.isascii():
        return char
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    # a letter that decomposes to nothing ASCII (a CJK character, an Arabic letter): anyascii's reading
    return decomposed or (_anyascii(char) if not unicodedata.combining(char) else "")


def _anyascii(char: str) -> str:
    from anyascii import anyascii  # imported only for text outside the table: most sites never need it

    return anyascii(char)


def _finish(ascii_text: str, text: str) -> str:
    slug = _NOT_SLUG.sub("-", ascii_text.replace("'", "")).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    if not slug:
        # Symbols only (or nothing anyascii can read): still a stable slug.
        slug = "x" + hashlib.sha256(term_key(text).encode()).hexdigest()[:10]
    if slug in _RESERVED:
        slug += "-1"
    return slug


@functools.lru_cache(maxsize=4096)
def legacy_slug(text: str) -> str | None:
    """The slug newsgen 0.x gave this text, when it differs from slugify's: that version transliterated
    only the table above and gave every other script a hash (`北京` -> `x3f…`). Such URLs get a redirect."""
    if text.isascii():
        return None  # the same either way
    folded = unicodedata.normalize("NFC", text).casefold()
    chars = [_LETTERS.get(c) or _SYMBOLS.get(c) or unicodedata.normalize("NFKD", c) for c in folded]
    old = _finish("".join(chars).encode("ascii", "ignore").decode("ascii"), text)
    return old if old != slugify(text) else None


# The placeholders of an article URL pattern: {category} is the first category's slug (`news` when
# there is none); {categories} is every category's slug, one folder each, or nothing, as Jekyll's
# `:categories` is (`local/politics/2024/...`, or `2024/...` for a post without categories).
PERMALINK_FIELDS = frozenset({"year", "month", "day", "slug", "category", "categories"})


def permalink(pattern: str, published: datetime, slug: str, category_slug: str,
              category_slugs: tuple[str, ...] = ()) -> str:
    """Site-relative URL path of an article, e.g. `2021/05/25/geneva-summit/`."""
    url = pattern.format(
        year=f"{published.year:04d}",
        month=f"{published.month:02d}",
        day=f"{published.day:02d}",
        slug=slug,
        category=category_slug,
        categories="/".join(category_slugs),
    )
    if "{categories}" in pattern:  # no categories: no empty folder left behind
        url = re.sub(r"/{2,}", "/", url).lstrip("/")
    return url


def output_path(url_path: str) -> str:
    """File a site-relative URL is written to: pretty URLs become folder/index.html."""
    return url_path + "index.html" if url_path == "" or url_path.endswith("/") else url_path


def paginated(url_path: str, page: int) -> str:
    """URL path of page N of a listing; page 1 is the listing itself."""
    return url_path if page == 1 else f"{url_path}page/{page}/"


# An attribute whose value is a URL the browser follows or loads (up to its query or fragment).
_URL_ATTRIBUTE = re.compile(r"""(\s(?:href|src|action|poster)=)(["'])([^"'#?]*)""")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_SRCSET = re.compile(r"""(\ssrcset=)(["'])([^"']*)""")  # a <picture>'s candidates: `URL 480w, URL 800w`


def relative_links(html_text: str, page_path: str, base_path: str) -> str:
    """Every link of a page to this site made relative to the page (`/news/world/` from
    `2021/05/25/x/index.html` is `../../../../world/index.html`), with a folder's index.html spelled
    out: what a browser needs to follow links in a build opened from disk, where no server answers a
    folder with its index.html. Links to other sites, schemes and fragments are left as written."""
    folder = posixpath.dirname(page_path) or "."

    def relative(match: re.Match[str]) -> str:
        url = match.group(3)
        if url.startswith(base_path) and not url.startswith("//"):
            target = posixpath.relpath(output_path(url[len(base_path):]), folder)
        elif url and not url.startswith("/") and not _SCHEME.match(url):
            target = output_path(url) if url.endswith("/") else url
        else:
            return match.group()
        return f"{match.group(1)}{match.group(2)}{target}"

    def relative_set(match: re.Match[str]) -> str:
        candidates = []
        for candidate in match.group(3).split(","):
            url, space, descriptor = candidate.strip().partition(" ")
            if url.startswith(base_path) and not url.startswith("//"):
                url = posixpath.relpath(url[len(base_path):], folder)
            candidates.append(url + space + descriptor)
        return f"{match.group(1)}{match.group(2)}{', '.join(candidates)}"

    return _SRCSET.sub(relative_set, _URL_ATTRIBUTE.sub(relative, html_text))
