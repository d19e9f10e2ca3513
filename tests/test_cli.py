"""The command as installed: init, build, python -m, and a wheel that carries the theme."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO, run_newsgen


def test_init_creates_a_site_that_builds(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    result = run_newsgen("init", site)
    assert result.returncode == 0, result.stderr
    assert (site / "newsgen.yaml").is_file() and (site / "templates").is_dir() and (site / "static").is_dir()
    assert run_newsgen("build", site).returncode == 0
    assert "Welcome to your newsroom" in (site / "build/index.html").read_text()
    again = run_newsgen("init", site)
    assert again.returncode == 2 and "not empty" in again.stderr


def test_help_and_version(tmp_path: Path) -> None:
    assert run_newsgen("--version").stdout.startswith("newsgen ")
    help_text = run_newsgen("build", "--help").stdout
    for option in ("--output", "--base-url", "--drafts", "--future", "--quiet", "examples:"):
        assert option in help_text


def test_the_wheel_carries_the_theme_and_works_far_from_the_repository(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so setuptools' own build/ folder never lands in the repository
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "src"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels,
                    source], check=True, cwd=tmp_path, capture_output=True)
    wheel = next(wheels.glob("newsgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "newsgen/theme/templates/article.html" in names
    assert "newsgen/theme/static/assets/style.css" in names
    assert "newsgen/starter/content/welcome.md" in names
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", target, wheel], check=True,
                   capture_output=True)
    env = {"PYTHONPATH": str(target)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_newsgen("init", elsewhere / "site", cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    result = run_newsgen("build", elsewhere / "site", cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    assert (elsewhere / "site/build/assets/style.css").is_file()
    where = subprocess.run([sys.executable, "-c", "import newsgen; print(newsgen.__file__)"], env=env,
                           capture_output=True, text=True, cwd=elsewhere)
    assert where.stdout.startswith(str(target))
