"""The default theme in a real browser: headless Chromium over the built sites served on localhost.

Two sites are built: the repository's own site (the Geneva article) and a scratch newsroom of many
articles (pagination, sections, related stories, a picture, a dateline, very long words).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import ARTIFACTS, REPO, run_newsgen
from newsroom import newsroom_files
from playwright.sync_api import Browser, Page, sync_playwright

pytestmark = pytest.mark.browser

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
GENEVA = "/2021/05/25/biden-putin-geneva-summit/"
# What a reader meets: the front page, articles, sections, topics, their indexes and the 404 page.
DEFAULT_PAGES = ["/", GENEVA, "/category/world/", "/tag/geneva/", "/404.html"]
NEWSROOM_PAGES = ["/", "/page/2/", "/2024/03/12/harbour-budget/", "/2024/03/09/compound-words/",
                  "/category/world/", "/category/world/page/2/", "/tag/harbour/", "/categories/", "/tags/",
                  "/404.html"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sites(tmp_path: Path, make_site: Callable[..., Path],
          static_server: Callable[[Path], str]) -> dict[str, str]:
    """Both sites built with the CLI and served over HTTP: {"default": origin, "newsroom": origin}."""
    default_out = tmp_path / "default-build"
    built = run_newsgen("build", REPO, "-o", default_out, "-q")
    assert built.returncode == 0, built.stderr
    newsroom = make_site(newsroom_files(), name="newsroom")
    built = run_newsgen("build", newsroom, "-q")
    assert built.returncode == 0, built.stderr
    return {"default": static_server(default_out), "newsroom": static_server(newsroom / "build")}


def every_page(sites: dict[str, str]) -> list[str]:
    return [sites["default"] + p for p in DEFAULT_PAGES] + [sites["newsroom"] + p for p in NEWSROOM_PAGES]


def open_page(browser: Browser, url: str, **context: object) -> tuple[Page, list[str]]:
    """A fresh page at url, with every request it made recorded."""
    page = browser.new_context(**context).new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(url, wait_until="load")
    assert response is not None
    assert response.status == 200, url
    return page, requests


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_and_nothing_leaves_the_site(browser: Browser, sites: dict[str, str],
                                                              scheme: str) -> None:
    failures = []
    for url in every_page(sites):
        page, requests = open_page(browser, url, color_scheme=scheme, viewport={"width": 390, "height": 844})
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
                 .map(v => `${v.id}: ${v.help} -> ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""",
            AXE_TAGS)
        failures += [f"{url} [{scheme}] {v}" for v in violations]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        failures += [f"{url} requested {r}" for r in requests if not r.startswith(origin + "/")]
        page.context.close()
    assert not failures, "\n".join(failures)


def test_no_horizontal_scrolling_at_320_px(browser: Browser, sites: dict[str, str]) -> None:
    wide = []
    for url in every_page(sites):
        page, _ = open_page(browser, url, viewport={"width": 320, "height": 640})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide.append(f"{url}: {width}px")
        page.context.close()
    assert not wide, wide


def test_pages_do_not_shift_while_loading(browser: Browser, sites: dict[str, str]) -> None:
    shifts = []
    for url in every_page(sites):
        page, _ = open_page(browser, url, viewport={"width": 390, "height": 844})
        total = page.evaluate("""() => new Promise(resolve => {
            let sum = 0;
            new PerformanceObserver(list => { for (const e of list.getEntries()) sum += e.value; })
              .observe({type: 'layout-shift', buffered: true});
            requestAnimationFrame(() => setTimeout(() => resolve(sum), 100));
        })""")
        sizeless = page.evaluate("[...document.images].filter(i => !i.getAttribute('width') || !i.getAttribute('height')).length")
        if total or sizeless:
            shifts.append(f"{url}: layout shift {total}, {sizeless} images without width/height")
        page.context.close()
    assert not shifts, shifts


def test_article_screenshots(browser: Browser, sites: dict[str, str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        for scheme in ("light", "dark"):
            page = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme).new_page()
            for name, url in (("article", sites["default"] + GENEVA),
                              ("newsroom-article", sites["newsroom"] + "/2024/03/12/harbour-budget/"),
                              ("newsroom-home", sites["newsroom"] + "/")):
                page.goto(url)
                path = ARTIFACTS / f"{name}-{width}x{height}-{scheme}.png"
                page.screenshot(path=str(path), full_page=True)
                assert path.stat().st_size > 10_000
            page.context.close()


def test_print_hides_navigation_and_prints_link_addresses(browser: Browser, sites: dict[str, str]) -> None:
    page, _ = open_page(browser, sites["newsroom"] + "/2024/03/12/harbour-budget/")
    styles = """() => ({
        nav: getComputedStyle(document.querySelector('.sections')).display,
        footer: getComputedStyle(document.querySelector('.site-footer')).display,
        after: getComputedStyle(document.querySelector('.story-body a[href^="https"]'), '::after').content,
    })"""
    screen = page.evaluate(styles)
    assert screen["nav"] != "none" and screen["after"] == "none"
    page.emulate_media(media="print")
    printed = page.evaluate(styles)
    assert printed["nav"] == "none" and printed["footer"] == "none"
    assert "https://example.com/review?id=1&lang=en" in printed["after"]
    page.context.close()


@pytest.mark.parametrize("motion, duration", [("no-preference", "0.15s"), ("reduce", "0s")])
def test_reduced_motion_turns_transitions_off(browser: Browser, sites: dict[str, str], motion: str,
                                              duration: str) -> None:
    page, _ = open_page(browser, sites["default"] + GENEVA, reduced_motion=motion)
    assert page.evaluate("getComputedStyle(document.querySelector('.story-body a, main a')).transitionDuration") \
        .split(",")[0] == duration
    page.context.close()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(browser: Browser, sites: dict[str, str]) -> None:
    page, _ = open_page(browser, sites["default"] + GENEVA)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()
