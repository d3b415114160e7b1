"""YAML read into plain Python data, remembering the line of every mapping key and sequence item."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tasks.errors import Problem, TaskFileError, field_path

PathKey = tuple[Hashable, ...]
"""A path into the data: mapping keys and sequence indexes, e.g. `("steps", 1, "needs", 0)`."""

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document: its data, the 1-based line of each path in it, and non-fatal problems."""

    data: object
    lines: dict[PathKey, int]
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: PathKey) -> int:
        """The line of `path`, or of its nearest ancestor that the file has (a missing key has no line)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1


def read_yaml(text: str, file: Path) -> YamlDocument | None:
    """Parse one YAML document (safe tags only); None for an empty one; TaskFileError for a syntax error."""
    try:
        return _read(text, file)
    except yaml.MarkedYAMLError as error:
        raise TaskFileError([_marked_problem(error, file)]) from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        message = f"invalid YAML: the character U+{error.character:04X} is not allowed in a YAML file"
        raise TaskFileError([Problem(file, line, "", message)]) from None
    except yaml.YAMLError as error:
        raise TaskFileError([Problem(file, None, "", f"invalid YAML: {error}")]) from None


def _read(text: str, file: Path) -> YamlDocument | None:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        builder = _Builder(loader, file)
        data = builder.build(root, ())
        return YamlDocument(data=data, lines=builder.lines, problems=builder.problems)
    finally:
        loader.dispose()


def _marked_problem(error: yaml.MarkedYAMLError, file: Path) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    problem, context = error.problem or "", error.context or ""
    if context and problem.startswith("but "):  # PyYAML's two halves of one sentence
        return Problem(file, line, "", f"invalid YAML: {context}, {problem}")
    message = f"invalid YAML: {problem or context or 'cannot parse'}"
    if context and problem and error.context_mark is not None:
        message += f" ({context} at line {error.context_mark.line + 1})"
    return Problem(file, line, "", message)


class _Builder:
    """Turns a composed node tree into Python data while recording lines and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, file: Path) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[PathKey, int] = {}
        self.problems: list[Problem] = []
        self._open: set[int] = set()

    def build(self, node: Node, path: PathKey) -> object:
        if path == ():
            self.lines[()] = node.start_mark.line + 1
        if isinstance(node, MappingNode) and node.tag == _MAP_TAG:
            return self._guarded(node, path, self._mapping)
        if isinstance(node, SequenceNode) and node.tag == _SEQ_TAG:
            return self._guarded(node, path, self._sequence)
        # Scalars and other standard tags (timestamps, sets, ...): PyYAML's safe constructor knows them.
        return self.loader.construct_object(node, deep=True)

    def _guarded(self, node: Node, path: PathKey, build: Callable[[Node, PathKey], object]) -> object:
        # An alias may point at a node that contains it; following it would never end.
        if id(node) in self._open:
            raise yaml.constructor.ConstructorError(None, None, "found a recursive alias", node.start_mark)
        self._open.add(id(node))
        try:
            return build(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: Node, path: PathKey) -> object:
        assert isinstance(node, MappingNode)
        self._report_duplicate_keys(node, path)
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys, as PyYAML itself does
        result: dict[Hashable, object] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result

    def _sequence(self, node: Node, path: PathKey) -> object:
        assert isinstance(node, SequenceNode)
        items = []
        for index, item_node in enumerate(node.value):
            self.lines[(*path, index)] = item_node.start_mark.line + 1
            items.append(self.build(item_node, (*path, index)))
        return items

    def _key(self, key_node: Node) -> Hashable:
        key = self.loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value, not a list or mapping", key_node.start_mark
            )
        return key

    def _report_duplicate_keys(self, node: MappingNode, path: PathKey) -> None:
        first_line: dict[object, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self._key(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                where = field_path((*path, key))
                message = f"duplicate key '{key}' (first at line {first_line[key]}); only the last one would count"
                self.problems.append(Problem(self.file, line, where, message))
            else:
                first_line[key] = line
