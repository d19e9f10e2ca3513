"""The preview's builds: each save builds into a fresh folder; the served build switches only on success.

A request holds the build it started with (a reference count), so an old folder is deleted only once
no request reads from it. The HTTP side (serve.py) asks `Preview` for the current build and waits on
it for news to tell open pages.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import config as config_module
from .build import BuildOptions, build
from .errors import NewsgenError

@dataclass
class Generation:
    """One complete build the server can serve; root None until the first build succeeds."""

    number: int | None
    root: Path | None
    base_path: str = "/"
    users: int = 0
    retired: bool = False


@dataclass(frozen=True)
class State:
    """What open pages are told: the build being served and the errors of the latest attempt."""

    version: int
    build: int | None
    errors: tuple[str, ...]

    def event(self) -> bytes:
        data = json.dumps({"build": self.build, "errors": list(self.errors)})
        return f"event: build\ndata: {data}\n\n".encode()


class Preview:
    """The served build and the latest build result, shared between the builder and request threads."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._current = Generation(None, None)
        self._state = State(0, None, ())
        self.closed = False

    @property
    def state(self) -> State:
        with self._changed:
            return self._state

    @contextmanager
    def use(self) -> Iterator[Generation]:
        """The current build, kept on disk until the caller is done with it."""
        with self._changed:
            generation = self._current
            generation.users += 1
        try:
            yield generation
        finally:
            with self._changed:
                generation.users -= 1
                done = generation.retired and generation.users == 0
            if done:
                _remove(generation.root)

    def publish(self, generation: Generation) -> None:
        with self._changed:
            old, self._current = self._current, generation
            old.retired = True
            self._state = State(self._state.version + 1, generation.number, ())
            done = old.users == 0
            self._changed.notify_all()
        if done:
            _remove(old.root)

    def fail(self, errors: list[str]) -> None:
        with self._changed:
            self._state = State(self._state.version + 1, self._state.build, tuple(errors))
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> State:
        """The state once its version differs from `seen`, or the same state after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.version != seen or self.closed, timeout)
            return self._state

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def _remove(root: Path | None) -> None:
    """Delete a retired build in the background: on a big site that takes seconds, and the next
    build should not wait for it (the serve command removes its whole folder on exit anyway)."""
    if root is not None:
        threading.Thread(target=shutil.rmtree, args=(root,), kwargs={"ignore_errors": True}, daemon=True).start()


@dataclass
class Builder:
    """Builds the site into numbered fresh folders and hands successes to the Preview."""

    site_dir: Path
    workdir: Path
    origin: str
    preview: Preview
    drafts: bool
    out: TextIO
    err: TextIO
    count: int = 0
    served_path: str | None = None

    def rebuild(self) -> bool:
        self.count += 1
        output = self.workdir / f"build-{self.count}"
        started = time.perf_counter()
        try:
            base_path = config_module.load(self.site_dir).base_path
            # One memo for all generations, and unchanged pages linked from the one being served
            # (kept on disk meanwhile): a save re-renders only what it changed.
            with self.preview.use() as served:
                options = BuildOptions(output=output, base_url=self.origin + base_path,
                                       drafts=self.drafts, future=self.drafts,
                                       cache_folder=self.workdir / "cache", reuse_from=served.root)
                result = build(self.site_dir, options)
        except NewsgenError as exc:
            return self._failed(output, [str(problem) for problem in exc.problems])
        except Exception as exc:  # a generator bug must not take the preview down with it
            traceback.print_exc(file=self.err)
            return self._failed(output, [f"internal error: {type(exc).__name__}: {exc}"])
        seconds = time.perf_counter() - started
        moved = self.served_path is not None and base_path != self.served_path
        self.served_path = base_path
        self.preview.publish(Generation(self.count, output.resolve(), base_path))
        if moved:
            self._say(self.out, f"base_url changed: now serving at {self.origin}{base_path}")
        pages = sum(result.pages_by_kind.values())
        site = result.site
        self._say(self.out, f"Built #{self.count} in {seconds:.2f}s: {pages} pages, "
                  f"{len(site.articles)} articles")
        for warning in site.warnings:
            self._say(self.err, f"warning: {warning}")
        return True

    def _failed(self, output: Path, errors: list[str]) -> bool:
        _remove(output)
        self.preview.fail(errors)
        for line in errors:
            self._say(self.err, f"error: {line}")
        still = "still serving the last good build" if self.preview.state.build else "nothing to serve yet"
        self._say(self.err, f"Build failed ({len(errors)} {'problem' if len(errors) == 1 else 'problems'}); "
                  f"{still}. Fix it and save again.")
        return False

    @staticmethod
    def _say(stream: TextIO, text: str) -> None:
        print(text, file=stream, flush=True)
