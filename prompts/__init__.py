"""Jinja2 templates for the prompts workers and the supervisor send, shipped as package data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["render", "template_names"]

_HERE = Path(__file__).parent


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(name: str, /, **context: Any) -> str:
    """Render the template `name` (without its `.j2` suffix) with the given context."""
    return _environment().get_template(f"{name}.j2").render(**context).strip() + "\n"


def template_names() -> list[str]:
    """The names of the shipped templates."""
    return sorted(p.stem for p in _HERE.glob("*.j2"))
