"""Embeds (issue 20): provider URLs, shortcodes and pasted embed code become click-to-load placeholders.

What a reader, a feed reader and a crawler get from a real site built from real Markdown; hostile embeds;
a build that never goes online; and, in headless Chromium, a page that asks nothing of any provider until
a placeholder is pressed.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from conftest import REPO, SITES, article, run_newsgen
from hypothesis import example, given, settings, strategies as st
from playwright.sync_api import Browser, Route
from test_browser import AXE, AXE_TAGS, browser  # noqa: F401  # browser: the module's Chromium, a fixture
from test_hostile import executable_markup

from newsgen.build import BuildOptions, build
from newsgen.embeds import MASTODON_HOSTS, EmbedError, prepare

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGE = "2024/03/01/every-kind-of-embed/index.html"
CONFIG = "title: Embeds\nbase_url: https://news.example.org/\nembed_domains: [charts.example.org]\nsearch: false\n"
# One embed of each provider, in each way an editor writes one: (provider's host for the link, what is written)
EACH = [
    ("www.youtube.com", '{{< youtube id="dQw4w9WgXcQ" start="1:30" title="The harbour at dawn" '
                        'poster="images/still.jpg" date="2024-02-28" caption="Filmed from the ferry." >}}'),
    ("vimeo.com", "https://vimeo.com/146022717"),
    ("www.dailymotion.com", "https://www.dailymotion.com/video/x8abcd1"),
    ("x.com", '{{< tweet user="jack" id="20" >}}'),
    ("www.instagram.com", "https://www.instagram.com/p/BWNjjyYFxVx/"),
    ("www.tiktok.com", "https://www.tiktok.com/@scout2015/video/6718335390845095173"),
    ("bsky.app", "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3l6oveex3ii2l"),
    ("mastodon.social", "https://mastodon.social/@Gargron/109299196127468962"),
    ("soundcloud.com", "https://soundcloud.com/forss/flickermood"),
    ("open.spotify.com", "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"),
    ("www.openstreetmap.org", "https://www.openstreetmap.org/?mlat=46.2&mlon=6.15#map=13/46.2044/6.1432"),
    ("datawrapper.dwcdn.net", "https://datawrapper.dwcdn.net/AbC12/3/"),
    ("public.flourish.studio", "https://public.flourish.studio/visualisation/123456/"),
    ("www.documentcloud.org", "https://www.documentcloud.org/documents/20059068-the-mueller-report"),
    ("charts.example.org", '<iframe src="https://charts.example.org/live/turnout?state=ny" title="Turnout by county" '
                           'width="600" height="400" frameborder="0"></iframe>'),
]


EVERY = "The story begins here.\n\n" + "\n\n".join(written for _, written in EACH) + "\n\nThe story ends.\n"


def png(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), (40, 90, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def embeds_site(make_site: Callable[..., Path], body: str | None = None, config: str = CONFIG, **files: str | bytes) -> Path:
    """The site of tests/sites/embeds (one embed of each provider), or that site with another body."""
    if body is None:
        body = EVERY
    return make_site({"newsgen.yaml": config, "static/images/still.jpg": png(640, 360),
                      "content/embeds.md": article("Every kind of embed", "2024-03-01T10:00:00+00:00", body,
                                                   summary="One of each."), **files})


def page(out: Path, path: str = PAGE) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((out / path).read_bytes())


def built(site: Path, *args: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    result = run_newsgen("build", site, *args)
    assert result.returncode == 0, result.stderr
    return site / "build", result


def test_the_sample_site_is_the_one_tested_here() -> None:
    """tests/sites/embeds is the site to audit by hand: python tools/audit.py tests/sites/embeds"""
    sample = SITES / "embeds"
    assert (sample / "newsgen.yaml").read_text() == CONFIG
    assert (sample / "content/embeds.md").read_text() == article(
        "Every kind of embed", "2024-03-01T10:00:00+00:00", EVERY, summary="One of each.")


# --- what a reader gets ------------------------------------------------------------------------------
def test_each_provider_becomes_a_placeholder_linking_to_the_original(make_site) -> None:
    out, result = built(embeds_site(make_site))
    doc = page(out)
    figures = doc.findall(".//figure[@class]")
    placeholders = [f.find("a[@data-embed]") for f in figures if "embed" in f.get("class").split()]
    assert [urlsplit(a.get("href")).hostname for a in placeholders] == [host for host, _ in EACH]
    assert doc.findall(".//iframe") == []  # nothing is loaded from elsewhere before a press
    youtube = placeholders[0]
    assert youtube.get("href") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s"
    assert youtube.get("data-embed") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=90"
    assert "allow-scripts" in youtube.get("data-sandbox") and "allow-top-navigation" not in youtube.get("data-sandbox")
    assert youtube.text_content().startswith("Video · YouTube The harbour at dawn")
    # the poster is a photo of the site: resized in a <picture> (photos.py), its class and size kept
    poster = youtube.find(".//picture//img")
    assert (poster.get("width"), poster.get("height"), poster.get("alt"), poster.get("class")) == (
        "640", "360", "", "embed-poster")
    assert poster.get("src").startswith("/images/still-") and poster.get("src").endswith("-640.jpg")
    # a visible link to the source under each, with the caption
    caption = figures[0].find("figcaption")
    assert caption.text_content() == "Filmed from the ferry. Watch on YouTube"
    assert caption.find("a").get("href") == youtube.get("href")
    assert all(f.find("figcaption/a") is not None for f in figures)
    # the pasted iframe: its src rebuilt, its other attributes gone
    chart = placeholders[-1]
    assert chart.get("data-embed") == "https://charts.example.org/live/turnout?state=ny"
    assert "Turnout by county" in chart.text_content() and "frameborder" not in lxml.html.tostring(chart).decode()
    # the click-to-load script, on this page only; excerpts and word counts leave the placeholders out
    assert [s.get("src") for s in doc.iter("script") if s.get("src")] == ["/assets/embed.js"]
    assert [s.get("href") for s in doc.iter("link") if s.get("rel") == "stylesheet"] == [
        "/assets/style.css", "/assets/embed.css"]  # its rules too: every other page's stylesheet stays small
    assert (out / "assets/embed.js").is_file() and ".embed-frame" in (out / "assets/embed.css").read_text()
    home = page(out, "index.html")
    assert not [s for s in home.iter("script") if s.get("src")]
    assert [s.get("href") for s in home.iter("link") if s.get("rel") == "stylesheet"] == ["/assets/style.css"]
    assert "YouTube" not in home.text_content() and "warning" not in result.stderr
    # fifteen placeholders still fit the first round trip with the stylesheet (test_theme's budget)
    size = len(gzip.compress((out / PAGE).read_bytes(), 9)) + len(gzip.compress((out / "assets/style.css").read_bytes(), 9)) \
        + len(gzip.compress((out / "assets/embed.css").read_bytes(), 9))
    assert size <= 14 * 1024, size


def test_video_object_only_when_the_options_give_its_data(make_site) -> None:
    out, _ = built(embeds_site(make_site))
    items = [json.loads(s.text) for s in page(out).iter("script") if s.get("type") == "application/ld+json"]
    videos = [item for item in items if item["@type"] == "VideoObject"]
    assert videos == [{"@context": "https://schema.org", "@type": "VideoObject", "name": "The harbour at dawn",
                       "thumbnailUrl": ["https://news.example.org/images/still.jpg"], "uploadDate": "2024-02-28",
                       "embedUrl": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=90",
                       "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s",
                       "description": "Filmed from the ferry."}]
    # the same video without an upload date: no VideoObject (nothing is made up)
    out, _ = built(embeds_site(make_site, '{{< youtube id="dQw4w9WgXcQ" title="T" poster="images/still.jpg" >}}\n'))
    assert not [s for s in page(out).iter("script") if s.get("type") == "application/ld+json" and "VideoObject" in s.text]


def test_feeds_carry_a_link_to_the_embedded_item_not_a_frame(make_site) -> None:
    out, _ = built(embeds_site(make_site))
    contents = [feedparser.parse((out / feed).read_bytes()).entries[0].content[0].value for feed in ("feed.xml", "rss.xml")]
    contents.append(json.loads((out / "feed.json").read_text())["items"][0]["content_html"])
    for content in contents:
        body = lxml.html.fromstring(f"<div>{content}</div>")
        assert body.findall(".//iframe") == [] and body.findall(".//script") == []
        links = {a.get("href") for a in body.iter("a")}
        assert {"https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s", "https://vimeo.com/146022717"} <= links


def test_hugo_shortcodes_and_the_options(make_site) -> None:
    body = ('{{< youtube dQw4w9WgXcQ >}}\n\n{{< vimeo id="146022717" class="wide" >}}\n\n'
            '{{< x user="jack" id="20" >}}\n\n{{< instagram BWNjjyYFxVx hidecaption >}}\n\n'
            '{{< embed https://datawrapper.dwcdn.net/AbC12/ ratio="16:9" caption="Turnout" >}}\n\n'
            '{{< figure src="x.jpg" >}}\n\n```\nhttps://vimeo.com/146022717\n```\n')
    out, result = built(embeds_site(make_site, body))
    doc = page(out)
    links = [a.get("href") for a in doc.iterfind(".//a[@data-embed]")]
    assert links == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://vimeo.com/146022717",
                     "https://x.com/jack/status/20", "https://www.instagram.com/p/BWNjjyYFxVx/",
                     "https://datawrapper.dwcdn.net/AbC12/"]
    assert doc.find(".//a[@data-embed]").get("class") == "embed-frame r16x9"
    assert doc.findall(".//a[@data-embed]")[-1].get("class") == "embed-frame r16x9"  # ratio= overrides 4:3
    text = doc.find(".//div[@class='story-body']").text_content()
    assert "{{< figure" in text.replace("\u201d", '"')  # another shortcode: shown as written, as before
    assert doc.find(".//pre/code").text == "https://vimeo.com/146022717\n"  # code stays code


@pytest.mark.parametrize("raw", [False, True])
def test_pasted_embed_code_is_recognised_and_nothing_of_it_passes(make_site, raw: bool) -> None:
    body = ('<iframe width="560" height="315" src="https://www.youtube.com/embed/dQw4w9WgXcQ?si=abc" '
            'title="YouTube video player" frameborder="0" allow="accelerometer; clipboard-write" '
            'referrerpolicy="unsafe-url" allowfullscreen></iframe>\n\n'
            '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">just setting up my twttr '
            '<a href="https://t.co/x">pic</a></p>&mdash; jack (@jack) '
            '<a href="https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw">March 21, 2006</a></blockquote> '
            '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n')
    config = CONFIG + ("allow_raw_html: true\n" if raw else "")
    out, result = built(embeds_site(make_site, body, config))
    doc = page(out)
    assert [a.get("data-embed") for a in doc.iterfind(".//a[@data-embed]")] == [
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
        "https://platform.twitter.com/embed/Tweet.html?id=20&dnt=true"]
    html = (out / PAGE).read_text()
    for pasted in ("si=abc", "unsafe-url", "clipboard-write", "twttr", "widgets.js", "&lt;iframe", "&lt;blockquote"):
        assert pasted not in html, pasted
    assert executable_markup(out / PAGE) == ["<script> None"]  # the theme's click-to-load script, nothing else


# --- unknown and hostile ------------------------------------------------------------------------------
def test_unknown_providers_are_plain_links_with_a_warning_naming_file_and_line(make_site) -> None:
    body = "Intro.\n\nhttps://example.com/some/report\n\n<iframe src=\"https://evil.example/x\"></iframe>\n"
    site = embeds_site(make_site, body)
    out, result = built(site)
    doc = page(out)
    assert [a.get("href") for a in doc.iterfind(".//div[@class='story-body']//a")] == [
        "https://example.com/some/report", "https://evil.example/x"]
    assert doc.findall(".//a[@data-embed]") == [] and executable_markup(out / PAGE) == []
    assert "content/embeds.md:8: body: example.com is no embed provider newsgen knows; shown as a link" in result.stderr
    assert "content/embeds.md:10: body: evil.example is no embed provider" in result.stderr
    strict = run_newsgen("build", site, "--strict", "-o", site / "strict")
    assert strict.returncode == 1 and "embeds.md:8" in strict.stderr and not (site / "strict").exists()


LONG = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&x=" + "a" * 2000
HOSTILE = [
    # (what is written, what the error says)
    ("{{< embed javascript:alert(1) >}}", "an embed's URL starts with https://, not 'javascript'"),
    ('<iframe src="javascript:alert(1)"></iframe>', "an embed's URL starts with https://, not 'javascript'"),
    ('<iframe src=" JaVaScRiPt:alert(1)"></iframe>', "an embed's URL starts with https://"),
    ('<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" onload="alert(1)"></iframe>',
     "the pasted <iframe> has onload, which newsgen never copies"),
    ('<iframe srcdoc="<script>alert(1)</script>" src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>',
     "the pasted <iframe> has srcdoc, which newsgen never copies"),
    ('{{< youtube "dQw4w9WgXcQ\\" onmouseover=\\"alert(1)" >}}', "the URL has spaces, quotes, angle brackets"),
    ('{{< embed "https://www.youtube.com/watch?v=dQw4w9WgXcQ\\"><script>alert(1)</script>" >}}',
     "the URL has spaces, quotes, angle brackets"),
    ("https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ", "an embed's URL names no user or password"),
    ("https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ", "an embed's URL names no port"),
    (LONG, "the URL is 2046 characters long; an embed's URL has at most 1024"),
    ('{{< youtube id="dQw4w9WgXcQ" poster="https://tracker.example/p.gif" >}}', "poster: expected a picture of this site"),
    ('{{< youtube id="dQw4w9WgXcQ" capton="x" >}}', "unknown embed option 'capton' (did you mean 'caption'?)"),
    ('{{< youtube id="nope" >}}', "this YouTube address is not one newsgen can embed (from the youtube shortcode)"),
    ('{{< embed https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC start="10" >}}',
     "start: Spotify embeds take no start time"),
]


@pytest.mark.parametrize("written, message", HOSTILE, ids=[m[:40] for _, m in HOSTILE])
def test_hostile_embeds_are_refused_with_file_line_and_the_previous_build_intact(
        make_site, written: str, message: str) -> None:
    site = embeds_site(make_site, "Fine.\n")
    out, _ = built(site)
    before = (out / PAGE).read_bytes()
    (site / "content/embeds.md").write_text(article("Every kind of embed", "2024-03-01T10:00:00+00:00",
                                                    f"Intro.\n\n{written}\n", summary="One of each."))
    result = run_newsgen("build", site)
    assert result.returncode == 1
    assert f"error: content/embeds.md:8: body: {message}" in result.stderr, result.stderr
    assert (out / PAGE).read_bytes() == before


def test_lookalike_hosts_are_never_embedded(make_site) -> None:
    body = "\n\n".join(["https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
                        "https://www.youtube.com.evil.example/embed/dQw4w9WgXcQ",
                        "https://evil-youtube.com/watch?v=dQw4w9WgXcQ",
                        "https://youtube.com./watch?v=dQw4w9WgXcQ",
                        '<iframe src="https://www.youtube-nocookie.com.evil.example/embed/dQw4w9WgXcQ"></iframe>',
                        "https://charts.example.org.evil.example/x"]) + "\n"
    out, result = built(embeds_site(make_site, body))
    doc = page(out)
    assert doc.findall(".//a[@data-embed]") == [] and executable_markup(out / PAGE) == []
    assert result.stderr.count("is no embed provider newsgen knows") == 6


def test_embed_domains_is_checked(make_site) -> None:
    for value, shown in (("[https://charts.example.org/]", "'https://charts.example.org/'"), ("[\"*.example.org\"]", "'*.example.org'"),
                         ("{a: b}", "expected a list of host names")):
        site = embeds_site(make_site, "Fine.\n", f"title: T\nembed_domains: {value}\n")
        result = run_newsgen("build", site)
        assert result.returncode == 2
        assert "newsgen.yaml:2: embed_domains:" in result.stderr and shown in result.stderr, result.stderr
    # without the setting, the site's own chart host is a plain link
    out, result = built(embeds_site(make_site, '<iframe src="https://charts.example.org/a"></iframe>\n', "title: T\nsearch: false\n"))
    assert page(out).findall(".//a[@data-embed]") == [] and "charts.example.org is no embed provider" in result.stderr


# --- posters ------------------------------------------------------------------------------------------
def test_a_missing_poster_stops_the_build_and_newsgen_check_finds_one_gone(make_site) -> None:
    site = embeds_site(make_site, '{{< youtube id="dQw4w9WgXcQ" poster="images/stil.jpg" >}}\n')
    result = run_newsgen("build", site)
    assert result.returncode == 1
    assert ("error: content/embeds.md:6: body: 'images/stil.jpg' points at no file of the site "
            "(did you mean images/still.jpg?)") in result.stderr, result.stderr
    (site / "content/embeds.md").write_text((site / "content/embeds.md").read_text().replace("stil.jpg", "still.jpg"))
    out, _ = built(site)
    assert run_newsgen("check", out).returncode == 0
    shown = next(out.glob("images/still-*-640.jpg"))  # the poster's file the page shows (photos.py)
    shown.unlink()
    checked = run_newsgen("check", out)
    assert checked.returncode == 1 and f"images/{shown.name}" in checked.stdout + checked.stderr


def test_a_poster_that_is_no_picture_is_an_error(make_site) -> None:
    site = embeds_site(make_site, '{{< youtube id="dQw4w9WgXcQ" poster="images/notes.txt" >}}\n',
                       **{"static/images/notes.txt": "not a picture"})
    result = run_newsgen("build", site)
    assert result.returncode == 1
    assert "content/embeds.md:6: body: poster: cannot read images/notes.txt as a picture" in result.stderr


# --- no network -----------------------------------------------------------------------------------------
def test_a_build_with_embeds_opens_no_socket(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    site = embeds_site(make_site)
    opened: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise OSError("the build went online")

    # In this process (jobs=1): every socket the build, Markdown, Pillow or Jinja could open would pass here.
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with pytest.raises(OSError):  # the trap works
        socket.create_connection(("www.youtube-nocookie.com", 443))
    opened.clear()
    result = build(site, BuildOptions(jobs=1))
    assert len(result.summary.articles) == 1 and opened == []
    assert (site / "build" / PAGE).read_text().count('class="embed-frame') == len(EACH)


# --- validators and a real browser ----------------------------------------------------------------------
@pytest.mark.validator
def test_the_page_with_every_embed_is_valid_html(make_site) -> None:
    out, _ = built(embeds_site(make_site))
    run = subprocess.run(["java", "-jar", str(VNU), "--format", "json", str(out / PAGE)],
                         capture_output=True, text=True, timeout=300)
    errors = [m for m in json.loads(run.stderr)["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == [], errors


@pytest.mark.browser
def test_nothing_leaves_the_site_until_a_placeholder_is_pressed(browser: Browser, make_site,  # noqa: F811
                                                                  static_server) -> None:
    out, _ = built(embeds_site(make_site))
    origin = static_server(out)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda request: requests.append(request.url))
    # no real network: whatever asks for another origin is recorded, then aborted
    context.route(lambda url: not url.startswith(origin + "/"), lambda route: route.abort())
    pg.goto(f"{origin}/{PAGE.removesuffix('index.html')}", wait_until="load")
    shift = pg.evaluate("""() => new Promise(resolve => {
        let sum = 0;
        new PerformanceObserver(list => { for (const e of list.getEntries()) sum += e.value; })
          .observe({type: 'layout-shift', buffered: true});
        requestAnimationFrame(() => setTimeout(() => resolve(sum), 200));
    })""")
    assert shift == 0
    pg.add_script_tag(path=str(AXE))
    violations = pg.evaluate("""async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""", AXE_TAGS)
    assert violations == []
    assert [r for r in requests if not r.startswith(origin + "/")] == []
    assert pg.locator("iframe").count() == 0

    youtube = pg.locator("a[data-embed]").first
    box = youtube.bounding_box()
    requests.clear()
    youtube.click()
    frame = pg.locator("iframe")
    frame.wait_for(state="attached")
    pg.wait_for_timeout(300)
    assert {urlsplit(r).hostname for r in requests} == {"www.youtube-nocookie.com"}, requests
    assert requests[0] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&start=90"
    attributes = frame.evaluate("f => Object.fromEntries([...f.attributes].map(a => [a.name, a.value]))")
    assert attributes["sandbox"] == ("allow-scripts allow-same-origin allow-presentation allow-popups "
                                     "allow-popups-to-escape-sandbox")
    assert attributes["referrerpolicy"] == "strict-origin-when-cross-origin" and attributes["loading"] == "lazy"
    assert attributes["title"] == "The harbour at dawn" and "autoplay" in attributes["allow"]
    assert frame.bounding_box() == box  # the frame takes the placeholder's box: nothing moves
    assert pg.locator("a[data-embed]").count() == len(EACH) - 1
    context.close()


@pytest.mark.browser
def test_without_javascript_a_placeholder_is_a_link_to_the_original(browser: Browser, make_site,  # noqa: F811
                                                                     static_server) -> None:
    out, _ = built(embeds_site(make_site))
    origin = static_server(out)
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    asked: list[str] = []

    def record(route: Route) -> None:
        asked.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(origin + "/"), record)
    pg.goto(f"{origin}/{PAGE.removesuffix('index.html')}", wait_until="load")
    assert pg.locator("a[data-embed]").count() == len(EACH) and asked == []
    pg.locator("a[data-embed]").nth(1).click(no_wait_after=True)  # the navigation is aborted: no network here
    pg.wait_for_timeout(500)
    assert asked[:1] == ["https://vimeo.com/146022717"]
    context.close()


# --- the URL rules, as properties ---------------------------------------------------------------------
FRAME_HOSTS = {"www.youtube-nocookie.com", "player.vimeo.com", "www.dailymotion.com", "platform.twitter.com",
               "www.instagram.com", "www.tiktok.com", "embed.bsky.app", "w.soundcloud.com", "open.spotify.com",
               "www.openstreetmap.org", "datawrapper.dwcdn.net", "flo.uri.sh", "embed.documentcloud.org",
               *MASTODON_HOSTS}
PIECES = ["https://", "http://", "javascript:", "www.youtube.com", "youtu.be", "x.com", "evil.example", ".", "/", "@",
          ":", "?", "#", "&", "=", "v=", "watch", "embed", "status", "p", "dQw4w9WgXcQ", "20", '"', "'", "<", ">", " ",
          "%22", "%3C", "\\", "\n", "onload=", "jack", "{{<", ">}}", "youtube", "<iframe src=", "></iframe>", "srcdoc="]


@settings(max_examples=400, deadline=None, derandomize=True)
@example("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
@example('<iframe src="https://x.com/jack/status/20"></iframe>')
@example("https://evil.example/x")
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=14).map("".join))
def test_whatever_is_written_an_embed_frames_only_its_provider(text: str) -> None:
    try:
        prepared = prepare(f"\n{text}\n", frozenset(), "/", None)
    except EmbedError:
        return
    for embed in prepared.embeds:
        assert urlsplit(embed.src).hostname in FRAME_HOSTS, embed
        assert urlsplit(embed.url).scheme == "https" and urlsplit(embed.src).scheme == "https"
    for markup in prepared.blocks.values():
        doc = lxml.html.fromstring(f"<div>{markup}</div>")
        for element in doc.iter():
            assert element.tag in {"div", "figure", "a", "img", "span", "figcaption", "p"}, markup
            assert not [name for name in element.attrib if name.startswith("on") or name == "srcdoc"], markup
        for a in doc.iter("a"):
            assert urlsplit(a.get("href")).scheme in ("http", "https"), markup
