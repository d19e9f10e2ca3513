"""`newsgen check BUILD_DIR`: validate a built site offline, the way crawlers and readers will meet it.

Finds broken internal links and #anchors, missing assets, feeds that do not parse, pages without a
title, description or canonical link, JSON-LD that does not parse or lacks the NewsArticle fields,
and sitemap entries or feed links that point at no file. Only the standard library: it runs wherever newsgen runs.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .errors import Problem

FEED_FILES = ("feed.xml", "rss.xml")
JSON_FEEDS = ("feed.json",)
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM_NS = "{http://www.w3.org/2005/Atom}"
# The NewsArticle fields the README promises on every article page.
NEWS_ARTICLE_FIELDS = ("headline", "description", "datePublished", "dateModified", "author", "publisher",
                       "mainEntityOfPage", "url", "inLanguage")
# Attributes whose value is a URL the browser loads or follows.
LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src"),
                   ("video", "src"), ("audio", "src"), ("video", "poster"), ("iframe", "src"), ("form", "action")}


@dataclass
class ParsedPage:
    """What the checks need from one HTML page."""

    title: str = ""
    description: str | None = None
    canonical: str | None = None
    og_type: str | None = None
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, int]] = field(default_factory=list)  # (url, line)
    scripts: list[tuple[str, int]] = field(default_factory=list)  # JSON-LD texts
    meta_images: list[tuple[str, int]] = field(default_factory=list)  # og:image, twitter:image


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()
        self._in_title = False
        self._jsonld: tuple[list[str], int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        for name in ("id", "name") if tag == "a" else ("id",):
            if values.get(name):
                self.page.ids.add(values[name])
        for name, value in values.items():
            if (tag, name) in LINK_ATTRIBUTES and value:
                rels = values.get("rel", "").split()
                if tag == "link" and ("canonical" in rels or "alternate" in rels and "://" in value):
                    continue  # absolute by design; compared with the site below
                self.page.links.append((value, line))
        if tag in ("img", "source") and values.get("srcset"):  # a <picture>'s AVIF and WebP files too
            for candidate in values["srcset"].split(","):
                if candidate.strip():
                    self.page.links.append((candidate.split()[0], line))
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = values.get("name") or values.get("property")
            if key == "description":
                self.page.description = values.get("content", "")
            elif key == "og:type":
                self.page.og_type = values.get("content")
            elif key in ("og:image", "twitter:image") and values.get("content"):
                self.page.meta_images.append((values["content"], line))
        elif tag == "link" and "canonical" in values.get("rel", "").split():
            self.page.canonical = values.get("href", "")
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._jsonld = ([], line)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "script" and self._jsonld is not None:
            parts, line = self._jsonld
            self.page.scripts.append(("".join(parts), line))
            self._jsonld = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page.title += data
        if self._jsonld is not None:
            self._jsonld[0].append(data)


def parse_page(text: str) -> ParsedPage:
    parser = _PageParser()
    parser.feed(text)
    parser.close()
    return parser.page


class SiteChecker:
    """Checks one build folder; `run()` returns every problem, each naming its file."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.pages: dict[str, ParsedPage] = {}
        self.base_url = ""

    # --- helpers ------------------------------------------------------------------------------
    def _problem(self, path: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(message, path, line))

    def _files(self, suffix: str) -> list[Path]:
        return sorted(p for p in self.root.rglob(f"*{suffix}")
                      if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.root).parts))

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def target(self, url_path: str) -> str | None:
        """The file a site-relative URL path is served from, or None when there is none."""
        relative = unquote(url_path).lstrip("/")
        if ".." in relative.split("/"):
            return None
        candidates = [relative + "index.html"] if relative == "" or relative.endswith("/") else [relative]
        candidates.append(relative.rstrip("/") + "/index.html")
        for candidate in candidates:
            if (self.root / candidate).is_file():
                return candidate
        return None

    def _site_path(self, url: str, page_url: str) -> str | None:
        """The site-relative path of a URL on this site, or None for another site or scheme."""
        base = urlsplit(self.base_url)
        absolute = urlsplit(urljoin(page_url, url))
        if absolute.scheme not in ("http", "https") or absolute.netloc != base.netloc:
            return None
        if not absolute.path.startswith(base.path):
            return "\0outside"  # on our host but outside the site's folder
        return absolute.path[len(base.path):]

    # --- the checks ---------------------------------------------------------------------------
    def run(self) -> list[Problem]:
        if not (self.root / "index.html").is_file():
            self._problem(".", "no index.html: is this a built site?")
            return self.problems
        home = parse_page((self.root / "index.html").read_text("utf-8", errors="replace"))
        self.base_url = home.canonical or ""
        if not self.base_url.startswith(("http://", "https://")):
            self._problem("index.html", "no absolute <link rel=canonical>; cannot tell the site's base URL")
            return self.problems
        for path in self._files(".html"):
            self.pages[self._rel(path)] = parse_page(path.read_text("utf-8", errors="replace"))
        for rel, page in self.pages.items():
            self.check_head(rel, page)
            self.check_links(rel, page)
            self.check_jsonld(rel, page)
        for path in self._files(".xml"):
            self.check_xml(path)
        for path in self._files(".json"):
            if path.name in JSON_FEEDS:
                self.check_json_feed(path)
        return self.problems

    def page_url(self, rel: str) -> str:
        url = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        return self.base_url + url

    def check_head(self, rel: str, page: ParsedPage) -> None:
        if not page.title.strip():
            self._problem(rel, "no <title>")
        if not (page.description or "").strip():
            self._problem(rel, 'no <meta name="description">')
        if not page.canonical:
            self._problem(rel, 'no <link rel="canonical">')
        elif rel != "404.html" and page.canonical != self.page_url(rel):
            self._problem(rel, f"canonical link {page.canonical} is not this page's URL {self.page_url(rel)}")

    def check_links(self, rel: str, page: ParsedPage) -> None:
        here = self.page_url(rel)
        for url, line in [*page.links, *page.meta_images]:
            if url.startswith(("mailto:", "tel:", "javascript:", "data:")):
                continue
            path = self._site_path(url, here)
            if path is None:
                continue
            if path == "\0outside":
                self._problem(rel, f"link {url} leaves the site's folder {urlsplit(self.base_url).path}", line)
                continue
            fragment = urlsplit(urljoin(here, url)).fragment
            target = self.target(path)
            if target is None:
                self._problem(rel, f"broken link {url}: no such file in the build", line)
            elif fragment and target.endswith(".html"):
                ids = self.pages[target].ids if target in self.pages else set()
                if unquote(fragment) not in ids:
                    self._problem(rel, f"broken anchor {url}: {target} has no id '{unquote(fragment)}'", line)

    def check_jsonld(self, rel: str, page: ParsedPage) -> None:
        types: list[str] = []
        for text, line in page.scripts:
            try:
                data = json.loads(text)
            except ValueError as exc:
                self._problem(rel, f"JSON-LD does not parse: {exc}", line)
                continue
            for item in data if isinstance(data, list) else [data]:
                if not isinstance(item, dict):
                    self._problem(rel, "JSON-LD is not an object", line)
                    continue
                kind = item.get("@type")
                types.append(kind if isinstance(kind, str) else "")
                if kind == "NewsArticle":
                    self.check_news_article(rel, item, line)
        if page.og_type == "article" and "NewsArticle" not in types:
            self._problem(rel, "article page without NewsArticle JSON-LD")

    def check_news_article(self, rel: str, item: dict, line: int) -> None:
        missing = [name for name in NEWS_ARTICLE_FIELDS if not item.get(name)]
        if missing:
            self._problem(rel, f"NewsArticle JSON-LD lacks {', '.join(missing)}", line)
        authors = item.get("author")
        for author in authors if isinstance(authors, list) else [authors] if authors else []:
            if not isinstance(author, dict) or author.get("@type") not in ("Person", "Organization") \
                    or not author.get("name"):
                self._problem(rel, "NewsArticle author must be a Person or Organization with a name", line)
        publisher = item.get("publisher")
        if publisher and (not isinstance(publisher, dict) or publisher.get("@type") != "Organization"
                          or not publisher.get("name")):
            self._problem(rel, "NewsArticle publisher must be an Organization with a name", line)
        if item.get("url") and item["url"] != self.page_url(rel):
            self._problem(rel, f"NewsArticle url {item['url']} is not this page's URL", line)

    def check_xml(self, path: Path) -> None:
        rel = self._rel(path)
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            self._problem(rel, f"XML does not parse: {exc}")
            return
        if root.tag in (f"{SITEMAP_NS}urlset", f"{SITEMAP_NS}sitemapindex"):
            for loc in root.iter(f"{SITEMAP_NS}loc"):
                self._check_site_url(rel, (loc.text or "").strip(), "sitemap entry")
        elif path.name in FEED_FILES:
            if root.tag not in (f"{ATOM_NS}feed", "rss"):
                self._problem(rel, f"not an Atom or RSS feed (root element {root.tag})")
                return
            links = [link.get("href", "") for link in root.iter(f"{ATOM_NS}link") if link.get("rel") == "alternate"]
            links += [(link.text or "").strip() for link in root.iter("link")]
            for url in links:
                self._check_site_url(rel, url, "feed link")

    def _check_site_url(self, rel: str, url: str, what: str) -> None:
        site_path = self._site_path(url, self.base_url)
        if site_path is None or site_path == "\0outside":
            self._problem(rel, f"{what} {url} is not on this site ({self.base_url})")
        elif self.target(site_path) is None:
            self._problem(rel, f"{what} {url} points at no file in the build")

    def check_json_feed(self, path: Path) -> None:
        rel = self._rel(path)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            self._problem(rel, f"JSON Feed does not parse: {exc}")
            return
        if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
            self._problem(rel, "not a JSON Feed (no version https://jsonfeed.org/version/…)")
            return
        for number, item in enumerate(data.get("items") or [], start=1):
            if not isinstance(item, dict) or not item.get("id") or not (item.get("content_html") or item.get("content_text")):
                self._problem(rel, f"JSON Feed item {number} lacks id or content")


def check_site(root: Path) -> list[Problem]:
    """Every problem of the build folder `root`, in a stable order."""
    return SiteChecker(root).run()
