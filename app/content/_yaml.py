"""YAML that remembers line numbers, so content errors can say where they are.

Every mapping gets a hidden "__line__" key (1-based line of its first key) and a
mapping that repeats a key is refused instead of silently keeping the last value.
"""

from __future__ import annotations

from typing import Any

import yaml

from app.content.errors import ContentError

LINE_KEY = "__line__"


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, (str, int, float, bool)) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} repeats the one on line {seen[key]}", key_node.start_mark
            )
        if isinstance(key, (str, int, float, bool)):
            seen[key] = line
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE_KEY] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str, file: str, *, line_offset: int = 0) -> Any:
    """Parse YAML; errors become ContentError naming the file and line."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or exc.context or "cannot be parsed"
        raise ContentError(file, f"invalid YAML: {problem}", line=line) from exc
    except yaml.YAMLError as exc:
        raise ContentError(file, f"invalid YAML: {exc}") from exc


def line_of(mapping: Any, offset: int = 0) -> int | None:
    if isinstance(mapping, dict) and isinstance(mapping.get(LINE_KEY), int):
        return mapping[LINE_KEY] + offset
    return None


def strip_lines(value: Any) -> Any:
    """A copy without the hidden line keys (for hashing and plain use)."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
