"""Processes: how a build's workers start (start_method), and work run in another process while this
one goes on (Background), so that a build's file-system passes and reads overlap its Python work.

Background forks, through multiprocessing's fork context, only where the build's workers are forked
too (start_method() is "fork": Linux, a process running one thread): the child inherits what the
work needs, and only its result is pickled, sent back through a pipe. Elsewhere (NEWSGEN_START_METHOD
is forkserver or spawn, or threads run, as in `newsgen serve`), the work runs in this process when
its result is first asked for, and not at all if it is stopped first: the callers' fallback, for
its inputs (a Cache, a Staging folder's manifests) would cost more to pickle than the overlap saves.

A forked child dies with its parent (the kernel's parent-death signal, Linux): a killed build leaves
no process writing where the next build cleans up.
"""

from __future__ import annotations

import ctypes
import functools
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from .errors import Problem, UsageError

Result = TypeVar("Result")
START_METHOD = "NEWSGEN_START_METHOD"  # fork, forkserver or spawn; see start_method()


def forks() -> bool:
    """Whether Background runs work in another process now (start_method() is fork)."""
    try:
        return "fork" in multiprocessing.get_all_start_methods() and start_method() == "fork"
    except UsageError:  # reported where the build starts workers
        return False


def start_method() -> str:
    """How worker processes start: NEWSGEN_START_METHOD when set, else `fork` on Linux when this
    process runs a single thread (a build from the command line), else `forkserver` where the
    system has it, else `spawn`.

    fork is the fastest: a forked worker inherits the model and the plan, where one started by
    forkserver or spawn receives them pickled (README "Performance"); and it is safe with a single
    thread. A process that runs others (`newsgen serve`'s HTTP threads) must not fork: a lock another
    thread holds is copied held, and Python 3.12+ warns. macOS's system libraries are not fork-safe,
    whence its default of spawn; Python 3.14 makes forkserver Linux's default."""
    chosen = os.environ.get(START_METHOD, "").strip().lower()
    available = multiprocessing.get_all_start_methods()
    if chosen:
        if chosen not in available:
            raise UsageError(Problem(f"expected one of {', '.join(available)}, got {chosen!r}", field=START_METHOD))
        return chosen
    if sys.platform == "linux" and "fork" in available and threads() == 1:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


def threads() -> int:
    """Threads of this process, those C libraries started too where the system tells (Linux)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


# Whether Background runs work apart, as this process started: callers that would only waste work
# run inline check it (a thread started later still makes Background run its work in this process).
BACKGROUND = forks()


class Background(Generic[Result]):
    def __init__(self, work: Callable[[], Result]):
        self._work: Callable[[], Result] | None = work
        self._value: Result | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None
        if forks():
            context = multiprocessing.get_context("fork")
            self._pipe, sender = context.Pipe(duplex=False)
            # daemon: should this process end without waiting for it, multiprocessing kills it
            self._process = context.Process(target=_child, args=(work, sender, os.getpid()), daemon=True,
                                            name="newsgen-background")
            self._process.start()
            sender.close()
            self._work = None

    @property
    def pid(self) -> int | None:
        """The process doing the work; None when it runs (or ran) in this one."""
        return self._process.pid if self._process is not None else None

    def result(self) -> Result | None:
        """Wait for the work; its result, or None when it failed (the caller does it again, to report why)."""
        if self._work is not None:  # not started in another process: do it now
            work, self._work = self._work, None
            try:
                self._value = work()
            except Exception:
                self._value = None
        if self._process is not None:
            assert self._pipe is not None
            try:
                self._value = self._pipe.recv()
            except (EOFError, OSError):  # it died before sending a result
                self._value = None
            self._pipe.close()
            self._process.join()
            if self._process.exitcode != 0:
                self._value = None
            self._process.close()
            self._process = None
        return self._value

    def stop(self) -> None:
        """Kill the work, if it still runs, and wait for it to be gone."""
        self._work = None
        if self._process is not None:
            assert self._pipe is not None
            self._process.kill()
            self._process.join()
            self._process.close()
            self._pipe.close()
            self._process = None
            self._value = None


def _child(work: Callable[[], object], pipe: Connection, parent: int) -> None:
    """The forked process: the work's result sent back, or an exit code of 1 (no traceback printed)."""
    _die_with_parent(parent)
    try:
        value = work()
        pipe.send(value)
    except Exception:
        sys.exit(1)
    finally:
        pipe.close()


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies (Linux; elsewhere it finishes
    its work alone). multiprocessing has no such thing: its children of a killed parent live on."""
    prctl = _prctl() if sys.platform == "linux" else None
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before that took effect
        os._exit(1)


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """int prctl(int option, unsigned long arg2, …): with its argument types, so ctypes converts them."""
    found = getattr(libc(), "prctl", None)
    if found is not None:
        found.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        found.restype = ctypes.c_int
    return found


@functools.cache
def libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
