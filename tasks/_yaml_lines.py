"""YAML read into plain Python data, remembering the line of every mapping key and sequence item."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from interns.tasks.errors import Problem, TaskFileError, field_path

PathKey = tuple[Hashable, ...]
"""A path into the data: mapping keys and sequence indexes, e.g. `("steps", 1, "needs", 0)`."""

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_TAG = "tag:yaml.org,2002:float"

MAX_DEPTH = 100
"""Lists and mappings nested deeper than this are refused; a task file needs about five levels."""
MAX_VALUES = 20_000
"""The most keys, values and items a file may hold, counting what aliases repeat; a big task file has a few thousand."""

# YAML 1.1 (PyYAML) reads `1e9` and `1.5e3` as strings; YAML 1.2 and every reader of the file read them as numbers.
_EXPONENT_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")


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
    """Parse one YAML document (safe tags only); None for an empty one; TaskFileError for a syntax error.

    Refuses nesting deeper than `MAX_DEPTH` and more than `MAX_VALUES` values (aliases counted in full, so an alias
    bomb is refused before it grows); reads `1e9` as a number, as YAML 1.2 does, not as a string.
    """
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


class _TaskLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounding nesting and size as it composes, aliases counted in full; `1e9` is a number.

    An alias is cheap to write and repeats its whole anchored value: nine aliases per level for eight levels (a
    "billion laughs") make a few hundred bytes into gigabytes, and an alias inside nested lists adds the depth of its
    value to theirs. So each node is measured as it will be built, and composing stops at the node or alias that takes
    the file past `MAX_VALUES` values or `MAX_DEPTH` levels.
    """

    def __init__(self, text: str, file: Path) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0
        """Lists and mappings open around the node being composed."""
        self.reach = 0
        """The deepest level the current node's value goes to so far, aliases followed."""
        self.values = 0
        """Values composed so far, each alias counted as the values it repeats."""
        self.shapes: dict[int, tuple[int, int]] = {}
        """How many values, and how many levels, each finished node expands to, by `id(node)`."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        """Compose one node, refusing it first if it nests too deep or takes the file past `MAX_VALUES`."""
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if event.anchor is not None and target is not None:  # an unknown anchor is left to PyYAML's own error
                self._expand(event.anchor, self.shapes.get(id(target)), line)
            return super().compose_node(parent, index)
        nested = isinstance(event, MappingStartEvent | SequenceStartEvent)
        level = self.depth + nested
        self._count(1, line, "the file grows")
        self._descend(level, line)
        before, outer_reach = self.values - 1, self.reach
        self.reach = level  # measured afresh: how deep this node goes, whatever its neighbours did
        self.depth += nested
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= nested
        self.shapes[id(node)] = (self.values - before, self.reach - self.depth)
        self.reach = max(outer_reach, self.reach)
        return node

    def _expand(self, anchor: str, shape: tuple[int, int] | None, line: int | None) -> None:
        if shape is None:  # the anchored value is still open: the alias is inside it
            message = f"the alias *{anchor} is inside the value it names, so it would repeat without end"
            raise TaskFileError([Problem(self.file, line, "", message)])
        values, levels = shape
        self._count(values, line, f"with what the alias *{anchor} repeats, the file grows")
        self._descend(self.depth + levels, line)

    def _count(self, values: int, line: int | None, what: str) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            message = f"too big: {what} past {MAX_VALUES} keys, values and items; a task file needs far fewer"
            raise TaskFileError([Problem(self.file, line, "", message)])

    def _descend(self, level: int, line: int | None) -> None:
        if level > MAX_DEPTH:
            raise TaskFileError([Problem(self.file, line, "", f"nested too deeply (more than {MAX_DEPTH} levels)")])
        self.reach = max(self.reach, level)


_TaskLoader.add_implicit_resolver(_FLOAT_TAG, _EXPONENT_FLOAT, list("-+0123456789."))


def _read(text: str, file: Path) -> YamlDocument | None:
    loader = _TaskLoader(text, file)
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

    def build(self, node: Node, path: PathKey) -> object:
        if path == ():
            self.lines[()] = node.start_mark.line + 1
        # The loader refused recursive aliases, so no node contains itself, and bounded how often one is reached.
        if isinstance(node, MappingNode) and node.tag == _MAP_TAG:
            return self._mapping(node, path)
        if isinstance(node, SequenceNode) and node.tag == _SEQ_TAG:
            return self._sequence(node, path)
        # Scalars and other standard tags (timestamps, sets, ...): PyYAML's safe constructor knows them.
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, path: PathKey) -> object:
        self._report_duplicate_keys(node, path)
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys, as PyYAML itself does
        result: dict[Hashable, object] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result

    def _sequence(self, node: SequenceNode, path: PathKey) -> object:
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
