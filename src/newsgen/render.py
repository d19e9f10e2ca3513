"""Templates: the Jinja environment (autoescaped, strict), theme lookup, and pages -> bytes."""

from __future__ import annotations

import functools
import json
import traceback
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from .cards import Card, render_card
from .config import SiteConfig
from .content import Moment
from .errors import ContentError, Problem
from .i18n import (Catalog, LocalFormats, ThemeStrings, is_rtl, language_name, load_catalog, plural_filter,
                   plural_forms)
from .model import Article, Site
from .photos import CENTRE, CROPS, Photo, body_pictures, href, picture_markup
from .plan import Feed, Page
from .references import target
from .urls import relative_links

THEME_DIR = Path(__file__).parent / "theme"
TEMPLATES_DIR = "templates"
GENERATOR = "newsgen"

# What the theme's columns measure (style.css): the lead photo is 48rem wide from a 56rem window, else the
# 39rem column or the window less its gutters; body pictures fill the column.
LEAD_SIZES = "(min-width: 56rem) 48rem, (min-width: 41rem) 39rem, calc(100vw - 2rem)"
BODY_SIZES = "(min-width: 41rem) 39rem, calc(100vw - 2rem)"

# Characters that could end a <script> element or a JavaScript string inside JSON-LD.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def to_json(value: Any) -> str:
    """JSON that is safe inside a <script> element and an HTML attribute alike.

    On one line: json.dumps uses its C encoder only without `indent` (indenting costs every article
    page about 0.1 ms in pure Python, and the bytes)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in _JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


class Renderer:
    """Renders planned pages with the site's templates, falling back to the built-in theme."""

    def __init__(self, site_dir: Path, site: Site, bytecode: jinja2.BytecodeCache | None = None,
                 catalog: Catalog | None = None, photos: dict[str, Photo] | None = None):
        """`bytecode`: where Jinja keeps templates compiled to Python bytecode, checked against their
        source (cache.SealedBytecode): compiling the theme costs a build about 0.2 s. Its key must
        cover `catalog` (the theme's strings, load_catalog() when not given): they are compiled in."""
        self.site = site
        # the site's pictures as published (photos.py), by the path they were written as: `images/x.jpg`
        self.photos: dict[str, Photo] = photos or {}
        self.catalog = catalog if catalog is not None else load_catalog(site_dir, site.config.language)
        self._static = site_dir / "static"
        self.config: SiteConfig = site.config
        self._site_templates = site_dir / TEMPLATES_DIR
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([
                jinja2.FileSystemLoader(str(self._site_templates)),
                jinja2.FileSystemLoader(str(THEME_DIR / "templates")),
            ]),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # A Renderer lives for one build, so templates cannot change under it: skip the
            # up-to-date check (a stat per template per page) that auto_reload does on every lookup.
            auto_reload=False,
            bytecode_cache=bytecode,
            extensions=[ThemeStrings],
        )
        # before any template is compiled: ThemeStrings translates while compiling
        self.env.policies["ext.i18n.trimmed"] = True
        self.env.theme_translations = self.catalog.translations  # type: ignore[attr-defined]
        # for site templates that translate computed text: gettext(name), at render time
        self.env.install_gettext_translations(self.catalog.translations, newstyle=True)  # type: ignore[attr-defined]
        self._formats = LocalFormats(self.config.language, self.config.locale)
        self.env.filters.update(
            url=self.url, abs_url=self.abs_url, iso=self.iso, rfc822=self.rfc822,
            long_date=self.long_date, long_datetime=self.long_datetime, jsonld=self.jsonld,
            abs_image=self.abs_image, entry_id=self.entry_id, image_size=self.image_size,
            pictures=self.pictures, lead_picture=self.lead_picture, image_objects=self.image_objects,
            social_image=self.social_image,
            theme_ngettext=plural_filter(self.catalog.translations),
            number=str if self._formats.english else self._formats.number,
            rtl=is_rtl, language_name=language_name,
        )
        self.env.globals.update(site=self.config, model=site, nav=site.categories, generator=GENERATOR,
                                plural_forms=functools.partial(plural_forms, self.catalog.translations,
                                                               self.config.language),
                                # whether any article is in another language than the site's: pages of a site in
                                # one language skip every per-article language test
                                multilingual=site.multilingual)

    # --- helpers available to templates -------------------------------------------------------
    def url(self, path: str) -> str:
        """Root-relative href that works at a domain root and under a sub-path."""
        return self.config.base_path + path

    def abs_url(self, path: str) -> str:
        return self.config.base_url + path

    def _local(self, moment: Moment | datetime) -> datetime:
        at = moment.at if isinstance(moment, Moment) else moment
        return at.astimezone(self.config.zone)

    def iso(self, moment: Moment | datetime) -> str:
        return self._local(moment).isoformat(timespec="seconds")

    def rfc822(self, moment: Moment | datetime) -> str:
        return format_datetime(self._local(moment))

    def long_date(self, moment: Moment | datetime) -> str:
        return self._formats.date(self._local(moment))

    def long_datetime(self, moment: Moment) -> str:
        if moment.date_only:
            return self.long_date(moment)
        return self._formats.datetime(self._local(moment))

    @staticmethod
    def jsonld(value: Any) -> Markup:
        return Markup(to_json(value))

    # --- rendering ----------------------------------------------------------------------------
    def render(self, page: Page) -> bytes:
        try:
            if page.template == "card.png":
                article = page.context["article"]
                section = article.section.name if article.section else ""
                return render_card(Card(article.title, section, self.config.title))
            if page.template == "feed.json":
                # to_json's escapes too: a reader that shows a title or summary as HTML gets no markup
                return (to_json(self.json_feed(page.context["feed"])) + "\n").encode()
            template = self.env.get_template(page.template)
            text = template.render(page=page, **page.context)
            # The 404 page stays root-relative: a host serves it at whatever URL was not found.
            if self.config.relative_urls and page.path.endswith(".html") and page.kind != "404":
                text = relative_links(text, page.path, self.config.base_path)
            return text.encode("utf-8")
        except jinja2.TemplateSyntaxError as exc:
            raise ContentError(Problem(exc.message or "syntax error", self._template_path(exc.name), exc.lineno)) from None
        except jinja2.TemplateNotFound as exc:
            raise ContentError(Problem(f"template not found: {exc.name}", self._template_path(page.template))) from None
        except ContentError:
            raise
        except Exception as exc:  # a template bug: name the template and line, not our stack
            name, line = self._template_frame(exc)
            raise ContentError(Problem(f"{type(exc).__name__}: {exc} (rendering {page.path})",
                                       self._template_path(name or page.template), line)) from None

    def _template_path(self, name: str | None) -> str:
        if name and (self._site_templates / name).is_file():
            return f"{TEMPLATES_DIR}/{name}"
        return f"(built-in theme) {name}"

    def _template_frame(self, exc: BaseException) -> tuple[str | None, int | None]:
        """The innermost template frame of a rendering error, as Jinja rewrites tracebacks."""
        found: tuple[str | None, int | None] = (None, None)
        for frame in traceback.extract_tb(exc.__traceback__):
            path = Path(frame.filename)
            for root in (self._site_templates, THEME_DIR / "templates"):
                if path.is_relative_to(root):
                    found = (path.relative_to(root).as_posix(), frame.lineno)
        return found

    def json_feed(self, feed: Feed) -> dict[str, Any]:
        """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
        items = []
        for article in feed.articles:
            item: dict[str, Any] = {
                "id": self.entry_id(article),
                "url": self.abs_url(article.url),
                "title": article.title,
                # JSON Feed requires content_html or content_text: a summary feed's content is the summary
                **({"content_html": article.body_html} if feed.full else {"content_text": article.description}),
                "summary": article.description,
                "date_published": self.iso(article.published),
                "date_modified": self.iso(article.modified),
                "authors": [{"name": name} for name in article.authors],
                "tags": [t.name for t in (*article.categories, *article.tags)],
                "language": article.language,
            }
            if article.image:
                item["image"] = self.abs_image(target(article, article.image) or "" if "://" not in article.image
                                               else article.image)
            items.append(item)
        return {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed.title,
            "home_page_url": self.abs_url(feed.url),
            "feed_url": self.abs_url(feed.paths["json"]),
            "description": self.config.description or self.config.title,
            "language": self.config.language,
            "authors": [{"name": self.config.title, "url": self.config.base_url}],
            "items": items,
        }

    def abs_image(self, image: str) -> str:
        if image.startswith(("http://", "https://")):
            return image
        return self.abs_url(image.lstrip("/"))

    # --- photos -----------------------------------------------------------------------------------
    def photo(self, article: Article) -> Photo | None:
        """The article's own picture, when it is a photo of the site (`./x.jpg`: of its page bundle)."""
        image = article.image
        if not image or "://" in image or not self.photos:
            return None
        path = target(article, image)
        return self.photos.get(path) if path is not None else None

    def pictures(self, body: str, article: Article | None = None) -> Markup:
        """A body's pictures of the site as <picture>s sized for the column."""
        return Markup(body_pictures(body, self.photos, self.config.base_path, self.url, BODY_SIZES,
                                    article.url if article is not None else ""))

    def lead_picture(self, article: Article, lead: bool = True) -> Markup | None:
        """The article's own picture as a <picture>; None when it is remote (or not a photo)."""
        photo = self.photo(article)
        if photo is None:
            return None
        return Markup(picture_markup(photo, self.url, {"alt": article.image_alt}, LEAD_SIZES, lead=lead))

    def social_image(self, article: Article) -> tuple[str, tuple[int, int]] | None:
        """og:image: the 1200×630 crop of the article's photo, with its size."""
        photo = self.photo(article)
        if photo is None:
            return None
        return href(self.abs_url, photo.crop_file("og", article.image_focus or CENTRE)), photo.crop_size("og")

    def image_objects(self, article: Article) -> list[Any]:
        """JSON-LD `image`: the 16:9, 4:3 and 1:1 crops Google asks of articles, credited when a credit is given."""
        photo = self.photo(article)
        if photo is None:
            return [self.abs_image(article.image)]
        found = []
        for name in CROPS:
            width, height = photo.crop_size(name)
            item: dict[str, Any] = {"@type": "ImageObject",
                                    "url": href(self.abs_url, photo.crop_file(name, article.image_focus or CENTRE)),
                                    "width": width, "height": height}
            if article.image_credit:
                item["creditText"] = article.image_credit
                item["copyrightNotice"] = article.image_credit
            found.append(item)
        return found

    def entry_id(self, article: Article) -> str:
        """A feed entry id that survives edits: a tag URI (RFC 4151) from the site's host, the day of
        publication and the source file, so a new title, slug or body never makes an entry look new."""
        host = urlsplit(self.config.base_url).hostname or "localhost"
        day = article.published.at.astimezone(self.config.zone).date().isoformat()
        return f"tag:{host},{day}:{quote(article.source, safe='/')}"

    def image_size(self, image: str) -> tuple[int, int] | None:
        """Pixel size of a picture in the site's static/ folder; None for remote or unreadable ones."""
        if "://" in image:
            return None
        path = self._static / image.lstrip("/")
        from PIL import Image  # imported when a page has a picture: most rebuilds render none

        try:
            if not path.resolve().is_relative_to(self._static.resolve()):
                return None
            with Image.open(path) as picture:
                return picture.size
        except (OSError, ValueError):
            return None
