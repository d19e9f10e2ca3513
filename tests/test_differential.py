"""Differential test: an incremental build gives exactly the bytes of a clean build, whatever is edited.

Random sequences of edits (content, config, taxonomies.yaml, static files, templates drawn from a corpus
of constructs the template analysis in cache.py must not under-approximate, hand edits in the output
folder) are applied to a small real site. After every step the site is built incrementally (cache on,
one output folder kept across steps) and clean (cache off, a fresh folder); the two must be equal file
for file, byte for byte, or fail with the same problems.

The normal suite runs a few examples from a fixed seed, and every construct of the corpus once after the
edits that change what it shows. `make fuzz` sets NEWSGEN_FUZZ_EXAMPLES for a longer run (NEWSGEN_FUZZ_SEED
explores other sequences).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings, strategies as st

from newsgen.build import BuildOptions, build
from newsgen.errors import NewsgenError

from conftest import article, build_files, write_tree

NOW = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)  # both builds see this clock, never the machine's
EXAMPLES = int(os.environ.get("NEWSGEN_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("NEWSGEN_FUZZ_SEED", "17"))
THEME = Path(__import__("newsgen").__file__).parent / "theme" / "templates"

SECTIONS = ["World", "Sports", "Science"]
TAGS = ["Rail", "Energy", "Zürich", "Courts"]
AUTHORS = ["Ana Ruiz", "Bo Chen"]
# Search is off but in one variant: Pagefind takes a second a build.
CONFIG = ("title: Differential Times\nbase_url: https://example.org/\ntimezone: UTC\npage_size: 2\nfeed_size: 3\n"
          "search: false\n")
CONFIGS = [
    CONFIG + "social_cards: false\n",
    CONFIG.replace("Differential Times", "Renamed Times") + "social_cards: false\n",
    CONFIG.replace("page_size: 2", "page_size: 3").replace("feed_size: 3", "feed_size: 1") + "social_cards: false\n",
    CONFIG.replace("timezone: UTC", "timezone: Pacific/Kiritimati") + "social_cards: false\n",  # dates move a day
    CONFIG.replace("https://example.org/", "https://example.org/news/") + "social_cards: false\n"
    "permalink: '{category}/{slug}/'\n",
    CONFIG,  # social cards on: card.png pages come and go with pictures
    CONFIG.replace("search: false\n", "search: true\n") + "social_cards: false\n",  # the search index and page
    # the site's own iframe host: story 2's chart is an embed with it, a plain link without
    CONFIG + "social_cards: false\nembed_domains: [charts.example.org]\n",
    CONFIG + "social_cards: false\nlanguage: fr\n",  # the theme's strings, dates and quotes in French
    CONFIG + "social_cards: false\nlanguage: ar\n",  # right to left
]
# translations/<language>.po: a site's own wording of theme strings, over the shipped catalog
OVERRIDES = [
    'msgid "Home"\nmsgstr "Front page"\n',
    'msgid "Home"\nmsgstr "Une"\n\nmsgid "Topics"\nmsgstr "Subjects"\n',
    'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
    'msgid "%(number)s article"\nmsgid_plural "%(number)s articles"\nmsgstr[0] "%(number)s story"\n'
    'msgstr[1] "%(number)s stories"\n',
]
# Story 2 embeds a video whose poster is the static picture (its size is read while its Markdown is
# rendered: a picture edit must reach the page) and a chart from the host one config lists.
EMBEDS = ('\n{{< youtube id="dQw4w9WgXcQ" title="The harbour" poster="pictures/p.png" date="2024-05-01" >}}\n\n'
          '<iframe src="https://charts.example.org/turnout/?v=2" title="Turnout"></iframe>\n')
TAXONOMIES = [
    None,  # no file
    "categories:\n  terms:\n    - name: World\n      formerly: [Globe]\n",  # a redirect from the old name
    "categories:\n  terms:\n    - name: Sports\n      slug: sport\n      synonyms: [Sport]\n",
    "tags:\n  terms:\n    - name: Rail\n      synonyms: [Trains]\n",
    "author_pages: false\n",
]


def story(number: int, section: int, tags: tuple[int, ...], day: int, author: int, draft: bool,
          image: bool) -> str:
    fields: dict[str, object] = {"categories": [SECTIONS[section % len(SECTIONS)]],
                                 "tags": [TAGS[t % len(TAGS)] for t in tags], "authors": [AUTHORS[author % 2]]}
    if draft:
        fields["draft"] = "true"
    if image:
        fields["image"] = "/pictures/p.png"
        fields["image_alt"] = "A red square"
    return article(f"Story {number}", f"2024-05-{1 + day % 28:02d}T{(number * 7) % 24:02d}:00:00+00:00",
                   f"Body of story {number}, *emphasis* and a [link](https://example.org/{number}/).\n", **fields)


def initial_site(root: Path) -> Path:
    files: dict[str, str | bytes] = {"newsgen.yaml": CONFIGS[0]}
    for n in range(6):
        files[f"content/story-{n}.md"] = story(n, n % 3, (n, n + 1), n * 3, n, draft=(n == 5), image=(n == 1))
    files["content/story-2.md"] += EMBEDS
    files["static/pictures/p.png"] = png(2, 1)
    files["static/extra.css"] = "a{}\n"
    return write_tree(root, files)


def png(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return buffer.getvalue()


# --- templates: a corpus of constructs, each a file the site's templates/ gets -------------------------
def theme(name: str) -> str:
    return (THEME / name).read_text(encoding="utf-8")


NAV_ITEM = "{{ term.name }}</a>"
FOOTER = "</footer>"


def in_nav(snippet: str) -> dict[str, str]:
    """base.html with something inside the section menu's loop."""
    return {"base.html": theme("base.html").replace(NAV_ITEM, NAV_ITEM + snippet)}


def in_footer(snippet: str, **more: str) -> dict[str, str]:
    """base.html with something in its footer, read by every HTML page."""
    return {"base.html": theme("base.html").replace(FOOTER, snippet + FOOTER), **more}


TEMPLATES: list[dict[str, str]] = [
    # a method call: `.get` is no key named "get"
    in_footer("{% if page.context.get('term') %}{{ page.context.get('term').articles[-1].title }}{% endif %}"),
    in_footer("{{ page.context.items() | list | length }}{% for key, value in page.context|dictsort %}"
              "{% if key == 'term' %}{{ value.articles | length }}{% endif %}{% endfor %}"),
    # loop.*: the neighbours of the current item
    in_nav("{% if not loop.last %}{{ loop.nextitem.articles|length }}{% endif %}"),
    in_nav("{% if not loop.first %}{{ loop.previtem.articles[0].title }}{% endif %}{{ loop.index }}/{{ loop.length }}"),
    in_nav("{% if loop.changed(term.articles|length) %}*{% endif %}"),
    # namespace: an item smuggled out of the loop
    in_footer("{% set ns = namespace(last=none) %}{% for t in nav %}{% set ns.last = t %}{% endfor %}"
              "{% if ns.last %}{{ ns.last.articles | length }}{% endif %}"),
    # macros with caller
    in_footer("{% macro each(items) %}{% for x in items %}{{ caller(x) }}{% endfor %}{% endmacro %}"
              "{% call(t) each(nav) %}{{ t.articles | length }},{% endcall %}"),
    in_footer("{% macro wrap() %}[{{ caller() }}]{% endmacro %}"
              "{% for term in nav %}{% call wrap() %}{{ term.articles[-1].title }}{% endcall %}{% endfor %}"),
    # include inside the loop: the included file sees the loop variable
    {**in_nav('{% include "_count.html" %}'), "_count.html": "({{ term.articles | length }})"},
    # import and from-import: the macro file reads the model and the menu
    in_footer('{% import "_m.html" as m %}{{ m.latest() }}{{ m.sizes(nav) }}', **{"_m.html": (
        "{% macro latest() %}{{ model.articles[0].title if model.articles else '' }}{% endmacro %}\n"
        "{% macro sizes(terms) %}{% for t in terms %}{{ t.articles | length }}{% endfor %}{% endmacro %}\n")}),
    in_footer('{% from "_m.html" import first_tag with context %}{{ first_tag() }}', **{"_m.html": (
        "{% macro first_tag() %}{{ model.tags[0].articles[0].title if model.tags else '' }}{% endmacro %}\n")}),
    # dynamic include and extends
    in_footer('{% include ("_dyn" ~ ".html") %}',
              **{"_dyn.html": "{{ nav | map(attribute='articles') | map('length') | join(',') }}"}),
    {"tag.html": '{% extends ("list" ~ "ing.html") %}', "listing.html": theme("listing.html").replace(
        "<h1>{{ term.name }}</h1>", "<h1>{{ term.name }}</h1>{{ model.articles | length }}")},
    # extends and super()
    {"tag.html": '{% extends "listing.html" %}{% block title %}{{ super() }} {{ (term.articles | last).title }}'
                 '{% endblock %}'},
    # self: a block rendered again
    in_footer("{{ self.title() }}"),
    {"category.html": '{% extends "listing.html" %}{% block description %}{{ term.articles[-1].title }}{% endblock %}'},
    # filters that reach into items
    in_footer("{{ nav | selectattr('name', 'equalto', 'Sports') | map(attribute='articles') | map('length') | join }}"),
    in_footer("{% for g in model.articles | groupby('draft') %}{{ g.grouper }}{{ g.list | length }}{% endfor %}"),
    in_footer("{{ (nav | first).articles | length if nav else '' }}"
              "{{ (nav | last).articles[0].title if nav else '' }}"),
    in_footer("{{ (nav | sort(attribute='name', reverse=true) | first).articles[0].title if nav else '' }}"),
    in_footer("{{ nav | map(attribute='articles') | map('length') | list }}"),
    # the listing's own term, read through another name or deeply
    {"listing.html": theme("listing.html").replace(
        "<h1>{{ term.name }}</h1>", "{% set t = term %}<h1>{{ t.name }} {{ t.articles[-1].title }}</h1>")},
    {"listing.html": theme("listing.html").replace("<h1>{{ term.name }}</h1>",
                                                   "<h1>{{ term.name }} {{ term['articles'] | length }}</h1>")},
    # globals, whole
    in_footer("{{ generator }} {{ model.tags | length }} {{ model.authors | length }} {{ model.redirects | length }}"
              " {{ model.skipped | length }} {{ site.title }}"),
    # a feed reading its page's basis (the term) beyond the feed's own articles
    {"feed-atom.xml": theme("feed-atom.xml").replace(
        "<generator>", "<!-- {{ page.basis.articles | length if page.basis else 0 }} --><generator>")},
    # a picture's size, read from static/ while rendering
    in_footer("{% for a in model.articles if a.image %}{{ a.image | image_size }}{% endfor %}"),
]


# --- edits ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    name: str
    apply: Callable[[Path, Path], None]  # (site, incremental output folder)

    def __repr__(self) -> str:  # what hypothesis prints for a failing sequence
        return self.name


def articles_of(site: Path) -> list[Path]:
    return sorted((site / "content").glob("*.md"))


def pick(site: Path, index: int) -> Path | None:
    found = articles_of(site)
    return found[index % len(found)] if found else None


def rewrite(path: Path | None, old: str, new: str) -> None:
    if path is not None:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, 1) if old in text else text, encoding="utf-8")


def front_line(path: Path | None, key: str) -> str:
    if path is None:
        return "\0"
    return next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith(f"{key}:")), "\0")


def content_edits() -> st.SearchStrategy[Edit]:
    index = st.integers(0, 40)  # of the article files there are, modulo their number

    def add(n: int, section: int, tags: tuple[int, ...], day: int, author: int, draft: bool, image: bool) -> Edit:
        return Edit(f"add story {n}", lambda site, _: (site / "content" / f"story-{n}.md").write_text(
            story(n, section, tags, day, author, draft, image), encoding="utf-8"))

    def delete(i: int) -> Edit:
        return Edit(f"delete article #{i}", lambda site, _: (p := pick(site, i)) and p.unlink())

    def rename(i: int, n: int) -> Edit:
        return Edit(f"rename article #{i} to moved-{n}.md", lambda site, _: (p := pick(site, i)) and p.rename(
            p.with_name(f"moved-{n}.md")))

    def redate(i: int, day: int) -> Edit:
        return Edit(f"re-date article #{i} to day {day}", lambda site, _: rewrite(
            p := pick(site, i), front_line(p, "date"), f"date: 2024-05-{1 + day % 28:02d}T09:30:00+00:00"))

    def future(i: int) -> Edit:  # scheduled after NOW: it leaves the site
        return Edit(f"schedule article #{i}", lambda site, _: rewrite(
            p := pick(site, i), front_line(p, "date"), "date: 2024-07-01T09:30:00+00:00"))

    def retag(i: int, tags: tuple[int, ...]) -> Edit:
        names = ", ".join(repr(TAGS[t % len(TAGS)]) for t in tags)
        return Edit(f"re-tag article #{i} [{names}]", lambda site, _: rewrite(
            p := pick(site, i), front_line(p, "tags"), f"tags: [{names}]"))

    def resection(i: int, section: int) -> Edit:
        return Edit(f"move article #{i} to {SECTIONS[section]}", lambda site, _: rewrite(
            p := pick(site, i), front_line(p, "categories"), f"categories: [{SECTIONS[section]!r}]"))

    def toggle_draft(i: int) -> Edit:
        def apply(site: Path, _: Path) -> None:
            p = pick(site, i)
            if p is not None and front_line(p, "draft") != "\0":
                rewrite(p, "draft: true\n", "")
            else:
                rewrite(p, "\n---\n", "\ndraft: true\n---\n")
        return Edit(f"draft/undraft article #{i}", apply)

    def photo_fields(i: int, n: int) -> Edit:
        """A lead photo's crop centre, credit and caption (photos.py): the crops' names, the JSON-LD, the figure."""
        def apply(site: Path, _: Path) -> None:
            p = pick(site, i)
            for key, value in (("image_focus", f"0.{n % 10},0.{n // 10 % 10}"), ("image_credit", f"Agency {n}"),
                               ("image_caption", f"Caption {n}")):
                line = front_line(p, key)
                rewrite(p, line, f"{key}: {value}") if line != "\0" else rewrite(p, "\n---\n", f"\n{key}: {value}\n---\n")
        return Edit(f"photo fields of article #{i} ({n})", apply)

    def retitle(i: int, n: int) -> Edit:
        return Edit(f"retitle article #{i}", lambda site, _: rewrite(
            p := pick(site, i), front_line(p, "title"), f"title: 'A new headline {n}'"))

    def body(i: int, n: int) -> Edit:
        return Edit(f"edit the body of article #{i}", lambda site, _: (p := pick(site, i)) and p.write_text(
            p.read_text(encoding="utf-8") + f"\nA correction, number {n}.\n", encoding="utf-8"))

    some_tags = st.tuples(st.integers(0, 4)) | st.tuples(st.integers(0, 4), st.integers(0, 4))
    return st.one_of(
        st.builds(add, st.integers(6, 30), st.integers(0, 2), some_tags, st.integers(0, 40), st.integers(0, 1),
                  st.booleans(), st.booleans()),
        st.builds(delete, index), st.builds(rename, index, st.integers(0, 9)),
        st.builds(redate, index, st.integers(0, 40)), st.builds(future, index),
        st.builds(retag, index, st.lists(st.integers(0, 4), max_size=3).map(tuple)),
        st.builds(resection, index, st.integers(0, 2)), st.builds(toggle_draft, index),
        st.builds(retitle, index, st.integers(0, 99)), st.builds(body, index, st.integers(0, 99)),
        st.builds(photo_fields, index, st.integers(0, 99)))


def config_edits() -> st.SearchStrategy[Edit]:
    def config(i: int) -> Edit:
        return Edit(f"newsgen.yaml #{i}", lambda site, _: (site / "newsgen.yaml").write_text(CONFIGS[i]))

    def taxonomy(i: int) -> Edit:
        def apply(site: Path, _: Path) -> None:
            if TAXONOMIES[i] is None:
                (site / "taxonomies.yaml").unlink(missing_ok=True)
            else:
                (site / "taxonomies.yaml").write_text(TAXONOMIES[i])  # type: ignore[arg-type]
        return Edit(f"taxonomies.yaml #{i}", apply)

    return (st.builds(config, st.integers(0, len(CONFIGS) - 1))
            | st.builds(taxonomy, st.integers(0, len(TAXONOMIES) - 1)))


def language_edits() -> st.SearchStrategy[Edit]:
    """The inputs of translated sites: the site's override file (for English and French) and an article's own
    language and version of another's story."""
    index = st.integers(0, 40)

    def override(i: int, language: str) -> Edit:
        return Edit(f"translations/{language}.po #{i}", lambda site, _: write_tree(
            site, {f"translations/{language}.po": OVERRIDES[i]}))

    def no_override() -> Edit:
        return Edit("no translations/", lambda site, _: shutil.rmtree(site / "translations", ignore_errors=True))

    def language(i: int, tag: str) -> Edit:
        def apply(site: Path, _: Path) -> None:
            p = pick(site, i)
            line = front_line(p, "language")
            if line != "\0":
                rewrite(p, line + "\n", "" if tag == "-" else f"language: {tag}\n")
            elif tag != "-":
                rewrite(p, "\n---\n", f"\nlanguage: {tag}\n---\n")
        return Edit(f"article #{i} in language {tag}", apply)

    def translation(i: int, j: int) -> Edit:
        def apply(site: Path, _: Path) -> None:
            p, original = pick(site, i), pick(site, j)
            if p is None or original is None or p == original or front_line(p, "translation_of") != "\0":
                return
            rewrite(p, "\n---\n", f"\ntranslation_of: {original.stem}\nlanguage: de\n---\n")
        return Edit(f"article #{i} a version of #{j}", apply)

    return st.one_of(st.builds(override, st.integers(0, len(OVERRIDES) - 1), st.sampled_from(["en", "fr"])),
                     st.just(no_override()), st.builds(language, index, st.sampled_from(["fr", "ja", "ar", "-"])),
                     st.builds(translation, index, index))


def static_edits() -> st.SearchStrategy[Edit]:
    def picture(width: int) -> Edit:
        return Edit(f"static picture {width}x1",
                    lambda site, _: (site / "static/pictures/p.png").write_bytes(png(width, 1)))

    def css(n: int) -> Edit:
        return Edit(f"static css #{n}", lambda site, _: (site / "static/extra.css").write_text(f"a{{z-index:{n}}}\n"))

    def added(n: int) -> Edit:
        return Edit(f"static file added #{n}", lambda site, _: write_tree(site, {f"static/more/{n}.txt": f"{n}\n"}))

    def removed() -> Edit:
        return Edit("static files removed", lambda site, _: shutil.rmtree(site / "static", ignore_errors=True))

    return st.one_of(st.builds(picture, st.integers(1, 4)), st.builds(css, st.integers(0, 9)),
                     st.builds(added, st.integers(0, 3)), st.just(removed()))


def template_edits() -> st.SearchStrategy[Edit]:
    def use(i: int) -> Edit:
        def apply(site: Path, _: Path) -> None:
            shutil.rmtree(site / "templates", ignore_errors=True)  # one construct at a time: each alone must hold
            write_tree(site, {f"templates/{name}": text for name, text in TEMPLATES[i].items()})
        return Edit(f"templates #{i}", apply)

    return st.builds(use, st.integers(0, len(TEMPLATES) - 1)) | st.just(Edit(
        "theme templates", lambda site, _: shutil.rmtree(site / "templates", ignore_errors=True)))


def hand_edits() -> st.SearchStrategy[Edit]:
    """Someone (a deploy tool, an editor) changes the served folder between builds."""
    def served(output: Path, index: int) -> Path | None:
        # not the manifest: without it the folder is no longer newsgen's, and a build refuses it (README, "Safety")
        files = sorted(p for p in output.rglob("*") if p.is_file() and p.name != ".newsgen-manifest.json"
                       ) if output.is_dir() else []
        return files[index % len(files)] if files else None

    def stray(_: Path, output: Path) -> None:
        if output.is_dir():
            (output / "stray.html").write_text("not ours")

    def delete(i: int) -> Edit:
        return Edit(f"delete served file #{i}", lambda _, output: (p := served(output, i)) and p.unlink())

    def replace(i: int) -> Edit:  # a new file in its place, as most editors save
        def apply(_: Path, output: Path) -> None:
            p = served(output, i)
            if p is not None:
                data = p.read_bytes()
                p.unlink()
                p.write_bytes(data + b"<!-- edited -->")
        return Edit(f"replace served file #{i}", apply)

    def in_place(i: int) -> Edit:  # the same inode written over (`r+b`), as a deploy tool may
        def apply(_: Path, output: Path) -> None:
            p = served(output, i)
            if p is not None:
                with open(p, "r+b") as handle:
                    handle.write(b"X")
        return Edit(f"overwrite served file #{i} in place", apply)

    choices = [st.just(Edit("stray file in the served folder", stray)), st.builds(delete, st.integers(0, 200))]
    if CHANGED_SERVED_FILES:
        choices += [st.builds(replace, st.integers(0, 200)), st.builds(in_place, st.integers(0, 200))]
    return st.one_of(choices)


# A served file changed (replaced, or written over in place with `r+b`) while the set of files stays the
# same: write.py trusts a served or spare file only while its size, mtime and inode are as it wrote them.
CHANGED_SERVED_FILES = True

# Drawn kind first, then the edit: st.one_of would flatten the kinds and draw their edits evenly, so the
# ten kinds of content edit would crowd out the rest.
KINDS = [content_edits(), content_edits(), content_edits(), config_edits(), static_edits(), template_edits(),
         template_edits(), hand_edits(), language_edits()]
edits = st.sampled_from(range(len(KINDS))).flatmap(KINDS.__getitem__)


def snapshot(folder: Path) -> dict[str, bytes]:
    return build_files(folder)


def outcome(site: Path, output: Path, cache: bool) -> dict[str, bytes] | str:
    """The build folder's files, or the problems the build reported."""
    try:
        build(site, BuildOptions(output=output, now=NOW, jobs=1, cache=cache))
    except NewsgenError as exc:
        return f"{type(exc).__name__}: {exc}"
    return snapshot(output)


def check_sequence(sequence: list[Edit], templates: int | None = None) -> None:
    """The site, with the corpus's templates number `templates` if given, built after each edit."""
    with tempfile.TemporaryDirectory(prefix="newsgen-differential-") as scratch:
        root = Path(scratch)
        site = initial_site(root / "site")
        if templates is not None:
            write_tree(site, {f"templates/{name}": text for name, text in TEMPLATES[templates].items()})
        output = root / "incremental" / "build"
        steps = [f"the initial site{'' if templates is None else f' with templates #{templates}'}", *sequence]
        for number, step in enumerate(steps):
            if isinstance(step, Edit):
                step.apply(site, output)
            incremental = outcome(site, output, cache=True)
            clean = outcome(site, root / f"clean-{number}" / "build", cache=False)
            if number == 0:
                assert isinstance(clean, dict), f"the initial site does not build: {clean}"
            if isinstance(clean, dict) and isinstance(incremental, dict):
                differing = sorted(path for path in clean.keys() | incremental.keys()
                                   if clean.get(path) != incremental.get(path))
                assert not differing, f"after {steps[:number + 1]}: the incremental build differs in {differing[:8]}"
            elif isinstance(clean, str) and isinstance(incremental, str):
                assert incremental == clean, f"after {steps[:number + 1]}: the builds fail differently"
            else:
                failed = incremental if isinstance(incremental, str) else clean
                raise AssertionError(f"after {steps[:number + 1]}: one build failed: {failed}")
            shutil.rmtree(root / f"clean-{number}")


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(edits, min_size=1, max_size=8), st.integers(0, len(TEMPLATES) - 1))
def test_incremental_builds_equal_clean_builds_after_any_edits(sequence: list[Edit], templates: int) -> None:
    check_sequence(sequence, templates)


STRESS = [  # the edits that change what the constructs of the corpus show
    Edit("add the newest story, in Sports", lambda site, _: (site / "content" / "story-40.md").write_text(
        story(40, 1, (0,), 30, 0, False, True))),
    Edit("add the oldest story, in World, tagged Rail", lambda site, _: (site / "content" / "story-41.md").write_text(
        story(41, 0, (0,), 0, 1, False, False).replace("2024-05-01", "2024-04-01"))),
    Edit("retitle the oldest story", lambda site, _: rewrite(site / "content" / "story-0.md", "Story 0", "Renamed 0")),
    Edit("static picture 3x1", lambda site, _: (site / "static/pictures/p.png").write_bytes(png(3, 1))),
    Edit("undraft story 5", lambda site, _: rewrite(site / "content" / "story-5.md", "draft: true\n", "")),
]


def test_embeds_follow_their_poster_and_the_iframe_domains() -> None:
    """An embed's inputs beyond its article's file: the poster's pixels and newsgen.yaml's embed_domains."""
    picture = [Edit(f"static picture {w}x1", lambda site, _, w=w: write_tree(site, {"static/pictures/p.png": png(w, 1)}))
               for w in (3, 4)]
    domains = [Edit(f"newsgen.yaml #{i}", lambda site, _, i=i: (site / "newsgen.yaml").write_text(CONFIGS[i]))
               for i in (len(CONFIGS) - 1, 0)]
    removed = Edit("static files removed", lambda site, _: shutil.rmtree(site / "static", ignore_errors=True))
    check_sequence([picture[0], domains[0], picture[1], domains[1], removed, picture[0]])


@pytest.mark.parametrize("number", range(len(TEMPLATES)))
def test_each_template_construct_of_the_corpus_is_never_stale(number: int) -> None:
    """Each construct of the corpus, then the edits that change what it shows: the random run above
    may miss some in its few examples."""
    check_sequence(STRESS, number)


LANGUAGE_STEPS = [  # a site translated, its wording overridden, an article in another language and a version
    Edit("newsgen.yaml in French", lambda site, _: (site / "newsgen.yaml").write_text(CONFIGS[-2])),
    Edit("translations/fr.po #0", lambda site, _: write_tree(site, {"translations/fr.po": OVERRIDES[0]})),
    Edit("translations/fr.po #1", lambda site, _: write_tree(site, {"translations/fr.po": OVERRIDES[1]})),
    Edit("story 1 in Japanese", lambda site, _: rewrite(site / "content" / "story-1.md", "\n---\n",
                                                         "\nlanguage: ja\n---\n")),
    Edit("story 2 a version of story 3", lambda site, _: rewrite(site / "content" / "story-2.md", "\n---\n",
                                                                  "\ntranslation_of: story-3\nlanguage: de\n---\n")),
    Edit("story 1 in Arabic", lambda site, _: rewrite(site / "content" / "story-1.md", "language: ja", "language: ar")),
    Edit("translations/fr.po removed", lambda site, _: shutil.rmtree(site / "translations")),
    Edit("newsgen.yaml in Arabic", lambda site, _: (site / "newsgen.yaml").write_text(CONFIGS[-1])),
]


def test_catalog_override_and_article_language_edits_are_never_stale() -> None:
    """The inputs of translated sites (i18n.py) reach the memo keys: the theme's catalog, the site's override
    file, an article's own language and the versions of a story."""
    check_sequence(LANGUAGE_STEPS)
