"""The GraphQL schema, with its caches built once so every request reuses them
(docs/architecture.md#validation-cache)."""

from __future__ import annotations

import logging
from datetime import datetime

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from schema.compiled import RunCompiled
from schema.corrections import CorrectionMutation
from schema.customer_access import CustomerAccessQuery
from schema.directory import DirectoryMutation, DirectoryQuery
from schema.escalation import EscalationMutation
from schema.escalation_board import EscalationQuery
from schema.extensions import MaskUnexpectedErrors, Observe, RecordCustomerAccess
from schema.instants import DateTime
from schema.intake import IntakeQuery
from schema.kpi import KpiAppealMutation, KpiMutation, KpiQuery
from schema.limits import EnforceLimits
from schema.live import LiveQuery, Subscription
from schema.mutations import Mutation
from schema.onboarding import OnboardingMutation, OnboardingQuery
from schema.order_records import OrderRecordMutation
from schema.outbox import OutboxMutation, OutboxQuery
from schema.queries import Query
from schema.rate_limits import EnforceRateLimits
from schema.reports import ReportQuery
from schema.revisits import RevisitMutation, RevisitQuery
from schema.tenant_admin import TenantAdminMutation, TenantAdminQuery

# Errors are already logged once, with the request id, by MaskUnexpectedErrors.
logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)


def _merged(name: str, *parts: type) -> type:
    """merge_types, keeping the first part's description (merge_types drops it; the contract needs
    it)."""
    merged = merge_types(name, parts)
    first = get_object_definition(parts[0], strict=True)
    get_object_definition(merged, strict=True).description = first.description
    return merged


schema = strawberry.Schema(
    query=_merged(
        "Query",
        Query,
        IntakeQuery,
        EscalationQuery,
        TenantAdminQuery,
        OutboxQuery,
        LiveQuery,
        DirectoryQuery,
        OnboardingQuery,
        RevisitQuery,
        KpiQuery,
        ReportQuery,
        CustomerAccessQuery,
    ),
    mutation=_merged(
        "Mutation",
        Mutation,
        EscalationMutation,
        TenantAdminMutation,
        OutboxMutation,
        KpiMutation,
        DirectoryMutation,
        OnboardingMutation,
        RevisitMutation,
        KpiAppealMutation,
        OrderRecordMutation,
        CorrectionMutation,
    ),
    subscription=Subscription,
    config=StrawberryConfig(scalar_map={datetime: DateTime}),
    extensions=[
        Observe,
        MaskUnexpectedErrors,
        RecordCustomerAccess,
        # sets the token limit and adds its rules in on_operation, before the caches read them
        EnforceLimits,
        EnforceRateLimits,  # after EnforceLimits: an over-limit request is not charged
        RunCompiled,  # after the limits: a refused request is neither run nor counted
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ],
)
