"""Garbage-collector settings for a long-running server process."""

from __future__ import annotations

import gc

# One list request allocates enough container objects to run about 14 young collections at the
# default threshold of 700. Measured in-process on 100 escalations pages (bench/README.md): at
# (50_000, 10, 10) each young collection freed so much cyclic garbage at once that it paused a
# request for up to 80 ms (p95 87-99 ms); at (20_000, 5, 100) the pauses stay under 30 ms (p95
# 54-62 ms, p50 unchanged). The old generations rarely hold anything new once start-up is frozen.
THRESHOLDS = (20_000, 5, 100)


def settle() -> None:
    """Call once the app is built. The ~185,000 objects made at start-up (schema, ORM mappers,
    Casbin, profiles) live as long as the process, yet every full collection walked them again:
    a third of a list request's CPU. Frozen, the collector never looks at them."""
    gc.collect()  # what start-up left as garbage is freed, not frozen with the rest
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
