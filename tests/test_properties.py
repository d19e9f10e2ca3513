"""Property-based tests: any input gives a site or a clear error, never a traceback or an escape."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from newsgen.build import BuildOptions, build
from newsgen.content import parse_article
from newsgen.errors import NewsgenError
from newsgen.markup import is_safe_url
from newsgen.render import to_json

UTC = ZoneInfo("UTC")
names = st.text(min_size=0, max_size=40)


def front_matter(title: str, tags: list[str], categories: list[str], summary: str) -> bytes:
    """Front matter with every value as a JSON string (valid YAML), so any text can be tried."""
    return (
        "---\n"
        f"title: {json.dumps(title)}\n"
        "date: 2021-05-25T10:00:00Z\n"
        f"summary: {json.dumps(summary)}\n"
        f"tags: [{', '.join(json.dumps(t) for t in tags)}]\n"
        f"categories: [{', '.join(json.dumps(c) for c in categories)}]\n"
        "---\nBody.\n"
    ).encode("utf-8", "surrogatepass")


@given(st.binary(max_size=600))
def test_any_bytes_are_an_article_or_a_clear_error(raw: bytes) -> None:
    try:
        parse_article(raw, "content/x.md", UTC, "Staff")
    except NewsgenError as exc:
        assert exc.problems and all(p.path == "content/x.md" for p in exc.problems)


@given(st.text(max_size=300))
def test_any_text_after_a_front_matter_line_is_an_article_or_a_clear_error(text: str) -> None:
    try:
        parse_article(("---\n" + text).encode("utf-8", "surrogatepass"), "content/x.md", UTC, "Staff")
    except NewsgenError as exc:
        assert all(str(p).startswith("content/x.md") for p in exc.problems)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=names, tags=st.lists(names, max_size=4), categories=st.lists(names, max_size=2), summary=names)
def test_any_front_matter_builds_inside_the_output_folder_or_fails_clearly(
        title: str, tags: list[str], categories: list[str], summary: str) -> None:
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        site = root / "site"
        (site / "content").mkdir(parents=True)
        (site / "content/x.md").write_bytes(front_matter(title, tags, categories, summary))
        out = root / "out"
        try:
            build(site, BuildOptions(output=out, now=datetime(2030, 1, 1, tzinfo=timezone.utc)))
        except NewsgenError as exc:
            assert exc.problems and not out.exists()
            return
        allowed = (site, out, root / ".out.newsgen-cache")  # the cache beside the output is newsgen's own
        for path in root.rglob("*"):
            assert any(path == folder or folder in path.parents for folder in allowed), path


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=10))
def test_json_for_script_elements_never_contains_markup_characters(value: object) -> None:
    encoded = to_json(value)
    assert not any(char in encoded for char in "<>&\u2028\u2029")
    assert json.loads(encoded) == value


@given(st.text(max_size=60))
def test_only_harmless_url_schemes_pass(url: str) -> None:
    compact = "".join(c for c in url if ord(c) > 32).lower()
    if compact.startswith(("javascript:", "data:", "vbscript:")):
        assert not is_safe_url(url)
