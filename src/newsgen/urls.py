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


def slugify(text: str) -> str:
    """ASCII, lower-case, hyphenated slug; never empty, never a reserved device name."""
    folded = unicodedata.normalize("NFC", text).casefold()
    chars = []
    for char in folded:
        if char in _LETTERS:
            chars.append(_LETTERS[char])
        elif char in _SYMBOLS:
            chars.append(_SYMBOLS[char])
        else:
            chars.append(unicodedata.normalize("NFKD", char))
    ascii_text = "".join(chars).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.replace("'", "")).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    if not slug:
        # Scripts we cannot transliterate (Chinese, Japanese, symbols only) still get a stable slug.
        slug = "x" + hashlib.sha256(term_key(text).encode()).hexdigest()[:10]
    if slug in _RESERVED:
        slug += "-1"
    return slug


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
_SRCSET = re.compile(r"""(\ssrcset=)(["'])([^"']*)""")


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

    def candidates(match: re.Match[str]) -> str:  # srcset="a.avif 480w, b.avif 800w": each URL alike
        parts = []
        for candidate in match.group(3).split(","):
            url, _, descriptor = candidate.strip().partition(" ")
            found = _URL_ATTRIBUTE.match(f' src="{url}')
            if found and found.group(3) == url:  # a query or fragment stays as written, as in relative()
                url = relative(found)[len(' src="'):]
            parts.append(url + (f" {descriptor}" if descriptor else ""))
        return f"{match.group(1)}{match.group(2)}{', '.join(parts)}"

    return _SRCSET.sub(candidates, _URL_ATTRIBUTE.sub(relative, html_text))
