"""Compiled persisted operations (issue 19): at start-up each persisted document whose fields the
compiler knows becomes one PostgreSQL statement that builds the operation's `data` as JSON
(server/services/compiled_reads.py, server/services/order_json.py); graphql-core does not run for
it. Everything else stays interpreted, and says so: one log line per operation at start-up, a
gauge per operation and path, and a counter of executions by path.

A compiled operation still passes through strawberry up to execution (persisted-only, parsing,
validation, depth and cost limits, the rate limit), and its unmasked customer reads are logged
as the interpreted ones are (RecordCustomerAccess). A request the statement cannot serve runs
interpreted: variables that do not coerce, or arguments the interpreted path refuses with a
ValidationError (both word the refusal there), a platform caller, a WebSocket (whose frames are
encoded by the standard library, not orjson), and a statement that failed (logged with the
request id; the interpreted path then answers or masks its own error). SQLite keeps the
interpreted path.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    parse,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from schema import cursors, escalation_board, ids
from schema.persisted import PersistedOperations
from schema.queries import WorkOrderFilter, order_filter
from server.adapters import metrics
from server.domain.errors import InvalidInputError
from server.services import compiled_board, compiled_detail, compiled_escalations, compiled_reads
from server.services.caller import Caller
from server.services.compiled_board import BoardFigures
from server.services.compiled_detail import OrderDetail
from server.services.compiled_reads import Answer, OrderPage
from server.services.order_json import Selected, UnsupportedError

log = logging.getLogger("complaintdesk.graphql")
COMPILED, INTERPRETED = "compiled", "interpreted"


async def _work_orders(page: OrderPage, caller: Caller, args: Mapping[str, Any]) -> Answer | None:
    first = args.get("first", 20)  # the field's default (schema/queries.py)
    if not isinstance(first, int):
        return None
    try:
        position = cursors.decode("order", args.get("after"))
    except InvalidInputError:
        return None
    where = order_filter(_work_order_filter(args.get("filter")))
    return await page.run(caller, where, first, position[0] if position else None)


async def _work_order(
    detail: OrderDetail, caller: Caller, args: Mapping[str, Any]
) -> Answer | None:
    order_id = ids.decode("WorkOrder", args["id"])
    return None if order_id is None else await detail.run(caller, order_id)


def _work_order_filter(sent: Mapping[str, Any] | None) -> WorkOrderFilter | None:
    if sent is None:
        return None
    names = WorkOrderFilter.__strawberry_definition__.fields  # type: ignore[attr-defined]
    by_graphql_name = {_camel(f.python_name): f.python_name for f in names}
    return WorkOrderFilter(**{by_graphql_name[k]: v for k, v in sent.items()})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def _board(figures: BoardFigures, caller: Caller, args: Mapping[str, Any]) -> Answer | None:
    sent = args.get("orgUnitId")
    return await figures.run(caller, None if sent is None else ids.key("OrgUnit", sent))


# A root field's SQL from its response key and selection, made once at start-up (a root's own
# type, such as OrderPage), and its answer to one request from that SQL, the caller and the
# arguments; None sends the request to the interpreted path.
Build = Callable[[str, tuple[Selected, ...]], Any]
Run = Callable[[Any, Caller, Mapping[str, Any]], Awaitable[Answer | None]]


@dataclass(frozen=True)
class Root:
    """A root field the compiler knows: the type it answers, its SQL and how it runs."""

    type: str
    build: Build
    run: Run


ROOTS = {
    "workOrders": Root("WorkOrderConnection", compiled_reads.order_connection, _work_orders),
    "workOrder": Root("WorkOrder", compiled_detail.order_detail, _work_order),
    "escalations": Root(
        "EscalationConnection",
        compiled_escalations.escalation_connection,
        escalation_board.compiled,
    ),
    "board": Root("Board", compiled_board.board, _board),
}


@dataclass(frozen=True)
class CompiledOperation:
    name: str
    schema: GraphQLSchema  # to coerce the variables sent, as graphql-core would
    variables: tuple[VariableDefinitionNode, ...]
    arguments: Mapping[str, str]  # argument -> the variable that gives it
    root: Root
    built: Any  # what root.build made of the document

    async def answer(self, caller: Caller, sent: Mapping[str, Any]) -> Answer | None:
        coerced = get_variable_values(self.schema, self.variables, dict(sent))
        if isinstance(coerced, list):
            return None
        values = coerced.coerced
        args = {a: values[v] for a, v in self.arguments.items() if v in values}
        return await self.root.run(self.built, caller, args)


def compile_operation(graphql_schema: GraphQLSchema, document: str) -> CompiledOperation:
    """The operation of a persisted document as one statement; UnsupportedError when the compiler
    does not know something it selects."""
    parsed = parse(document)
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        raise UnsupportedError("not a single query")
    operation = operations[0]
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(graphql_schema, fragments)
    roots = walk.fields(operation.selection_set, "Query", operation.directives)
    if len(roots) != 1:
        raise UnsupportedError("more than one root field")
    (node,) = roots
    root = ROOTS.get(node.name.value)
    if root is None:
        raise UnsupportedError(f"Query.{node.name.value} is not compiled")
    arguments = {}
    for argument in node.arguments or ():
        if not isinstance(argument.value, VariableNode):
            raise UnsupportedError(f"the argument {argument.name.value} is not a variable")
        arguments[argument.name.value] = argument.value.name.value
    key = node.alias.value if node.alias else node.name.value
    built = root.build(key, walk.selected(node.selection_set, root.type))
    name = operation.name.value if operation.name else "anonymous"
    variables = tuple(operation.variable_definitions or ())
    return CompiledOperation(name, graphql_schema, variables, arguments, root, built)


@dataclass
class _Walk:
    """The fields a selection set selects of one object type, fragments looked through."""

    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]

    def fields(
        self, selection_set: SelectionSetNode | None, type_name: str, directives: Any = ()
    ) -> list[FieldNode]:
        if directives:
            raise UnsupportedError("directives are not compiled")
        found: list[FieldNode] = []
        for node in selection_set.selections if selection_set else ():
            if node.directives:
                raise UnsupportedError("directives are not compiled")
            if isinstance(node, FieldNode):
                found.append(node)
                continue
            condition: NamedTypeNode | None
            if isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                condition, below = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(node, InlineFragmentNode)
                condition, below = node.type_condition, node.selection_set
            if condition is None or condition.name.value == type_name:
                found.extend(self.fields(below, type_name))
            elif not isinstance(self.schema.get_type(condition.name.value), GraphQLObjectType):
                raise UnsupportedError(f"a fragment on {condition.name.value} is not compiled")
            # else: a fragment on another member of a union, which this answer never is
        return found

    def selected(
        self, selection_set: SelectionSetNode | None, type_name: str
    ) -> tuple[Selected, ...]:
        graphql_type = self.schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        selected: list[Selected] = []
        for node in self.fields(selection_set, type_name):
            name = node.name.value
            key = node.alias.value if node.alias else name
            if any(s.key == key for s in selected):
                raise UnsupportedError(f"the key {key} is selected twice")
            if node.arguments:
                raise UnsupportedError(f"{type_name}.{name} takes arguments")
            if name == "__typename":
                selected.append(Selected(key, name))
                continue
            below = get_named_type(graphql_type.fields[name].type)
            if is_leaf_type(below):
                selected.append(Selected(key, name))
            elif isinstance(below, GraphQLObjectType):
                selected.append(Selected(key, name, self.selected(node.selection_set, below.name)))
            else:
                raise UnsupportedError(f"{type_name}.{name} is an abstract type")
        return tuple(selected)


@dataclass(frozen=True)
class CompiledOperations:
    """The persisted operations compiled at start-up, by their document text."""

    by_document: Mapping[str, CompiledOperation]

    @classmethod
    def build(
        cls, graphql_schema: GraphQLSchema, operations: PersistedOperations, dialect: str
    ) -> CompiledOperations:
        compiled = {}
        for document in operations.documents.values():
            name = _name(document)
            if dialect != "postgresql":
                reason: str | None = f"compiled operations need PostgreSQL, not {dialect}"
            else:
                try:
                    compiled[document] = compile_operation(graphql_schema, document)
                    reason = None
                except UnsupportedError as exc:
                    reason = str(exc)
            path = INTERPRETED if reason else COMPILED
            metrics.COMPILED_OPERATIONS.labels(metrics.operation_label(name), path).set(1)
            if reason:
                log.info("persisted operation %s runs interpreted: %s", name, reason)
            else:
                log.info("persisted operation %s runs compiled (one PostgreSQL statement)", name)
        return cls(compiled)


def _name(document: str) -> str:
    operation = next(
        (d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)), None
    )
    return operation.name.value if operation is not None and operation.name else "anonymous"


class RunCompiled(SchemaExtension):
    """Answers a compiled operation from its statement, before graphql-core would execute it;
    counts every execution by the path it took."""

    async def on_execute(self) -> Any:
        ctx = self.execution_context
        if ctx.result is None:  # not refused before execution (limits, rate limits)
            answered = await _compiled(ctx)
            path = COMPILED if answered is not None else INTERPRETED
            metrics.EXECUTIONS.labels(metrics.operation_label(ctx.operation_name), path).inc()
            if answered is not None:
                ctx.result = answered
        yield


async def _compiled(ctx: Any) -> ExecutionResult | None:
    operations: CompiledOperations | None = getattr(ctx.context, "compiled", None)
    caller: Caller | None = getattr(ctx.context, "tenant_caller", None)
    if operations is None or caller is None or ctx.query is None:
        return None
    operation = operations.by_document.get(ctx.query)
    if operation is None:
        return None
    try:
        answer = await operation.answer(caller, ctx.variables or {})
    except Exception:
        # A failure (a bug, the database): the interpreted path answers, and masks its own errors
        # as always. Its session starts again: a failed statement aborts the transaction.
        request_id = getattr(ctx.context, "request_id", "-")
        log.exception("request %s: compiled %s failed, run interpreted", request_id, operation.name)
        await caller.db.close()
        return None
    if answer is None:
        return None
    caller.revealed.update(answer.revealed)
    # orjson writes the statement's JSON into the response as it is (schema/http.py).
    return ExecutionResult(data=cast(Any, orjson.Fragment(answer.data)), errors=None)
