"""Typed errors that mutations return as members of their result unions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

import strawberry

from server.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    TransitionNotAllowedError,
)
from server.profiles import ProfileInvalidError


@strawberry.interface(description="Something the caller can correct; `message` says what to do.")
class Error:
    message: str = strawberry.field(description="A sentence for a person, in English.")


@strawberry.type(description="One input field and what is wrong with it.")
class FieldError:
    path: list[str] = strawberry.field(
        description='Path of the field in the input, e.g. ["vehicle", "vin"].'
    )
    message: str = strawberry.field(description="What is wrong and what would be accepted.")


@strawberry.type(
    description="The input was refused; every problem found is listed. Nothing was written."
)
class ValidationError(Error):
    fields: list[FieldError] = strawberry.field(description="Each refused field with its reason.")


@strawberry.type(
    description="You may see this object but lack the permission for this action here."
)
class NotPermitted(Error):
    permission: str = strawberry.field(
        description="The permission the action needs, e.g. workorder.assign."
    )


@strawberry.type(
    description="No such object visible to you (it may not exist, or be outside your scope)."
)
class NotFound(Error):
    id: strawberry.ID = strawberry.field(description="The id you sent.")


@strawberry.type(
    description="The object changed since you read it. Reload it and retry with its new version."
)
class Conflict(Error):
    expected_version: int = strawberry.field(description="The version you sent.")
    current_version: int = strawberry.field(description="The version the object has now.")


@strawberry.type(
    description="The workflow does not allow this step from the order's current state."
)
class TransitionNotAllowed(Error):
    state: str = strawberry.field(description="The order's current state.")
    transition: str = strawberry.field(description="The step you asked for.")
    allowed: list[str] = strawberry.field(description="The steps allowed from this state.")


def to_error(exc: DomainError, sent_id: str = "") -> Error:
    """The typed error of the contract that answers `exc`; `sent_id` is the id of the object acted
    on, which NotFound echoes."""
    match exc:
        case InvalidInputError():
            return ValidationError(
                message=f"The input was refused: {exc}",
                fields=[FieldError(path=list(p.path), message=p.message) for p in exc.problems],
            )
        case ProfileInvalidError():
            return _profile_refused(exc)
        case NotPermittedError():
            return NotPermitted(message=str(exc), permission=exc.permission)
        case NotFoundError():
            message = f"No {exc.what} with this id is visible to you."
            return NotFound(message=message, id=strawberry.ID(sent_id))
        case ConflictError():
            expected, current = exc.expected, exc.current
            return Conflict(message=str(exc), expected_version=expected, current_version=current)
        case TransitionNotAllowedError():
            return TransitionNotAllowed(
                message=str(exc), state=exc.state, transition=exc.transition, allowed=exc.allowed
            )
    raise exc


def _profile_refused(exc: ProfileInvalidError) -> ValidationError:
    """Each problem's field path is its document, then its path in the document if it has one."""
    fields = [
        FieldError(path=[part for part in (p.document, p.path) if part], message=p.message)
        for p in exc.problems
    ]
    message = f"The profile was refused with {len(fields)} errors; nothing changed."
    return ValidationError(message=message, fields=fields)


T = TypeVar("T")
E1 = TypeVar("E1", bound=Error)
E2 = TypeVar("E2", bound=Error)
E3 = TypeVar("E3", bound=Error)
E4 = TypeVar("E4", bound=Error)
E5 = TypeVar("E5", bound=Error)
Call = Callable[[], Awaitable[T]]

# One signature per number of typed errors a field answers, so that the result is the union of
# exactly those: a type checker then refuses an error its field's union lacks.


@overload
async def answer(call: Call[T], e1: type[E1], /, *, sent_id: str = "") -> T | E1: ...
@overload
async def answer(
    call: Call[T], e1: type[E1], e2: type[E2], /, *, sent_id: str = ""
) -> T | E1 | E2: ...
@overload
async def answer(
    call: Call[T], e1: type[E1], e2: type[E2], e3: type[E3], /, *, sent_id: str = ""
) -> T | E1 | E2 | E3: ...
@overload
async def answer(
    call: Call[T], e1: type[E1], e2: type[E2], e3: type[E3], e4: type[E4], /, *, sent_id: str = ""
) -> T | E1 | E2 | E3 | E4: ...
@overload
async def answer(
    call: Call[T],
    e1: type[E1],
    e2: type[E2],
    e3: type[E3],
    e4: type[E4],
    e5: type[E5],
    /,
    *,
    sent_id: str = "",
) -> T | E1 | E2 | E3 | E4 | E5: ...


async def answer(call: Call[T], /, *answered: type[Error], sent_id: str = "") -> T | Error:
    """What `call()` returns, or the typed error (`to_error`) of the DomainError it raises when
    that error is one of `answered`, the errors of the field's result union. A domain error the
    field does not answer is a bug: it propagates, and the request reports it as INTERNAL."""
    try:
        return await call()
    except DomainError as exc:
        error = to_error(exc, sent_id)
        if not isinstance(error, answered):
            raise
        return error


ChangeError = ValidationError | NotPermitted | NotFound | Conflict | TransitionNotAllowed


async def answer_change(call: Call[T], /, *, sent_id: str) -> T | ChangeError:
    """`answer` for a change to an existing object at a version: the five errors such a change
    can meet (the members of the change result unions besides the payload)."""
    return await answer(
        call,
        ValidationError,
        NotPermitted,
        NotFound,
        Conflict,
        TransitionNotAllowed,
        sent_id=sent_id,
    )
