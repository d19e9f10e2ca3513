"""`newsgen serve` as users meet it: a real server subprocess, a real HTTP client, real Chromium."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import requests

from conftest import ARTIFACTS, article, run_newsgen
from newsgen.errors import ContentError
from newsgen.live import LiveSite
from newsgen.render import THEME_DIR
from newsgen.serve import Route, allowed_hosts, content_type, host_allowed, inject, locate, route

SUMMIT = "content/2021-05-25-summit.md"
SUMMIT_PATH = "/news/2021/05/25/leaders-meet-in-geneva/"
CONFIG = "title: Preview Test\nbase_url: https://example.org/news/\ntimezone: UTC\n"


def site_files(**extra: str) -> dict[str, str]:
    return {
        "newsgen.yaml": CONFIG,
        SUMMIT: article("Leaders meet in Geneva", slug="leaders-meet-in-geneva", categories=["World"],
                        body="The summit began on time.\n"),
        "content/2021-05-26-draft.md": article("Unfinished story", date="2021-05-26T09:00:00+00:00",
                                               draft="true"),
        "content/2099-01-01-later.md": article("Embargoed report", date="2099-01-01T09:00:00+00:00"),
        **extra,
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str  # the address printed, with the base path
    origin: str
    port: int
    out: Path
    err: Path
    tmp: Path

    def log(self) -> str:
        return self.out.read_text() + self.err.read_text()


def _start(site: Path, tmp: Path, *args: str) -> Server:
    out, err, private = tmp / "serve.out", tmp / "serve.err", tmp / "tmpdir"
    private.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(private), "NO_COLOR": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:  # the child keeps its own copies
        process = subprocess.Popen([sys.executable, "-m", "newsgen", "serve", str(site), "--port", "0", *args],
                                   stdout=stdout, stderr=stderr, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"at (http://\S+) ", out.read_text())
        if found:
            url = found.group(1)
            origin = re.match(r"http://[^/]+", url).group(0)  # type: ignore[union-attr]
            return Server(process, url, origin, int(origin.rsplit(":", 1)[1]), out, err, private)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"server did not start:\n{out.read_text()}\n{err.read_text()}")


def _stop(server: Server) -> int:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
    try:
        return server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(site: Path, *args: str) -> Server:
        server = _start(site, tmp_path, *args)
        started.append(server)
        return server

    yield start
    for server in started:
        _stop(server)


def wait_until(check: Callable[[], object], timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        time.sleep(0.05)


def raw_get(port: int, target: str, host: str | None = None) -> tuple[int, bytes]:
    """A GET with the request target sent byte for byte (clients normalise '..' away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\n"
                     "Connection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


# --- pure parts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "expected"), [
    ("/news/", Route(200, (), folder=True)),
    ("/news/2021/05/25/x/", Route(200, ("2021", "05", "25", "x"), folder=True)),
    ("/news/feed.xml?utm=1", Route(200, ("feed.xml",))),
    ("/news/caf%C3%A9/", Route(200, ("café",), folder=True)),
    ("/news//assets//style.css", Route(200, ("assets", "style.css"))),
    ("/", Route(302, location="/news/")),
    ("/news", Route(301, location="/news/")),
    ("/news?x=1", Route(301, location="/news/?x=1")),
    ("/other/page/", Route(404)),
    ("/newsroom/", Route(404)),
    ("/news/.newsgen-manifest.json", Route(404)),
    ("/news/assets/.secret", Route(404)),
    ("/news/../etc/passwd", Route(400)),
    ("/../etc/passwd", Route(400)),
    ("/news/./index.html", Route(400)),
    ("/news/%2e%2e/%2e%2e/etc/passwd", Route(400)),
    ("/news/%2E%2E/x", Route(400)),
    ("/news/..%2f..%2fetc%2fpasswd", Route(400)),
    ("/news/%2fetc/passwd", Route(400)),
    ("/news/..%5c..%5cwindows", Route(400)),
    ("/news/a\\..\\b", Route(400)),
    ("/news/index.html%00.css", Route(400)),
    ("/news/\x00", Route(400)),
    ("/news/%1b[31mred", Route(400)),
    ("/news/%ff%fe", Route(400)),
    ("http://evil.example/news/", Route(400)),
    ("*", Route(400)),
])
def test_route_decides_paths_before_any_file_is_touched(target: str, expected: Route) -> None:
    assert route(target, "/news/") == expected


def test_route_at_the_root() -> None:
    assert route("/", "/") == Route(200, (), folder=True)
    assert route("/x.css", "/") == Route(200, ("x.css",))


def test_locate_names_files_of_the_snapshot_only() -> None:
    files = {"index.html", "story/index.html", "assets/style.css", "café/index.html"}
    assert locate(files, Route(200, (), folder=True)) == ("file", "index.html")
    assert locate(files, Route(200, ("story",), folder=True)) == ("file", "story/index.html")
    assert locate(files, Route(200, ("story",))) == ("redirect", "/story/")  # to the folder
    assert locate(files, Route(200, ("café",))) == ("redirect", "/caf%C3%A9/")
    assert locate(files, Route(200, ("assets", "style.css"))) == ("file", "assets/style.css")
    assert locate(files, Route(200, ("assets",), folder=True)) is None  # no listing
    assert locate(files, Route(200, ("assets",))) is None
    assert locate(files, Route(200, ("missing.html",))) is None


@pytest.mark.parametrize(("name", "kind"), [
    ("index.html", "text/html; charset=utf-8"), ("style.css", "text/css; charset=utf-8"),
    ("feed.xml", "application/atom+xml; charset=utf-8"), ("rss.xml", "application/rss+xml; charset=utf-8"),
    ("feed.json", "application/feed+json"), ("sitemap.xml", "application/xml; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"), ("robots.txt", "text/plain; charset=utf-8"),
    ("photo.JPG", "image/jpeg"), ("data.bin", "application/octet-stream"),
])
def test_content_types(name: str, kind: str) -> None:
    assert content_type(name) == kind


def test_inject_goes_before_the_last_body_end() -> None:
    page = b"<html><body><p>&lt;/body&gt;</p></BODY></html>"
    assert inject(page, 7) == (b'<html><body><p>&lt;/body&gt;</p><script src="/__newsgen/live.js" '
                               b'data-build="7"></script></BODY></html>')
    assert inject(b"<p>fragment", None).endswith(b'data-build=""></script>')


@pytest.mark.parametrize(("bound", "header", "allowed"), [
    ("127.0.0.1", "127.0.0.1:8000", True),
    ("127.0.0.1", "localhost:8000", True),
    ("127.0.0.1", "LOCALHOST:8000", True),
    ("127.0.0.1", "[::1]:8000", True),
    ("127.0.0.1", "127.0.0.1:8001", False),
    ("127.0.0.1", "127.0.0.1", False),
    ("127.0.0.1", "evil.example:8000", False),
    ("127.0.0.1", "10.0.0.5:8000", False),
    ("127.0.0.1", "", False),
    ("127.0.0.1", None, False),
    ("10.0.0.5", "10.0.0.5:8000", True),
    ("0.0.0.0", "192.168.1.20:8000", True),  # reachable by its address from the network
    ("0.0.0.0", "[fe80::1]:8000", True),
    ("0.0.0.0", "rebind.example:8000", False),  # never by a name: that is DNS rebinding
    ("0.0.0.0", "192.168.1.20:9000", False),
])
def test_host_header_check(bound: str, header: str | None, allowed: bool) -> None:
    server = SimpleNamespace(allowed_hosts=allowed_hosts(bound, 8000), server_address=(bound, 8000))
    assert host_allowed(header, server) is allowed  # type: ignore[arg-type]


# --- the running server ----------------------------------------------------------------------------

def test_serves_the_site_under_its_base_path(make_site: Callable[..., Path], serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    server = serve(site)
    assert server.url == f"{server.origin}/news/"
    session = requests.Session()

    first = session.get(server.origin + "/", allow_redirects=False)
    assert first.status_code == 302 and first.headers["Location"] == "/news/"
    assert session.get(server.origin + "/news", allow_redirects=False).headers["Location"] == "/news/"
    folder = session.get(server.origin + SUMMIT_PATH.rstrip("/"), allow_redirects=False)
    assert folder.status_code == 301 and folder.headers["Location"] == SUMMIT_PATH

    home = session.get(server.url)
    assert home.status_code == 200 and home.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Leaders meet in Geneva" in home.text
    assert 'src="/__newsgen/live.js"' in home.text
    assert "Unfinished story" in home.text and "Draft" in home.text  # drafts shown, marked
    assert "Embargoed report" in home.text and "Scheduled" in home.text  # so are future articles
    story = session.get(server.origin + SUMMIT_PATH)
    assert f'href="{server.origin}{SUMMIT_PATH}"' in story.text  # canonical points at the preview

    for path, kind in [("feed.xml", "application/atom+xml"), ("rss.xml", "application/rss+xml"),
                       ("feed.json", "application/feed+json"), ("sitemap.xml", "application/xml"),
                       ("assets/style.css", "text/css"), ("favicon.svg", "image/svg+xml"),
                       ("robots.txt", "text/plain")]:
        response = session.get(server.url + path)
        assert response.status_code == 200, path
        assert response.headers["Content-Type"].startswith(kind), path
        assert int(response.headers["Content-Length"]) == len(response.content) > 0
        head = session.head(server.url + path)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Length"] == response.headers["Content-Length"]
        again = session.get(server.url + path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""

    for missing in ("/news/no-such-page/", "/elsewhere/", "/news/.newsgen-manifest.json"):
        response = session.get(server.origin + missing)
        assert response.status_code == 404, missing
        assert "Page not found" in response.text  # the site's own 404 page

    built = run_newsgen("build", site)
    assert built.returncode == 0, built.stderr
    assert not any("__newsgen" in page.read_text() for page in (site / "build").rglob("*.html"))


def test_no_path_reaches_outside_the_build(make_site: Callable[..., Path], serve: Callable[..., Server],
                                           tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-BYTES")
    site = make_site(site_files())
    (site / "static").mkdir()
    (site / "static/leak.txt").symlink_to(secret)
    (site / "static/.hidden.txt").write_text("TOP-SECRET-BYTES")
    server = serve(site)
    attempts = [
        "/../secret.txt", "/news/../../secret.txt", "/news/../../../../../../etc/passwd",
        "/news/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/news/..%2f..%2f..%2fetc%2fpasswd",
        "/news/%2fetc%2fpasswd", "/news/..%5c..%5csecret.txt", "/news/..\\..\\secret.txt",
        "/news/index.html%00.txt", "/news/%00", "//etc/passwd", "/news//etc/passwd", "/etc/passwd",
        f"/news/{'%2e' * 2}/{secret}", "/news/leak.txt", "/news/.hidden.txt", "/news/.newsgen-manifest.json",
        "/news/assets/", "/news/2021/", str(secret),
    ]
    for target in attempts:
        status, body = raw_get(server.port, target)
        assert status in (400, 403, 404), target
        assert b"TOP-SECRET" not in body and b"root:" not in body, target

    assert raw_get(server.port, "/news/", host="evil.example")[0] == 403  # DNS rebinding
    assert raw_get(server.port, "/news/", host=f"evil.example:{server.port}")[0] == 403
    assert raw_get(server.port, "/news/", host=f"localhost:{server.port}")[0] == 200
    assert raw_get(server.port, "/news/", host=f"[::1]:{server.port}")[0] == 200

    status, _ = raw_get(server.port, "/news/\x1b[31mred")
    assert status == 400
    log = server.err.read_text()
    assert "\x1b" not in log and "\\x1b[31mred" in log  # logged escaped


def test_rename_and_delete_update_the_served_site(make_site: Callable[..., Path],
                                                  serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    server = serve(site)
    for litter in ("content/.2021-05-25-summit.md.swp", "content/2021-05-25-summit.md~", "content/4913",
                   "templates/.base.html.swx", "newsgen.yaml.tmp", "build/index.html"):
        (site / litter).parent.mkdir(exist_ok=True)
        (site / litter).write_text("editor litter")
    time.sleep(0.5)
    renamed = site / "content/2021-05-25-renamed.md"
    (site / SUMMIT).rename(renamed)
    renamed.write_text(article("Leaders meet in Geneva", slug="geneva-summit-opens"))
    wait_until(lambda: requests.get(server.origin + SUMMIT_PATH).status_code == 404)
    assert requests.get(server.url + "2021/05/25/geneva-summit-opens/").status_code == 200
    changes = [line for line in server.out.read_text().splitlines() if line.startswith("Changed:")]
    assert changes[0] == "Changed: content/2021-05-25-renamed.md, content/2021-05-25-summit.md"
    assert not [line for line in changes if re.search(r"swp|swx|~|4913|tmp|build/", line)]  # litter ignored
    renamed.unlink()
    wait_until(lambda: requests.get(server.url + "2021/05/25/geneva-summit-opens/").status_code == 404)
    assert "Leaders meet" not in requests.get(server.url).text


def test_port_in_use_is_a_clear_error(make_site: Callable[..., Path]) -> None:
    site = make_site(site_files())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_newsgen("serve", site, "--port", str(port))
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_ctrl_c_exits_cleanly_and_leaves_nothing_behind(make_site: Callable[..., Path],
                                                        serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    server = serve(site)
    browser = requests.Session()  # an open page: its keep-alive connection, idle, and its event stream
    assert browser.get(server.url).status_code == 200
    events = requests.get(server.origin + "/__newsgen/events", stream=True, timeout=10)
    assert events.headers["Content-Type"] == "text/event-stream"
    assert _stop(server) == 0  # without waiting for the idle connection to time out
    events.close()
    browser.close()
    assert "Stopped." in server.out.read_text()
    # the preview lives in memory: nothing in the temporary folder, nothing in the site
    assert list(server.tmp.iterdir()) == []
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_a_killed_server_leaves_nothing_behind(make_site: Callable[..., Path],
                                               serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    killed = serve(site)
    (site / SUMMIT).write_text(article("Leaders meet in Geneva again", slug="leaders-meet-in-geneva"))
    wait_until(lambda: "Geneva again" in requests.get(killed.origin + SUMMIT_PATH).text)
    killed.process.kill()
    killed.process.wait()
    assert list(killed.tmp.iterdir()) == []
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_bad_edit_keeps_the_last_good_build_and_reports(make_site: Callable[..., Path],
                                                        serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    server = serve(site)
    (site / SUMMIT).write_text("---\ntitle: 'Leaders meet\ndate: 2021-05-25\n---\nBody\n")
    wait_until(lambda: "error: content/2021-05-25-summit.md:" in server.err.read_text())
    page = requests.get(server.origin + SUMMIT_PATH)
    assert page.status_code == 200 and "Leaders meet in Geneva" in page.text
    with requests.get(server.origin + "/__newsgen/events", stream=True, timeout=10) as events:
        lines = events.iter_lines(chunk_size=1, decode_unicode=True)
        data = next(line for line in lines if line.startswith("data: "))
    assert "content/2021-05-25-summit.md:" in data and '"build": 1' in data

    (site / SUMMIT).write_text(article("Leaders meet in Geneva", slug="leaders-meet-in-geneva"))
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text(
        "{% extends 'base.html' %}{% block main %}{{ article.title | nosuch }}{% endblock %}\n")
    wait_until(lambda: "error: templates/article.html:1: No filter named 'nosuch'" in server.err.read_text())
    assert "Leaders meet in Geneva" in requests.get(server.origin + SUMMIT_PATH).text
    assert server.process.poll() is None


def test_the_preview_reports_the_advice_the_build_gives(make_site: Callable[..., Path],
                                                       serve: Callable[..., Server]) -> None:
    """The error overlay shows what the build says (the events stream carries it): the headline to
    quote, and the picture that is no file of the site with the path meant, in the terminal too."""
    site = make_site(site_files())
    server = serve(site)

    def overlay_text() -> str:
        with requests.get(server.origin + "/__newsgen/events", stream=True, timeout=10) as events:
            lines = events.iter_lines(chunk_size=1, decode_unicode=True)
            return next(line for line in lines if line.startswith("data: "))

    (site / SUMMIT).write_text("---\ntitle: Mayor: we will build the lanes\ndate: 2021-05-25\n---\nBody\n")
    wait_until(lambda: "put the headline in quotes" in server.err.read_text())
    assert 'title: \\"Mayor: we will build the lanes\\"' in overlay_text()
    (site / "static/images").mkdir(parents=True)
    (site / "static/images/lanes.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (site / SUMMIT).write_text(article("Leaders meet in Geneva", slug="leaders-meet-in-geneva",
                                       body="![The lanes](static/images/lanes.svg)\n"))
    wait_until(lambda: "'static/images/lanes.svg' points at no file of the site" in server.err.read_text())
    assert "did you mean images/lanes.svg?" in overlay_text()
    assert "Leaders meet in Geneva" in requests.get(server.origin + SUMMIT_PATH).text  # the last good build


def test_a_page_only_some_data_breaks_shows_its_error_when_asked_for(make_site: Callable[..., Path],
                                                                     serve: Callable[..., Server]) -> None:
    """Pages are rendered on demand: a template error that the pages checked before publishing do not
    meet shows on the page that meets it, with status 500, and in the terminal."""
    site = make_site(rich_site_files())
    server = serve(site)
    (site / "templates").mkdir()
    (site / "templates/article.html").write_text(
        "{% extends 'base.html' %}{% block main %}<h1>{{ article.title }}</h1>"
        "{% if article.slug == 'old-dispatch' %}{{ article.no_such_field }}{% endif %}{% endblock %}\n")
    wait_for_build(server, 2)
    fine = requests.get(server.origin + SUMMIT_PATH)
    assert fine.status_code == 200 and "<h1>Leaders meet in Geneva</h1>" in fine.text
    broken = requests.get(server.url + "2021/05/20/old-dispatch/")
    assert broken.status_code == 500
    assert "templates/article.html:1: UndefinedError" in broken.text and "no_such_field" in broken.text
    assert 'src="/__newsgen/live.js"' in broken.text  # the page still reloads on the next save
    assert "error: templates/article.html:1: UndefinedError" in server.err.read_text()


def test_load_during_rebuilds_gets_only_whole_responses(make_site: Callable[..., Path],
                                                        serve: Callable[..., Server]) -> None:
    site = make_site(site_files())
    server = serve(site, "--quiet")
    urls = [server.url, server.origin + SUMMIT_PATH, server.url + "assets/style.css", server.url + "feed.xml",
            server.url + "no-such-page/"]
    failures: list[str] = []
    done = threading.Event()
    counts = [0]
    lock = threading.Lock()
    rebuilds = [0]
    deadline = time.monotonic() + 30  # bounded in time as well as in count

    def client(number: int) -> None:
        session = requests.Session()
        index = 0
        # at least 200 requests each, going on until three rebuilds happened under the load
        while (index < 200 or rebuilds[0] < 3) and time.monotonic() < deadline:
            url = urls[(number + index) % len(urls)]
            index += 1
            try:
                response = session.get(url, timeout=10)
            except requests.RequestException as exc:
                failures.append(f"{url}: {exc!r}")
                continue
            body = response.content
            expected = 404 if "no-such-page" in url else 200
            whole = len(body) == int(response.headers.get("Content-Length", -1)) and body
            if response.status_code != expected or not whole:
                failures.append(f"{url}: {response.status_code}, {len(body)} bytes")
            elif url.endswith("/") and not body.rstrip().endswith(b"</html>"):
                failures.append(f"{url}: truncated page")
            with lock:
                counts[0] += 1

    def editor() -> None:
        version = 0
        while not done.wait(0.1):
            version += 1
            (site / SUMMIT).write_text(article(f"Leaders meet in Geneva, take {version}",
                                               slug="leaders-meet-in-geneva"))
            rebuilds[0] = server.out.read_text().count("Built #") - 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    writer = threading.Thread(target=editor)
    started = time.perf_counter()
    writer.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    seconds = time.perf_counter() - started
    done.set()
    writer.join()
    print(f"\nload: {counts[0]} requests in {seconds:.2f}s = {counts[0] / seconds:.0f} requests/s "
          f"with 8 threads during {rebuilds[0]} rebuilds")
    assert failures == []
    assert counts[0] >= 8 * 200
    assert rebuilds[0] >= 3  # the requests really overlapped rebuilds


# --- what is served is what would be built ----------------------------------------------------------

EPOCH = "1621987200"  # 2021-05-26: both the server and the build see the same "now"
HREF = re.compile(rb'(?:href|src)="([^"#?]*)')


def rich_site_files() -> dict[str, str]:
    """Enough of a site that an edit shows on many pages: listings over several pages, terms, feeds,
    related articles, aliases, a draft, a scheduled article, a static file, the 404 page."""
    files = site_files(**{
        "newsgen.yaml": CONFIG + "page_size: 2\nfeed_size: 3\n",
        "static/notes.txt": "static text\n",
        "content/2021-05-20-old.md": article("Old dispatch", date="2021-05-20T09:00:00+00:00", slug="old-dispatch",
                                             categories=["World"], tags=["Geneva", "Talks"],
                                             aliases=["/old-url/"]),
    })
    for number in range(6):
        files[f"content/2021-05-1{number}-story.md"] = article(
            f"Story {number}", date=f"2021-05-1{number}T08:00:00+00:00", slug=f"story-{number}",
            categories=["World" if number % 2 else "Business"], tags=["Geneva", f"Topic {number % 3}"],
            summary=f"Standfirst {number}", body=f"Paragraph {number} with *emphasis*.\n")
    return files


def served_copy(server: Server, build: Path, gone: Iterable[str] = ()) -> list[str]:
    """Every file of `build` is served with the same bytes (plus the live-reload script in HTML), every
    link on the served pages that stays on the site names a file of `build`, and the files of an
    earlier build that `build` no longer has (`gone`) are not served. Returns the files of `build`."""
    session = requests.Session()
    files = sorted(p.relative_to(build).as_posix() for p in build.rglob("*")
                   if p.is_file() and not p.name.startswith("."))
    assert files
    for path in sorted(set(gone) - set(files)):
        assert session.get(server.url + quote(path)).status_code == 404, path
    tag = re.compile(rb'<script src="/__newsgen/live.js" data-build="\d+"></script>')
    links: set[str] = set()
    for path in files:
        response = session.get(server.url + quote(path))
        assert response.status_code == 200, path
        body = response.content
        if path.endswith(".html"):
            assert len(tag.findall(body)) == 1, path
            body = tag.sub(b"", body)
            links |= {link.decode() for link in HREF.findall(response.content)}
        assert body == (build / path).read_bytes(), path
    base = "/news/"
    for link in sorted(links):
        if link.startswith(server.origin):
            link = link[len(server.origin):]
        if not link.startswith(base):
            continue  # another site, or the reload script
        local = unquote(link[len(base):])
        assert (local if not local.endswith("/") and local else local + "index.html") in files, link
    return files


def built_copy(site: Path, server: Server, out: Path) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    result = run_newsgen("build", site, "-o", out, "-q", "--drafts", "--future", "--base-url", server.url,
                         env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    return out


def wait_for_build(server: Server, number: int) -> None:
    """Until build `number` is served, or a build failed since the last one served (then fail)."""
    failures = server.err.read_text().count("Build failed")
    wait_until(lambda: f"Built #{number} " in server.out.read_text()
               or server.err.read_text().count("Build failed") > failures)
    assert f"Built #{number} " in server.out.read_text(), server.log()


def test_the_served_site_is_the_built_site_before_and_after_edits(make_site: Callable[..., Path],
                                                                  serve: Callable[..., Server],
                                                                  tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kind of save, one after the other, each followed by a crawl compared with a fresh build."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    site = make_site(rich_site_files())
    server = serve(site, "--quiet")
    files = served_copy(server, built_copy(site, server, tmp_path / "out"))
    story3 = dict(date="2021-05-13T08:00:00+00:00", slug="story-3", categories=["World"], tags=["Geneva", "Topic 0"])
    broken = "---\ntitle: [broken\n---\n"
    edits: list[tuple[str, str | None]] = [
        # the body, headline and standfirst of an article listed on many pages: patched in place
        ("content/2021-05-13-story.md", article("Story three, rewritten", summary="A new standfirst",
                                                body="New *words*.\n", **story3)),  # type: ignore[arg-type]
        ("content/2021-05-20-old.md", article("Old dispatch, retitled", date="2021-05-20T09:00:00+00:00",
                                              slug="old-dispatch", categories=["World"], tags=["Geneva", "Talks"],
                                              aliases=["/old-url/"])),
        (SUMMIT, article("Leaders meet in Geneva at last", slug="leaders-meet-in-geneva",  # in the news sitemap
                         categories=["World"], body="The summit began on time.\n")),
        # its place in the site: new tags, then a new date
        ("content/2021-05-13-story.md", article("Story three, rewritten", **(story3 | {"tags": ["Lausanne"]}))),
        ("content/2021-05-13-story.md", article("Story three, rewritten", **(story3 | {
            "tags": ["Lausanne"], "date": "2021-05-19T08:00:00+00:00"}))),
        ("content/2021-05-21-new.md", article("A new story", date="2021-05-21T08:00:00+00:00", slug="new-story",
                                              categories=["World"], tags=["Geneva", "Topic 1"])),  # added
        ("templates/404.html", "{% extends 'base.html' %}{% block main %}<p>Gone: {{ model.articles[0].title }}</p>"
                               "{% endblock %}\n"),
        ("static/notes.txt", "static text, edited\n"),
        ("newsgen.yaml", CONFIG.replace("Preview Test", "Preview Test, renamed") + "page_size: 3\nfeed_size: 3\n"),
        ("content/2021-05-15-story.md", broken),  # the last good version stays served...
        ("content/2021-05-15-story.md", article("Story five, fixed", date="2021-05-15T08:00:00+00:00",
                                                slug="story-5", categories=["World"], tags=["Geneva", "Topic 2"],
                                                summary="Standfirst 5", body="Paragraph 5 with *emphasis*.\n")),
        ("content/2021-05-14-story.md", None),  # deleted
    ]
    for number, (path, text) in enumerate(edits, start=2):
        if text is None:
            (site / path).unlink()
        else:
            (site / path).parent.mkdir(exist_ok=True)
            (site / path).write_text(text)
        if text == broken:
            wait_until(lambda: "Build failed" in server.err.read_text())
            served_copy(server, tmp_path / "out")  # the build of the last good sources
            continue
        wait_for_build(server, number)
        files = served_copy(server, built_copy(site, server, tmp_path / "out"), gone=files)


def test_a_save_caught_half_way_keeps_the_article(make_site: Callable[..., Path]) -> None:
    """An editor that saves by truncating and then writing leaves the file empty for a moment. A rebuild
    that sees that moment waits for the text rather than dropping the article (a 404 in the preview);
    a file really emptied is left out, as `newsgen build` leaves it out."""
    site = make_site(site_files())
    live = LiveSite(site, "http://127.0.0.1:8000")
    live.update()
    (site / SUMMIT).write_text("")
    writer = threading.Timer(0.1, lambda: (site / SUMMIT).write_text(
        article("Leaders meet in Geneva, saved", slug="leaders-meet-in-geneva")))
    writer.start()
    snapshot = live.update({SUMMIT})
    writer.join()
    path = SUMMIT_PATH.removeprefix("/news/") + "index.html"
    assert b"Leaders meet in Geneva, saved" in (snapshot.read(path) or b"")

    (site / SUMMIT).write_text("")
    emptied = live.update({SUMMIT})
    assert path not in emptied
    assert any("empty file" in str(warning) for warning in emptied.site.warnings)


def test_a_patched_snapshot_is_the_rebuilt_one(make_site: Callable[..., Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """In process: an edit that moves nothing is patched in; the result equals a model built afresh."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    site = make_site(rich_site_files())
    live = LiveSite(site, "http://127.0.0.1:8000")
    live.update()
    story = "content/2021-05-12-story.md"

    def same_as_fresh() -> None:
        fresh = LiveSite(site, "http://127.0.0.1:8000").update()
        served = live.snapshot
        assert served is not None
        assert sorted(served.pages) == sorted(fresh.pages)
        for path in fresh.pages:
            assert served.read(path) == fresh.read(path), path

    (site / story).write_text(article("Story two: the rewrite", date="2021-05-12T08:00:00+00:00", slug="story-2",
                                      categories=["Business"], tags=["Geneva", "Topic 2"], summary="Other",
                                      body="Changed.\n", dateline="BERN", type="Analysis"))
    live.update({story})
    assert live.last_kind == "patch"
    same_as_fresh()
    # patches on patches: another article of the same tag, then the first one again
    (site / "content/2021-05-20-old.md").write_text(article(
        "Old dispatch, retitled", date="2021-05-20T09:00:00+00:00", slug="old-dispatch", categories=["World"],
        tags=["Geneva", "Talks"], aliases=["/old-url/"], body="Rewritten.\n"))
    live.update({"content/2021-05-20-old.md"})
    assert live.last_kind == "patch"
    same_as_fresh()
    (site / story).write_text(article("Story two: again", date="2021-05-12T08:00:00+00:00", slug="story-2",
                                      categories=["Business"], tags=["Geneva", "Topic 2"]))
    live.update({story})
    assert live.last_kind == "patch"
    same_as_fresh()
    for moved in (dict(slug="story-two"), dict(tags=["Geneva"]), dict(date="2021-05-12T09:00:00+00:00"),
                  dict(draft="true"), dict(aliases=["/two/"])):
        fields = dict(date="2021-05-12T08:00:00+00:00", slug="story-2", categories=["Business"],
                      tags=["Geneva", "Topic 2"]) | moved
        (site / story).write_text(article("Story two", **fields))  # type: ignore[arg-type]
        live.update({story})
        assert live.last_kind == "model", moved
        same_as_fresh()
    (site / story).write_text("---\ntitle: [broken\n---\n")
    with pytest.raises(ContentError):
        live.update({story})
    (site / "content/2021-05-11-story.md").write_text(article("Story one, again", date="2021-05-11T08:00:00+00:00",
                                                              slug="story-1", categories=["World"],
                                                              tags=["Geneva", "Topic 1"]))
    with pytest.raises(ContentError):  # the broken file is still broken
        live.update({"content/2021-05-11-story.md"})
    (site / story).write_text(article("Story two", date="2021-05-12T08:00:00+00:00", slug="story-2",
                                      categories=["Business"], tags=["Geneva", "Topic 2"]))
    live.update({story})  # both changes since the last good snapshot are in
    same_as_fresh()


# --- in the browser ----------------------------------------------------------------------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture
def browser_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        browser.close()


@pytest.mark.browser
def test_open_page_follows_headline_css_and_template_edits(make_site: Callable[..., Path],
                                                           serve: Callable[..., Server],
                                                           browser_page: object) -> None:
    page = browser_page
    site = make_site(site_files())
    (site / "templates").mkdir()
    shutil.copy(THEME_DIR / "templates/base.html", site / "templates/base.html")
    (site / "static/assets").mkdir(parents=True)
    theme_css = (THEME_DIR / "static/assets/style.css").read_text()
    (site / "static/assets/style.css").write_text(theme_css)
    server = serve(site)
    page.goto(server.origin + SUMMIT_PATH)  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "Leaders meet in Geneva"  # type: ignore[attr-defined]
    # from here on the test only writes files; the page must follow by itself
    (site / SUMMIT).write_text(article("Summit ends early", slug="leaders-meet-in-geneva"))
    page.wait_for_function("document.querySelector('h1').textContent === 'Summit ends early'",  # type: ignore
                           timeout=20000)

    (site / "static/assets/style.css").write_text(theme_css + "\nh1 { color: rgb(1, 2, 3); }\n")
    page.wait_for_function("getComputedStyle(document.querySelector('h1')).color === 'rgb(1, 2, 3)'",  # type: ignore
                           timeout=20000)

    base = (site / "templates/base.html").read_text()
    (site / "templates/base.html").write_text(base.replace("</footer>", "<p id='edited'>Template edited</p></footer>"))
    page.wait_for_selector("#edited", timeout=20000)  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "Summit ends early"  # type: ignore[attr-defined]


@pytest.mark.browser
def test_open_page_shows_a_broken_edit_and_recovers(make_site: Callable[..., Path], serve: Callable[..., Server],
                                                    browser_page: object) -> None:
    page = browser_page
    site = make_site(site_files())
    server = serve(site)
    page.goto(server.origin + SUMMIT_PATH)  # type: ignore[attr-defined]
    (site / SUMMIT).write_text("---\ntitle: Leaders\ndate: [never\n---\nBody\n")
    overlay = page.wait_for_selector("#newsgen-errors", timeout=20000)  # type: ignore[attr-defined]
    text = overlay.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-error-overlay.png"))  # type: ignore[attr-defined]
    assert re.search(r"content/2021-05-25-summit\.md:\d+: invalid YAML", text), text

    (site / SUMMIT).write_text("---\ntitle: Leaders\ndate: <img src=x onerror=alert(1)>\n---\nBody\n")
    page.wait_for_function("document.querySelector('#newsgen-errors').textContent.includes('not a valid date')",  # type: ignore
                           timeout=20000)
    assert "'<img src=x onerror=alert(1)>' is not a valid date" in overlay.inner_text()
    assert page.query_selector("#newsgen-errors img") is None  # type: ignore[attr-defined]  # text, never markup
    assert page.inner_text("h1") == "Leaders meet in Geneva"  # type: ignore[attr-defined]
    assert "Leaders meet in Geneva" in requests.get(server.origin + SUMMIT_PATH).text
    assert "error: content/2021-05-25-summit.md:" in server.err.read_text()

    (site / SUMMIT).write_text(article("Geneva talks resume", slug="leaders-meet-in-geneva"))
    page.wait_for_function("document.querySelector('h1').textContent === 'Geneva talks resume'",  # type: ignore
                           timeout=20000)
    assert page.query_selector("#newsgen-errors") is None  # type: ignore[attr-defined]


@pytest.mark.browser
def test_a_site_broken_from_the_start_is_served_once_fixed(make_site: Callable[..., Path],
                                                           serve: Callable[..., Server],
                                                           browser_page: object) -> None:
    page = browser_page
    site = make_site(site_files(**{"newsgen.yaml": CONFIG + "page_sise: 3\n"}))
    server = serve(site)
    assert "newsgen.yaml:4: page_sise: unknown setting" in server.err.read_text()
    page.goto(server.origin + "/")  # type: ignore[attr-defined]
    overlay = page.wait_for_selector("#newsgen-errors", timeout=20000)  # type: ignore[attr-defined]
    assert "page_sise" in overlay.inner_text()
    (site / "newsgen.yaml").write_text(CONFIG)
    page.wait_for_selector("text=Leaders meet in Geneva", timeout=20000)  # type: ignore[attr-defined]
    assert page.url == server.origin + "/news/"  # type: ignore[attr-defined]
