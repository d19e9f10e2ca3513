"""News photos (issue 18): resized into <picture>s, upright, stripped of metadata, credited, cropped for
search and social networks; bad files stop the build with the article's file and line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import extruct
import lxml.html
import pytest
from conftest import ARTIFACTS, REPO, build_files, run_newsgen, served_under_news, write_tree
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Browser
from test_browser import AXE, AXE_TAGS, browser  # noqa: F401  # browser: the module's Chromium, a fixture

from newsgen.build import BuildOptions, build
from newsgen.photos import WIDTHS

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
GEOTAG = (46.0, 12.0, 30.0)  # the Palais des Nations, as a camera writes it
SERIAL = "SERIAL-123456"
STORY = "2021/05/25/biden-and-putin-will-meet-in-geneva/index.html"


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """Something that compresses like a photo: gradients, shapes, blur and a little noise."""
    base = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (base, base.rotate(90 + seed * 20).resize((width, height)),
                                Image.new("L", (width, height), 120 + seed * 30)))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (i * 397 + seed * 131) % width, (i * 211 + seed * 71) % height
        draw.ellipse((x, y, x + width // 6, y + height // 6),
                     fill=((i * 40) % 255, (i * 90 + seed * 50) % 255, (i * 20) % 255))
    image = image.filter(ImageFilter.GaussianBlur(3))
    return Image.blend(image, Image.effect_noise((width, height), 12).convert("RGB"), 0.08)


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>editing history: cropped by Jane'  \
      b'</rdf:Description></rdf:RDF></x:xmpmeta>'


def camera_jpeg(image: Image.Image, orientation: int | None = None, gps: bool = False) -> bytes:
    """A JPEG as a camera and an editor write it: maker, serial number, orientation, location; with the location,
    an ICC profile and XMP editing history too."""
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    exif[0xA431] = SERIAL
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: GEOTAG, 3: "E", 4: (6.0, 8.0, 15.0)}
    out = io.BytesIO()
    extra: dict[str, object] = {}
    if gps:
        from PIL import ImageCms

        extra = {"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), "xmp": XMP}
    image.save(out, "JPEG", quality=90, exif=exif.tobytes(), **extra)
    return out.getvalue()


def sideways() -> bytes:
    """Stored 2000×1500 with a red block at its top left, tagged 'rotate 90° clockwise to show' (6):
    upright it is 1500×2000 with the red block at the top right."""
    image = photo(2000, 1500, 1)
    ImageDraw.Draw(image).rectangle((0, 0, 400, 200), fill=(255, 0, 0))
    return camera_jpeg(image, orientation=6, gps=True)


BODY = ("The presidents will meet. " + "Words of the story go on. " * 60
        + '\n\n![A red block at the top right](images/rotated.jpg "Seen from the lake")\n\n'
        + "More words of the story. " * 60 + "\n\n![The second picture](images/two.jpg)\n\n"
        + "Yet more words. " * 60 + "\n\n![](images/three.jpg)\n")


def photo_site(base_url: str = "https://example.org/news/", focus: str = "0.3,0.4") -> dict[str, str | bytes]:
    return {
        "newsgen.yaml": f"title: The Daily Test\nbase_url: {base_url}\nlanguage: en\ntimezone: Europe/Zurich\n",
        "content/geneva.md": ("---\ntitle: \"Biden and Putin will meet in Geneva\"\ndate: 2021-05-25T14:30:00-04:00\n"
                              "summary: \"The White House confirms the meeting.\"\ncategories: [World]\n"
                              "image: images/lead.jpg\nimage_alt: The Palais des Nations in Geneva\n"
                              "image_caption: The Palais des Nations, where the talks will be held.\n"
                              f"image_credit: Jane Photographer/Agency\nimage_focus: {focus}\n---\n" + BODY),
        "static/images/lead.jpg": camera_jpeg(photo(4000, 3000, 0), gps=True),
        "static/images/rotated.jpg": sideways(),
        "static/images/two.jpg": camera_jpeg(photo(1800, 1200, 2), gps=True),
        "static/images/three.jpg": camera_jpeg(photo(1200, 900, 3)),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    site = write_tree(tmp_path_factory.mktemp("photos"), photo_site())
    run = run_newsgen("build", site)
    assert run.returncode == 0, run.stderr
    return site / "build", run


def story(output: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((output / STORY).read_bytes())


def test_no_published_file_keeps_the_location_or_any_metadata(built: tuple[Path, object]) -> None:
    output, _ = built
    pictures = [p for p in output.rglob("*") if p.suffix in (".jpg", ".png", ".webp", ".avif")]
    assert len(pictures) > 40
    for path in pictures:
        data = path.read_bytes()
        assert SERIAL.encode() not in data and b"CameraMaker" not in data and b"editing history" not in data, path
        with Image.open(path) as image:
            image.load()  # every file reads back whole
            assert not image.getexif(), path  # no EXIF at all: no GPS, no serial, no orientation left to apply
            assert not set(image.info) & {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile"}, (path, image.info.keys())
    # the sources did carry all of it
    with Image.open(built[0].parent / "static/images/lead.jpg") as source:
        assert source.getexif().get_ifd(0x8825) and "icc_profile" in source.info and "xmp" in source.info
    # and no original is published as it was: the path it had holds the stripped picture
    with Image.open(output / "images/lead.jpg") as lead:
        assert lead.size == (1600, 1200)


def test_the_rotated_photo_is_upright_in_every_file(built: tuple[Path, object]) -> None:
    output, _ = built
    files = sorted((output / "images").glob("rotated*"))
    assert files
    for path in files:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            width, height = rgb.size
            assert height > width, path  # portrait once turned
            red = rgb.getpixel((width - 1 - width // 20, height // 40))  # the block is at the top right
            assert red[0] > 200 and red[1] < 80 and red[2] < 80, (path, red)


def test_lead_photo_is_a_picture_with_every_width_and_format_and_its_caption(built: tuple[Path, object]) -> None:
    output, _ = built
    figure = story(output).xpath('//figure[@class="story-image"]')[0]
    sources = figure.xpath(".//picture//source")
    assert [s.get("type") for s in sources] == ["image/avif", "image/webp"]
    img = figure.xpath(".//picture//img")[0]
    assert img.get("fetchpriority") == "high" and img.get("loading") is None
    assert (img.get("width"), img.get("height")) == ("1600", "1200")  # the true 4:3 of the published file
    assert img.get("alt") == "The Palais des Nations in Geneva"
    for srcset in [s.get("srcset") for s in sources] + [img.get("srcset")]:
        entries = [item.rsplit(" ", 1) for item in srcset.split(", ")]
        assert [w for _, w in entries] == [f"{w}w" for w in WIDTHS]
        for url, width in entries:
            assert url.startswith("/news/images/lead-")
            with Image.open(output / url.removeprefix("/news/")) as file:
                assert file.size == (int(width[:-1]), int(width[:-1]) * 3 // 4)
    assert "48rem" in img.get("sizes")
    caption = figure.xpath(".//figcaption")[0]
    assert caption.text_content().strip() == ("The Palais des Nations, where the talks will be held. "
                                              "Jane Photographer/Agency")
    assert caption.xpath('.//span[@class="credit"]')[0].text == "Jane Photographer/Agency"


def test_body_photos_are_lazy_pictures_and_a_title_makes_a_figure(built: tuple[Path, subprocess.CompletedProcess[str]]
                                                                  ) -> None:
    output, run = built
    body = story(output).xpath('//div[contains(@class, "story-body")]')[0]
    images = body.xpath(".//picture//img")
    assert len(images) == 3
    for img in images:
        assert img.get("loading") == "lazy" and img.get("decoding") == "async" and img.get("width")
    rotated = images[0]
    assert (rotated.get("width"), rotated.get("height")) == ("1500", "2000")
    assert rotated.get("title") is None
    figure = next(a for a in rotated.iterancestors() if a.tag == "figure")
    assert figure.tag == "figure" and figure.xpath(".//figcaption")[0].text == "Seen from the lake"
    assert images[2].get("srcset").split(", ")[-1].endswith(" 1200w")  # never wider than the 1200 px original
    # missing alt text: a warning naming the file and line
    assert "warning: content/geneva.md:22: body: the picture 'images/three.jpg' has no alt text" in run.stderr


def test_json_ld_crops_and_social_image_as_crawlers_read_them(built: tuple[Path, object]) -> None:
    output, _ = built
    url = "https://example.org/news/" + STORY.removesuffix("index.html")
    page = (output / STORY).read_text("utf-8")
    news = [item for item in extruct.extract(page, base_url=url, syntaxes=["json-ld"])["json-ld"]
            if item.get("@type") == "NewsArticle"][0]
    ratios = []
    for image in news["image"]:
        assert image["url"].startswith("https://example.org/news/images/lead-")
        assert image["creditText"] == image["copyrightNotice"] == "Jane Photographer/Agency"
        with Image.open(output / image["url"].removeprefix("https://example.org/news/")) as file:
            assert file.size == (image["width"], image["height"]) and file.format == "JPEG"
            assert file.width >= 1200
            ratios.append(round(file.width / file.height, 3))
    assert ratios == [round(16 / 9, 3), round(4 / 3, 3), 1.0]
    og = dict(extruct.extract(page, base_url=url, syntaxes=["opengraph"])["opengraph"][0]["properties"])
    assert og["og:image"].startswith("https://example.org/news/images/lead-") and og["og:image"].endswith("-og.jpg")
    assert (og["og:image:width"], og["og:image:height"]) == ("1200", "630")
    with Image.open(output / og["og:image"].removeprefix("https://example.org/news/")) as file:
        assert file.size == (1200, 630) and file.format == "JPEG"
    twitter = lxml.html.fromstring(page).xpath('//meta[@name="twitter:image"]')[0].get("content")
    assert twitter == og["og:image"]
    assert not list(output.rglob("card.png"))  # the article's own photo, not the drawn text card


def test_focus_moves_the_crops(tmp_path: Path) -> None:
    """The square crop of a 4:3 photo centred at x=0.1 starts at the left edge; at 0.9 it ends at the right."""
    crops = {}
    for focus in ("0.1,0.5", "0.9,0.5"):
        site = write_tree(tmp_path / focus, photo_site(focus=focus))
        assert run_newsgen("build", site, "-q").returncode == 0
        square = next((site / "build/images").glob("lead-*-1x1.jpg"))
        with Image.open(square) as image, Image.open(site / "static/images/lead.jpg") as original:
            left = original.convert("RGB").crop((0, 0, 3000, 3000)).resize((1200, 1200))
            right = original.convert("RGB").crop((1000, 0, 4000, 3000)).resize((1200, 1200))
            pixel = image.convert("RGB").getpixel((600, 600))
            crops[focus] = (_near(pixel, left.getpixel((600, 600))), _near(pixel, right.getpixel((600, 600))))
    assert crops == {"0.1,0.5": (True, False), "0.9,0.5": (False, True)}


def test_a_body_photo_named_with_spaces_and_commas_reaches_every_srcset_whole(tmp_path: Path) -> None:
    # A srcset separates candidates by spaces and commas: a file name's own must arrive percent-encoded.
    # (Front matter's `image` refuses such a path; a body picture in <…> may have one.)
    name = "images/Team photo, 2024.jpg"
    files = photo_site()
    files["static/" + name] = files.pop("static/images/two.jpg")
    files["content/geneva.md"] = str(files["content/geneva.md"]).replace(
        "![The second picture](images/two.jpg)", f"![The second picture](<{name}>)")
    site = write_tree(tmp_path, files)
    run = run_newsgen("build", site, "-q")
    assert run.returncode == 0, run.stderr
    output = site / "build"
    picture = story(output).xpath("//picture[.//img[@alt='The second picture']]")[0]
    candidates = [c.strip() for node in picture.xpath(".//source|.//img") for c in node.get("srcset").split(",")]
    assert len(candidates) == 3 * len(WIDTHS)
    for candidate in candidates:
        url, width = candidate.split(" ")
        assert width.endswith("w") and (output / unquote(url.removeprefix("/news/"))).is_file(), candidate
    assert run_newsgen("check", output).returncode == 0


def _near(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(abs(x - y) < 24 for x, y in zip(a, b))


# --- cost: nothing encoded twice ---------------------------------------------------------------------
def test_an_unchanged_photo_is_not_encoded_again_and_an_edited_one_updates_its_page(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", photo_site())
    first = build(site)
    assert first.photos == 4
    again = build(site)
    assert again.photos == 0 and again.written == 0
    # an article edit that leaves the pictures alone: no encode either
    path = site / "content/geneva.md"
    path.write_text(path.read_text("utf-8").replace("The presidents will meet.", "The two presidents will meet."))
    edited = build(site)
    assert edited.photos == 0 and edited.rendered >= 1
    # a new picture under the same name: encoded, and the page names its new files
    (site / "static/images/two.jpg").write_bytes(camera_jpeg(photo(1000, 1000, 5)))
    before = (site / "build" / STORY).read_text("utf-8")
    swapped = build(site)
    assert swapped.photos == 1
    page = (site / "build" / STORY).read_text("utf-8")
    assert page != before and 'width="1000" height="1000"' in page
    clean = build(site, BuildOptions(output=tmp_path / "clean", cache=False))
    assert clean.photos == 4
    assert build_files(site / "build") == build_files(tmp_path / "clean")


# --- bad files: a clear error with the article's file:line, exit 1, the previous build untouched --------
def _truncated() -> bytes:
    return camera_jpeg(photo(800, 600, 4))[:5000]


def _bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")  # 400 Mpx of one colour: tiny on disk
    return out.getvalue()


@pytest.mark.parametrize("name, data, message", [
    ("missing", None, "points at no file of the site"),
    ("not an image", b"<html>not a picture</html>", "is not a picture newsgen can read"),
    ("truncated", _truncated(), "cannot be read"),
    ("decompression bomb", _bomb(), "has too many pixels"),
])
def test_a_bad_photo_stops_the_build_and_names_the_article(tmp_path: Path, name: str, data: bytes | None,
                                                           message: str) -> None:
    site = write_tree(tmp_path / "site", photo_site())
    assert run_newsgen("build", site, "-q").returncode == 0
    before = build_files(site / "build")
    if data is None:
        (site / "static/images/two.jpg").unlink()
    else:
        (site / "static/images/two.jpg").write_bytes(data)
    run = run_newsgen("build", site)
    assert run.returncode == 1, run.stderr
    assert "content/geneva.md:" in run.stderr and message in run.stderr, run.stderr
    line = run.stderr.split("content/geneva.md:")[1].split(":")[0]
    text = (site / "content/geneva.md").read_text("utf-8").splitlines()
    assert "images/two.jpg" in text[int(line) - 1]  # the line that shows the picture
    assert build_files(site / "build") == before


# --- the default site in Chromium: Lighthouse, weight, vnu, axe, a look at the rotated photo -------------
GENEVA = "2021/05/25/biden-putin-geneva-summit/"


def default_site_with_photos(base_url: str) -> dict[str, str | bytes]:
    """The repository's own site with a 4000×3000 camera photo leading the Geneva article and three in its
    body (one stored sideways, with its location), as a newsroom publishes it."""
    name = "content/2021-05-25-biden-putin-geneva-summit.md"
    config = (REPO / "newsgen.yaml").read_text("utf-8").replace("base_url: https://example.org/", f"base_url: {base_url}")
    lines = (REPO / name).read_text("utf-8").split("\n")
    head_end = lines.index("---", 1)
    head = lines[:head_end] + ["image: images/geneva.jpg", "image_alt: The Palais des Nations in Geneva",
                               "image_caption: The Palais des Nations, where the two presidents will meet.",
                               "image_credit: Jane Photographer/Agency"]
    paragraphs = "\n".join(lines[head_end + 1:]).split("\n\n")
    body = "\n\n".join(paragraphs[:3] + ['![A red block at the top right](images/lake.jpg "The lake shore in Geneva")']
                       + paragraphs[3:6] + ["![The Kremlin seen from the river](images/kremlin.jpg)"]
                       + paragraphs[6:9] + ['![The White House in spring](images/white-house.jpg "Washington")']
                       + paragraphs[9:])
    return {
        "newsgen.yaml": config,
        name: "\n".join(head + ["---"]) + "\n" + body,
        "static/images/geneva.jpg": camera_jpeg(photo(4000, 3000, 0), gps=True),
        "static/images/lake.jpg": sideways(),
        "static/images/kremlin.jpg": camera_jpeg(photo(3000, 2000, 2), gps=True),
        "static/images/white-house.jpg": camera_jpeg(photo(2400, 1600, 3)),
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The default site with photos built for and served at http://127.0.0.1:PORT/news/."""
    with served_under_news(tmp_path_factory.mktemp("default"), default_site_with_photos) as base:
        yield base


@pytest.mark.browser
def test_a_390px_phone_gets_the_article_with_all_its_pictures_in_250_kb(browser: Browser, served: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True)
    page = context.new_page()
    page.goto(served + GENEVA, wait_until="load")
    # scroll down the page, as a reader does, so every lazy picture loads
    for _ in range(40):
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(60)
    page.wait_for_load_state("networkidle")
    loaded = page.evaluate("""() => Array.from(document.images).map(i => [i.currentSrc, i.complete, i.naturalWidth])""")
    assert len(loaded) == 4 and all(done and width for _, done, width in loaded), loaded
    assert all(src.endswith(".avif") for src, _, _ in loaded), loaded  # Chromium takes the AVIF source
    total = page.evaluate("""() => performance.getEntriesByType('navigation')[0].transferSize
        + performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, 0)""")
    print(f"transferred on a 390 px phone at 3x: {total / 1000:.1f} kB; pictures: {loaded}")
    assert total <= 250_000, total
    context.close()


@pytest.mark.browser
def test_the_rotated_photo_shows_upright_in_chromium(browser: Browser, served: str) -> None:  # noqa: F811
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(served + GENEVA, wait_until="load")
    picture = page.locator('img[alt="A red block at the top right"]')
    picture.scroll_into_view_if_needed()
    page.wait_for_function("""() => document.querySelector('img[alt="A red block at the top right"]').complete
                              && document.querySelector('img[alt="A red block at the top right"]').naturalWidth > 0""")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "photos-rotated.png"
    picture.screenshot(path=str(shot))
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
        assert rgb.height > rgb.width  # portrait, as the camera meant it
        top_right = rgb.getpixel((rgb.width - 1 - rgb.width // 20, rgb.height // 40))
        top_left = rgb.getpixel((rgb.width // 20, rgb.height // 40))
        assert _red(top_right) and not _red(top_left), (top_right, top_left)


def _red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[1] < 80 and pixel[2] < 80


@pytest.mark.browser
def test_axe_finds_no_violations_on_the_article_with_photos(browser: Browser, served: str) -> None:  # noqa: F811
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(served + GENEVA, wait_until="load")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
             .map(v => `${v.id}: ${v.help} -> ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""", AXE_TAGS)
    assert violations == []


@pytest.mark.validator
def test_nu_html_checker_reports_no_errors_on_the_article_with_photos(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", default_site_with_photos("https://example.org/news/"))
    assert run_newsgen("build", site, "-q").returncode == 0
    pages = [site / "build" / GENEVA / "index.html", site / "build/index.html"]
    run = subprocess.run(["java", "-jar", str(VNU), "--format", "json", "--skip-non-html", *map(str, pages)],
                         capture_output=True, text=True, timeout=600)
    errors = [m for m in json.loads(run.stderr)["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == [], json.dumps(errors, indent=1)[:4000]


@pytest.mark.validator
def test_lighthouse_mobile_scores_100_on_the_article_with_photos(served: str) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    from audit import CATEGORIES, median_run, shortfalls

    found = median_run(served + GENEVA)
    scores = {key: round((found["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}
    below = {audit["id"]: audit.get("displayValue", audit["score"]) for key in CATEGORIES
             for audit in shortfalls(found, key)}
    weight = found["audits"]["total-byte-weight"]["numericValue"]
    print(f"Lighthouse mobile {scores}; total byte weight {weight / 1000:.1f} kB;"
          f" LCP {found['audits']['largest-contentful-paint']['displayValue']}")
    assert scores == dict.fromkeys(CATEGORIES, 100), (scores, below)


def test_a_damaged_photo_memo_costs_one_clean_build(tmp_path: Path) -> None:
    from newsgen.cache import cache_dir

    site = write_tree(tmp_path / "site", photo_site())
    build(site)
    expected = build_files(site / "build")
    memo = next(cache_dir(site / "build").glob("photos.json"))
    data = memo.read_bytes()
    memo.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    (site / "content/geneva.md").write_text((site / "content/geneva.md").read_text("utf-8") + "\nOne more line.\n")
    result = build(site)
    assert len(result.notes) == 1 and "could not be read" in result.notes[0], result.notes
    clean = build(site, BuildOptions(output=tmp_path / "clean", cache=False))
    assert clean.photos == 4
    assert build_files(site / "build") == build_files(tmp_path / "clean") != expected


# --- Hugo page bundles ---------------------------------------------------------------------------------
def bundle_site() -> dict[str, str | bytes]:
    return {
        "newsgen.yaml": "title: The Daily Test\nbase_url: https://example.org/news/\nlanguage: en\n"
                        "permalink: \"{year}/{month}/{day}/{slug}/\"\n",
        "content/posts/harbour/index.md": (
            "---\ntitle: \"Divers search the harbour\"\ndate: 2024-03-12T09:00:00+00:00\n"
            "image: ./harbour.jpg\nimage_alt: The harbour at dawn\n---\n"
            "Divers went down at six.\n\n![Divers at the pier](./gallery/divers.jpg \"Divers at the pier\")\n\n"
            "[The report](./report.pdf)\n"),
        "content/posts/harbour/harbour.jpg": camera_jpeg(photo(2400, 1600, 1), gps=True),
        "content/posts/harbour/gallery/divers.jpg": camera_jpeg(photo(1000, 750, 2), gps=True),
        "content/posts/harbour/report.pdf": b"%PDF-1.4 a report\n",
    }


def test_a_page_bundle_is_published_beside_its_article_resized_and_stripped(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", bundle_site())
    run = run_newsgen("build", site)
    assert run.returncode == 0, run.stderr
    out = site / "build"
    folder = out / "2024/03/12/harbour"
    page = lxml.html.fromstring((folder / "index.html").read_bytes())
    lead, body = page.xpath("//picture//img")
    assert lead.get("srcset").startswith("/news/2024/03/12/harbour/harbour-")
    assert body.get("src").startswith("/news/2024/03/12/harbour/gallery/divers-")
    assert (lead.get("width"), lead.get("height")) == ("1600", "1067")
    assert (folder / "report.pdf").read_bytes() == b"%PDF-1.4 a report\n"
    for picture in [*folder.glob("*.jpg"), *folder.glob("*.avif"), *folder.glob("gallery/*")]:
        assert SERIAL.encode() not in picture.read_bytes(), picture
        with Image.open(picture) as image:
            assert not image.getexif(), picture
    og = page.xpath('//meta[@property="og:image"]/@content')[0]
    assert og.startswith("https://example.org/news/2024/03/12/harbour/harbour-")
    assert not list(out.glob("content/**/*"))  # nothing published under its source folder's name
    # a new picture in the bundle: encoded, its page made again; nothing else encoded
    (site / "content/posts/harbour/gallery/divers.jpg").write_bytes(camera_jpeg(photo(900, 900, 3)))
    again = build(site)
    assert again.photos == 1
    assert 'width="900" height="900"' in (folder / "index.html").read_text("utf-8")
    clean = build(site, BuildOptions(output=tmp_path / "clean", cache=False))
    assert build_files(out) == build_files(tmp_path / "clean") and clean.photos == 2


# --- serve: the same files as build, never the original, nothing encoded on a save ------------------------
@pytest.mark.parametrize("files", [photo_site, bundle_site], ids=["static", "bundle"])
def test_serve_publishes_what_build_does_and_a_save_encodes_nothing(tmp_path: Path, monkeypatch, files) -> None:
    import newsgen.live as live_module
    from newsgen.live import LiveSite

    site = write_tree(tmp_path / "site", files())
    encoded = []
    real = live_module.encode
    monkeypatch.setattr(live_module, "encode", lambda *args: encoded.append(args[0]) or real(*args))
    live = LiveSite(site, "http://127.0.0.1:8000")
    snapshot = live.update()
    output = tmp_path / "built"
    build(site, BuildOptions(output=output, drafts=True, future=True, base_url="http://127.0.0.1:8000/news/",
                             cache=False))
    built = {path: data for path, data in build_files(output).items() if not path.startswith((".", "pagefind/"))}
    pictures = [path for path in built if path.endswith((".jpg", ".avif", ".webp"))]
    assert len(pictures) > 20
    for path in pictures:
        assert snapshot.read(path) == built[path], path
    article = next(path for path in built if path.endswith("/index.html") and b"og:type\" content=\"article" in built[path])
    assert snapshot.read(article).replace(b"\n", b"").startswith(built[article].replace(b"\n", b"")[:2000])
    count = len(encoded)
    source = next(p for p in (site / "content").rglob("*.md"))
    source.write_text(source.read_text("utf-8").replace("Divers went down", "Divers dived").replace(
        "The presidents will meet.", "The two presidents will meet."), "utf-8")
    live.update([source.relative_to(site).as_posix()])
    assert len(encoded) == count  # a save of the text: no picture encoded again


def test_relative_urls_reach_every_picture_from_disk(tmp_path: Path) -> None:
    files = photo_site()
    files["newsgen.yaml"] += "relative_urls: true\n"
    site = write_tree(tmp_path / "site", files)
    assert run_newsgen("build", site, "-q").returncode == 0
    page = site / "build" / STORY
    doc = lxml.html.fromstring(page.read_bytes())
    urls = [c.strip().split(" ")[0] for s in doc.xpath("//@srcset") for c in s.split(",")] + doc.xpath("//img/@src")
    assert len(urls) > 40
    for url in urls:
        assert not url.startswith("/") and (page.parent / url).resolve().is_file(), url
