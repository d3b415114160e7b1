"""String types shared by the task-file models: non-empty text and workspace globs."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

Text = Annotated[str, StringConstraints(pattern=r"\S")]
"""A string with something in it: not empty, not only spaces."""


def _inside_workspace(pattern: str) -> str:
    """Refuse a glob that could only name paths outside the workspace: absolute, `~`, or with a `..` part."""
    if pattern.startswith(("/", "~")) or ".." in pattern.split("/"):
        raise PydanticCustomError(
            "glob_outside_workspace",
            "{pattern} is not a workspace glob: globs are relative to the workspace root, "
            "so they cannot start with '/' or '~' or have a '..' part",
            {"pattern": f"'{pattern}'"},
        )
    return pattern


WorkspaceGlob = Annotated[str, StringConstraints(pattern=r"\S"), AfterValidator(_inside_workspace)]
"""A glob pattern relative to the workspace root, such as `src/**/*.py`."""
