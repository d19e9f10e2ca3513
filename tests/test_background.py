"""newsgen.background: work a build hands to a forked process (linking the served files, reading the
article files, writing the cache) must come back whole, fail visibly, and never outlive the build; where
workers are not forked (forkserver, spawn, a threaded process) it runs in this process, when asked for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from newsgen import background
from newsgen.background import START_METHOD, Background

forking = pytest.mark.skipif(not background.forks(), reason="Background does not fork here (system or NEWSGEN_START_METHOD)")


@forking
def test_the_result_comes_from_another_process() -> None:
    child, text = Background(lambda: (os.getpid(), "é" * 100_000)).result()  # more than a pipe's buffer
    assert child != os.getpid() and text == "é" * 100_000


@forking
def test_work_that_fails_gives_none_so_the_caller_does_it_again(capfd) -> None:
    def fails() -> int:
        raise OSError("the disk is gone")

    assert Background(fails).result() is None
    assert Background(lambda: os._exit(3)).result() is None
    assert "Traceback" not in capfd.readouterr().err  # the caller reports, when it does the work again


def test_without_fork_the_work_runs_here_when_asked_for_and_never_once_stopped(monkeypatch) -> None:
    monkeypatch.setenv(START_METHOD, "forkserver" if "forkserver" in background.multiprocessing.get_all_start_methods()
                       else "spawn")
    ran = []
    work = Background(lambda: ran.append(os.getpid()) or "done")
    assert work.pid is None and ran == []  # nothing yet: a build that fails first never pays for it
    assert work.result() == "done" and ran == [os.getpid()]
    assert work.result() == "done" and len(ran) == 1
    stopped = Background(lambda: ran.append(0))
    stopped.stop()
    assert stopped.result() is None and len(ran) == 1

    def fails() -> int:
        raise OSError("the disk is gone")

    assert Background(fails).result() is None


@pytest.mark.skipif(sys.platform != "linux", reason="fork is the default on Linux only")
def test_a_process_running_threads_never_forks(monkeypatch) -> None:
    """`newsgen serve` runs HTTP threads: forking then may copy a lock held by one of them."""
    monkeypatch.delenv(START_METHOD, raising=False)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        work = Background(os.getpid)
        assert work.pid is None and work.result() == os.getpid()
    finally:
        stop.set()
        other.join()


@pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")
def test_prctl_is_called_with_its_argument_types() -> None:
    prctl = background._prctl()
    assert prctl is not None and prctl.restype is background.ctypes.c_int
    assert prctl.argtypes == [background.ctypes.c_int] + [background.ctypes.c_ulong] * 4


def running(pid: int) -> bool:
    """Whether a process runs: a killed one nobody has reaped yet (a zombie) does not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@forking
def test_stopped_work_is_gone() -> None:
    work = Background(lambda: time.sleep(60))
    pid = work.pid
    assert pid is not None and running(pid)
    work.stop()
    assert work.result() is None and not running(pid)


@forking
@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_work_dies_with_a_killed_build() -> None:
    """A build killed with SIGKILL runs no cleanup: the kernel must take its background work with it,
    or that work would go on writing into the staging folder the next build deletes."""
    script = ("import sys, time\nfrom newsgen.background import Background\n"
              "work = Background(lambda: time.sleep(60))\nprint(work.pid, flush=True)\ntime.sleep(60)\n")
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
