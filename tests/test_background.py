"""newsgen.background: work a build hands to a forked process (linking the served files, reading the
article files, writing the cache) must come back whole, fail visibly, and never outlive the build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from newsgen.background import BACKGROUND, Background

pytestmark = pytest.mark.skipif(not BACKGROUND, reason="no fork on this system")


def test_the_result_comes_from_another_process() -> None:
    child, text = Background(lambda: (os.getpid(), "é" * 100_000)).result()  # more than a pipe's buffer
    assert child != os.getpid() and text == "é" * 100_000


def test_work_that_fails_gives_none_so_the_caller_does_it_again() -> None:
    def fails() -> int:
        raise OSError("the disk is gone")

    assert Background(fails).result() is None
    assert Background(lambda: os._exit(3)).result() is None


def running(pid: int) -> bool:
    """Whether a process runs: a killed one nobody has reaped yet (a zombie) does not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_stopped_work_is_gone() -> None:
    work = Background(lambda: time.sleep(60))
    pid = work._pid
    assert pid is not None and running(pid)
    work.stop()
    assert work.result() is None and not running(pid)


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_work_dies_with_a_killed_build() -> None:
    """A build killed with SIGKILL runs no cleanup: the kernel must take its background work with it,
    or that work would go on writing into the staging folder the next build deletes."""
    script = ("import sys, time\nfrom newsgen.background import Background\n"
              "work = Background(lambda: time.sleep(60))\nprint(work._pid, flush=True)\ntime.sleep(60)\n")
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as build:
        try:
            child = int(build.stdout.readline())  # type: ignore[union-attr]
            assert running(child)
        finally:
            build.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not running(child):
            return
        time.sleep(0.01)
    pytest.fail(f"process {child} outlived the killed build")
