"""The settings reference (docs/settings.md), read from the pydantic settings models themselves.

For every field: the environment variable(s) that set it, its default, what it does and whether
it is a secret. The description is the field's `description=`, else the comment written above
it (a comment block describes the run of fields right under it) or after it on its line, so
the code stays the one place a setting is explained. `deploy/settings_reference.py` writes the
document; a test fails when it is stale or a setting has no description.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import tokenize
import types
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import AliasChoices, SecretStr
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

SECRET_SUFFIXES = ("password", "secret", "token")


@dataclass(frozen=True)
class Setting:
    name: str
    variables: tuple[str, ...]
    kind: str
    default: str
    description: str
    secret: bool


def is_secret(name: str, annotation: Any) -> bool:
    """A secret's value is never printed (check-config) nor shown as a default."""
    return _mentions(annotation, SecretStr) or name.lower().endswith(SECRET_SUFFIXES)


def _mentions(annotation: Any, wanted: type) -> bool:
    if annotation is wanted:
        return True
    return any(_mentions(arg, wanted) for arg in get_args(annotation))


def _kind(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        kinds = [_kind(arg) for arg in get_args(annotation) if arg is not type(None)]
        return " or ".join(kinds)
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation) if value is not None)
    if origin in (list, tuple, set, frozenset):
        return "JSON list"
    if origin is dict:
        return "JSON object"
    if inspect.isclass(annotation):
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(f"`{member.value}`" for member in annotation)
        if issubclass(annotation, SecretStr):
            return "text"
        return {bool: "true/false", int: "integer", float: "number", str: "text", Path: "path"}.get(
            annotation, annotation.__name__
        )
    return str(annotation)


def _default(field: Any, secret: bool) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value is None:
        return "(not set)"
    if secret:
        return "(set)" if value else "(empty)"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, list | tuple | set | frozenset | dict):
        return json.dumps(_plain(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def _variables(model: type[BaseSettings], name: str, field: Any) -> tuple[str, ...]:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice).upper() for choice in alias.choices if isinstance(choice, str))
    if isinstance(alias, str):
        return (alias.upper(),)
    prefix = str(model.model_config.get("env_prefix", ""))
    return (f"{prefix}{name}".upper(),)


_FIELD_LINE = re.compile(r"^\s{4}(\w+)\s*:")


def comments_of(model: type[BaseSettings]) -> dict[str, str]:
    """{field: its comment}: the comment lines right above the field (section headings like
    `# --- mail ---` excepted) and a comment after it on its own line."""
    try:
        source = inspect.getsource(model)
    except (OSError, TypeError):
        return {}
    trailing: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.line.strip() != token.string.strip():
            trailing[token.start[0] - 1] = token.string.lstrip("#").strip()
    found: dict[str, str] = {}
    block: list[str] = []
    for number, line in enumerate(source.splitlines()):
        stripped = line.strip()
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if not text.startswith("-"):
                block.append(text)
            continue
        match = _FIELD_LINE.match(line)
        if match and match.group(1) in model.model_fields:
            text = " ".join(part for part in (*block, trailing.get(number, "")) if part)
            if text:
                found[match.group(1)] = text
        block = []
    return found


def describe(model: type[BaseSettings]) -> list[Setting]:
    comments = comments_of(model)
    settings: list[Setting] = []
    for name, field in model.model_fields.items():
        secret = is_secret(name, field.annotation)
        description = field.description or comments.get(name, "")
        settings.append(
            Setting(
                name=name,
                variables=_variables(model, name, field),
                kind=_kind(field.annotation),
                default=_default(field, secret),
                description=description,
                secret=secret,
            )
        )
    return settings


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(settings: Sequence[Setting]) -> list[str]:
    lines = ["| variable | type | default | secret | description |", "|---|---|---|---|---|"]
    for setting in settings:
        variables = "<br>".join(f"`{variable}`" for variable in setting.variables)
        default = f"`{_cell(setting.default)}`" if not setting.default.startswith("(") else setting.default
        lines.append(
            f"| {variables} | {_cell(setting.kind)} | {default} | {'yes' if setting.secret else 'no'} "
            f"| {_cell(setting.description)} |"
        )
    return lines
