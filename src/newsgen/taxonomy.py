"""The controlled vocabulary: `taxonomies.yaml` names canonical categories and tags.

Each term has a display name, an optional slug, synonyms that land on it, and former names whose
old URLs redirect to it. A closed list makes an unknown name an error, so a typo never becomes a
new section. Without the file every name is its own term, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem, did_you_mean
from .urls import slugify, term_key
from .yamltext import YamlProblem, parse_mapping, problem

TAXONOMY_FILE = "taxonomies.yaml"
KINDS = {"categories": "category", "tags": "tag"}
_TOP_KEYS = (*KINDS, "author_pages")
_VOCABULARY_KEYS = ("closed", "terms")
_TERM_KEYS = ("name", "slug", "synonyms", "formerly")


@dataclass(frozen=True)
class TermSpec:
    name: str  # the display name every spelling lands on
    slug: str  # empty: from the name
    synonyms: tuple[str, ...] = ()
    formerly: tuple[str, ...] = ()  # old names: their old URLs redirect here


@dataclass(frozen=True)
class Vocabulary:
    closed: bool = False
    terms: tuple[TermSpec, ...] = ()
    lookup: dict[str, TermSpec] = field(default_factory=dict, compare=False)  # term_key of any spelling -> term
    former: frozenset[str] = frozenset()  # term_keys of former names

    def resolve(self, name: str) -> tuple[str | None, str | None]:
        """(canonical name or None when unknown on a closed list, warning or None)."""
        spec = self.lookup.get(term_key(name))
        if spec is None:
            return (None if self.closed else name), None
        if term_key(name) in self.former:
            return spec.name, f"'{name}' was renamed to '{spec.name}'"
        return spec.name, None

    def hint(self, name: str) -> str:
        close = did_you_mean(name, [spec.name for spec in self.terms])
        return close or f"{TAXONOMY_FILE} lists: {', '.join(spec.name for spec in self.terms)}"


@dataclass(frozen=True)
class Taxonomy:
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)  # kind (category|tag) -> vocabulary
    author_pages: bool = True

    def vocabulary(self, kind: str) -> Vocabulary:
        return self.vocabularies.get(kind, Vocabulary())

    def slug_for(self, kind: str, name: str) -> str | None:
        spec = self.vocabulary(kind).lookup.get(term_key(name))
        return spec.slug if spec and spec.slug else None

    def renamed(self, kind: str) -> list[tuple[str, TermSpec]]:
        """(old name, term) pairs whose old term URL must keep working."""
        return [(old, spec) for spec in self.vocabulary(kind).terms for old in spec.formerly]


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{what}: expected a list of names")
    return tuple(" ".join(v.split()) for v in value)


def _term(item: Any) -> TermSpec:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict):
        raise ValueError("each term is a name or a mapping with name, slug, synonyms, formerly")
    for key in item:
        if key not in _TERM_KEYS:
            raise ValueError(f"{key}: unknown key in a term ({did_you_mean(key, _TERM_KEYS) or 'expected ' + ', '.join(_TERM_KEYS)})")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("every term needs a 'name'")
    slug = item.get("slug") or ""
    if not isinstance(slug, str) or (slug and slugify(slug) != slug):
        raise ValueError(f"{name}: slug must be lower-case letters, digits and hyphens (try '{slugify(str(slug))}')")
    return TermSpec(" ".join(name.split()), slug, _names(item.get("synonyms"), "synonyms"),
                    _names(item.get("formerly"), "formerly"))


def _vocabulary(value: Any) -> Vocabulary:
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with 'closed' and 'terms'")
    for key in value:
        if key not in _VOCABULARY_KEYS:
            raise ValueError(f"{key}: unknown key ({did_you_mean(key, _VOCABULARY_KEYS) or 'expected closed, terms'})")
    closed = value.get("closed") or "false"
    if closed not in ("true", "false", "yes", "no"):
        raise ValueError("closed: expected true or false")
    terms = value.get("terms") or []
    if not isinstance(terms, list):
        raise ValueError("terms: expected a list")
    specs = tuple(_term(item) for item in terms)
    lookup: dict[str, TermSpec] = {}
    former: set[str] = set()
    for spec in specs:
        for spelling in (spec.name, *spec.synonyms, *spec.formerly):
            key = term_key(spelling)
            if key in lookup and lookup[key] is not spec:
                raise ValueError(f"'{spelling}' belongs to both '{lookup[key].name}' and '{spec.name}'")
            lookup[key] = spec
        former.update(term_key(old) for old in spec.formerly)
    return Vocabulary(closed in ("true", "yes"), specs, lookup, frozenset(former))


def load_taxonomy(site_dir: Path) -> Taxonomy:
    """Read SITE/taxonomies.yaml; no file means an open vocabulary with author pages."""
    path = site_dir / TAXONOMY_FILE
    if not path.is_file():
        return Taxonomy()
    try:
        entries = parse_mapping(path.read_text(encoding="utf-8-sig"))
    except YamlProblem as exc:
        raise ConfigError(problem(exc, TAXONOMY_FILE)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(Problem(f"cannot read: {exc}", TAXONOMY_FILE)) from None
    problems: list[Problem] = []
    vocabularies: dict[str, Vocabulary] = {}
    author_pages = True
    for key, entry in entries.items():
        try:
            if key in KINDS:
                vocabularies[KINDS[key]] = _vocabulary(entry.value)
            elif key == "author_pages":
                if entry.value not in ("true", "false", "yes", "no"):
                    raise ValueError("expected true or false")
                author_pages = entry.value in ("true", "yes")
            else:
                problems.append(Problem("unknown key", TAXONOMY_FILE, entry.line, key,
                                        did_you_mean(key, _TOP_KEYS) or "expected categories, tags, author_pages"))
        except ValueError as exc:
            problems.append(Problem(str(exc), TAXONOMY_FILE, entry.line, key))
    if problems:
        raise ConfigError(problems)
    return Taxonomy(vocabularies, author_pages)
