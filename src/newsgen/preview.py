"""The preview's generations: the snapshot being served, the latest build result, and who makes them.

A snapshot (live.py) is complete and immutable before it is published, and publishing is one
reference swap, so a request that took the current snapshot is answered wholly from it however many
saves come meanwhile. The HTTP side (serve.py) asks `Preview` for the current snapshot and waits on
it for news to tell open pages.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from .errors import NewsgenError
from .live import LiveSite, Snapshot


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
    """The served snapshot and the latest build result, shared between the builder and request threads."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._current: Snapshot | None = None
        self._state = State(0, None, ())
        self.closed = False

    @property
    def state(self) -> State:
        with self._changed:
            return self._state

    @property
    def current(self) -> Snapshot | None:
        """The snapshot to answer one request from (None until a build succeeds)."""
        return self._current

    def publish(self, snapshot: Snapshot) -> None:
        with self._changed:
            self._current = snapshot
            self._state = State(self._state.version + 1, snapshot.number, ())
            self._changed.notify_all()

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


@dataclass
class Builder:
    """Turns saves into snapshots (LiveSite) and hands successes to the Preview."""

    live: LiveSite
    preview: Preview
    out: TextIO
    err: TextIO
    count: int = 0
    served_path: str | None = None

    def rebuild(self, changed: Iterable[str] | None = None) -> bool:
        """Make the next snapshot after `changed` (None: read everything again)."""
        self.count += 1
        started = time.perf_counter()
        try:
            snapshot = self.live.update(changed, self.count)
        except NewsgenError as exc:
            return self._failed([str(problem) for problem in exc.problems])
        except Exception as exc:  # a generator bug must not take the preview down with it
            traceback.print_exc(file=self.err)
            return self._failed([f"internal error: {type(exc).__name__}: {exc}"])
        seconds = time.perf_counter() - started
        moved = self.served_path is not None and snapshot.base_path != self.served_path
        self.served_path = snapshot.base_path
        self.preview.publish(snapshot)
        if moved:
            self._say(self.out, f"base_url changed: now serving at {self.live.base_url}{snapshot.base_path}")
        site = snapshot.site
        self._say(self.out, f"Built #{self.count} in {seconds:.2f}s: {len(snapshot.pages)} pages, "
                  f"{len(site.articles)} articles")
        # as `newsgen build` warns: a language without a catalog shows the theme in English
        catalog_warning = snapshot.renderer.catalog.warning
        for warning in (catalog_warning, *site.warnings) if catalog_warning else site.warnings:
            self._say(self.err, f"warning: {warning}")
        snapshot.references  # what the next save's patch needs, made now that the page is on its way
        return True

    def _failed(self, errors: list[str]) -> bool:
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
