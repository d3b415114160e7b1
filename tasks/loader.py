"""Read a task file into a validated `TaskSpec`, or raise `TaskFileError` naming every problem by line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from interns.tasks._check_problems import check_problems
from interns.tasks._mcp_checks import mcp_problems
from interns.tasks._network_checks import network_problems
from interns.tasks._step_checks import step_problems
from interns.tasks._validation import shown_value, validate
from interns.tasks._yaml_lines import read_yaml
from interns.tasks.checks import resolve_schema_paths
from interns.tasks.errors import Problem, TaskFileError
from interns.tasks.params import apply_params
from interns.tasks.spec import FolderWorkspace, RepoWorkspace, TaskSpec

_SCRIPTED = "scripted:"

MAX_FILE_BYTES = 1024 * 1024
"""Task files are read up to this size (1 MiB, about a second of parsing); a bigger one is refused unread."""
_TOO_BIG = "too big for a task file (more than 1 MiB); put long material in files that context.files or exemplars name"


def load(path: str | Path, params: Mapping[str, str] | None = None) -> TaskSpec:
    """Load the task file at `path`; relative paths in it are resolved against its folder.

    `params` are a run's parameter values as given (`-p NAME=VALUE`); None when no run is started, so a parameter
    without a default is checked with a stand-in value.
    """
    file = Path(path)
    try:
        with file.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # no further: the path may be a huge file or a device
    except FileNotFoundError:
        raise TaskFileError([Problem(file, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise TaskFileError([Problem(file, None, "", "is a folder, not a task file")]) from None
    except OSError as error:
        raise TaskFileError([Problem(file, None, "", f"cannot read the file: {error.strerror or error}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise TaskFileError([Problem(file, None, "", _TOO_BIG)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start : error.start + 1].hex()
        message = f"not UTF-8 text (byte 0x{byte} cannot be decoded); save the file as UTF-8"
        raise TaskFileError([Problem(file, line, "", message)]) from None
    return load_text(text, file, params)


def line_of(path: str | Path, field: tuple[str | int, ...]) -> int | None:
    """The line of `field` (or of its nearest parent the file has) in the task file at `path`; None if unreadable."""
    try:
        document = read_yaml(Path(path).read_text(encoding="utf-8-sig"), Path(path))
    except (OSError, UnicodeDecodeError, TaskFileError):
        return None
    return document.line_of(field) if document is not None else None


def load_text(text: str, path: str | Path, params: Mapping[str, str] | None = None) -> TaskSpec:
    """Load a task from `text`, as if read from `path`: problems name `path`, relative paths resolve from its folder;
    `params` as for `load`."""
    file = Path(path)
    if len(text) > MAX_FILE_BYTES:  # characters, not bytes: close enough, and cheap on a huge text
        raise TaskFileError([Problem(file, None, "", _TOO_BIG)])
    doc = read_yaml(text, file)
    if doc is None or doc.data is None:
        message = "the file is empty; a task file needs at least version, name, goal and workspace"
        raise TaskFileError([Problem(file, None, "", message)])
    if not isinstance(doc.data, dict):
        message = (
            "the top level must be a mapping of keys such as version, name, goal and workspace; "
            f"got {shown_value(doc.data)}"
        )
        raise TaskFileError([Problem(file, doc.line_of(()), "", message)])
    doc, param_problems = apply_params(doc, file, params)
    spec, problems = validate(doc, file)
    problems += param_problems
    at_fault = {(p.line, p.field) for p in problems}
    # a need already reported as malformed is not reported again as missing
    problems += [p for p in step_problems(doc, file) if (p.line, p.field) not in at_fault]
    problems += [p for p in mcp_problems(doc, file) if (p.line, p.field) not in at_fault]
    problems += check_problems(doc, file) if not problems else []  # a check is judged once it is well formed
    problems += network_problems(spec, doc, file) if spec is not None else []
    problems += doc.problems
    if problems or spec is None:
        raise TaskFileError(problems)
    return _resolve_paths(spec, file.expanduser().absolute().parent)


def _resolve_paths(spec: TaskSpec, folder: Path) -> TaskSpec:
    """The spec with workspace, exemplar, `scripted:` model, schema and MCP server paths made absolute from `folder`."""
    workspace = spec.workspace
    if isinstance(workspace, RepoWorkspace):
        workspace = workspace.model_copy(update={"repo": _absolute(workspace.repo, folder)})
    elif isinstance(workspace, FolderWorkspace):
        outputs = workspace.outputs
        if outputs is not None:
            outputs = outputs.model_copy(update={"to": _absolute(outputs.to, folder)})
        workspace = workspace.model_copy(update={"folder": _absolute(workspace.folder, folder), "outputs": outputs})
    exemplars = [str(_absolute(Path(exemplar), folder)) for exemplar in spec.context.exemplars]
    context = spec.context.model_copy(update={"exemplars": exemplars})
    model = spec.model
    if model is not None and model.startswith(_SCRIPTED):
        model = _SCRIPTED + str(_absolute(Path(model.removeprefix(_SCRIPTED)), folder))
    steps = [step.model_copy(update={"done_when": resolve_schema_paths(step.done_when, folder)}) for step in spec.steps]
    done_when = resolve_schema_paths(spec.done_when, folder)
    mcp = [server.resolved_from(folder) for server in spec.mcp]
    return spec.model_copy(
        update={
            "workspace": workspace,
            "context": context,
            "model": model,
            "steps": steps,
            "done_when": done_when,
            "mcp": mcp,
        }
    )


def _absolute(path: Path, folder: Path) -> Path:
    return (folder / path.expanduser()).resolve()
