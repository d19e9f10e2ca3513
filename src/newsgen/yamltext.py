"""Strict, line-accurate YAML for front matter and config.

Every scalar comes back as text (or None for an empty value): fields are typed by the schema that
reads them, never by YAML 1.1's guesses (`NO` is not False, `1.10` is not 1.1, `10:00` is not 600).
Anchors, aliases, custom tags and duplicate keys are refused, so a file means what it says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import json
import re

import yaml

from .errors import Problem

MAX_YAML_BYTES = 256 * 1024
MAX_DEPTH = 16
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map", "int", "float", "bool", "null", "timestamp")
}


@dataclass(frozen=True)
class Entry:
    """A top-level value with the line its key stands on."""

    value: Any
    line: int
    quoted: bool = False  # a quoted scalar: "Doe, Jane" is one name, Doe, Jane two
    dropped: str | None = None  # the whole text of a one-line plain value YAML cut at ` #`, else None


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None, field: str | None = None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


class _StrictLoader(yaml.BaseLoader):
    """Composes nodes without resolving implicit types; refuses anchors and aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlProblem(_NO_ANCHORS, event.start_mark.line + 1)
        return super().compose_node(parent, index)


# libyaml (bundled with PyYAML's wheels) parses front matter about six times faster than the
# pure-Python parser; where it is missing, the pure-Python one does the same job.
_FAST_LOADER = getattr(yaml, "CBaseLoader", _StrictLoader)
_NO_ANCHORS = "anchors and aliases (&name, *name) are not allowed"


def _compose(text: str) -> yaml.Node | None:
    """Compose YAML into nodes, refusing anchors and aliases. Line numbers are 1-based in `text`."""
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise YamlProblem(_NO_ANCHORS, event.start_mark.line + 1)
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        # Broken YAML is rare: let the pure-Python parser find it, so messages read the same everywhere.
        return yaml.compose(text, Loader=_StrictLoader)


def _without_surrogates(text: str) -> str:
    """YAML escapes like "\\ud800\\udc00" give surrogate halves, which no output file can hold: join pairs,
    replace lone halves with U+FFFD."""
    if not any("\ud800" <= char <= "\udfff" for char in text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _to_python(node: yaml.Node, first_line: int, depth: int) -> Any:
    line = node.start_mark.line + first_line
    if depth > MAX_DEPTH:
        raise YamlProblem(f"nested deeper than {MAX_DEPTH} levels", line)
    if node.tag not in _STANDARD_TAGS:
        raise YamlProblem(f"custom YAML tag {node.tag!r} is not allowed", line)
    if isinstance(node, yaml.ScalarNode):
        plain = not node.style  # the C parser says '' where the Python one says None
        if plain and node.value in ("", "~", "null", "Null", "NULL"):
            return None
        return _without_surrogates(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, first_line, depth + 1) for item in node.value]
    assert isinstance(node, yaml.MappingNode)
    return {key: value for key, value, _ in _mapping_items(node, first_line, depth)}


def _mapping_items(node: yaml.MappingNode, first_line: int, depth: int) -> list[tuple[str, Any, int]]:
    seen: dict[str, int] = {}
    items = []
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + first_line
        if not isinstance(key_node, yaml.ScalarNode):
            raise YamlProblem("keys must be plain text", line)
        key = key_node.value
        if key in seen:
            raise YamlProblem(f"duplicate key (first set on line {seen[key]})", line, field=key)
        seen[key] = line
        items.append((key, _to_python(value_node, first_line, depth + 1), line))
    return items


def parse_mapping(text: str, first_line: int = 1) -> dict[str, Entry]:
    """Parse YAML text that must be a mapping. `first_line` is the file line the text starts on.

    Raises YamlProblem with a file line number.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise YamlProblem(f"YAML block is larger than {MAX_YAML_BYTES // 1024} KiB", first_line)
    try:
        node = _compose(text)
    except YamlProblem as exc:
        advice = _advice(text, exc.line or 1, exc.message) if exc.message == _NO_ANCHORS else None
        field, message = advice or (exc.field, exc.message)
        raise YamlProblem(message, (exc.line or 1) + first_line - 1, field or None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        field, message = _advice(text, line, f"{exc.context or ''}: {reason}") or (None, f"invalid YAML: {reason}")
        raise YamlProblem(message, line + first_line - 1, field or None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", first_line) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise YamlProblem("expected a mapping of `key: value` lines", node.start_mark.line + first_line)
    try:
        items = _mapping_items(node, first_line, 0)
    except YamlProblem as exc:
        advice = _advice(text, (exc.line or first_line) - first_line + 1, "tag") if "tag" in exc.message else None
        if advice is None:
            raise
        raise YamlProblem(advice[1], exc.line, advice[0] or None) from None
    return {key: Entry(value, line, *_scalar_facts(value_node, text))
            for (key, value, line), (_, value_node) in zip(items, node.value)}


def _scalar_facts(node: yaml.Node, text: str) -> tuple[bool, str | None]:
    """Whether a top-level value was quoted, and the text a ` #` comment cut off a one-line plain value.
    Marks count characters of `text` in both parsers, so the file is looked at where the value ends."""
    if not isinstance(node, yaml.ScalarNode):
        return False, None
    if node.style:
        return True, None
    start, end = node.start_mark, node.end_mark
    if start.line != end.line or not node.value or not _COMMENT.match(text, end.index):
        return False, None
    line_end = text.find("\n", end.index)
    return False, text[start.index : line_end if line_end >= 0 else len(text)].strip()


_COMMENT = re.compile(r"[ \t]+#")
# A top-level `key: value` line, to show how the value is written in quotes.
_FIELD_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):[ \t]+(\S.*?)[ \t]*$")


def quoted_line(key: str, value: str) -> str:
    """`key: value` with the value quoted so YAML reads it as written: in single quotes when it holds
    double ones (nothing to escape), else as a JSON string, which is a YAML double-quoted scalar."""
    if '"' in value and "'" not in value:
        return f"{key}: '{value}'"
    return f"{key}: {json.dumps(value, ensure_ascii=False)}"


def _why(reason: str, value: str) -> str:
    if "mapping values are not allowed" in reason:
        return "YAML reads ': ' inside a value as the start of another field"
    if "sequence entries are not allowed" in reason:
        return "YAML reads a value that starts with '- ' as a list"
    if "cannot start any token" in reason:
        return f"YAML does not allow a plain value to start with '{value[0]}'"
    if "alias" in reason or "anchor" in reason:
        return f"YAML reads '{value[0]}' at the start of a value as an anchor or alias"
    if "tag" in reason:
        return "YAML reads '!' at the start of a value as a type tag"
    if "expected <block end>" in reason or "expected key" in reason:
        return "YAML reads the quoted or bracketed start of the value as the whole value, then finds more text"
    return f"YAML cannot read this line ({reason.strip(': ')})"


def _advice(text: str, line: int, reason: str) -> tuple[str, str] | None:
    """Plain advice for a YAML error on a top-level `key: value` line (1-based in `text`): the field and
    a message that shows the line written so YAML reads it; or None when the line is not one."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    written = lines[line - 1]
    if written[:1] == "\t" or (written[:1] == " " and "\t" in written[: len(written) - len(written.lstrip())]):
        return "", "the line is indented with a tab; YAML needs spaces for indentation"
    match = _FIELD_LINE.fullmatch(written)
    if not match or match.group(2).startswith("!!") or "flow" in reason:
        return None  # a tag attack, or a list or mapping left open: the parser's words say it better
    key, value = match.groups()
    noun = "headline" if key.lower() in ("title", "headline") else "value"
    return key, f"{_why(reason, value)}; put the {noun} in quotes: {quoted_line(key, value)}"


def problem(exc: YamlProblem, path: str) -> Problem:
    return Problem(exc.message, path=path, line=exc.line, field=exc.field)
