"""The site model: articles with their URLs, categories and tags with theirs. Pure, no I/O."""

from __future__ import annotations

import dataclasses
import functools
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import SiteConfig
from .content import Correction, Moment, SourceArticle, bundle_folder
from .embeds import Embed
from .errors import Problem
from .formats import KEPT_IN_EXTRA
from .markup import RenderedBody, excerpt, is_site_path
from .taxonomy import Taxonomy
from .urls import legacy_slug, permalink, slugify, term_key

CATEGORY, TAG, AUTHOR = "category", "tag", "author"


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
class Reference:
    """A picture or link in an article that points at a file of this site."""

    url: str  # as written: `images/x.jpg`, `/category/world/`
    line: int | None  # in the article's file
    field: str  # image (front matter) or body


@dataclass(frozen=True)
class Translation:
    """One version of a story in a language (the article itself among them): for hreflang and "Read in"."""

    language: str
    url: str
    title: str


@dataclass(frozen=True)
class Article:
    source: str
    title: str
    published: Moment
    updated: Moment | None
    authors: tuple[str, ...]
    summary: str  # the standfirst as written; may be empty
    description: str  # summary, or an excerpt of the body when there is none
    body_utf8: bytes  # see body_html
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
    image_caption: str = ""
    image_credit: str = ""
    image_focus: tuple[float, float] | None = None  # the crops' centre; None: the middle
    article_type: str = ""  # News, Opinion, Analysis or empty
    dateline: str = ""
    corrections: tuple[Correction, ...] = ()  # oldest first
    aliases: tuple[str, ...] = ()  # old URL paths that redirect here
    author_refs: tuple[TermRef, ...] = ()  # the authors' pages, when the site has them
    references: tuple[Reference, ...] = ()  # its pictures and links on this site, checked by references.py
    embeds: tuple[Embed, ...] = ()  # videos, posts, maps… in its body, as click-to-load placeholders
    language: str = "en"  # its own `language`, else the site's
    translations: tuple[Translation, ...] = ()  # every version of the story, this one too, by language; () alone

    @property
    def body_html(self) -> str:
        """The body as HTML, kept encoded (see markup.RenderedBody.html) and decoded where a page shows it."""
        return self.body_utf8.decode("utf-8", "surrogatepass")

    @functools.cached_property  # read for every listing and sitemap entry the article appears in
    def modified(self) -> Moment:
        """The last substantive change: `updated`, or a later correction (schema.org dateModified)."""
        moments = [self.updated or self.published, *(c.at for c in self.corrections)]
        return max(moments, key=lambda m: m.at)

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
    reason: str  # "draft", "scheduled", or why another generator's page is not an article
    due: datetime | None = None


@dataclass(frozen=True)
class Redirect:
    """An old URL that must keep working: a moved article's alias or a renamed term's old page."""

    url: str  # the old site-relative URL path
    target: str  # where it now lives, site-relative
    title: str  # what is there now
    source: str  # who asked for it, for collision messages


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    articles: tuple[Article, ...]  # newest first; ties broken by source path
    categories: tuple[Term, ...]  # by name
    tags: tuple[Term, ...]
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    authors: tuple[Term, ...] = ()  # with pages under author/<slug>/, unless taxonomies.yaml turns them off
    redirects: tuple[Redirect, ...] = ()
    notices: tuple[Problem, ...] = ()  # every warning with the file it is about, when it has one
    multilingual: bool = False  # an article is in another language than the site's, or has versions

    @property
    def next_due(self) -> Skipped | None:
        return next_due(self.skipped)

    @property
    def newest_moment(self) -> Moment | None:
        return max((a.modified for a in self.articles), key=lambda m: m.at, default=None)


def next_due(skipped: tuple[Skipped, ...]) -> Skipped | None:
    scheduled = [s for s in skipped if s.due is not None]
    return min(scheduled, key=lambda s: (s.due, s.source)) if scheduled else None


@dataclass(frozen=True)
class SiteSummary:
    """What a build reports about the site. Small, so a build that finds nothing changed can show it
    without making the model again."""

    base_url: str
    articles: tuple[tuple[str, str], ...]  # (source, url), newest first
    categories: int
    tags: int
    authors: int
    redirects: tuple[tuple[str, str], ...]  # (old url, target)
    skipped: tuple[Skipped, ...]
    warnings: tuple[str, ...]
    notices: tuple[Problem, ...]

    @property
    def next_due(self) -> Skipped | None:
        return next_due(self.skipped)


def summarise(site: Site) -> SiteSummary:
    return SiteSummary(site.config.base_url, tuple((a.source, a.url) for a in site.articles), len(site.categories),
                       len(site.tags), len(site.authors), tuple((r.url, r.target) for r in site.redirects),
                       site.skipped, site.warnings, site.notices)


def valid_between(site: Site, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The clock times at which build_site makes this same site from the same files: from the latest
    publication time already reached to the next one due (None: no bound)."""
    moments = [a.published.at for a in site.articles] + [s.due for s in site.skipped if s.due is not None]
    return (max((m for m in moments if m <= now), default=None), min((m for m in moments if m > now), default=None))


def newest_first(article: Article) -> tuple[float, str]:
    """The documented total order of listings: newest publication first, then by source path."""
    return (-article.published.at.timestamp(), article.source)


def _term_slugs(names_by_key: dict[str, str], kind: str, warnings: list[str],
                fixed: dict[str, str] | None = None) -> dict[str, str]:
    """Give every distinct term a slug; distinct terms that slugify alike get -2, -3… in key order.

    `fixed` holds slugs chosen in taxonomies.yaml; a fixed slug goes first for its slug."""
    fixed = fixed or {}
    by_slug: dict[str, list[str]] = {}
    for key in sorted(names_by_key, key=lambda k: (k not in fixed, k)):
        by_slug.setdefault(fixed.get(key) or slugify(names_by_key[key]), []).append(key)
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
    spellings: dict[str, dict[str, int]] = {}
    for source in sources:
        for name in getattr(source, attribute):
            counts = spellings.get(key := term_key(name))
            if counts is None:
                counts = spellings[key] = {}
            counts[name] = counts.get(name, 0) + 1
    return {key: min(counts, key=lambda n: (-counts[n], n)) for key, counts in spellings.items()}


# The fields of an Article that build_site takes from something besides the article's own file and
# the settings (config, taxonomy): the other articles (a term's display name and slug) and the clock.
# The page cache digests an article by its file's cache key plus these fields, so a field derived
# from anything else must be listed here (test_incremental checks it against varied neighbours).
NOT_FROM_FILE = ("categories", "tags", "author_refs", "url", "scheduled", "translations")


def _references(source: SourceArticle, body: RenderedBody) -> tuple[Reference, ...]:
    found = [Reference(source.image, source.image_line, "image")] if is_site_path(source.image) else []
    for url, line in body.references:
        found.append(Reference(url, None if line is None else source.body_line + line - 1, "body"))
    return tuple(found)


def _body_notices(source: SourceArticle, bodies: dict[str, RenderedBody]) -> list[Problem]:
    body = bodies.get(source.source)
    return [Problem(message, source.source, source.body_line + line - 1, "body")
            for message, line in (body.warnings if body is not None else ())]


def build_site(
    config: SiteConfig,
    sources: list[SourceArticle],
    bodies: dict[str, RenderedBody],
    now: datetime,
    include_drafts: bool = False,
    include_future: bool = False,
    taxonomy: Taxonomy | None = None,
) -> Site:
    """Decide what gets published and where: the whole model of the site, from validated sources."""
    skipped: list[Skipped] = []
    published: list[SourceArticle] = []
    for source in sources:
        future = source.published.at > now
        if source.not_article:
            skipped.append(Skipped(source.source, source.not_article))
        elif source.draft and not include_drafts:
            skipped.append(Skipped(source.source, "draft"))
        elif future and not include_future:
            skipped.append(Skipped(source.source, "scheduled", source.published.at))
        else:
            published.append(source)

    taxonomy = taxonomy or Taxonomy()
    warnings: list[str] = []
    refs: dict[str, dict[str, TermRef]] = {}
    for kind, attribute in ((CATEGORY, "categories"), (TAG, "tags"), (AUTHOR, "authors")):
        names = _display_names(published, attribute)
        fixed = {key: slug for key in names if (slug := taxonomy.slug_for(kind, names[key]))}
        slugs = _term_slugs(names, kind, warnings, fixed)
        refs[kind] = {key: TermRef(kind, names[key], slugs[key]) for key in names}

    articles = []
    legacy_urls: list[tuple[Article, str]] = []  # (article, its URL under newsgen's old slugs) where they differ
    zone = config.zone
    for source in published:
        # one ref per term key (by the keys: hashing text is cheaper than hashing refs)
        categories = tuple(map(refs[CATEGORY].__getitem__, dict.fromkeys(map(term_key, source.categories))))
        tags = tuple(map(refs[TAG].__getitem__, dict.fromkeys(map(term_key, source.tags))))
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
                body_utf8=body.html_utf8,
                words=body.words,
                reading_minutes=body.reading_minutes,
                categories=categories,
                tags=tags,
                slug=slug,
                url=permalink(source.permalink or config.permalink, local, slug,
                              categories[0].slug if categories else "news", tuple(c.slug for c in categories)),
                draft=source.draft,
                scheduled=source.published.at > now,
                image=source.image,
                image_alt=source.image_alt,
                extra=source.extra,
                image_caption=source.image_caption,
                image_credit=source.image_credit,
                image_focus=source.image_focus,
                article_type=source.article_type,
                dateline=source.dateline,
                corrections=source.corrections,
                aliases=source.aliases,
                author_refs=tuple(refs[AUTHOR][term_key(n)] for n in source.authors) if taxonomy.author_pages else (),
                references=_references(source, body),
                embeds=body.embeds,
                language=source.language or config.language,
            )
        )
        old_slug = None if source.slug else legacy_slug(source.title)
        # articles: only the hash slugs (x3f…) of older versions redirect, the URLs of headlines in other scripts
        if old_slug is not None and re.fullmatch(r"x[0-9a-f]{10}", old_slug):
            legacy_urls.append((articles[-1], permalink(source.permalink or config.permalink, local, old_slug,
                                                        categories[0].slug if categories else "news",
                                                        tuple(c.slug for c in categories))))
    translation_keys = {source.source: source.translation_of for source in published if source.translation_of}
    if translation_keys:
        articles = _link_translations(articles, translation_keys, config.language, warnings)
    articles.sort(key=newest_first)

    def terms(kind: str) -> tuple[Term, ...]:
        members: dict[str, list[Article]] = {ref.slug: [] for ref in refs[kind].values()}  # slugs are unique
        attribute = {CATEGORY: "categories", TAG: "tags", AUTHOR: "author_refs"}[kind]
        for article in articles:
            for ref in getattr(article, attribute):
                members[ref.slug].append(article)
        made = (Term(kind, ref.name, ref.slug, tuple(members[ref.slug])) for ref in refs[kind].values())
        return tuple(sorted(made, key=lambda t: (term_key(t.name), t.slug)))

    skipped.sort(key=lambda s: s.source)
    categories, tags = terms(CATEGORY), terms(TAG)
    authors = terms(AUTHOR) if taxonomy.author_pages else ()
    # Every file's warnings, left-out files' too: a file skipped for having no front matter says so.
    notices = [Problem(w) for w in warnings] + [n for s in sources for n in (*s.warnings, *_body_notices(s, bodies))]
    return Site(config, tuple(articles), categories, tags, tuple(skipped),
                tuple(warnings) + summarised_notices(notices),
                authors=authors,
                redirects=_redirects(articles, (*categories, *tags), taxonomy, authors, legacy_urls),
                multilingual=any(a.language != config.language or a.translations for a in articles),
                notices=tuple(notices))


def _link_translations(articles: list[Article], keys: dict[str, str], default: str,
                       warnings: list[str]) -> list[Article]:
    """Every version of a story knows the others: those whose `translation_of` names the same key, and
    the article whose slug is that key (the original)."""
    groups: dict[str, list[int]] = {}
    for index, article in enumerate(articles):
        groups.setdefault(keys.get(article.source, article.slug), []).append(index)
    linked = list(articles)
    for key, members in groups.items():
        named = [articles[i] for i in members if articles[i].source in keys]
        if len(members) < 2:
            if named:
                warnings.append(f"{named[0].source}: translation_of '{key}' matches no other article's slug")
            continue
        versions: dict[str, Translation] = {}
        for index in sorted(members, key=lambda i: articles[i].source):
            article = articles[index]
            if article.language in versions:
                warnings.append(f"{article.source}: another version of '{key}' is in {article.language!r} too; "
                                "only the first is linked as that language's")
                continue
            versions[article.language] = Translation(article.language, article.url, article.title)
        found = tuple(sorted(versions.values(), key=lambda t: (t.language != default, t.language)))
        for index in members:
            linked[index] = dataclasses.replace(articles[index], translations=found)
    return linked


def summarised_notices(notices: list[Problem]) -> tuple[str, ...]:
    """The warnings to print: one line per custom key name, with its count and one file (an archive can
    hold the same key in every file), then every other warning with its file and line."""
    kept: dict[str, list[Problem]] = {}
    lines = []
    for notice in notices:
        if notice.message == KEPT_IN_EXTRA and notice.field:
            kept.setdefault(notice.field, []).append(notice)
        elif notice.path:
            lines.append(str(notice))
    for key, found in sorted(kept.items()):
        files = len({n.path for n in found})
        example = f"{found[0].path}:{found[0].line}"
        lines.append(f"{key}: {KEPT_IN_EXTRA} ({files} file{'s' if files != 1 else ''}, e.g. {example})")
    return tuple(lines)


def _redirects(articles: list[Article], terms: tuple[Term, ...], taxonomy: Taxonomy, authors: tuple[Term, ...] = (),
               legacy_urls: list[tuple[Article, str]] | None = None) -> tuple[Redirect, ...]:
    """Old URLs to keep: every article alias, and the page of every renamed term that has articles now."""
    found = [Redirect(alias, article.url, article.title, article.source)
             for article in articles for alias in article.aliases]
    by_name = {(term.kind, term_key(term.name)): term for term in terms}
    # Before anyascii, a name in a script the slug table did not cover got a hash slug (x3f…) or lost
    # those words: the old URL redirects to the readable one, where nothing else lives there now.
    taken = {a.url for a in articles} | {t.url for t in (*terms, *authors)} | {r.url for r in found}
    for term in (*terms, *authors):
        old = legacy_slug(term.name)
        if old is not None and not taxonomy.slug_for(term.kind, term.name):
            old_url = f"{term.kind}/{old}/"
            if old_url not in taken and old_url != term.url:
                taken.add(old_url)
                found.append(Redirect(old_url, term.url, term.name, f"{term.kind} '{term.name}' (its slug before 0.x)"))
    for article, old_url in legacy_urls or ():
        if old_url not in taken:
            taken.add(old_url)
            found.append(Redirect(old_url, article.url, article.title, article.source))
    for kind in (CATEGORY, TAG):
        for old, spec in taxonomy.renamed(kind):
            term = by_name.get((kind, term_key(spec.name)))
            old_url = f"{kind}/{slugify(old)}/"
            if term and old_url != term.url:
                found.append(Redirect(old_url, term.url, term.name, f"taxonomies.yaml ({old} -> {spec.name})"))
    return tuple(found)


def bundle_targets(articles: Iterable[Article], bundles: Iterable[str]) -> dict[str, str]:
    """Where each file of a published article's Hugo page bundle goes: beside the article's page, as Hugo
    publishes it (content/posts/harbour/photo.jpg -> 2024/03/12/harbour/photo.jpg). Build-folder path -> source."""
    folders = {}
    for article in articles:
        folder = bundle_folder(article.source)
        if folder is not None:
            folders[folder] = article.url if article.url.endswith("/") else posixpath.dirname(article.url) + "/"
    found = {}
    for source in bundles:
        parts = source.split("/")
        for depth in range(len(parts) - 1, 0, -1):  # the nearest bundle above it
            folder = "/".join(parts[:depth]) + "/"
            if folder in folders:
                found[(folders[folder] + source[len(folder):]).lstrip("/")] = source
                break
    return found
