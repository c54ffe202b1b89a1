"""Shape problems: pydantic's errors for one document, as Problems an author can act on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from server.profiles.document import Document, DocumentKind
from server.profiles.problems import Problem, ProblemCode


def validate_document(kind: DocumentKind, data: Any) -> tuple[Document | None, list[Problem]]:
    if not isinstance(data, dict):
        what = "the document is empty" if data is None else f"got {type(data).__name__}"
        message = f"expected a mapping of keys ({what})"
        return None, [Problem(kind.name, "", message, ProblemCode.NOT_A_MAPPING)]
    try:
        return kind.model.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem(kind, error) for error in exc.errors()]


def _problem(kind: DocumentKind, error: Any) -> Problem:
    code, message = _described(error, kind.model)
    return Problem(kind.name, _path(error["loc"]), message, code)


def _described(error: Any, model: type[BaseModel]) -> tuple[ProblemCode, str]:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(model, error["loc"]))
        return ProblemCode.UNKNOWN_KEY, f"unknown key (allowed: {allowed})"
    if kind == "missing":
        return ProblemCode.MISSING_KEY, "required key is missing"
    if kind == "value_error":
        return ProblemCode.INVALID_VALUE, str(error["ctx"]["error"])
    if kind == "model_type":
        # pydantic would name the model's Python class, which means nothing to a YAML author.
        got = _short(error["input"])
        return ProblemCode.NOT_A_MAPPING, f"expected a mapping of keys (got {got})"
    if kind.endswith("_type"):
        return ProblemCode.WRONG_TYPE, f"{error['msg']} (got {_short(error['input'])})"
    if kind == "literal_error":
        return ProblemCode.INVALID_VALUE, f"{error['msg']} (got {_short(error['input'])})"
    return ProblemCode.INVALID_VALUE, error["msg"]


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for arg in get_args(annotation) if (m := _inner_model(arg))), None)


def _allowed_keys(model: type[BaseModel] | None, loc: tuple[str | int, ...]) -> list[str]:
    """The keys accepted where an unknown key (the last part of `loc`) was found."""
    for part in loc[:-1]:
        if model is not None and isinstance(part, str):
            fields = model.model_fields.items()
            field = next((f for n, f in fields if (f.alias or n) == part), None)
            model = _inner_model(field.annotation) if field else None
    return [f.alias or n for n, f in model.model_fields.items()] if model else []


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
