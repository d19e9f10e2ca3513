"""Site -> the list of every file to produce, each with its template and data.

Every output path is decided here, before anything is rendered, and two sources that would write
one path are refused with both named.
"""

from __future__ import annotations

import itertools
import operator
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .errors import ContentError, Problem
from .model import Article, Site
from .search import SEARCH_DIR, SEARCH_PAGE
from .urls import output_path, paginated

FEED_FORMATS = (("atom", "feed.xml"), ("rss", "rss.xml"), ("json", "feed.json"))
NEWS_SITEMAP_WINDOW = timedelta(days=2)
NEWS_SITEMAP_LIMIT = 1000
SITEMAP_LIMIT = 50_000
RELATED_COUNT = 4


@dataclass(frozen=True)
class Page:
    path: str  # output file, relative to the build folder
    url: str  # site-relative URL path
    kind: str  # article, home, category, tag, author, categories, tags, 404, redirect, feed, sitemap, robots, card, search
    template: str
    source: str  # what asked for this file, for collision messages
    context: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The one model object the context is made from, with the config, when there is one: a term, for
    # its listing pages and feeds. The cache takes the digests of all of a term's pages as unchanged when
    # the term, its articles and the pages' fields are (cache.PageDigests.group).
    basis: Any = field(default=None, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Feed:
    title: str
    url: str  # site-relative URL of the page the feed belongs to
    paths: dict[str, str]  # format -> site-relative URL of the feed file
    articles: tuple[Article, ...]
    full: bool  # entries carry the article's full text; else its description and link only


def _feed(title: str, base: str, articles: tuple[Article, ...], size: int, full: bool) -> Feed:
    return Feed(title, base, {fmt: base + name for fmt, name in FEED_FORMATS}, articles[:size], full)


def _feed_pages(feed: Feed, source: str, basis: Any = None) -> list[Page]:
    return [
        Page(url, url, "feed", f"feed-{fmt}.xml" if fmt != "json" else "feed.json", source, {"feed": feed, "format": fmt},
             basis)
        for fmt, url in feed.paths.items()
    ]


def _listing(kind: str, base: str, articles: tuple[Article, ...], size: int, source: str, basis: Any = None,
             **context: Any) -> list[Page]:
    """A listing split into pages of `size`: base/, base/page/2/, …"""
    count = max(1, math.ceil(len(articles) / size))
    pages = []
    for number in range(1, count + 1):
        url = paginated(base, number)
        pagination = {
            "number": number,
            "count": count,
            "previous": paginated(base, number - 1) if number > 1 else None,
            "next": paginated(base, number + 1) if number < count else None,
        }
        items = articles[(number - 1) * size : number * size]
        pages.append(Page(output_path(url), url, kind, f"{kind}.html", source,
                          {"articles": items, "pagination": pagination, "total": len(articles), **context}, basis))
    return pages


RelatedIndex = tuple[dict[str, int], dict[str, tuple[int, ...]]]


def related_index(site: Site) -> RelatedIndex:
    """Each article's position in site.articles (newest first) and each tag's member positions,
    so ranking related articles for every article is counting integers, not comparing dates."""
    position = {a.source: i for i, a in enumerate(site.articles)}
    return position, {t.slug: tuple(position[a.source] for a in t.articles) for t in site.tags}


def related_positions(article: Article, index: RelatedIndex) -> tuple[int, ...]:
    """Positions of the articles sharing the most tags with this one, newest first among equals."""
    position, tag_positions = index
    # Counting positions in ascending order makes the counter's order newest first; a stable sort by
    # count (in C, with itemgetter) then keeps the newest first among equals.
    shared = Counter(sorted(itertools.chain.from_iterable(tag_positions[tag.slug] for tag in article.tags)))
    del shared[position[article.source]]
    best = sorted(shared.items(), key=operator.itemgetter(1), reverse=True)[:RELATED_COUNT]
    return tuple(i for i, _ in best)


RelatedTable = dict[str, tuple[int, ...]]  # article source -> its related articles' positions in site.articles


def related_table(site: Site, kept: RelatedTable | None = None, stale: Collection[str] = ()) -> RelatedTable:
    """Every article's related articles. `kept` is a table ranked from the same articles in the same
    order: then only the `stale` ones are ranked again (see stale_related)."""
    index = related_index(site)
    if kept is None:
        return {a.source: related_positions(a, index) for a in site.articles}
    return {a.source: related_positions(a, index) if a.source in stale else kept[a.source] for a in site.articles}


def article_tags(site: Site) -> dict[str, str]:
    """Each article's tags, as related_table reads them."""
    return {a.source: "|".join(t.slug for t in a.tags) for a in site.articles}


def stale_related(site: Site, tags: dict[str, str], kept_tags: dict[str, str]) -> set[str]:
    """The articles whose related articles may differ from those ranked when the same articles, in the
    same order, had kept_tags in place of tags (article_tags(site)): the ones whose tags changed, and
    every member of a tag they left or joined."""
    changed = {source for source, slugs in tags.items() if kept_tags.get(source) != slugs}
    touched = {slug for source in changed
               for slug in (*kept_tags.get(source, "").split("|"), *tags[source].split("|"))}
    return changed | {a.source for tag in site.tags if tag.slug in touched for a in tag.articles}


def news_sitemap_articles(site: Site, reference: datetime | None) -> tuple[Article, ...]:
    """Articles of the two days before the newest article (or SOURCE_DATE_EPOCH), at most 1,000."""
    if not site.articles:
        return ()
    end = reference or site.articles[0].published.at
    start = end - NEWS_SITEMAP_WINDOW
    recent = [a for a in site.articles if start <= a.published.at <= end]
    return tuple(recent[:NEWS_SITEMAP_LIMIT])


def card_url(article: Article) -> str:
    """Where an article's social card goes: beside its page (…/slug/card.png or …/slug.card.png)."""
    if article.url.endswith("/"):
        return article.url + "card.png"
    return article.url.rsplit(".", 1)[0] + ".card.png"


def plan_site(site: Site, reference: datetime | None = None, related: RelatedTable | None = None,
              others: dict[str, str] | None = None) -> list[Page]:
    """Every file of the site, in a stable order. Raises ContentError on two writers of one path,
    counting `others` (path -> who writes it: static files) too. `related` is related_table(site),
    when the caller has it."""
    config = site.config
    pages: list[Page] = []
    home_feed = _feed(config.title, "", site.articles, config.feed_size, config.feed_content.full("site"))
    term_feeds = {
        term.url: _feed(f"{term.name} – {config.title}", term.url, term.articles, config.feed_size,
                        config.feed_content.full(term.kind))
        for term in (*site.categories, *site.tags, *site.authors)
    }
    category_members = {term.slug: term.articles for term in site.categories}
    related = related if related is not None else related_table(site)

    for article in site.articles:
        section = article.section
        more_in_section = ()
        if section:
            neighbours = (a for a in category_members[section.slug] if a.source != article.source)
            more_in_section = tuple(itertools.islice(neighbours, RELATED_COUNT))  # not the whole section each time
        # an article without a picture of its own gets a drawn social card for og:image
        card = None if article.image or not config.social_cards else card_url(article)
        pages.append(Page(output_path(article.url), article.url, "article", "article.html", article.source, {
            "article": article,
            "more_in_section": more_in_section,
            "related": tuple(site.articles[i] for i in related[article.source]),
            "social_card": card,
        }))
        if card:
            pages.append(Page(card, card, "card", "card.png", article.source, {"article": article}))

    pages += _listing("home", "", site.articles, config.page_size, "the home page", feed=home_feed)
    for term in (*site.categories, *site.tags, *site.authors):
        source = f"{term.kind} '{term.name}'"
        # Made from the term and the config alone: keep it so (see Page.basis).
        pages += _listing(term.kind, term.url, term.articles, config.page_size, source, term,
                          term=term, feed=term_feeds[term.url])
        pages += _feed_pages(term_feeds[term.url], source, term)
    pages.append(Page("categories/index.html", "categories/", "categories", "terms.html", "the category list",
                      {"kind": "category", "terms": site.categories}))
    pages.append(Page("tags/index.html", "tags/", "tags", "terms.html", "the tag list",
                      {"kind": "tag", "terms": site.tags}))
    pages += _feed_pages(home_feed, "the site feed")
    pages.append(Page("404.html", "404.html", "404", "404.html", "the 404 page"))
    if config.search:
        pages.append(Page(SEARCH_PAGE, "search/", "search", "search.html", "the search page"))
    for redirect in site.redirects:
        pages.append(Page(output_path(redirect.url), redirect.url, "redirect", "redirect.html", redirect.source,
                          {"redirect": redirect}))

    listed = [p for p in pages if p.path.endswith(".html") and p.kind not in ("404", "redirect")]
    chunks = [listed[i : i + SITEMAP_LIMIT] for i in range(0, len(listed), SITEMAP_LIMIT)] or [[]]
    lastmod = _lastmods(site, pages)
    alternates = _alternates(site)
    if len(chunks) == 1:
        pages.append(Page("sitemap.xml", "sitemap.xml", "sitemap", "sitemap.xml", "the sitemap",
                          {"entries": [(p.url, lastmod.get(p.url)) for p in chunks[0]],
                           "alternates": _alternates_of(alternates, chunks[0])}))
    else:
        parts = []
        for number, chunk in enumerate(chunks, start=1):
            url = f"sitemap-{number}.xml"
            entries = [(p.url, lastmod.get(p.url)) for p in chunk]
            parts.append((url, max((m for _, m in entries if m), key=lambda m: m.at, default=None)))
            pages.append(Page(url, url, "sitemap", "sitemap.xml", "the sitemap",
                              {"entries": entries, "alternates": _alternates_of(alternates, chunk)}))
        pages.append(Page("sitemap.xml", "sitemap.xml", "sitemap", "sitemap-index.xml", "the sitemap index",
                          {"parts": parts}))
    news = news_sitemap_articles(site, reference)
    if news:  # the schema requires at least one <url>: no recent news, no news sitemap
        pages.append(Page("news-sitemap.xml", "news-sitemap.xml", "sitemap", "news-sitemap.xml", "the news sitemap",
                          {"articles": news}))
    pages.append(Page("robots.txt", "robots.txt", "robots", "robots.txt", "robots.txt",
                      {"news_sitemap": bool(news)}))
    check_collisions(pages, others)
    if config.search:  # the index's files are known only once Pagefind wrote them: keep their folder free
        taken = [p.source for p in pages if p.path.startswith(f"{SEARCH_DIR}/")]
        taken += [source for path, source in (others or {}).items() if path.startswith(f"{SEARCH_DIR}/")]
        if taken:
            raise ContentError([Problem(f"writes into {SEARCH_DIR}/, the folder of the search index",
                                        path=source if source.endswith(".md") or "/" in source else None,
                                        hint="give it another slug, or set `search: false`") for source in taken])
    return pages


def _alternates(site: Site) -> dict[str, tuple[tuple[str, str], ...]]:
    """For each article with versions in other languages: (hreflang, URL) of each version, this one
    too, and x-default for the version in the site's language, as its page's <link>s say."""
    found = {}
    for article in site.articles:
        if article.translations:
            links = tuple((t.language, t.url) for t in article.translations)
            if article.translations[0].language == site.config.language:
                links += (("x-default", article.translations[0].url),)
            found[article.url] = links
    return found


def _alternates_of(alternates: dict[str, tuple[tuple[str, str], ...]], pages: list[Page]) -> dict[str, Any]:
    return {p.url: alternates[p.url] for p in pages if p.url in alternates} if alternates else {}


def _lastmods(site: Site, pages: list[Page]) -> dict[str, Any]:
    """lastmod of each listed page: its article's, or the newest of the articles it lists."""
    result: dict[str, Any] = {}
    for page in pages:
        if page.kind == "article":
            result[page.url] = page.context["article"].modified
        elif "articles" in page.context and page.context["articles"]:
            result[page.url] = max((a.modified for a in page.context["articles"]), key=lambda m: m.at)
        elif page.kind in ("categories", "tags"):
            result[page.url] = site.newest_moment
    return result


def check_collisions(pages: list[Page], extra: dict[str, str] | None = None) -> None:
    """Refuse two writers of one output path (compared without case, as some file systems do).

    Each pair of writers is named once, at the first path they share: two articles with one slug
    share their page, their card and more, and one fix (a slug) mends them all."""
    owners: dict[str, tuple[str, str]] = {}
    problems = []
    named: set[tuple[str, str]] = set()
    writers = [(p.path, p.source) for p in pages] + list((extra or {}).items())
    for path, source in writers:
        key = path.casefold()
        if key in owners and owners[key][1] != source and (source, owners[key][1]) not in named:
            named.add((source, owners[key][1]))
            problems.append(Problem(f"writes {path}, which {owners[key][1]} writes too; give one of them another slug",
                                    path=source if "/" in source or source.endswith(".md") else None))
        owners.setdefault(key, (path, source))
    if problems:
        raise ContentError(problems)
