"""Tables. Every tenant-owned row carries tenant_id, and every index serving a tenant query starts
with it. One module per concept; every model is importable from here, and importing this package
registers every table on `Base.metadata` (which the migrations compare against)."""

from server.db.models.base import Base, BigId, TenantOwned
from server.db.models.cadence import CadenceReport
from server.db.models.calendar import CalendarDay, CalendarYear
from server.db.models.clocks import SlaEffect, WorkOrderClock
from server.db.models.customers import Customer, CustomerAccess, CustomerPhone, Vehicle
from server.db.models.directory import DirectoryEvent, OrgUnit, RoleAssignment, User
from server.db.models.kpi import (
    KpiAdjustment,
    KpiAppeal,
    KpiAppealDecision,
    KpiDelivery,
    KpiOrderOutcome,
    KpiRankingLine,
    KpiStatement,
    KpiStatementLine,
)
from server.db.models.order_records import OrderFact, WrittenReport
from server.db.models.orders import (
    BoardCount,
    ContactAttempt,
    CustomerCall,
    NumberSequence,
    TrendHour,
    WorkOrder,
    WorkOrderEvent,
)
from server.db.models.outbox import OutboxMessage, SchedulerTick
from server.db.models.profiles import ProfileVersion
from server.db.models.revisits import Revisit, RevisitAttempt
from server.db.models.slips import WarningSlip
from server.db.models.tenancy import Tenant

__all__ = [
    "Base",
    "BigId",
    "BoardCount",
    "CadenceReport",
    "CalendarDay",
    "CalendarYear",
    "ContactAttempt",
    "Customer",
    "CustomerAccess",
    "CustomerCall",
    "CustomerPhone",
    "DirectoryEvent",
    "KpiAdjustment",
    "KpiAppeal",
    "KpiAppealDecision",
    "KpiDelivery",
    "KpiOrderOutcome",
    "KpiRankingLine",
    "KpiStatement",
    "KpiStatementLine",
    "NumberSequence",
    "OrderFact",
    "OrgUnit",
    "OutboxMessage",
    "ProfileVersion",
    "Revisit",
    "RevisitAttempt",
    "RoleAssignment",
    "SchedulerTick",
    "SlaEffect",
    "Tenant",
    "TenantOwned",
    "TrendHour",
    "User",
    "Vehicle",
    "WarningSlip",
    "WorkOrder",
    "WorkOrderClock",
    "WorkOrderEvent",
    "WrittenReport",
]
