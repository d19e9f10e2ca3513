"""The site model: articles with their URLs, categories and tags with theirs. Pure, no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import SiteConfig
from .content import Moment, SourceArticle
from .markup import RenderedBody, excerpt
from .urls import permalink, slugify, term_key

CATEGORY, TAG = "category", "tag"


@dataclass(frozen=True)
class TermRef:
    """How an article points at one of its categories or tags."""

    kind: str
    name: str
    slug: str

    @property
    def url(self) -> str:
        return f"{self.kind}/{self.slug}/"


@dataclass(frozen=True)
class Article:
    source: str
    title: str
    published: Moment
    updated: Moment | None
    authors: tuple[str, ...]
    summary: str  # the standfirst as written; may be empty
    description: str  # summary, or an excerpt of the body when there is none
    body_html: str
    words: int
    reading_minutes: int
    categories: tuple[TermRef, ...]
    tags: tuple[TermRef, ...]
    slug: str
    url: str  # site-relative URL path, e.g. 2021/05/25/biden-putin-geneva/
    draft: bool
    scheduled: bool  # dated in the future, included because of --future or serve
    image: str
    image_alt: str
    extra: dict[str, Any]

    @property
    def modified(self) -> Moment:
        return self.updated or self.published

    @property
    def section(self) -> TermRef | None:
        return self.categories[0] if self.categories else None


@dataclass(frozen=True)
class Term:
    kind: str
    name: str
    slug: str
    articles: tuple[Article, ...]  # newest first

    @property
    def url(self) -> str:
        return f"{self.kind}/{self.slug}/"

    @property
    def ref(self) -> TermRef:
        return TermRef(self.kind, self.name, self.slug)


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str  # "draft" or "scheduled"
    due: datetime | None = None


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    articles: tuple[Article, ...]  # newest first; ties broken by source path
    categories: tuple[Term, ...]  # by name
    tags: tuple[Term, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def next_due(self) -> Skipped | None:
        scheduled = [s for s in self.skipped if s.due is not None]
        return min(scheduled, key=lambda s: (s.due, s.source)) if scheduled else None

    @property
    def newest_moment(self) -> Moment | None:
        return max((a.modified for a in self.articles), key=lambda m: m.at, default=None)


def newest_first(article: Article) -> tuple[float, str]:
    """The documented total order of listings: newest publication first, then by source path."""
    return (-article.published.at.timestamp(), article.source)


def _term_slugs(names_by_key: dict[str, str], kind: str, warnings: list[str]) -> dict[str, str]:
    """Give every distinct term a slug; distinct terms that slugify alike get -2, -3… in key order."""
    by_slug: dict[str, list[str]] = {}
    for key in sorted(names_by_key):
        by_slug.setdefault(slugify(names_by_key[key]), []).append(key)
    slugs: dict[str, str] = {}
    taken = set(by_slug)
    for slug, keys in by_slug.items():
        slugs[keys[0]] = slug
        for number, key in enumerate(keys[1:], start=2):
            candidate = f"{slug}-{number}"
            while candidate in taken:
                number += 1
                candidate = f"{slug}-{number}"
            taken.add(candidate)
            slugs[key] = candidate
        if len(keys) > 1:
            listed = ", ".join(f"'{names_by_key[k]}' -> {kind}/{slugs[k]}/" for k in keys)
            warnings.append(f"{kind} names share the slug '{slug}' and were kept apart: {listed}")
    return slugs


def _display_names(sources: list[SourceArticle], attribute: str) -> dict[str, str]:
    """One display name per term: its most used spelling, ties broken alphabetically."""
    spellings: dict[str, Counter[str]] = {}
    for source in sources:
        for name in getattr(source, attribute):
            spellings.setdefault(term_key(name), Counter())[name] += 1
    return {key: min(counts, key=lambda n: (-counts[n], n)) for key, counts in spellings.items()}


def build_site(
    config: SiteConfig,
    sources: list[SourceArticle],
    bodies: dict[str, RenderedBody],
    now: datetime,
    include_drafts: bool = False,
    include_future: bool = False,
) -> Site:
    """Decide what gets published and where: the whole model of the site, from validated sources."""
    skipped: list[Skipped] = []
    published: list[SourceArticle] = []
    for source in sources:
        future = source.published.at > now
        if source.draft and not include_drafts:
            skipped.append(Skipped(source.source, "draft"))
        elif future and not include_future:
            skipped.append(Skipped(source.source, "scheduled", source.published.at))
        else:
            published.append(source)

    warnings: list[str] = []
    refs: dict[str, dict[str, TermRef]] = {}
    for kind, attribute in ((CATEGORY, "categories"), (TAG, "tags")):
        names = _display_names(published, attribute)
        slugs = _term_slugs(names, kind, warnings)
        refs[kind] = {key: TermRef(kind, names[key], slugs[key]) for key in names}

    articles = []
    zone = config.zone
    for source in published:
        categories = tuple(dict.fromkeys(refs[CATEGORY][term_key(n)] for n in source.categories))
        tags = tuple(dict.fromkeys(refs[TAG][term_key(n)] for n in source.tags))
        slug = source.slug or slugify(source.title)
        local = source.published.at.astimezone(zone)
        body = bodies[source.source]
        articles.append(
            Article(
                source=source.source,
                title=source.title,
                published=source.published,
                updated=source.updated,
                authors=source.authors,
                summary=source.summary,
                description=source.summary or excerpt(body.text),
                body_html=body.html,
                words=body.words,
                reading_minutes=body.reading_minutes,
                categories=categories,
                tags=tags,
                slug=slug,
                url=permalink(config.permalink, local, slug, categories[0].slug if categories else "news"),
                draft=source.draft,
                scheduled=source.published.at > now,
                image=source.image,
                image_alt=source.image_alt,
                extra=source.extra,
            )
        )
    articles.sort(key=newest_first)

    def terms(kind: str) -> tuple[Term, ...]:
        members: dict[TermRef, list[Article]] = {ref: [] for ref in refs[kind].values()}
        for article in articles:
            for ref in article.categories if kind == CATEGORY else article.tags:
                members[ref].append(article)
        made = (Term(kind, ref.name, ref.slug, tuple(items)) for ref, items in members.items())
        return tuple(sorted(made, key=lambda t: (term_key(t.name), t.slug)))

    skipped.sort(key=lambda s: s.source)
    return Site(config, tuple(articles), terms(CATEGORY), terms(TAG), tuple(skipped), tuple(warnings))
