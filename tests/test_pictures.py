"""News photos (issue 18): the default site with a camera-sized lead photo and three body photos, one
stored on its side with an EXIF orientation tag and GPS location, built as users build it.

Every published picture is read back: resized to the widths the page offers, upright, sRGB, and carrying
no metadata. The page is checked as a crawler (extruct) and a reader (Chromium at 390 px) sees it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import extruct
import lxml.html
import pytest
from PIL import Image, ImageDraw

from conftest import ARTIFACTS, REPO, build_files, run_newsgen, write_tree
from newsgen.build import BuildOptions, build

GENEVA = "2021/05/25/biden-putin-geneva-summit/index.html"
SOURCE = "content/2021-05-25-biden-putin-geneva-summit.md"
GPS_LATITUDE = (46.0, 13.0, 27.0)  # Geneva, in the rotated photo's EXIF: a source's whereabouts
CREDIT = "Jane Doe / Agency <b>&"


def photo(width: int, height: int, seed: int) -> Image.Image:
    """A camera-like picture: smooth areas, detail and hard edges, different for each seed."""
    detail = Image.effect_mandelbrot((width, height), (-2.2 + seed * 0.15, -1.2, 1.0, 1.2), 40).convert("L")
    image = Image.merge("RGB", (detail, Image.linear_gradient("L").resize((width, height)),
                                Image.radial_gradient("L").resize((width, height))))
    ImageDraw.Draw(image).ellipse((width // 3, height // 3, width // 2, height // 2), fill=(30, 90, 200))
    return image


def jpeg(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def sideways_photo() -> bytes:
    """A portrait photo (red band at its top) stored as a camera held sideways stores it: turned a
    quarter, with EXIF orientation 6 to turn it back, and the place it was taken."""
    upright = photo(1200, 1600, 1)
    ImageDraw.Draw(upright).rectangle((0, 0, 1199, 199), fill=(220, 0, 0))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # exif_transpose turns orientation 6 by ROTATE_270
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "Camera X100 serial 4711"
    exif.get_ifd(0x8825).update({1: "N", 2: GPS_LATITUDE, 3: "E", 4: (6.0, 8.0, 35.0)})
    return jpeg(stored, exif=exif.tobytes())


def photo_files() -> dict[str, str | bytes]:
    """The repository's site (the Geneva article) with a lead photo and three body photos."""
    text = (REPO / SOURCE).read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    head += ("\nimage: images/geneva.jpg\nimage_alt: Villa La Grange on the lake shore in Geneva"
             f"\nimage_caption: The villa where the two presidents will meet.\nimage_credit: '{CREDIT}'"
             "\nimage_focus: 0.4,0.45")
    paragraphs = body.split("\n\n")
    paragraphs.insert(2, '![The lake front, taken sideways](images/sideways.jpg "The lake front on a summer morning")')
    paragraphs.insert(4, "![The palace of nations](images/palais.jpg)")
    paragraphs.insert(6, "![A map of the city, with transparency](images/map.png)")
    map_picture = Image.new("RGBA", (1600, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(map_picture).rectangle((200, 200, 1400, 800), fill=(0, 120, 60, 200))
    map_bytes = io.BytesIO()
    map_picture.save(map_bytes, "PNG")
    return {
        "newsgen.yaml": (REPO / "newsgen.yaml").read_text(encoding="utf-8"),
        SOURCE: head + "\n---\n" + "\n\n".join(paragraphs),
        "static/images/geneva.jpg": jpeg(photo(4000, 3000, 0)),
        "static/images/sideways.jpg": sideways_photo(),
        "static/images/palais.jpg": jpeg(photo(3000, 2000, 2)),
        "static/images/map.png": map_bytes.getvalue(),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("photos") / "site", photo_files())
    built = run_newsgen("build", root, "-q")
    assert built.returncode == 0, built.stderr
    return root


def doc(site: Path) -> lxml.html.HtmlElement:
    return lxml.html.parse(str(site / "build" / GENEVA)).getroot()


def published(site: Path, url: str) -> Path:
    return site / "build" / urlsplit(url).path.lstrip("/")


def srcset(value: str) -> list[tuple[str, int]]:
    return [(url, int(width.rstrip("w"))) for url, width in (entry.split() for entry in value.split(", "))]


# --- what a reader gets ----------------------------------------------------------------------------
def test_every_picture_is_a_picture_element_with_sizes_formats_and_true_dimensions(site: Path) -> None:
    pictures = doc(site).xpath("//picture")
    assert len(pictures) == 4
    originals = {"geneva": (4000, 3000), "sideways": (1200, 1600), "palais": (3000, 2000), "map": (1600, 1000)}
    for number, element in enumerate(pictures):
        sources = element.xpath(".//source")  # libxml2 does not know <source> is void: it nests the rest
        image = element.xpath(".//img")[0]
        assert [s.get("type") for s in sources] == ["image/avif", "image/webp"]
        name = re.search(r"images/(\w+)-", image.get("src")).group(1)
        width, height = originals[name]
        for candidate in [*sources, image]:
            assert candidate.get("sizes")
            offered = srcset(candidate.get("srcset"))
            assert [w for _, w in offered] == sorted(w for _, w in offered)
            assert max(w for _, w in offered) == min(width, 2000)  # never larger than the original
            for url, offered_width in offered:
                with Image.open(published(site, url)) as file:
                    assert file.width == offered_width
                    assert abs(file.height - offered_width * height / width) <= 1  # the photo's own ratio
        with Image.open(published(site, image.get("src"))) as file:
            assert (int(image.get("width")), int(image.get("height"))) == file.size  # nothing shifts
            assert file.format == ("PNG" if name == "map" else "JPEG")  # transparency keeps its PNG
        assert image.get("alt")
        if number == 0:  # the lead photo: fetched first, never lazily
            assert image.get("fetchpriority") == "high" and image.get("loading") is None
        else:
            assert image.get("loading") == "lazy" and image.get("decoding") == "async"


def test_captions_and_credits_are_figures(site: Path) -> None:
    page = doc(site)
    lead = page.xpath('//figure[contains(@class, "story-image")]')[0]
    caption = lead.xpath(".//figcaption")[0]
    assert caption.text_content() == f"The villa where the two presidents will meet. {CREDIT}"
    assert caption.xpath('span[@class="credit"]')[0].text == CREDIT  # markup-like text stays text
    body = page.xpath('//div[contains(@class, "story-body")]//figure')
    assert [f.xpath(".//figcaption")[0].text for f in body] == ["The lake front on a summer morning"]
    assert body[0].xpath(".//img")[0].get("title") is None  # the title became the caption


def test_the_sideways_photo_is_published_upright(site: Path) -> None:
    image = doc(site).xpath('//img[contains(@src, "sideways")]')[0]
    with Image.open(published(site, image.get("src"))) as file:
        assert file.width < file.height  # portrait, as it was taken
        top = file.convert("RGB").getpixel((file.width // 2, 5))
        bottom = file.convert("RGB").getpixel((file.width // 2, file.height - 5))
    assert top[0] > 180 and top[1] < 60 and top[2] < 60, top  # the red band is at the top
    assert not (bottom[0] > 180 and bottom[1] < 60)


def test_no_published_file_keeps_the_metadata_or_the_originals(site: Path) -> None:
    files = build_files(site / "build")
    originals = {(site / "static/images" / name).read_bytes() for name in ("geneva.jpg", "sideways.jpg",
                                                                          "palais.jpg", "map.png")}
    pictures = [name for name in files if name.endswith((".jpg", ".png", ".webp", ".avif"))]
    assert len(pictures) > 40
    assert not any(data in originals for data in files.values())  # the camera files are not published
    assert not any(name in files for name in ("images/geneva.jpg", "images/sideways.jpg"))
    for name in pictures:
        data = files[name]
        assert b"X100" not in data and b"Exif" not in data, name  # no camera serial, no EXIF block
        with Image.open(io.BytesIO(data)) as file:
            exif = file.getexif()
            assert not exif and not exif.get_ifd(0x8825), name  # no GPS location
            assert "icc_profile" not in file.info and "xmp" not in file.info, name
            assert not {k for k in file.info if isinstance(file.info[k], str)} - {"jfif", "progressive"}, (
                name, file.info)  # no PNG text chunks
            file.load()


def test_crawlers_get_three_crops_and_a_social_card_with_absolute_urls_under_the_sub_path(
        tmp_path: Path) -> None:
    files = photo_files()
    files["newsgen.yaml"] = str(files["newsgen.yaml"]).replace("base_url: https://example.org/",
                                                               "base_url: https://example.org/news/")
    root = write_tree(tmp_path / "site", files)
    built = run_newsgen("build", root, "-q")
    assert built.returncode == 0, built.stderr
    html = (root / "build" / GENEVA).read_text("utf-8")
    url = "https://example.org/news/" + GENEVA.removesuffix("index.html")
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True)
    news = next(item for item in data["json-ld"] if item["@type"] == "NewsArticle")
    ratios = []
    for image in news["image"]:
        assert image["@type"] == "ImageObject"
        assert image["url"].startswith("https://example.org/news/images/geneva-")
        assert image["creditText"] == CREDIT and image["copyrightNotice"] == CREDIT
        assert image["width"] >= 1200
        with Image.open(published(root, image["url"].removeprefix("https://example.org/news"))) as file:
            assert file.size == (image["width"], image["height"]) and file.format == "JPEG"
        ratios.append(round(image["width"] / image["height"], 3))
    assert ratios == [round(16 / 9, 3), round(4 / 3, 3), 1.0]
    og = data["opengraph"][0]
    assert og["og:image"].startswith("https://example.org/news/images/geneva-social.")
    assert (og["og:image:width"], og["og:image:height"]) == ("1200", "630")
    with Image.open(published(root, og["og:image"].removeprefix("https://example.org/news"))) as file:
        assert file.size == (1200, 630) and file.format == "JPEG"
    twitter = lxml.html.fromstring(html).xpath('//meta[@name="twitter:image"]')[0].get("content")
    assert twitter == og["og:image"]
    feed = json.loads((root / "build/feed.json").read_text("utf-8"))
    assert feed["items"][0]["image"] == og["og:image"]  # never the unpublished original


def test_the_focus_moves_the_crops(make_site: Callable[..., Path]) -> None:
    crops = {}
    for focus in ("0,0", "1,1"):
        root = make_site({"newsgen.yaml": "title: T\nbase_url: https://example.org/\n",
                          "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\nimage_alt: A photo\n"
                                          f"image_focus: {focus}\n---\nBody.\n",
                          "static/p.jpg": jpeg(photo(2400, 1000, 3))})
        build(root, BuildOptions(jobs=1))
        square = next((root / "build").glob("p-1x1.*.jpg"))
        crops[focus] = square.read_bytes()
    assert crops["0,0"] != crops["1,1"]
    bad = make_site({"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n"
                     "image: p.jpg\nimage_alt: A\nimage_focus: 2,0.5\n---\nBody.\n", "static/p.jpg": b""})
    result = run_newsgen("build", bad)
    assert result.returncode == 1
    assert "content/a.md:6: image_focus: expected two numbers from 0 to 1" in result.stderr


def test_a_body_picture_without_alt_text_is_a_warning_with_its_line(make_site: Callable[..., Path]) -> None:
    root = make_site({"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n"
                      "Text.\n\n![](p.jpg)\n", "static/p.jpg": jpeg(photo(600, 400, 1))})
    result = run_newsgen("build", root)
    assert result.returncode == 0, result.stderr
    assert "warning: content/a.md:7: body: the picture 'p.jpg' has no alt text" in result.stderr
    assert run_newsgen("build", root, "--strict").returncode == 1


def test_remote_and_svg_pictures_stay_as_they_are(make_site: Callable[..., Path]) -> None:
    root = make_site({"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n"
                      "image: https://cdn.example.com/x.jpg\nimage_alt: Remote\n---\n![Logo](logo.svg)\n",
                      "static/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n"})
    assert build(root, BuildOptions(jobs=1)).pictures == 0
    page = lxml.html.parse(str(next((root / "build").rglob("a/index.html")))).getroot()
    assert page.xpath("//picture") == []
    assert [i.get("src") for i in page.xpath("//img")] == ["https://cdn.example.com/x.jpg", "/logo.svg"]
    assert (root / "build/logo.svg").is_file()


def test_a_hugo_page_bundle_has_its_photo_resized(make_site: Callable[..., Path]) -> None:
    root = make_site({"hugo.toml": "baseURL = 'https://example.org/'\ntitle = 'T'\n",
                      "content/posts/geneva/index.md": "---\ntitle: Geneva\ndate: 2024-01-01\nimage: photo.jpg\n"
                                                       "image_alt: The lake\n---\nText.\n\n![Palais](palais.jpg)\n",
                      "content/posts/geneva/photo.jpg": jpeg(photo(1600, 1200, 0)),
                      "content/posts/geneva/palais.jpg": jpeg(photo(900, 600, 2))})
    result = build(root, BuildOptions(jobs=1))
    assert result.pictures == 2
    made = sorted(p.name for p in (root / "build/posts/geneva").iterdir() if p.suffix != ".html")
    assert "photo-1600." in " ".join(made) and "palais-900." in " ".join(made)
    page = lxml.html.parse(str(next((root / "build").rglob("geneva/index.html")))).getroot()
    for image in page.xpath("//picture/img"):
        assert published(root, image.get("src")).is_file()


def test_relative_urls_reach_every_width(make_site: Callable[..., Path]) -> None:
    """With `relative_urls: true` (a build opened from disk) the srcset candidates are relative too."""
    root = make_site({"newsgen.yaml": "title: T\nbase_url: https://example.org/news/\nrelative_urls: true\n",
                      "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\nimage_alt: P\n---\n"
                                      "![Body](q.jpg)\n", "static/p.jpg": jpeg(photo(1000, 700, 1)),
                      "static/q.jpg": jpeg(photo(900, 600, 2))})
    build(root, BuildOptions(jobs=1))
    page = next((root / "build").rglob("a/index.html"))
    offered = [url for element in lxml.html.parse(str(page)).getroot().xpath("//*[@srcset]")
               for url, _ in srcset(element.get("srcset"))]
    assert len(offered) == 18  # two pictures, three widths each, three formats
    for url in offered:
        assert not url.startswith("/") and (page.parent / url).resolve().is_file(), url


def test_hostile_captions_and_credits_stay_text(make_site: Callable[..., Path]) -> None:
    caption = "</figcaption><script>alert(1)</script>"
    credit = '"}]</script><script>alert(2)</script> & \u2028 Agency'
    body_title = '<img src=x onerror=alert(3)>'
    root = make_site({"newsgen.yaml": "title: T\n",
                      "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\nimage_alt: P\n"
                                      f"image_caption: {json.dumps(caption)}\nimage_credit: {json.dumps(credit)}\n---\n"
                                      f"![Body](q.jpg {json.dumps(body_title)})\n",
                      "static/p.jpg": jpeg(photo(900, 600, 1)), "static/q.jpg": jpeg(photo(700, 500, 2))})
    build(root, BuildOptions(jobs=1))
    html = next((root / "build").rglob("a/index.html")).read_text("utf-8")
    page = lxml.html.fromstring(html)
    assert [s.get("type") for s in page.xpath("//script")] == ["application/ld+json"] * 2
    assert [c.text_content() for c in page.xpath("//figcaption")] == [f"{caption} {credit}", body_title]
    assert page.xpath("//img[@onerror]") == []
    news = next(i for i in extruct.extract(html, syntaxes=["json-ld"])["json-ld"] if i["@type"] == "NewsArticle")
    assert {i["creditText"] for i in news["image"]} == {credit}
    assert {i["caption"] for i in news["image"]} == {caption}


# --- bad files: a clear error with the article's file and line, the previous build untouched ---------
def bomb() -> bytes:
    """A PNG header claiming 30,000 x 30,000 pixels, with nothing behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("damage, message", [
    ("missing", "'images/geneva.jpg' points at no file of the site"),
    ("not a picture", "static/images/geneva.jpg is not a picture newsgen can read"),
    ("truncated", "static/images/geneva.jpg cannot be decoded, it may be truncated or damaged"),
    ("bomb", "static/images/geneva.jpg has more pixels than Pillow's decompression-bomb limit"),
])
def test_a_bad_picture_file_stops_the_build_and_leaves_the_last_one(make_site: Callable[..., Path],
                                                                    damage: str, message: str) -> None:
    good = jpeg(photo(1600, 1200, 0))
    root = make_site({"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\n"
                      "image: images/geneva.jpg\nimage_alt: The lake\n---\nText.\n",
                      "static/images/geneva.jpg": good})
    assert run_newsgen("build", root, "-q").returncode == 0
    before = build_files(root / "build")
    path = root / "static/images/geneva.jpg"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes({"not a picture": b"GIF? no, a text file\n", "truncated": good[: len(good) // 2],
                          "bomb": bomb()}[damage])
    result = run_newsgen("build", root)
    assert result.returncode == 1
    assert f"content/a.md:4: image: {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert build_files(root / "build") == before


# --- cost: cached by source bytes and settings -------------------------------------------------------
def test_an_unchanged_photo_is_never_encoded_again(make_site: Callable[..., Path]) -> None:
    files = {"newsgen.yaml": "title: T\n"}
    for n in range(3):
        files[f"content/a{n}.md"] = (f"---\ntitle: A{n}\ndate: 2024-01-0{n + 1}\nimage: p{n}.jpg\nimage_alt: P\n---\n"
                                     f"Text {n}.\n")
        files[f"static/p{n}.jpg"] = jpeg(photo(1000, 700, n))
    root = make_site(files)
    first = build(root, BuildOptions(jobs=2))
    assert (first.pictures, first.encoded) == (3, 3)
    assert build(root, BuildOptions(jobs=2)).encoded == 0  # nothing changed
    (root / "content/a0.md").write_text(files["content/a0.md"].replace("Text 0.", "Edited."))
    edited = build(root, BuildOptions(jobs=2))
    assert (edited.pictures, edited.encoded, edited.rendered > 0) == (3, 0, True)
    names = {p.name for p in (root / "build").glob("p1-*")}
    (root / "static/p1.jpg").write_bytes(jpeg(photo(1000, 700, 7)))  # same size, other pixels
    changed = build(root, BuildOptions(jobs=2))
    assert changed.encoded == 1
    renamed = {p.name for p in (root / "build").glob("p1-*")}
    assert renamed and not names & renamed  # a new name: hosts may cache the old one forever
    html = next((root / "build").rglob("a1/index.html")).read_text("utf-8")
    assert all(name in html for name in renamed if "-1x1" not in name and "-4x3" not in name
               and "-16x9" not in name)
    assert build_files(root / "build") == build_files(build(root, BuildOptions(jobs=1, cache=False,
                                                                             output=root / "clean")).output)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_pictures_are_encoded_in_workers_under_both_start_methods(make_site: Callable[..., Path],
                                                                  method: str) -> None:
    files = {"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nimage: p0.jpg\n"
             "image_alt: P\n---\n" + "".join(f"![P{n}](p{n}.jpg)\n\n" for n in range(1, 4))}
    files |= {f"static/p{n}.jpg": jpeg(photo(900, 600, n)) for n in range(4)}
    root = make_site(files)
    result = run_newsgen("build", root, env={"NEWSGEN_START_METHOD": method})
    assert result.returncode == 0, result.stderr
    assert "4 pictures in" in result.stdout and "(4 encoded)" in result.stdout
    clean = build(root, BuildOptions(jobs=1, cache=False, output=root / "clean"))
    assert build_files(root / "build") == build_files(clean.output)


# --- validators and the browser -----------------------------------------------------------------------
@pytest.mark.validator
def test_the_photo_article_is_valid_html(site: Path) -> None:
    vnu = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    run = subprocess.run(["java", "-jar", str(vnu), "--format", "json", str(site / "build" / GENEVA),
                          str(site / "build/index.html")], capture_output=True, text=True, timeout=300)
    errors = [m for m in json.loads(run.stderr)["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == []


@pytest.mark.browser
def test_a_phone_gets_the_page_upright_in_under_250_kb(site: Path, static_server: Callable[[Path], str]) -> None:
    from playwright.sync_api import sync_playwright

    from test_browser import AXE, AXE_TAGS, CHROMIUM_ARGS

    origin = static_server(site / "build")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            # an iPhone 12-15's screen: 390 CSS px at 3 device pixels each
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3,
                                          is_mobile=True, has_touch=True)
            page = context.new_page()
            sizes: dict[str, int] = {}
            page.on("requestfinished", lambda request: sizes.__setitem__(
                request.url, request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
            page.goto(f"{origin}/{GENEVA.removesuffix('index.html')}", wait_until="networkidle")
            for _ in range(12):  # read to the end: every lazy picture is fetched
                page.mouse.wheel(0, 800)
                page.wait_for_timeout(150)
            page.wait_for_load_state("networkidle")
            pictures = {u: s for u, s in sizes.items() if "/images/" in u}
            assert len(pictures) == 4, sizes  # one file for each picture, no more
            assert all(u.endswith(".avif") for u in pictures)
            total = sum(sizes.values())
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "photos-transfer.json").write_text(json.dumps({"total": total, **sizes}, indent=1))
            assert total <= 250_000, f"{total} bytes: {sizes}"
            sideways = page.locator('img[src*="sideways"]')
            sideways.scroll_into_view_if_needed()
            box = sideways.bounding_box()
            assert box is not None and box["height"] > box["width"]  # upright: portrait
            sideways.screenshot(path=str(ARTIFACTS / "photos-sideways.png"))
            shot = Image.open(ARTIFACTS / "photos-sideways.png").convert("RGB")
            top = shot.getpixel((shot.width // 2, 3))
            assert top[0] > 180 and top[1] < 60 and top[2] < 60, top
            page.add_script_tag(path=str(AXE))
            found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
            assert found["violations"] == [], found["violations"]
        finally:
            browser.close()


def test_a_damaged_picture_cache_costs_a_clean_build_never_a_wrong_one(make_site: Callable[..., Path]) -> None:
    root = make_site({"newsgen.yaml": "title: T\n", "content/a.md": "---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\n"
                      "image_alt: P\n---\nText.\n", "static/p.jpg": jpeg(photo(900, 600, 1))})
    build(root, BuildOptions(jobs=1))
    store = root / ".build.newsgen-cache" / "pictures"
    record = next(store.glob("*.facts"))
    encoded = next(p for p in (store / record.stem).iterdir() if p.suffix == ".avif")
    encoded.write_bytes(b"not the bytes recorded")
    (root / "content/a.md").write_text("---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\nimage_alt: P\n---\nEdited.\n")
    shutil.rmtree(root / "build")  # nothing to link from: the encoded files must be read from the cache
    damaged = build(root, BuildOptions(jobs=1))
    assert any("could not be read" in note for note in damaged.notes)
    record.write_bytes(b"garbage")
    (root / "content/a.md").write_text("---\ntitle: A\ndate: 2024-01-01\nimage: p.jpg\nimage_alt: P\n---\nAgain.\n")
    again = build(root, BuildOptions(jobs=1))
    assert any("could not be read" in note for note in again.notes) and again.encoded == 1
    clean = build(root, BuildOptions(jobs=1, cache=False, output=root / "clean"))
    assert build_files(root / "build") == build_files(clean.output)


if __name__ == "__main__":  # the acceptance site, for tools/audit.py: python tests/test_pictures.py FOLDER
    import sys

    write_tree(Path(sys.argv[1]), photo_files())
