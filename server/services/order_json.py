"""Orders as the contract's JSON, built by PostgreSQL: the SQL of each field of an order (and of
what it links to) that a compiled persisted operation may select (schema/compiled.py).

Each value is written as the interpreted path answers it: global ids and instants in the same
text, a clock's status by server/domain/sla.py's rule at the request's instant, the customer's
phones, address and postcode masked as server/services/visibility.py decides, a state's label
from the order's own profile version. A field not listed here cannot be compiled: its operation
stays on the interpreted path. Every related row is read under its tenant (:tenant), as the
loaders' look-ups are (server/db/lookups.py); row-level security checks that as well.

Parameters the SQL names, bound per request (server/services/compiled_reads.py): :tenant, :me
(the caller's user id), :now, :labels (state labels by profile version), and :read, :pii,
:handle, :logged (the subtrees where the caller holds workorder.read, customer.pii,
workorder.handle and customer.pii.logged).

What the workflow and the policy decide (the steps the caller may take, say) is not written again
in SQL: such a field is Computed, answered in Python by the services the interpreted resolver
calls, from columns the statement returns beside the JSON; only on a root's own object.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from server.db.models import (
    ContactAttempt,
    Customer,
    CustomerCall,
    CustomerPhone,
    OrgUnit,
    User,
    Vehicle,
    WarningSlip,
    WorkOrder,
    WorkOrderClock,
    WorkOrderEvent,
)
from server.services import order_actions
from server.services.caller import Caller


class UnsupportedError(Exception):
    """What a document selects that the compiler cannot write as SQL; the operation stays
    interpreted."""


@dataclass(frozen=True)
class Selected:
    """A field of the document: its response key, its name, and what is selected below it."""

    key: str
    field: str
    below: tuple[Selected, ...] = ()


# A value's SQL from the alias of its row and the alias of the row that links to it.
Value = Callable[[str, str], str]


@dataclass(frozen=True)
class Linked:
    """Rows of `table` that `join` ({row}: theirs, {of}: the linking row's) relates: one (the
    newest by id when `newest`), or all oldest first when `many`."""

    type: str
    table: str
    join: str
    many: bool = False
    newest: bool = False
    refused: tuple[str, ...] = ()  # fields of the linked rows not compiled below this link


@dataclass(frozen=True)
class Listed:
    """Rows of `table` whose ids the linking row holds in its JSON array `column`, in the array's
    order, once per mention; an id of no row is left out."""

    type: str
    table: str
    column: str


@dataclass(frozen=True)
class Computed:
    """A field Python answers after the statement: `value(caller, row)` from the columns `reads`
    of the root's row, plain JSON values or objects of the GraphQL type `type` (see OBJECTS)."""

    reads: tuple[str, ...]
    value: Callable[[Caller, Any], Any]
    type: str | None = None


@dataclass(frozen=True)
class Embedded:
    """An object held in an SQL expression of the linking row (a jsonb label)."""

    type: str
    expression: Value


def gid(type_name: str, key: str) -> str:
    """schema/ids.encode: urlsafe base64 of "<Type>:<key>" without padding (short enough that
    PostgreSQL's base64 never breaks the line)."""
    text = f"convert_to('{type_name}:' || {key}, 'UTF8')"
    return f"rtrim(translate(encode({text}, 'base64'), '+/', '-_'), '=')"


def cursor(kind: str, key: str) -> str:
    """schema/cursors.encode for a list sorted by id alone: urlsafe base64, padded."""
    return f"translate(encode(convert_to('{kind}|' || {key}, 'UTF8'), 'base64'), '+/', '-_')"


def instant(column: str) -> str:
    """schema/instants: Python's isoformat in UTC, whose fraction is six digits or none."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    fraction = (
        f"CASE WHEN extract(microseconds FROM {utc})::bigint % 1000000 = 0 THEN '' "
        f"ELSE '.' || to_char({utc}, 'US') END"
    )
    return f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || {fraction} || '+00:00'"


def covered(path: str, scopes: str) -> str:
    """server/domain/tree.covers: `path` at or below one of the paths of the :scopes array."""
    return (
        f"EXISTS (SELECT FROM unnest(CAST(:{scopes} AS text[])) AS s(path) "
        f"WHERE {path} = s.path OR starts_with({path}, rtrim(s.path, '/') || '/'))"
    )


def customer_shown(order: str) -> str:
    """visibility.sees_customer_details: customer.pii at the order, or a handler named on it who
    may handle it there."""
    path = f"{order}.org_path"
    named = f":me IN ({order}.primary_handler_id, {order}.secondary_handler_id)"
    return f"({covered(path, 'pii')} OR ({named} AND {covered(path, 'handle')}))"


def customer_revealed(order: str) -> str:
    """Whether the order's customer is shown unmasked in a read the policy logs."""
    return f"({customer_shown(order)} AND {covered(f'{order}.org_path', 'logged')})"


def _masked_phone(number: str) -> str:
    """server/domain/identifiers.mask_phone."""
    return (
        f"CASE WHEN length({number}) > 8 THEN left({number}, -8) || '****' || right({number}, 4) "
        "ELSE '****' END"
    )


def _column(name: str) -> Value:
    return lambda row, _of: f"{row}.{name}"


def _instant(name: str) -> Value:
    return lambda row, _of: instant(f"{row}.{name}")


def _id(type_name: str) -> Value:
    return lambda row, _of: gid(type_name, f"{row}.id")


def _unless_masked(name: str) -> Value:
    return lambda row, of: f"CASE WHEN {customer_shown(of)} THEN {row}.{name} END"


def _phones(row: str, of: str) -> str:
    number = "ph.number"
    shown = f"CASE WHEN {customer_shown(of)} THEN {number} ELSE {_masked_phone(number)} END"
    return (
        f"(SELECT coalesce(json_agg({shown} ORDER BY ph.id), '[]'::json) "
        f"FROM {CustomerPhone.__tablename__} ph "
        f"WHERE ph.customer_id = {row}.id AND ph.tenant_id = :tenant)"
    )


def _clock_status(row: str, _of: str) -> str:
    """server/domain/sla.status, at the request's :now."""
    exhausted = f"({row}.budget IS NOT NULL AND {row}.used > {row}.budget)"
    late = f"({row}.due_at IS NOT NULL AND {row}.stopped_at > {row}.due_at)"
    return (
        f"CASE WHEN {row}.cancelled THEN 'CANCELLED' "
        f"WHEN {row}.stopped_at IS NOT NULL THEN "
        f"CASE WHEN {late} OR {exhausted} THEN 'MET_LATE' ELSE 'MET' END "
        f"WHEN {row}.missing_year IS NOT NULL THEN 'CALENDAR_MISSING' "
        f"WHEN {row}.running_since IS NULL THEN "
        f"CASE WHEN {exhausted} THEN 'BREACHED' ELSE 'PAUSED' END "
        f"WHEN {row}.due_at IS NOT NULL AND CAST(:now AS timestamptz) >= {row}.due_at "
        "THEN 'BREACHED' "
        f"WHEN {row}.warn_at IS NOT NULL AND CAST(:now AS timestamptz) >= {row}.warn_at "
        "THEN 'DUE_SOON' "
        "ELSE 'ON_TRACK' END"
    )


def _state_label(row: str, _of: str) -> str:
    """TenantRuntime.state_of: the label in the order's own version; a version not stored runs by
    the one in force, kept under the key ''."""
    labels = "CAST(:labels AS jsonb)"
    version = f"coalesce({labels} -> {row}.profile_version, {labels} -> '')"
    return f"({version} -> {row}.state)"


def _user(column: str) -> Linked:
    return Linked("User", User.__tablename__, f"{{row}}.id = {{of}}.{column}")


def _enum(name: str) -> Value:
    """A contract enum stored as its value: its GraphQL name is the value in capitals."""
    return lambda row, _of: f"upper({row}.{name})"


def _due_at(name: Value) -> Value:
    """The deadline of the order's clock called `name` (one per order and name)."""
    return lambda row, of: (
        f"(SELECT {instant('c.due_at')} FROM {WorkOrderClock.__tablename__} c "
        f"WHERE c.work_order_id = {row}.id AND c.tenant_id = :tenant "
        f"AND c.name = {name(row, of)})"
    )


def _grade_override_reason(row: str, _of: str) -> str:
    """Kept where registering put it: in the data of the order's first `registered` event."""
    return (
        f"(SELECT ev.data -> 'grade_override' ->> 'reason' "
        f"FROM {WorkOrderEvent.__tablename__} ev WHERE ev.work_order_id = {row}.id "
        f"AND ev.tenant_id = :tenant AND ev.kind = 'registered' ORDER BY ev.id LIMIT 1)"
    )


def _of_order(type_name: str, model: Any) -> Linked:
    """The rows of `model` that belong to the order, oldest first."""
    return Linked(type_name, model.__tablename__, "{row}.work_order_id = {of}.id", many=True)


Source = Value | Linked | Listed | Embedded | Computed

# GraphQL type -> field -> how PostgreSQL (or, Computed, Python) answers it.
FIELDS: dict[str, dict[str, Source]] = {
    "WorkOrder": {
        "id": _id("WorkOrder"),
        **{
            name: _column(column)
            for name, column in (
                ("number", "number"),
                ("version", "version"),
                ("state", "state"),
                ("grade", "grade"),
                ("category", "category"),
                ("orderType", "order_type"),
                ("channel", "channel"),
                ("tier", "tier"),
                ("department", "department"),
                ("summary", "summary"),
                ("details", "details"),
                ("resolution", "resolution"),
                ("measures", "measures"),
                ("rootCause", "root_cause"),
                ("customerFeedback", "customer_feedback"),
                ("repeatNumber", "repeat_number"),
                ("repeated", "repeated"),
                ("escalated", "escalated"),
            )
        },
        **{
            name: _instant(column)
            for name, column in (
                ("receivedAt", "received_at"),
                ("registeredAt", "registered_at"),
                ("respondedAt", "responded_at"),
                ("handledAt", "handled_at"),
                ("closedAt", "closed_at"),
            )
        },
        "stateLabel": Embedded("Label", _state_label),
        "dealer": Linked("OrgUnit", OrgUnit.__tablename__, "{row}.id = {of}.org_unit_id"),
        "registeredBy": _user("registered_by_id"),
        "primaryHandler": _user("primary_handler_id"),
        "secondaryHandler": _user("secondary_handler_id"),
        "customer": Linked("Customer", Customer.__tablename__, "{row}.id = {of}.customer_id"),
        "vehicle": Linked("Vehicle", Vehicle.__tablename__, "{row}.id = {of}.vehicle_id"),
        "lastEvent": Linked(
            "WorkOrderEvent",
            WorkOrderEvent.__tablename__,
            "{row}.work_order_id = {of}.id",
            newest=True,
        ),
        "history": Linked(
            "WorkOrderEvent",
            WorkOrderEvent.__tablename__,
            "{row}.work_order_id = {of}.id",
            many=True,
        ),
        "clocks": _of_order("SlaClock", WorkOrderClock),
        "demands": _column("demands"),
        "flags": _column("flags"),
        "gradeOverrideReason": _grade_override_reason,
        "responseDueAt": _due_at(lambda _row, _of: "'response'"),
        "closureDueAt": _due_at(lambda _row, _of: "'closure'"),
        "currentStepDueAt": _due_at(lambda row, _of: f"{row}.state"),
        # Like the loader's, an order outside the caller's scope is not shown; its customer would
        # be a read to log, which only the root's own is.
        "repeatOf": Linked(
            "WorkOrder",
            WorkOrder.__tablename__,
            f"{{row}}.id = {{of}}.repeat_of_id AND {covered('{row}.org_path', 'read')}",
            refused=("customer",),
        ),
        "involvedStaff": Listed("User", User.__tablename__, "involved_staff"),
        "contactAttempts": _of_order("ContactAttempt", ContactAttempt),
        "customerCalls": _of_order("CustomerCall", CustomerCall),
        "warningSlips": _of_order("WarningSlip", WarningSlip),
        "availableTransitions": Computed(
            ("profile_version", "state"),
            lambda caller, row: [t.name for t in order_actions.available_steps(caller, row)],
        ),
        "permittedSteps": Computed(
            ("profile_version", "state", "org_path"),
            order_actions.permitted_steps,
            type="WorkflowStep",
        ),
        "permittedActions": Computed(
            ("org_path",), lambda caller, row: order_actions.permitted_actions(caller, row.org_path)
        ),
    },
    "Label": {"zh": lambda row, _of: f"{row} ->> 'zh'", "en": lambda row, _of: f"{row} ->> 'en'"},
    "OrgUnit": {
        "id": _id("OrgUnit"),
        **{name: _column(name) for name in ("kind", "code", "name", "path", "timezone")},
    },
    "User": {
        "id": _id("User"),
        "username": _column("username"),
        "displayName": _column("display_name"),
    },
    "Customer": {
        "id": _id("Customer"),
        "name": _column("name"),
        "phones": _phones,
        "address": _unless_masked("address"),
        "postcode": _unless_masked("postcode"),
    },
    "Vehicle": {
        "id": _id("Vehicle"),
        "vin": _column("vin"),
        "engineNumber": _column("engine_number"),
        "plate": _column("plate"),
        "model": _column("model"),
        "purchaseDate": lambda row, _of: f"to_char({row}.purchase_date, 'YYYY-MM-DD')",
        "mileageKm": _column("mileage_km"),
    },
    "WorkOrderEvent": {
        "id": _id("WorkOrderEvent"),
        "at": _instant("at"),
        **{
            name: _column(column)
            for name, column in (
                ("kind", "kind"),
                ("transition", "transition"),
                ("fromState", "from_state"),
                ("toState", "to_state"),
                ("comment", "comment"),
            )
        },
        "actor": _user("actor_id"),
    },
    "SlaClock": {
        **{
            name: _column(column)
            for name, column in (
                ("name", "name"),
                ("target", "target"),
                ("unit", "unit"),
                ("usedMinutes", "used"),
                ("missingYear", "missing_year"),
            )
        },
        **{
            name: _instant(column)
            for name, column in (
                ("startedAt", "started_at"),
                ("dueAt", "due_at"),
                ("warnAt", "warn_at"),
                ("stoppedAt", "stopped_at"),
            )
        },
        "status": _clock_status,
    },
    "ContactAttempt": {
        "id": _id("ContactAttempt"),
        "at": _instant("at"),
        "outcome": _enum("outcome"),
        "note": _column("note"),
        "actor": _user("actor_id"),
    },
    "CustomerCall": {
        "id": _id("CustomerCall"),
        "at": _instant("at"),
        **{name: _column(name) for name in ("channel", "words", "flags", "state")},
    },
    "WarningSlip": {
        "id": _id("WarningSlip"),
        **{
            name: _column(column)
            for name, column in (
                ("trigger", "trigger"),
                ("reason", "reason"),
                ("repeatWords", "repeat_words"),
                ("fromTier", "from_tier"),
                ("toTier", "to_tier"),
                ("result", "result"),
            )
        },
        "state": _enum("state"),
        **{
            name: _instant(column)
            for name, column in (
                ("issuedAt", "issued_at"),
                ("acknowledgedAt", "acknowledged_at"),
                ("resultAt", "result_at"),
            )
        },
        "issuedBy": _user("issued_by_id"),
        "resultHandler": _user("result_handler_id"),
    },
}

# PostgreSQL passes a function at most 100 arguments: json_build_object 50 keys and values.
MAX_PAIRS = 50

# The Python objects a Computed field gives, by GraphQL type: field -> (the object's attribute,
# the GraphQL type of its value when that is an object in turn).
OBJECTS: dict[str, dict[str, tuple[str, str | None]]] = {
    "WorkflowStep": {
        "name": ("name", None),
        "label": ("label", "Label"),
        "requiresComment": ("requires_comment", None),
        "recordsResolution": ("records_resolution", None),
    },
    "Label": {"zh": ("zh", None), "en": ("en", None)},
}


def object_json(type_name: str, row: str, of: str, selected: tuple[Selected, ...]) -> str:
    """A json_build_object of the selected fields of the `type_name` row aliased `row`, linked to
    from the row aliased `of`, in the document's order (graphql-core's)."""
    return _object(type_name, row, of, selected, itertools.count(1))


def value_json(source: Source, row: str, s: Selected) -> str:
    """The SQL of the field `s` that `source` answers for the row aliased `row`, for a type outside
    FIELDS whose row is an order's (schema/escalation_board.py's Escalation.slips)."""
    return _value(source, row, row, s, itertools.count(1))


def _object(
    type_name: str, row: str, of: str, selected: tuple[Selected, ...], aliases: Iterator[int]
) -> str:
    fields = FIELDS.get(type_name)
    if fields is None:
        raise UnsupportedError(f"no compiled field of {type_name}")
    pairs = []
    for s in selected:
        if s.field == "__typename":
            value = f"'{type_name}'"
        elif s.field not in fields:
            raise UnsupportedError(f"{type_name}.{s.field} is not compiled")
        else:
            value = _value(fields[s.field], row, of, s, aliases)
        pairs.append(f"'{s.key}', {value}")
    if len(pairs) > MAX_PAIRS:
        raise UnsupportedError(f"more than {MAX_PAIRS} fields of one {type_name}")
    return f"json_build_object({', '.join(pairs)})"


def _value(source: Source, row: str, of: str, s: Selected, aliases: Iterator[int]) -> str:
    if isinstance(source, Computed):
        raise UnsupportedError(f"{s.field} is answered in Python, on a root's own object only")
    if isinstance(source, Listed):
        alias = f"r{next(aliases)}"
        obj = _object(source.type, alias, row, s.below, aliases)
        return (
            f"(SELECT coalesce(json_agg({obj} ORDER BY k.n), '[]'::json) "
            f"FROM json_array_elements_text({row}.{source.column}) WITH ORDINALITY AS k(id, n) "
            f"JOIN {source.table} {alias} ON {alias}.id = k.id::bigint "
            f"AND {alias}.tenant_id = :tenant)"
        )
    if isinstance(source, Linked) and (refused := {b.field for b in s.below} & {*source.refused}):
        raise UnsupportedError(f"{s.field} {{ {', '.join(sorted(refused))} }} is not compiled")
    if isinstance(source, Embedded):
        held = source.expression(row, of)
        obj = _object(source.type, held, row, s.below, aliases)
        return f"CASE WHEN {held} IS NOT NULL THEN {obj} END"
    if isinstance(source, Linked):
        alias = f"r{next(aliases)}"
        obj = _object(source.type, alias, row, s.below, aliases)
        where = (
            f"FROM {source.table} {alias} WHERE {source.join.format(row=alias, of=row)} "
            f"AND {alias}.tenant_id = :tenant"
        )
        if source.many:
            return f"(SELECT coalesce(json_agg({obj} ORDER BY {alias}.id), '[]'::json) {where})"
        newest = f" ORDER BY {alias}.id DESC LIMIT 1" if source.newest else ""
        return f"(SELECT {obj} {where}{newest})"
    if s.below:
        raise UnsupportedError(f"{s.field} has no fields")
    return source(row, of)


def in_python(
    type_name: str, selected: tuple[Selected, ...]
) -> tuple[tuple[Selected, ...], dict[Selected, Computed]]:
    """The selected fields of a root's `type_name` object that PostgreSQL answers, and those that
    Python does (Computed)."""
    fields = FIELDS.get(type_name, {})
    computed = {s: c for s in selected if isinstance(c := fields.get(s.field), Computed)}
    for s, c in computed.items():
        _check_object(c.type, s)
    return tuple(s for s in selected if s not in computed), computed


def _check_object(type_name: str | None, s: Selected) -> None:
    if type_name is None:
        if s.below:
            raise UnsupportedError(f"{s.field} has no fields")
        return
    fields = OBJECTS.get(type_name, {})
    for below in s.below:
        if below.field != "__typename" and below.field not in fields:
            raise UnsupportedError(f"{type_name}.{below.field} is not compiled")
        if below.field in fields:
            _check_object(fields[below.field][1], below)


def computed_json(c: Computed, caller: Caller, row: Any, s: Selected) -> Any:
    """The value of the Computed field `s` for the root's row, as the document selects it."""
    return _shown(c.value(caller, row), c.type, s.below)


def _shown(value: Any, type_name: str | None, selected: tuple[Selected, ...]) -> Any:
    if isinstance(value, list | tuple):
        return [_shown(v, type_name, selected) for v in value]
    if type_name is None or value is None:
        return value
    fields = OBJECTS[type_name]
    return {
        s.key: type_name
        if s.field == "__typename"
        else _shown(getattr(value, fields[s.field][0]), fields[s.field][1], s.below)
        for s in selected
    }
