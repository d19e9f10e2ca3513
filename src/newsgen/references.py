"""Pictures and links in articles that point at files of this site: each must be a file the build
writes, or the build stops with the article's file and line and a hint, before a byte is written.

Every path is read from the site root, in front matter and in the body alike: `images/x.jpg` is
`static/images/x.jpg` wherever the article's page is. Pure: the planned pages and the static files
are all it looks at.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Collection, Iterable
from urllib.parse import unquote, urlsplit

from .errors import Problem
from .markup import is_page_relative
from .model import Article, Reference

PUBLISHED_AT_ROOT = "files under static/ are published at the site root"


def site_file(url: str) -> str | None:
    """The build-folder path a site URL asks for (`images/x.jpg`, `world/` -> `world/`), or None when it
    climbs out of the site with `..`."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if not path:
        return ""
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        return None
    if normal == ".":
        return ""
    return normal + "/" if path.endswith("/") else normal


def exists(path: str, files: Collection[str]) -> bool:
    """Whether a host serving the build folder answers `path`: a file, or a folder's index.html."""
    if path == "" or path.endswith("/"):
        return path + "index.html" in files
    return path in files or path + "/index.html" in files


def hint(path: str | None, written: str, files: Collection[str]) -> str:
    """What the editor most likely meant by `written`, which asks for `path` (None: above the site)."""
    if path is None:  # `../static/images/x.jpg`: the same path without the climb is the likely intent
        path = "/".join(part for part in unquote(urlsplit(written).path).split("/") if part not in ("..", "."))
        lead = "that climbs out of the site; "
    else:
        lead = ""
    # a file of static/ named as it sits in the site folder, from the root or from the page
    published = ("/" + path).rpartition("/static/")[2] if "static/" in path else path
    if published != path:
        if exists(published, files):
            return f"{lead}did you mean {published}? {PUBLISHED_AT_ROOT}"
        return f"{lead}there is no {path} in the site folder; {PUBLISHED_AT_ROOT}"
    if exists(path, files):
        return f"{lead}did you mean {path}? paths are read from the site root"
    urls = {name.removesuffix("index.html") for name in files}  # as links name pages: `world/`
    close = difflib.get_close_matches(path, sorted(urls), n=1, cutoff=0.8)
    if close:
        return f"{lead}did you mean {close[0]}?"
    if path.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
        return f"{lead}no page of this build has the URL {path}"
    return f"{lead}there is no static/{path}; {PUBLISHED_AT_ROOT}"


def _target(article: Article, reference: Reference) -> str | None:
    return target(article, reference.url, reference.field)


def target(article: Article, url: str, field: str = "image") -> str | None:
    """The build-folder path a picture or link of an article asks for. Front matter and the body read paths
    from the site root; only a body path written `./x` or `../x` is read from the article's page, as browsers
    do, and in front matter `./x` (a Hugo page bundle's `image: ./photo.jpg`, published beside the article)."""
    if is_page_relative(url) and (field == "body" or url.startswith("./")):
        page_folder = article.url if article.url.endswith("/") else posixpath.dirname(article.url) + "/"
        return site_file(posixpath.join("/" + page_folder, url))
    return site_file(url)


def check_references(articles: Iterable[Article], pages: Iterable[str], statics: Collection[str]) -> list[Problem]:
    """Every reference of `articles` that no planned page (build-folder paths) or static file answers."""
    files = {*pages, *statics}
    problems = []
    for article in articles:
        for reference in article.references:
            path = _target(article, reference)
            if path is None or not exists(path, files):
                problems.append(Problem(f"'{reference.url}' points at no file of the site", article.source,
                                        reference.line, reference.field, hint(path, reference.url, files)))
    return problems
