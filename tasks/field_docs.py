"""The docstring written under each field of a task-file model, read from the model's source when asked for.

The docstrings are the fields' descriptions in the JSON schema. pydantic's `use_attribute_docstrings` would read them
from source as each model class is made, which cost every `interns run` about 40 ms before its first event; only
`interns schema` needs them, so they are read here, once per module, when it asks.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import sys

from pydantic import BaseModel

__all__ = ["field_docs"]


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Each field of `model` that has a docstring under it, with that docstring (a subclass's own over its bases')."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls is not BaseModel:
            docs.update(_class_docs(cls.__module__, cls.__qualname__))
    return {name: docs[name] for name in model.model_fields if name in docs}


@functools.cache
def _class_docs(module: str, qualname: str) -> dict[str, str]:
    """The attribute docstrings in the body of the class `qualname` of `module`."""
    body = _class_body(_module_tree(module), qualname.split("."))
    docs = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs


@functools.cache
def _module_tree(module: str) -> ast.Module:
    """The parsed source of a loaded module."""
    return ast.parse(inspect.getsource(sys.modules[module]))


def _class_body(tree: ast.Module, path: list[str]) -> list[ast.stmt]:
    """The statements of the class reached by `path` (nested class names), or none when it is not in the source."""
    body: list[ast.stmt] = tree.body
    for name in path:
        found = next((s for s in body if isinstance(s, ast.ClassDef) and s.name == name), None)
        if found is None:
            return []
        body = found.body
    return body
