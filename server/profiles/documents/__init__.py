"""The registry of document kinds, in the order problems are reported and documents listed."""

from __future__ import annotations

from server.profiles.document import DocumentKind
from server.profiles.documents import (
    cadence,
    calendar,
    categories,
    channels,
    conditional_deadlines,
    deadlines,
    flags,
    grades,
    grading,
    handling,
    kpis,
    outcomes,
    playbooks,
    policy,
    portal,
    profile,
    revisits,
    routing,
    tracking,
    warnings,
    workflow,
    written_reports,
)

KINDS: tuple[DocumentKind, ...] = (
    profile.KIND,
    channels.KIND,
    categories.KIND,
    grades.KIND,
    routing.KIND,
    workflow.KIND,
    deadlines.KIND,
    flags.KIND,
    policy.KIND,
    calendar.KIND,
    grading.KIND,
    warnings.KIND,
    portal.KIND,
    kpis.KIND,
    revisits.KIND,
    written_reports.KIND,
    playbooks.KIND,
    outcomes.KIND,
    conditional_deadlines.KIND,
    cadence.KIND,
    handling.KIND,
    tracking.KIND,
)
DOCUMENTS = tuple(kind.name for kind in KINDS if kind.required)
OPTIONAL_DOCUMENTS = tuple(kind.name for kind in KINDS if not kind.required)
