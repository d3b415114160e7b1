"""What a `done_when` list holds: shell commands, and built-in checks for prose and data.

A check is a plain string (a shell command that must exit 0) or a mapping whose one key names a built-in check:
`file` (a file exists, optionally matching a JSON Schema), `no_markers` (no `[UNCLEAR: ...]`-style markers left),
`preserves` (the numbers, names, URLs and quotes of a stage's input survive into its output), `not_copied` (no
long run of words taken verbatim from an exemplar) and `rubric` (the supervisor model judges the output).
"""

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StringConstraints, Tag
from pydantic_core import PydanticCustomError

from interns.tasks._types import Text, WorkspaceGlob

MARKER_KINDS = ("UNCLEAR", "MISSING?", "ASSUMED")
"""The markers a worker writes instead of inventing a fact: `[UNCLEAR: ...]`, `[MISSING?: ...]`, `[ASSUMED: ...]`."""

FactKind = Literal["numbers", "names", "urls", "quotes"]
"""The kinds of fact the preservation check looks for."""


class _Check(BaseModel):
    """A built-in check: strict about keys, its field docstrings are schema descriptions, shown by `describe()`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> str:
        """The check in a few words, for plans, prompts and the journal."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


class FileCheck(_Check):
    """A workspace file exists; with `json_schema`, it also parses as JSON or YAML and validates against the schema."""

    file: WorkspaceGlob
    """The file's path, relative to the workspace root."""
    json_schema: Path | None = None
    """A JSON Schema file (JSON or YAML), relative to the task file, that the file's data must validate against."""

    def describe(self) -> str:
        """`out.json matches schema.json`, or `out.json exists`."""
        if self.json_schema is None:
            return f"{self.file} exists"
        return f"{self.file} matches the schema {self.json_schema.name}"


MarkerKind = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]*\??$", max_length=40)]
"""A marker's word in capitals, as in `[HOOK: ...]`: `HOOK`, `TODO`, `CITE`, `MISSING?`."""


class MarkerRules(_Check):
    """Where to look for markers, and the task's own kinds of marker beside the built-in ones."""

    files: list[WorkspaceGlob] | None = None
    """Workspace globs of the files to search; default: the step's `output`, else every file the step changed."""
    kinds: list[MarkerKind] = []
    """The task's own markers (`HOOK` for `[HOOK: ...]`, `TODO`, `CITE`), counted beside `UNCLEAR`, `MISSING?` and
    `ASSUMED`; workers are told to leave none of them."""


class NoMarkersCheck(_Check):
    """No `[UNCLEAR: ...]`, `[MISSING?: ...]` or `[ASSUMED: ...]` marker, nor one of the task's own kinds, is left;
    each one found is listed."""

    no_markers: Annotated[
        Annotated[list[WorkspaceGlob], Tag("files")]
        | Annotated[MarkerRules, Tag("rules")]
        | Annotated[None, Tag("none")],
        Discriminator(lambda v: "none" if v is None else "rules" if isinstance(v, Mapping | MarkerRules) else "files"),
    ]
    """Workspace globs of the files to search (empty: the step's `output`, else every file the step changed), or
    `{files: [...], kinds: [HOOK, TODO]}` to count the task's own markers too."""

    @property
    def files(self) -> list[str] | None:
        """The globs of the files to search, if any are given."""
        return self.no_markers.files if isinstance(self.no_markers, MarkerRules) else self.no_markers

    @property
    def marker_kinds(self) -> list[str]:
        """The task's own kinds of marker (the built-in ones are always counted)."""
        return self.no_markers.kinds if isinstance(self.no_markers, MarkerRules) else []

    def describe(self) -> str:
        """`no unresolved markers in out.md`, `no unresolved markers ([HOOK: ...] too) in out.md`."""
        where = ", ".join(self.files) if self.files else "the output"
        own = ", ".join(f"[{kind}: ...]" for kind in self.marker_kinds)
        return f"no unresolved markers{f' ({own} too)' if own else ''} in {where}"


class Preservation(_Check):
    """Where the preservation check reads, and what it may let go."""

    input: WorkspaceGlob | None = None
    """The file the facts come from; default: the step's `input`."""
    output: WorkspaceGlob | None = None
    """The file that must still hold them; default: the step's `output`."""
    may_drop: list[Text] = []
    """Facts the step may leave out: items as written (`12.5%`, `Acme Corp`) or whole kinds (`numbers`, `names`,
    `urls`, `quotes`). A fact changed into another (a number or name that became a different one) is reported
    whatever this says."""
    may_correct: bool = False
    """The step may correct misspelt or misheard names (`fix errors only`): a name the output holds in a close
    variant (`Kowalsky` → `Kowalski`) is reported as a correction, not a loss, and does not fail the check."""
    judge: bool = False
    """Send the facts the heuristics find lost or changed (each with a few lines around it, never the whole text) to
    the supervisor's model, which says of each whether it is kept, corrected, changed or lost, and why; those it finds
    kept pass, with its reasons shown. With a scripted model, it plays the turns of `<step>.facts`."""

    def describe(self) -> str:
        """`out.md keeps the facts of in.md`."""
        return f"{self.output or 'the output'} keeps the numbers, names, URLs and quotes of {self.input or 'the input'}"


class PreservesCheck(_Check):
    """Numbers, names, URLs and quoted phrases of the input must all appear in the output, unless allowed to go."""

    preserves: Preservation | None
    """Where to read and what may be dropped; empty: the step's `input` and `output`, nothing dropped."""

    @property
    def rules(self) -> Preservation:
        """The settings, defaults filled in."""
        return self.preserves or Preservation()

    def describe(self) -> str:
        """What must be kept, from where to where."""
        return self.rules.describe()


class CopyLimit(_Check):
    """How long a run of words shared with an exemplar may be."""

    min_words: int = Field(12, ge=4, le=200, strict=True)
    """A run of this many consecutive words (case and punctuation ignored) found in an exemplar fails the check."""
    files: list[WorkspaceGlob] | None = None
    """Workspace globs of the files to compare; default: the step's `output`, else every file the step changed."""


class NotCopiedCheck(_Check):
    """No long run of words is copied verbatim from a `context.exemplars` file."""

    not_copied: CopyLimit | None
    """Settings; empty: runs of 12 words or more in the step's output."""

    @property
    def limit(self) -> CopyLimit:
        """The settings, defaults filled in."""
        return self.not_copied or CopyLimit()

    def describe(self) -> str:
        """`no run of 12 words copied from the exemplars`."""
        return f"no run of {self.limit.min_words} words copied from the exemplars"


class RubricCheck(_Check):
    """The supervisor model judges the output against a rubric and answers pass or fail with its reasoning."""

    rubric: Text
    """What good output looks like, in the words you would give a reviewer."""
    files: list[WorkspaceGlob] | None = None
    """Workspace globs of the files to judge; default: the step's `output`, else every file the step changed."""

    def describe(self) -> str:
        """`rubric: <its first line>`."""
        first = self.rubric.strip().splitlines()[0]
        return "rubric: " + (first if len(first) <= 60 else first[:57] + "...")


BuiltinCheck = FileCheck | NoMarkersCheck | PreservesCheck | NotCopiedCheck | RubricCheck
"""Every built-in check."""

_KINDS: dict[str, type[_Check]] = {
    "file": FileCheck,
    "no_markers": NoMarkersCheck,
    "preserves": PreservesCheck,
    "not_copied": NotCopiedCheck,
    "rubric": RubricCheck,
}
"""The key that names each built-in check."""


def _kind_key(value: Mapping[Any, Any]) -> str | None:
    return next((key for key in _KINDS if key in value), None)


def _tag(value: Any) -> str:
    """The union member a check entry is validated as: a model's name, or `str` for a command."""
    if isinstance(value, _Check):
        return type(value).__name__
    if isinstance(value, Mapping) and (key := _kind_key(value)) is not None:
        return _KINDS[key].__name__
    return "str"


def _known_kind(value: Any) -> Any:
    """Refuse an entry that is neither a command nor a mapping naming a built-in check, saying what it got."""
    if isinstance(value, str | _Check) or (isinstance(value, Mapping) and _kind_key(value) is not None):
        return value
    hint = ""
    if isinstance(value, Mapping):
        keys = [str(key) for key in value]
        close = next((c for key in keys for c in difflib.get_close_matches(key, list(_KINDS), n=1)), None)
        hint = f" (did you mean '{close}'?)" if close else ""
        got = "a mapping with no key" if not keys else "the key" + "s" * (len(keys) > 1) + " " + _quoted(keys)
    elif value is None:
        got = "an empty value"
    elif isinstance(value, list):
        got = "a list"
    else:
        got = ("true" if value else "false") if isinstance(value, bool) else str(value)
        hint = f" (YAML reads it as a value: write '{got}' in quotes if it is a command)"
    raise PydanticCustomError(
        "check_kind",
        "a check is a shell command or a mapping keyed by one of {names}; got {got}{hint}",
        {"names": ", ".join(_KINDS), "got": got, "hint": hint},
    )


def _quoted(words: list[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


Check = Annotated[
    Annotated[Text, Tag("str")]
    | Annotated[FileCheck, Tag("FileCheck")]
    | Annotated[NoMarkersCheck, Tag("NoMarkersCheck")]
    | Annotated[PreservesCheck, Tag("PreservesCheck")]
    | Annotated[NotCopiedCheck, Tag("NotCopiedCheck")]
    | Annotated[RubricCheck, Tag("RubricCheck")],
    Discriminator(_tag),
    BeforeValidator(_known_kind),
]
"""One `done_when` entry: a shell command that must exit 0, or a built-in check."""


def describe_check(check: str | BuiltinCheck) -> str:
    """A check in a few words: a command as written, a built-in check by its `describe()`."""
    return check if isinstance(check, str) else check.describe()


def check_kind(check: str | BuiltinCheck) -> str:
    """The check's kind as journaled: `command`, or the key naming a built-in check (`no_markers`, ...)."""
    if isinstance(check, str):
        return "command"
    return next(key for key, model in _KINDS.items() if isinstance(check, model))


def resolve_schema_paths(checks: list[Check], folder: Path) -> list[Check]:
    """The checks with each `json_schema` path made absolute from `folder` (the task file's), `~` expanded."""
    resolved: list[Check] = []
    for check in checks:
        if isinstance(check, FileCheck) and check.json_schema is not None:
            path = (folder / check.json_schema.expanduser()).resolve()
            check = check.model_copy(update={"json_schema": path})
        resolved.append(check)
    return resolved


SCHEMA_BYTES = 1024 * 1024
"""Schema files are read up to this size."""


def read_schema(path: Path) -> dict[str, Any]:
    """The JSON Schema in `path` (JSON or YAML), checked to be a valid schema; ValueError says what is wrong."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(SCHEMA_BYTES + 1)
    except FileNotFoundError:
        raise ValueError(f"no such schema file: {path}") from None
    except OSError as error:
        raise ValueError(f"cannot read the schema file {path}: {error.strerror or error}") from None
    if len(raw) > SCHEMA_BYTES:
        raise ValueError(f"the schema file {path} is bigger than 1 MiB")
    try:
        schema = parse_data(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"the schema file {path} is not JSON or YAML: {error}") from None
    if not isinstance(schema, dict):
        raise ValueError(f"the schema file {path} does not hold a JSON Schema (a mapping)")
    import jsonschema  # type: ignore[import-untyped]  # loaded only where a task has a schema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as error:
        raise ValueError(f"the schema file {path} is not a valid JSON Schema: {error.message}") from None
    return schema


def parse_data(text: str) -> Any:
    """JSON or YAML text as data; ValueError names the line where it stops making sense."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid syntax"
        raise ValueError(f"{problem}{where}") from None


def schema_problems(data: Any, schema: dict[str, Any], limit: int = 20) -> list[str]:
    """Where `data` breaks `schema`, one line each (`$.items[2]: 'x' is not of type 'integer'`), at most `limit`."""
    import jsonschema  # loaded only where a task has a schema

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    found = []
    for error in errors[:limit]:
        message = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        found.append(f"{error.json_path}: {message}")
    if len(errors) > limit:
        found.append(f"... and {len(errors) - limit} more")
    return found
