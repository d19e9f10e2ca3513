"""A deterministic news corpus, written in the formats of newsgen, Pelican and Hugo.

N articles of 400-900 words of varied Markdown (paragraphs, quotes, lists, links, emphasis,
sub-headings), 1-2 of twelve categories, 3-8 tags from a pool of about N/10 (some non-ASCII),
dates spread over years. The same seed gives the same bytes on every machine.

    python bench/corpus.py N FOLDER    # writes FOLDER/newsgen, FOLDER/pelican, FOLDER/hugo
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 6
CATEGORIES = ("World", "Politics", "Business", "Economy", "Science", "Technology", "Health", "Climate",
              "Culture", "Sport", "Opinion", "Europe")
# Words for text, and stems for tag names (some non-ASCII, as a newsroom's places and people are).
WORDS = """the a of and to in that for on with as was by at from his her their officials said minister
government talks summit leaders agreed week year market prices court ruling election vote parliament
council policy plan report data growth energy water city region border security trade deal workers union
strike hospital doctors patients school teachers students river storm flood heat season team coach match
final league players fans museum festival film music artist study researchers found evidence climate
emissions carbon company shares investors bank rates inflation budget tax spending reform crisis response
sources according statement spokesman announced expected early later months since despite after before
during while however because although new old local national foreign public private major small large
first last several many few most each both other such only own same""".split()
STEMS = ["Zürich", "São Paulo", "Köln", "Łódź", "Москва", "Αθήνα", "Kraków", "Málaga", "Reykjavík", "Genève",
         "Brexit", "NATO", "G7", "COVID-19", "AI", "Energy", "Elections", "Courts", "Housing", "Transport",
         "Farming", "Oil", "Gas", "Rail", "Budget", "Tariffs", "Migration", "Schools", "Football", "Tennis",
         "Cinema", "Opera", "Vaccines", "Wildfires", "Floods", "Drought", "Banking", "Startups", "Space", "Ocean"]


@dataclass(frozen=True)
class Item:
    number: int
    title: str
    slug: str
    date: datetime
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    summary: str
    body: str  # Markdown


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    return picked[0].capitalize() + " " + " ".join(picked[1:]) + "."


def _paragraph(rng: random.Random, words: int, tags: tuple[str, ...]) -> tuple[str, int]:
    sentences, count = [], 0
    while count < words:
        length = rng.randint(8, 22)
        text = _sentence(rng, length)
        roll = rng.random()
        if roll < 0.15:
            first, rest = text.split(" ", 1)
            text = f"{first} *{rest.split(' ', 1)[0]}* {rest.split(' ', 1)[1] if ' ' in rest else ''}".rstrip()
        elif roll < 0.25:
            text = text[:-1] + f", as [{rng.choice(tags)} coverage](https://example.org/{rng.randint(1, 999)}/) shows."
        elif roll < 0.32:
            text = text[:-1] + f" — \"{_sentence(rng, 6)[:-1]}\", **{rng.choice(WORDS)}** said."
        sentences.append(text)
        count += length
    return " ".join(sentences), count


def _body(rng: random.Random, tags: tuple[str, ...]) -> str:
    target = rng.randint(400, 900)
    blocks, words = [], 0
    while words < target:
        roll = rng.random()
        if roll < 0.08 and blocks:
            blocks.append("## " + _sentence(rng, rng.randint(3, 7))[:-1])
        elif roll < 0.16:
            quote, count = _paragraph(rng, rng.randint(15, 40), tags)
            blocks.append("> " + quote)
            words += count
        elif roll < 0.24:
            items = [_sentence(rng, rng.randint(4, 10)) for _ in range(rng.randint(3, 5))]
            marker = "1." if rng.random() < 0.3 else "-"
            blocks.append("\n".join(f"{marker} {item}" for item in items))
            words += sum(len(i.split()) for i in items)
        else:
            paragraph, count = _paragraph(rng, rng.randint(40, 110), tags)
            blocks.append(paragraph)
            words += count
    return "\n\n".join(blocks) + "\n"


def corpus(n: int, seed: int = SEED) -> list[Item]:
    rng = random.Random(seed)
    pool_size = max(10, n // 10)
    pool = []
    for index in range(pool_size):
        stem = STEMS[index % len(STEMS)]
        pool.append(stem if index < len(STEMS) else f"{stem} {index // len(STEMS)}")
    start = datetime(2016, 1, 1, 6, 0, tzinfo=timezone.utc)
    span = timedelta(days=365 * 8).total_seconds()
    items = []
    for number in range(n):
        tags = tuple(dict.fromkeys(rng.sample(pool, rng.randint(3, min(8, len(pool))))))
        categories = tuple(rng.sample(CATEGORIES, rng.choice((1, 1, 2))))
        date = start + timedelta(seconds=int(span * number / max(1, n)) + rng.randint(0, 3600))
        title = _sentence(rng, rng.randint(5, 10))[:-1]
        slug = f"story-{number:06d}"
        summary = _sentence(rng, rng.randint(12, 20))
        items.append(Item(number, title, slug, date, categories, tags, summary, _body(rng, tags)))
    return items


def _yaml_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _yaml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_yaml_text(v) for v in values) + "]"


NEWSGEN_CONFIG = """title: Bench Dispatch
description: A generated news corpus for benchmarks.
base_url: https://example.org/
language: en
timezone: UTC
author: Bench Desk
permalink: "{year}/{month}/{day}/{slug}/"
page_size: 10
feed_size: 20
# Pelican and Hugo draw no images: like for like, newsgen draws no social cards either (see README).
social_cards: false
# Nor do they make a search index: the site with newsgen's search on is measured apart (bench/run.py).
search: false
"""


PHOTO_SIZE = (3000, 2000)  # a camera's JPEG, as newsrooms put it on a story


def _photo_base():  # type: ignore[no-untyped-def]
    """One photo-like picture (gradients, shapes, blur, a little noise), made once: each article's differs from it
    by a patch of its own, so every file has bytes of its own at a fraction of the cost of drawing anew."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = PHOTO_SIZE
    base = Image.linear_gradient("L").resize(PHOTO_SIZE)
    image = Image.merge("RGB", (base, base.rotate(90).resize(PHOTO_SIZE), Image.new("L", PHOTO_SIZE, 140)))
    draw = ImageDraw.Draw(image)
    for i in range(24):
        x, y = (i * 397) % width, (i * 211) % height
        draw.ellipse((x, y, x + width // 7, y + height // 7), fill=((i * 40) % 255, (i * 90) % 255, (i * 20) % 255))
    image = image.filter(ImageFilter.GaussianBlur(3))
    return Image.blend(image, Image.effect_noise(PHOTO_SIZE, 12).convert("RGB"), 0.08)


def _photo(base, number: int) -> bytes:  # type: ignore[no-untyped-def]
    import io

    from PIL import ImageDraw

    image = base.copy()
    draw = ImageDraw.Draw(image)
    rng = random.Random(number)
    for _ in range(6):
        x, y = rng.randrange(PHOTO_SIZE[0] - 400), rng.randrange(PHOTO_SIZE[1] - 300)
        draw.rectangle((x, y, x + rng.randrange(100, 400), y + rng.randrange(80, 300)),
                       fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def write_newsgen(root: Path, items: list[Item], search: bool = False, photos: bool = False) -> None:
    """`photos`: each article leads with a 3000×2000 JPEG of its own (static/images/<slug>.jpg)."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    base = _photo_base() if photos else None
    if photos:
        (root / "static" / "images").mkdir(parents=True, exist_ok=True)
    config = NEWSGEN_CONFIG.replace("search: false", "search: true") if search else NEWSGEN_CONFIG
    (root / "newsgen.yaml").write_text(config, encoding="utf-8")
    for number, item in enumerate(items):
        folder = root / "content" / f"{item.date:%Y}"
        folder.mkdir(exist_ok=True)
        front = (f"---\ntitle: {_yaml_text(item.title)}\ndate: {item.date.isoformat()}\n"
                 f"categories: {_yaml_list(item.categories)}\ntags: {_yaml_list(item.tags)}\n"
                 f"slug: {item.slug}\nsummary: {_yaml_text(item.summary)}\n")
        if photos:
            front += f"image: images/{item.slug}.jpg\nimage_alt: {_yaml_text(item.title)}\nimage_credit: Bench Desk\n"
            (root / "static" / "images" / f"{item.slug}.jpg").write_bytes(_photo(base, number))
        (folder / f"{item.slug}.md").write_text(front + "---\n" + item.body, encoding="utf-8")


PELICAN_CONFIG = """AUTHOR = "Bench Desk"
SITENAME = "Bench Dispatch"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_DOMAIN = "https://example.org"
FEED_MAX_ITEMS = 20
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/{slug}.tag.atom.xml"
ARTICLE_URL = "{date:%Y}/{date:%m}/{date:%d}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{date:%d}/{slug}/index.html"
# Folders per term and per page: Pelican's default `tag/{slug}{number}.html` makes page 3 of
# "Energy 2" and page 1 of "Energy 23" the same file.
CATEGORY_URL, CATEGORY_SAVE_AS = "category/{slug}/", "category/{slug}/index.html"
TAG_URL, TAG_SAVE_AS = "tag/{slug}/", "tag/{slug}/index.html"
PAGINATION_PATTERNS = ((1, "{url}", "{save_as}"),
                       (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"))
MARKDOWN = {"extension_configs": {"markdown.extensions.smarty": {}, "markdown.extensions.extra": {}}, "output_format": "html5"}
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
"""


def write_pelican(root: Path, items: list[Item]) -> None:
    """Pelican's Markdown reader: metadata lines, one category per article (Pelican has no more)."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for item in items:
        meta = (f"Title: {item.title}\nDate: {item.date:%Y-%m-%d %H:%M}\nCategory: {item.categories[0]}\n"
                f"Tags: {', '.join(item.tags)}\nSlug: {item.slug}\nSummary: {item.summary}\n\n")
        (root / "content" / f"{item.slug}.md").write_text(meta + item.body, encoding="utf-8")


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench Dispatch"
languageCode = "en"
disableKinds = ["sitemap", "robotsTXT"]
[pagination]
  pagerSize = 10
[services.rss]
  limit = 20
[taxonomies]
  category = "categories"
  tag = "tags"
[permalinks.page]
  posts = "/:year/:month/:day/:slug/"
[markup.goldmark.extensions.typographer]
  disable = false
"""
HUGO_LAYOUTS = {
    "baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} – {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body><nav>{{ range site.Taxonomies.categories }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "2 January 2006" }}</time>
<p>{{ .Summary }}</p>{{ .Content }}
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul></article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>{{ $p := .Paginate .Pages }}
{{ range $p.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Params.summary }}</p></article>{{ end }}
{{ with $p.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }} {{ with $p.Next }}<a href="{{ .URL }}">Older</a>{{ end }}{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
""",
}


def write_hugo(root: Path, items: list[Item]) -> None:
    """Hugo: content/posts/*.md with YAML front matter; single, list, taxonomy, term pages and RSS."""
    (root / "content" / "posts").mkdir(parents=True, exist_ok=True)
    (root / "layouts").mkdir(exist_ok=True)
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (root / "layouts" / name).write_text(text, encoding="utf-8")
    for item in items:
        front = (f"---\ntitle: {_yaml_text(item.title)}\ndate: {item.date.isoformat()}\n"
                 f"categories: {_yaml_list(item.categories)}\ntags: {_yaml_list(item.tags)}\n"
                 f"slug: {item.slug}\nsummary: {_yaml_text(item.summary)}\n---\n")
        (root / "content" / "posts" / f"{item.slug}.md").write_text(front + item.body, encoding="utf-8")


def main(argv: list[str]) -> int:
    n, folder = int(argv[0]), Path(argv[1])
    items = corpus(n)
    write_newsgen(folder / "newsgen", items)
    write_pelican(folder / "pelican", items)
    write_hugo(folder / "hugo", items)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
