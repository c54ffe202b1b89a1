"""Typed errors that mutations return as members of their result unions."""

from __future__ import annotations

import strawberry

from server.domain.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
    TransitionNotAllowedError,
)


@strawberry.interface(description="Something the caller can correct; `message` says what to do.")
class Error:
    message: str = strawberry.field(description="A sentence for a person, in English.")


@strawberry.type(description="One input field and what is wrong with it.")
class FieldError:
    path: list[str] = strawberry.field(description="Path of the field in the input, e.g. [\"vehicle\", \"vin\"].")
    message: str = strawberry.field(description="What is wrong and what would be accepted.")


@strawberry.type(description="The input was refused; every problem found is listed. Nothing was written.")
class ValidationError(Error):
    fields: list[FieldError] = strawberry.field(description="Each refused field with its reason.")


@strawberry.type(description="You may see this object but lack the permission for this action here.")
class NotPermitted(Error):
    permission: str = strawberry.field(description="The permission the action needs, e.g. workorder.assign.")


@strawberry.type(description="No such object visible to you (it may not exist, or be outside your scope).")
class NotFound(Error):
    id: strawberry.ID = strawberry.field(description="The id you sent.")


@strawberry.type(description="The object changed since you read it. Reload it and retry with its new version.")
class Conflict(Error):
    expected_version: int = strawberry.field(description="The version you sent.")
    current_version: int = strawberry.field(description="The version the object has now.")


@strawberry.type(description="The workflow does not allow this step from the order's current state.")
class TransitionNotAllowed(Error):
    state: str = strawberry.field(description="The order's current state.")
    transition: str = strawberry.field(description="The step you asked for.")
    allowed: list[str] = strawberry.field(description="The steps allowed from this state.")


def to_error(exc: DomainError, sent_id: str = "") -> Error:
    match exc:
        case InvalidInputError():
            return ValidationError(
                message=f"The input was refused: {exc}",
                fields=[FieldError(path=list(p.path), message=p.message) for p in exc.problems],
            )
        case NotPermittedError():
            return NotPermitted(message=str(exc), permission=exc.permission)
        case NotFoundError():
            return NotFound(message=f"No {exc.what} with this id is visible to you.", id=strawberry.ID(sent_id))
        case ConflictError():
            return Conflict(message=str(exc), expected_version=exc.expected, current_version=exc.current)
        case TransitionNotAllowedError():
            return TransitionNotAllowed(message=str(exc), state=exc.state, transition=exc.transition, allowed=exc.allowed)
    raise exc
