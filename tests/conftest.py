"""Shared fixtures: scratch sites written from a dict, the CLI as a subprocess, a real HTTP server."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"
ARTIFACTS = REPO / "test-artifacts"


def build_files(folder: Path) -> dict[str, bytes]:
    """Every file of a build folder: names and contents."""
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files under root from {relative path: text}; text is dedented."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data).lstrip("\n"), encoding="utf-8")
    return root


def article(title: str = "A headline", date: str = "2021-05-25T10:00:00+00:00", body: str = "Body text.\n",
            **fields: object) -> str:
    """Markdown article text with front matter (lists become YAML flow lists)."""
    lines = ["---", f"title: {title!r}" if title is not None else "", f"date: {date}"]
    for key, value in fields.items():
        if isinstance(value, (list, tuple)):
            lines.append(f"{key}: [{', '.join(repr(v) for v in value)}]")
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(line for line in lines if line) + "\n---\n" + body


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], name: str | None = None) -> Path:
        return write_tree(tmp_path / (name or f"site{next(counter)}"), files)

    return make


def run_newsgen(*args: str | os.PathLike[str], cwd: Path | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI the way users do, as a subprocess."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "newsgen", *map(str, args)], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def newsgen() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_newsgen


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def served_under_news(scratch: Path, files_for: Callable[[str], dict[str, str | bytes]]) -> Iterator[str]:
    """A site built for and served at http://127.0.0.1:PORT/news/ (a folder news/ in the served root):
    `files_for(base_url)` gives its files. Yields the site's address."""
    root = scratch / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/news/"
        site = write_tree(scratch / "site", files_for(base))
        built = run_newsgen("build", site, "-o", root / "news", "-q")
        assert built.returncode == 0, built.stderr
        yield base
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def static_server() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over real HTTP on a free loopback port; returns the origin URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(directory: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
