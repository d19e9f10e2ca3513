"""The README works as printed: its quick start is short, and every command in it runs, in a fresh clone.

The commands are cut out of README.md, never copied here, so the test follows the README. The run tests clone
the repository (`git clone` takes the committed HEAD), so they test what is committed, and run each quick-start
line with bash exactly as printed, carrying the shell's folder and environment from one line to the next as a
terminal would.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
import yaml
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_QUICK_START_LINES = 15
NOT_IN_RUNTIME_VENV = ("pytest", "playwright")


# --- reading the README ---------------------------------------------------------------------------------------

def quick_start(text: str) -> tuple[list[str], list[str]]:
    """The quick start section's lines (without its heading and blank edges) and the command lines of its code
    block."""
    section = re.search(r"^## Quick start[ \t]*\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    body = section.group(1).strip("\n")
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", body, re.M | re.S)
    assert len(blocks) == 1, f"the quick start should have one code block of commands, it has {len(blocks)}"
    commands = [line for line in blocks[0].splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return body.splitlines(), commands


def kind(command: str) -> str:
    """What a quick-start line is for, from its words (comments left out, as bash leaves them out)."""
    words = shlex.split(command, comments=True)
    if words[:2] == ["make", "build"]:
        return "install"
    if words[0] in (".", "source") and words[1].endswith("bin/activate"):
        return "activate"
    if words[0] == "newsgen" and len(words) > 1 and words[1] in ("init", "new", "serve", "build"):
        return words[1]
    if words[0] in ("cp", "rsync", "mkdir") and any(w.rstrip("/.").endswith("build") for w in words):
        return "deploy"
    return "other"


def slugify_heading(title: str) -> str:
    """The anchor GitHub gives a heading."""
    title = re.sub(r"`", "", title.strip().lower())
    title = re.sub(r"[^\w\- ]", "", title)
    return title.replace(" ", "-")


def prose(text: str) -> str:
    """Markdown without fenced blocks and code spans, where link-like text is an example, not a link."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    text = re.sub(r"^    .*$", "", text, flags=re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(path: Path) -> set[str]:
    return {slugify_heading(m.group(1)) for m in re.finditer(r"^#+ (.+)$", prose_keep_headings(path.read_text()),
                                                             re.M)}


def prose_keep_headings(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


# --- the README on its own --------------------------------------------------------------------------------------

def test_quick_start_is_short_and_covers_the_first_hour():
    lines, commands = quick_start(README.read_text(encoding="utf-8"))
    assert len(lines) <= MAX_QUICK_START_LINES, f"the quick start is {len(lines)} lines: {lines}"
    kinds = [kind(command) for command in commands]
    for needed in ("install", "activate", "init", "new", "serve", "build", "deploy"):
        assert needed in kinds, f"the quick start has no {needed} command: {commands}"
    assert kinds.index("install") < kinds.index("activate") < kinds.index("init") < kinds.index("new"), kinds
    assert kinds.index("new") < kinds.index("build") < kinds.index("deploy"), kinds


def test_readme_links_point_at_files_and_headings_that_exist():
    checked = 0
    for source in [README, *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", prose(source.read_text(encoding="utf-8"))):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (source.parent / path).resolve() if path else source
            assert file.exists(), f"{source.name}: link to {target}: no such file"
            if anchor:
                assert anchor in anchors(file), f"{source.name}: link to {target}: no such heading"
            checked += 1
    assert checked >= 10  # the README links its guides, reference sections and docs/
    readme = README.read_text(encoding="utf-8")
    assert "](docs/performance.md)" in readme
    assert "## Benchmark" not in readme and "| articles | save → reload event" not in readme  # moved to docs/


def test_readme_test_count_is_current():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    collected = int(re.search(r"^(\d+) tests? collected", out, re.M).group(1))
    for doc in (README, ROOT / "docs" / "testing.md"):
        said = re.findall(r"about (\d+) tests", doc.read_text(encoding="utf-8"))
        assert said, f"{doc.name} does not say how many tests there are"
        for figure in map(int, said):
            assert abs(figure - collected) <= collected * 0.1, f"{doc.name} says about {figure} tests; {collected}"


# --- the quick start, run as printed ----------------------------------------------------------------------------

def fresh_clone(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of newsgen")
    if shutil.which("make") is None:
        pytest.fail("the quick start needs make, and make is not installed")
    clone = tmp_path / "newsgen"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    return clone


def newcomer_env() -> dict[str, str]:
    """A fresh terminal's environment: no virtual environment active, no newsgen on PATH, no make of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONHOME")}
    path = [d for d in env.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "newsgen").exists() and not (Path(d) / "activate").exists()]
    env["PATH"] = os.pathsep.join(path)
    return env


class Shell:
    """Runs lines one by one, as printed, keeping the folder and environment a terminal would keep."""

    def __init__(self, cwd: Path, env: dict[str, str], scratch: Path):
        self.cwd, self.env, self.scratch = cwd, env, scratch

    def run(self, line: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cwd_file, env_file = self.scratch / "cwd", self.scratch / "env"
        script = 'eval "$1"; rc=$?; pwd > "$2"; env -0 > "$3"; exit $rc'
        done = subprocess.run(["bash", "-c", script, "bash", line, str(cwd_file), str(env_file)], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode == 0:
            self.cwd = Path(cwd_file.read_text().strip())
            pairs = (item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
            self.env = {k: v for k, v in pairs if not k.startswith("BASH_FUNC_") and k not in ("_", "SHLVL", "PWD",
                                                                                                  "OLDPWD")}
        return done

    def start(self, line: str) -> subprocess.Popen[bytes]:
        """Starts a long-running line in its own process group, with Ctrl-C working as in a terminal."""
        with open(self.scratch / "serve.log", "wb") as log:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(["bash", "-c", 'eval "$1"', "bash", line], cwd=self.cwd, env=self.env,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def modules_in(venv: Path) -> list[str]:
    code = ("import importlib.util, sys; "
            f"print(' '.join(m for m in {NOT_IN_RUNTIME_VENV!r} if importlib.util.find_spec(m)))")
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                          check=True, timeout=60).stdout.split()


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


def headline_slug(headline: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", headline.lower()).strip("-")


def test_quick_start_runs_as_printed_in_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path)
    _, commands = quick_start((clone / "README.md").read_text(encoding="utf-8"))
    scratch = tmp_path / "shell"
    scratch.mkdir()
    shell = Shell(clone, newcomer_env(), scratch)
    assert shutil.which("newsgen", path=shell.env["PATH"]) is None, "newsgen is on PATH before the quick start"
    problems: list[str] = []  # what the README promises but the run did not give; the run goes on to the end
    site = headline = new_file = None

    for line in commands:
        step = kind(line)
        if step == "serve":
            assert site is not None, "the quick start serves before it creates a site"
            problems += serve_and_fetch(shell, line, site, headline)
            continue
        before = files_under(shell.cwd / "content") if step == "new" else {}
        started_in = shell.cwd
        done = shell.run(line, timeout=600 if step == "install" else 120)
        assert done.returncode == 0, f"`{line}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"

        if step == "install":
            assert (clone / ".venv" / "bin" / "newsgen").is_file(), "make build made no .venv/bin/newsgen"
            assert (clone / "build" / "index.html").is_file(), "make build did not build the demo site"
            extra = modules_in(clone / ".venv")
            if extra:
                problems.append(f"`make build` installed test tools into .venv: {extra} (pending, issue 15)")
        elif step == "activate":
            found = shutil.which("newsgen", path=shell.env["PATH"])
            assert found and Path(found) == clone / ".venv" / "bin" / "newsgen", f"after `{line}`: {found}"
            assert shell.run("newsgen --version").returncode == 0
        elif step == "init":
            site = shell.cwd
            assert (site / "newsgen.yaml").is_file() and (site / "content").is_dir(), f"no site in {site}"
            words = shlex.split(line, comments=True)
            assert site == (started_in / words[2]).resolve(), f"the shell is in {site}, not in the new site {words[2]}"
        elif step == "new":
            headline = shlex.split(line, comments=True)[2]
            created = sorted(set(files_under(shell.cwd / "content")) - set(before))
            assert len(created) == 1, f"`{line}` created {created}"
            new_file = shell.cwd / "content" / created[0]
            assert re.fullmatch(rf"\d{{4}}-\d{{2}}-\d{{2}}-{headline_slug(headline)}\.md", new_file.name)
            front = yaml.safe_load(new_file.read_text(encoding="utf-8").split("---")[1])
            assert front["title"] == headline
            if front.get("draft") is not True:  # the README says it is a draft
                problems.append(f"`newsgen new` wrote no `draft: true` in {new_file.name} (pending, issue 15)")
        elif step == "build":
            index = shell.cwd / "build" / "index.html"
            assert index.is_file(), "newsgen build wrote no build/index.html"
            page = index.read_text(encoding="utf-8")
            title = yaml.safe_load((site / "newsgen.yaml").read_text(encoding="utf-8"))["title"]
            assert html.escape(title) in page
            if headline and html.escape(headline) in page:  # "the site, without drafts"
                problems.append("newsgen build published the draft from `newsgen new` (pending, issue 15)")
        elif step == "deploy":
            destination = (shell.cwd / shlex.split(line, comments=True)[-1]).resolve()
            built = files_under(shell.cwd / "build")
            assert built and files_under(destination) == built, f"{destination} is not a copy of build/"

    assert site is not None and new_file is not None
    assert not problems, "\n".join(problems)


def serve_and_fetch(shell: Shell, line: str, site: Path, headline: str | None) -> list[str]:
    """Starts `newsgen serve` as printed, fetches the home page and the new article over HTTP, stops it with
    Ctrl-C. Returns the problems found; raises when the server cannot be reached at all."""
    url = re.search(r"https?://[^\s)]+", line)
    assert url, f"the serve line does not say where the preview is: {line}"
    url = url.group(0)
    host, port = re.match(r"https?://([^/:]+):(\d+)/", url).groups()
    for _ in range(20):  # another program may be using the port for a moment
        if port_free(host, int(port)):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"{host}:{port} is in use by another program, so `{line}` cannot run as printed")
    problems = []
    server = shell.start(line)
    try:
        deadline, response = time.monotonic() + 60, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = requests.get(url, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        log = (shell.scratch / "serve.log").read_text(errors="replace")
        assert response is not None, f"`{line}` served nothing at {url}:\n{log}"
        assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
        title = yaml.safe_load((site / "newsgen.yaml").read_text(encoding="utf-8"))["title"]
        assert title in lxml_html.fromstring(response.content).findtext(".//title")
        assert url in log, f"serve did not print the address the README gives ({url}):\n{log}"
        if headline:
            tree = lxml_html.fromstring(response.content)
            links = [a.get("href") for a in tree.iter("a") if a.text_content().strip() == headline]
            assert links, f"the home page at {url} does not list the new article {headline!r}"
            article = requests.get(urljoin(url, links[0]), timeout=5)
            assert article.status_code == 200
            assert headline in lxml_html.fromstring(article.content).findtext(".//h1").strip()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C, as the README says
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
                problems.append("newsgen serve did not stop on Ctrl-C")
    return problems


def test_pipx_install_as_printed(tmp_path):
    """The quick start's other way to get the command: `pipx install .` in the clone, with a pipx of its own."""
    clone = fresh_clone(tmp_path)
    _, commands = quick_start((clone / "README.md").read_text(encoding="utf-8"))
    printed = [m.group(0) for c in commands for m in [re.search(r"pipx install [^\s)]+", c)] if m]
    assert printed, "the quick start does not show `pipx install .`"
    tool = tmp_path / "pipx-tool"
    subprocess.run([sys.executable, "-m", "venv", str(tool)], check=True, timeout=120)
    subprocess.run([str(tool / "bin" / "python"), "-m", "pip", "install", "--quiet", "pipx"], check=True,
                   timeout=300)
    env = newcomer_env()
    env.update(PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"),
               PIPX_MAN_DIR=str(tmp_path / "man"), PATH=f"{tool / 'bin'}{os.pathsep}{env['PATH']}")
    done = subprocess.run(["bash", "-c", printed[0]], cwd=clone, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    newsgen = tmp_path / "bin" / "newsgen"
    version = subprocess.run([str(newsgen), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("newsgen "), version
    assert modules_in(tmp_path / "pipx" / "venvs" / "newsgen") == []
