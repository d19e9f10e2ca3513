"""Work run in a forked process while this one goes on: a build's file-system passes and reads
overlap its Python work on another core.

The child inherits everything it needs (no arguments are pickled), sends back one pickled result
through a pipe and leaves with os._exit, so none of the parent's cleanup runs twice. It dies with its
parent: a killed build leaves no process writing where the next build cleans up. Where fork is
unavailable (BACKGROUND is False), the callers do the work themselves, when they need it.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

Result = TypeVar("Result")
BACKGROUND = hasattr(os, "fork")


class Background(Generic[Result]):
    def __init__(self, work: Callable[[], Result]):
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(read)
                _die_with_parent(parent)
                value = work()
                with os.fdopen(write, "wb") as pipe:
                    pickle.dump(value, pipe, pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid: int | None = pid
        self._read = read
        self._value: Result | None = None

    def result(self) -> Result | None:
        """Wait for the work; its result, or None when it failed (the caller does it again, to report why)."""
        if self._pid is not None:
            try:
                with os.fdopen(self._read, "rb") as pipe:
                    self._value = pickle.load(pipe)
            except (EOFError, pickle.UnpicklingError, OSError):
                self._value = None
            _, status = os.waitpid(self._pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                self._value = None
            self._pid = None
        return self._value

    def stop(self) -> None:
        """Kill the work, if it still runs, and wait for it to be gone."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.close(self._read)
            os.waitpid(self._pid, 0)
            self._pid = None
            self._value = None


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies (Linux; elsewhere it finishes
    its work alone)."""
    prctl = getattr(libc(), "prctl", None) if sys.platform == "linux" else None
    if prctl is not None:
        pr_set_pdeathsig = 1
        prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


@functools.cache
def libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
