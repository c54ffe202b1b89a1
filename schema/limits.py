"""Per-request limits, enforced before anything executes (no resolver runs, no SQL is sent).

Depth, aliases, cost and literal page sizes are one validation rule. Its class is built once per
`Limits` value (rules_for is cached), so strawberry's ValidationCache, keyed by
(schema, document, rules), keeps hitting (docs/architecture.md#validation-cache).
Tokens are a parse option (part of the ParserCache key), and page sizes sent as variables, which
validation never sees, are checked just before execution.

Cost: each field costs 1. A field with a `first` argument is a page: the first list below it (its
`edges` or `nodes`) multiplies what it selects by `first` (the argument's default, 20, when absent;
the page-size limit when it is a variable, since any value up to it may come). Any other list of
objects multiplies what it selects by 20.

Introspection (`__schema`, `__type`) answers from the schema in memory: its lists do not multiply
the cost and `ofType` (which only unwraps list and non-null wrappers) adds no depth, so GraphiQL's
standard introspection query passes; graphql-core's own MaxIntrospectionDepthRule stops
`types { fields { type { fields { ... } } } }` from fanning out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.language.visitor import SKIP
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from server.services.tenancy import TenantRuntime
from server.settings import Limits, Settings

LIST_SIZE = 20  # what a list without `first` is assumed to hold
INTROSPECTION_ROOTS = ("__schema", "__type")
MAX_NESTING = 200  # graphql-core's parser refuses deeper documents; fragment chains could go deeper
TOKEN_ABORT = (
    "Document contains more than"  # graphql-core's message when max_tokens stops the parser
)


def limits_for(tenant: TenantRuntime | None, settings: Settings) -> Limits:
    """The limits of one tenant's requests: the deployment's, tightened by the tenant's
    portal.yaml."""
    if tenant is None:
        return settings.limits
    return _tightened(settings.limits, tuple(sorted(tenant.profile.limit_overrides.items())))


@lru_cache(maxsize=256)
def _tightened(deployment: Limits, overrides: tuple[tuple[str, Any], ...]) -> Limits:
    """A tenant may ask for less than the deployment allows, never more: the smaller number,
    persisted-only if either says so, introspection only if both allow it. Cached, so equal
    tenants share one Limits value (and the validation rules built for it)."""
    given = dict(overrides)
    merged = {
        f.name: min(getattr(deployment, f.name), given[f.name])
        for f in fields(Limits)
        if f.name in given and f.type in ("int", "float")
    }
    merged["persisted_only"] = deployment.persisted_only or given.get("persisted_only", False)
    merged["introspection"] = deployment.introspection and given.get("introspection", True)
    return replace(deployment, **merged)


def refusal(message: str, limit: str, node: Any = None) -> GraphQLError:
    """An over-limit error: the message names the limit, and so does extensions.limit."""
    return GraphQLError(
        f"{message} (limit: {limit})", node, extensions={"code": "LIMIT_EXCEEDED", "limit": limit}
    )


def exceeded(what: str, value: float, limit: float, name: str, node: Any = None) -> GraphQLError:
    """E.g. "query depth 50 exceeds the limit of 12 (limit: depth)"."""
    return refusal(f"{what} {value} exceeds the limit of {limit}", name, node)


@dataclass(frozen=True)
class Measure:
    """What a selection set asks for: siblings add up, nesting multiplies the cost."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    page: int = 0  # the largest `first` written in the document

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.cost + other.cost,
            max(self.page, other.page),
        )


@dataclass(frozen=True)
class _Where:
    """Where a selection set sits: its type, the page size of the enclosing page field (consumed by
    the first list below it), and whether it is inside introspection."""

    parent: Any
    page: int | None = None
    introspection: bool = False


class _Walk:
    """Measures one operation, fragments expanded. A fragment is measured once per place it can sit
    (_Where), so nesting fragments cannot make the walk itself expensive; a fragment cycle (refused
    by graphql's own NoFragmentCyclesRule anyway) counts as empty."""

    def __init__(self, schema: GraphQLSchema, fragments: Any, page_size: int):
        self.schema, self.fragments, self.page_size = schema, fragments, page_size
        self.memo: dict[tuple[str, _Where], Measure] = {}
        self.level = 0  # how deep the walk is, fragments included: it recurses

    def selections(self, selection_set: SelectionSetNode, where: _Where) -> Measure:
        if self.level >= MAX_NESTING:
            return Measure(
                depth=MAX_NESTING
            )  # far past any depth limit already: refused as too deep
        self.level += 1
        total = Measure()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, where)
            elif isinstance(node, InlineFragmentNode):
                total += self.selections(
                    node.selection_set, self.narrowed(where, node.type_condition)
                )
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value, where)
        self.level -= 1
        return total

    def narrowed(self, where: _Where, condition: Any) -> _Where:
        inner = self.schema.get_type(condition.name.value) if condition else None
        return replace(where, parent=inner or where.parent)

    def fragment(self, name: str, where: _Where) -> Measure:
        key = (name, where)
        if key not in self.memo:
            self.memo[key] = Measure()  # in progress: a cycle adds nothing
            node = self.fragments(name)
            self.memo[key] = (
                self.selections(node.selection_set, self.narrowed(where, node.type_condition))
                if node
                else Measure()
            )
        return self.memo[key]

    def field(self, node: FieldNode, where: _Where) -> Measure:
        name = node.name.value
        definition = self.schema.get_field(where.parent, name) if where.parent is not None else None
        first, written = self.first(node, definition)
        own = Measure(1, 1 if node.alias else 0, 1, written)
        if node.selection_set is None:
            return own
        is_list = definition is not None and is_list_type(get_nullable_type(definition.type))
        introspection = where.introspection or name in INTROSPECTION_ROOTS
        # Introspection lists hold the schema, not data: they do not multiply.
        factor = 1 if introspection or not is_list else (where.page or first or LIST_SIZE)
        inner_where = _Where(
            definition and get_named_type(definition.type),
            None if is_list else first,
            introspection,
        )
        inner = self.selections(node.selection_set, inner_where)
        return Measure(
            inner.depth
            + (0 if introspection and name == "ofType" else 1),  # ofType only unwraps [..] and ..!
            inner.aliases + own.aliases,
            1 + max(factor, 1) * inner.cost,
            max(own.page, inner.page),
        )

    def first(self, node: FieldNode, definition: Any) -> tuple[int | None, int]:
        """The page size a field asks for (None: not a page), and the `first` literal written (else
        0)."""
        if definition is None or "first" not in definition.args:
            return None, 0
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(
            given, VariableNode
        ):  # any value up to the limit may come; a larger one is refused at run time
            return self.page_size, 0
        if isinstance(given, IntValueNode):
            return int(given.value), int(given.value)
        default = definition.args["first"].default_value
        return (default if isinstance(default, int) else None), 0


def measure(
    schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Any, page_size: int
) -> Measure:
    """Depth, aliases, cost and largest page of one operation. `fragments` looks a fragment up by
    name."""
    walk = _Walk(schema, fragments, page_size)
    return walk.selections(
        operation.selection_set, _Where(schema.get_root_type(operation.operation))
    )


def problems(m: Measure, limits: Limits, node: Any = None) -> list[GraphQLError]:
    checks = [
        ("query depth", m.depth, limits.depth, "depth"),
        ("alias count", m.aliases, limits.aliases, "aliases"),
        ("page size (first)", m.page, limits.page_size, "page_size"),
        ("query cost", m.cost, limits.cost, "cost"),
    ]
    return [
        exceeded(what, value, limit, name, node)
        for what, value, limit, name in checks
        if value > limit
    ]


def rules_for(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    """The validation rules for these limits: the same classes for the same values, so the
    ValidationCache key is stable (and shared by tenants that differ only in other limits)."""
    return _rules(replace(limits, tokens=0, body_bytes=0, timeout_seconds=0, persisted_only=False))


@lru_cache(maxsize=64)
def _rules(limits: Limits) -> tuple[type[ASTValidationRule], ...]:
    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            ctx = self.context
            for error in problems(
                measure(ctx.schema, node, ctx.get_fragment, limits.page_size), limits, node
            ):
                self.report_error(error)
            return SKIP  # the walk has seen the whole operation

    return (
        (OperationLimits,)
        if limits.introspection
        else (OperationLimits, NoSchemaIntrospectionCustomRule)
    )


def request_limits(context: Any) -> Limits:
    """The request's limits; a context without any (a script, a test) gets the defaults."""
    return getattr(context, "limits", None) or Limits()


class EnforceLimits(SchemaExtension):
    """Adds the limit rules and the token limit, and checks variable page sizes before execution."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        limits = request_limits(ctx.context)
        ctx.parse_options["max_tokens"] = limits.tokens
        ctx.validation_rules = ctx.validation_rules + rules_for(limits)
        try:
            yield
        except GraphQLSyntaxError as error:
            if TOKEN_ABORT not in error.message:
                raise
            raise refusal(
                f"the document exceeds the limit of {limits.tokens} tokens", "tokens"
            ) from None

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        limits = request_limits(ctx.context)
        too_big = [v for v in _page_variables(ctx) if isinstance(v, int) and v > limits.page_size]
        if too_big:
            ctx.result = PreExecutionError(
                data=None,
                errors=[exceeded("page size (first)", max(too_big), limits.page_size, "page_size")],
            )
        yield


def _page_variables(ctx: Any) -> Iterator[Any]:
    """The values (sent, else their defaults) of the variables some field uses as its `first`
    argument."""
    document = ctx.graphql_document
    if document is None:
        return
    sent = ctx.variables or {}
    defaults = {
        d.variable.name.value: int(d.default_value.value)
        for operation in document.definitions
        for d in getattr(operation, "variable_definitions", None) or ()
        if isinstance(d.default_value, IntValueNode)
    }
    for definition in document.definitions:
        yield from (
            sent.get(name, defaults.get(name))
            for name in _first_variables(definition.selection_set)
        )


def _first_variables(selection_set: SelectionSetNode | None) -> Iterator[str]:
    for node in selection_set.selections if selection_set else ():
        if isinstance(node, FieldNode):
            arguments = node.arguments or ()
            yield from (
                a.value.name.value
                for a in arguments
                if a.name.value == "first" and isinstance(a.value, VariableNode)
            )
        if not isinstance(node, FragmentSpreadNode):  # fragment definitions are walked on their own
            yield from _first_variables(node.selection_set)
