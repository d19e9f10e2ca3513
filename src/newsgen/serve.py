"""`newsgen serve`: build, serve, watch, rebuild, reload open pages.

Nothing is written to disk: the site is kept in memory (live.py) and every response is rendered from
one complete, immutable snapshot of it (preview.py). A save makes a new snapshot and the server
switches to it only when it built, so a bad edit leaves the last good one in place.

Open pages learn about builds through Server-Sent Events from a small script the server adds to the
HTML it sends (never to `newsgen build` output): a new build reloads the page, a failed one shows its
errors over the page.
"""

from __future__ import annotations

import errno
import hashlib
import html
import http.server
import ipaddress
import os
import re
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, unquote

from . import config as config_module
from .errors import ContentError, NewsgenError, Problem, UsageError
from .live import LiveSite, Snapshot
from .preview import Builder, Preview
from .sitedir import require_site
from .watch import Watcher

EVENTS_PATH = "/__newsgen/events"
SCRIPT_PATH = "/__newsgen/live.js"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}
# The feeds by name, so feed readers and browsers see what they are.
NAMED_TYPES = {
    "feed.xml": "application/atom+xml; charset=utf-8",
    "rss.xml": "application/rss+xml; charset=utf-8",
    "feed.json": "application/feed+json",
}


def content_type(name: str) -> str:
    if name in NAMED_TYPES:
        return NAMED_TYPES[name]
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


# --- request paths -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """What a request path asks for: a file inside the build, a redirect, or a refusal."""

    status: int  # 200: look up `parts`; 301/302: go to `location`; 400/404: refuse
    parts: tuple[str, ...] = ()
    folder: bool = False  # the path ended in '/': serve the folder's index.html
    location: str = ""


_ENCODED_SEPARATORS = re.compile(r"%(?:2f|5c|00)", re.IGNORECASE)


def route(target: str, base_path: str) -> Route:
    """Decide a request target against the site's base path. Pure: no file system access.

    Anything that could name a file outside the build is refused before the file system sees it:
    encoded separators and NUL, backslashes, control characters, '.' and '..' segments; dotfiles
    (the build manifest among them) are not found.
    """
    path, _, query = target.partition("?")
    path = path.partition("#")[0]
    if not path.startswith("/") or "\\" in path or _ENCODED_SEPARATORS.search(path):
        return Route(400)
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return Route(400)
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in decoded):
        return Route(400)
    raw_parts = decoded.split("/")
    if any(part in (".", "..") for part in raw_parts):
        return Route(400)
    parts = [part for part in raw_parts if part]
    folder = decoded.endswith("/")
    base = [part for part in unquote(base_path).split("/") if part]
    suffix = f"?{query}" if query else ""
    if parts[: len(base)] != base:
        if not parts and base:
            return Route(302, location=base_path)
        return Route(404)
    if base and parts == base and not folder:
        return Route(301, location=base_path + suffix)
    inside = tuple(parts[len(base):])
    if any(part.startswith(".") for part in inside):
        return Route(404)
    return Route(200, inside, folder=folder or not inside)


def locate(files: Container[str], found: Route) -> tuple[str, str] | None:
    """What a 200 route names in a snapshot's files: ("file", output path), ("redirect", the folder's
    path) for a folder asked without its '/', or None. Folders are only served by their index.html."""
    parts = list(found.parts)
    index = "/".join([*parts, "index.html"])
    if found.folder:
        return ("file", index) if index in files else None
    path = "/".join(parts)
    if path in files:
        return ("file", path)
    if index in files:
        return ("redirect", "/" + "/".join(quote(part) for part in parts) + "/")
    return None


def inject(html: bytes, build_number: int | None) -> bytes:
    """Add the live-reload script before the last </body> (or at the end)."""
    number = "" if build_number is None else str(build_number)
    tag = f'<script src="{SCRIPT_PATH}" data-build="{number}"></script>'.encode()
    at = html.lower().rfind(b"</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


def escape_for_log(text: str) -> str:
    """Request lines are attacker-controlled: no control characters reach the terminal."""
    return text.encode("unicode_escape").decode("ascii")


# --- HTTP ----------------------------------------------------------------------------------------

LIVE_SCRIPT = b"""(function () {
  "use strict";
  var me = document.currentScript;
  var shown = me ? me.getAttribute("data-build") : "";
  var box = null;
  function show(errors) {
    if (!box) {
      box = document.createElement("div");
      box.id = "newsgen-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:50vh;" +
        "overflow:auto;margin:0;padding:1em;background:#8b1a1a;color:#fff;" +
        "font:14px/1.4 ui-monospace,Menlo,Consolas,monospace;box-shadow:0 -2px 8px rgba(0,0,0,.4)";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var head = document.createElement("strong");
    head.textContent = "newsgen: the last save did not build; this page shows the last good build.";
    var list = document.createElement("pre");
    list.style.cssText = "white-space:pre-wrap;margin:.5em 0 0;font:inherit";
    list.textContent = errors.join("\\n");
    box.appendChild(head);
    box.appendChild(list);
  }
  function hide() { if (box) { box.remove(); box = null; } }
  var events = new EventSource("/__newsgen/events");
  events.addEventListener("build", function (event) {
    var state = JSON.parse(event.data);
    if (state.build !== null && String(state.build) !== shown) { location.reload(); return; }
    if (state.errors.length) { show(state.errors); } else { hide(); }
  });
})();
"""

NOTHING_YET = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newsgen: no build yet</title></head>
<body><h1>No successful build yet</h1><p>Fix the errors shown below and save; this page reloads.</p></body></html>
"""


class PreviewServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # else closing waits for every idle keep-alive connection (up to `timeout`)
    request_queue_size = 128

    def __init__(self, host: str, port: int, preview: Preview, log: TextIO | None, err: TextIO = sys.stderr):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.preview = preview
        self.log = log  # requests; None with -q
        self.err = err  # problems, always
        super().__init__((host, port), PreviewHandler)
        self.allowed_hosts = allowed_hosts(host, self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """Host header values accepted: the loopback names, and the bound host. Blocks DNS rebinding."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in WILDCARD_HOSTS:
        names.add(f"[{host}]" if ":" in host else host.lower())
    return frozenset(f"{name}:{port}" for name in names)


def host_allowed(header: str | None, server: PreviewServer) -> bool:
    if not header:
        return False
    header = header.strip().lower()
    if header in server.allowed_hosts:
        return True
    bound = server.server_address[0]
    if bound not in WILDCARD_HOSTS:
        return False
    # bound to every interface: any literal IP address of this machine is fine; names are not
    # (a DNS name pointing at us is exactly what a rebinding attack uses)
    name, _, port = header.rpartition(":")
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return port == str(server.server_address[1])


class PreviewHandler(http.server.BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"  # keep-alive: a page and its assets over one connection
    disable_nagle_algorithm = True  # headers and body go out as two writes; Nagle would hold the second ~40 ms
    timeout = 120  # an idle keep-alive connection gives its thread back eventually

    def log_error(self, format: str, *args: object) -> None:
        if not format.startswith("Request timed out"):  # an idle browser connection: not news
            super().log_error(format, *args)

    def version_string(self) -> str:
        return "newsgen-serve"

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.log is not None:
            text = escape_for_log(format % args)
            print(f"{self.address_string()} {text}", file=self.server.log, flush=True)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not getattr(self, "path", "").startswith("/__newsgen/"):
            super().log_request(code, size)

    def _respond(self, head: bool) -> None:
        if not host_allowed(self.headers.get("Host"), self.server):
            self._plain(403, "Host not allowed: open the address newsgen serve printed.", head)
            return
        if self.path == EVENTS_PATH:
            self._events(head)
            return
        if self.path.partition("?")[0] == SCRIPT_PATH:
            self._send(200, LIVE_SCRIPT, "text/javascript; charset=utf-8", head)
            return
        self._from_snapshot(self.server.preview.current, head)  # one snapshot for the whole response

    def _from_snapshot(self, snapshot: Snapshot | None, head: bool) -> None:
        if snapshot is None:
            self._send(503, inject(NOTHING_YET, None), CONTENT_TYPES[".html"], head)
            return
        found = route(self.path, snapshot.base_path)
        if found.status in (301, 302):
            self._redirect(found.status, found.location, head)
            return
        if found.status == 400:
            self._plain(400, "Bad request path.", head)
            return
        target = locate(snapshot, found) if found.status == 200 else None
        if target is not None and target[0] == "redirect":
            query = self.path.partition("?")[2]
            self._redirect(301, snapshot.base_path.rstrip("/") + target[1] + (f"?{query}" if query else ""), head)
        elif target is None:
            self._not_found(snapshot, head)
        else:
            self._file(target[1], snapshot, head)

    def _file(self, path: str, snapshot: Snapshot, head: bool, status: int = 200) -> None:
        try:
            data = snapshot.read(path)
        except ContentError as exc:  # a page a template fails on, found only when asked for
            self._broken(exc, snapshot, head)
            return
        assert data is not None
        kind = content_type(path.rpartition("/")[2])
        if kind.startswith("text/html"):
            data = inject(data, snapshot.number)
        etag = f'"{hashlib.sha1(data).hexdigest()}"'
        if status == 200 and etag in (self.headers.get("If-None-Match") or ""):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        self._send(status, data, kind, head, {"ETag": etag})

    def _not_found(self, snapshot: Snapshot, head: bool) -> None:
        if "404.html" in snapshot:
            self._file("404.html", snapshot, head, status=404)
        else:
            self._plain(404, "Not found.", head)

    def _broken(self, exc: ContentError, snapshot: Snapshot, head: bool) -> None:
        lines = [str(problem) for problem in exc.problems]
        for line in lines:
            print(f"error: {line}", file=self.server.err, flush=True)
        page = (b"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>newsgen: page did not "
                b"render</title></head>\n<body><h1>This page did not render</h1><pre>"
                + html.escape("\n".join(lines)).encode() + b"</pre></body></html>\n")
        self._send(500, inject(page, snapshot.number), CONTENT_TYPES[".html"], head)

    def _events(self, head: bool) -> None:
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        preview = self.server.preview
        seen = -1
        try:
            self.wfile.write(b"retry: 500\n\n")
            while not preview.closed:
                state = preview.wait(seen, timeout=15.0)
                if preview.closed:
                    break
                self.wfile.write(state.event() if state.version != seen else b": still here\n\n")
                self.wfile.flush()
                seen = state.version
        except (ConnectionError, TimeoutError):
            pass  # the page went away

    def _redirect(self, status: int, location: str, head: bool) -> None:
        self._send(status, b"", "text/plain; charset=utf-8", head, {"Location": location})

    def _plain(self, status: int, text: str, head: bool) -> None:
        self._send(status, (text + "\n").encode(), "text/plain; charset=utf-8", head)

    def _send(self, status: int, data: bytes, kind: str, head: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)


# --- the command ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServeOptions:
    site_dir: Path = Path(".")
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = True  # drafts and scheduled articles are shown (and marked) while previewing
    open_browser: bool = False
    log_requests: bool = True


def origin_for(host: str, port: int) -> str:
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bind(options: ServeOptions, preview: Preview, log: TextIO | None, err: TextIO) -> PreviewServer:
    try:
        return PreviewServer(options.host, options.port, preview, log, err)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(Problem(
                f"port {options.port} on {options.host} is already in use (another server?)",
                field="--port", hint="stop that server, or choose another port, e.g. --port 8001",
            )) from None
        if exc.errno == errno.EACCES:
            raise UsageError(Problem(f"not allowed to use port {options.port}", field="--port",
                                     hint="ports below 1024 need privileges; use e.g. --port 8000")) from None
        raise UsageError(Problem(f"cannot listen on {options.host}:{options.port}: {exc.strerror}",
                                 field="--host")) from None


def run(options: ServeOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the exit code."""
    site_dir = require_site(options.site_dir)  # before the port is taken: nothing to serve
    preview = Preview()
    server = _bind(options, preview, err if options.log_requests else None, err)
    origin = origin_for(options.host, server.server_address[1])
    stop = threading.Event()
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    watcher = None
    try:
        watcher = Watcher(site_dir)  # before the first build: saves made during it are not missed
        builder = Builder(LiveSite(site_dir, origin, options.drafts), preview, out, err)
        builder.rebuild()
        serving.start()
        url = origin + (_base_path(site_dir) or "/")
        if options.host in WILDCARD_HOSTS:
            print(f"warning: listening on all interfaces ({options.host or '*'}): anyone on your network "
                  "can read this preview, drafts included", file=err, flush=True)
        print(f"Serving {site_dir.name or site_dir} at {url} (drafts and scheduled articles "
              f"{'shown' if options.drafts else 'hidden'}); press Ctrl-C to stop", file=out, flush=True)
        if options.open_browser:
            webbrowser.open(url)
        while True:
            batch = watcher.wait(stop)
            if batch is None:
                break
            names = sorted(batch)
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            print(f"Changed: {', '.join(names[:3])}{more}", file=out, flush=True)
            builder.rebuild(batch)
    except KeyboardInterrupt:
        print("Stopped.", file=out, flush=True)
    finally:
        stop.set()
        if watcher is not None:
            watcher.close()
        signal.signal(signal.SIGTERM, previous_term)
        preview.close()
        if serving.is_alive():
            server.shutdown()  # waits for serve_forever, so only once it runs
        server.server_close()
    return 0


def _base_path(site_dir: Path) -> str | None:
    try:
        return config_module.load(site_dir).base_path
    except NewsgenError:
        return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
