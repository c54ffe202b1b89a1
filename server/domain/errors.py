"""Domain errors: what a use case refuses, with enough detail for a typed API error."""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of every refusal a caller can act on; anything else is a bug."""


@dataclass
class FieldProblem:
    path: tuple[str, ...]
    message: str


class InvalidInputError(DomainError):
    def __init__(self, problems: list[FieldProblem]):
        super().__init__("; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems))
        self.problems = problems


class NotFoundError(DomainError):
    def __init__(self, what: str, ident: str):
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class NotPermittedError(DomainError):
    def __init__(self, permission: str):
        super().__init__(f"you do not hold the permission '{permission}' here")
        self.permission = permission


class ConflictError(DomainError):
    def __init__(self, expected: int, current: int):
        super().__init__(
            f"the order changed since you read it (you sent version {expected}, "
            f"it is now {current}); reload and retry"
        )
        self.expected = expected
        self.current = current


@dataclass
class TransitionNotAllowedError(DomainError):
    state: str
    transition: str
    allowed: list[str] = field(default_factory=list)
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.reason:
            return f"'{self.transition}' cannot run: {self.reason}"
        allowed = ", ".join(self.allowed) or "none"
        return (
            f"'{self.transition}' is not allowed from state '{self.state}' "
            f"(allowed here: {allowed})"
        )
