"""Unique, valid VINs and phone numbers made from a counter, so a million rows never collide.

The check digit is computed here (ISO 3779 / GB 16735) instead of trying digits with vininfo as
server/services/demo.py does: that costs ~100 µs a VIN, too slow for a million vehicles.
"""

from __future__ import annotations

VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VALUES = (
    dict(zip("ABCDEFGH", range(1, 9), strict=True))
    | dict(zip("JKLMN", range(1, 6), strict=True))
    | {"P": 7, "R": 9}
)
_VALUES |= dict(zip("STUVWXYZ", range(2, 10), strict=True)) | {str(d): d for d in range(10)}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
SERIALS_PER_PLANT = 1_000_000
VINS = len(VIN_CHARACTERS) * SERIALS_PER_PLANT  # per maker and model: 33,000,000


def check_digit(vin: str) -> str:
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def vin(wmi: str, vds: str, year: str, k: int) -> str:
    """The k-th VIN of a maker (wmi) and model (vds): plant letter and 6-digit serial encode k."""
    plant = VIN_CHARACTERS[k // SERIALS_PER_PLANT]
    body = f"{wmi}{vds}0{year}{plant}{k % SERIALS_PER_PLANT:06d}"
    return body[:8] + check_digit(body) + body[9:]


def mobile(prefix: str, k: int) -> str:
    """The k-th mainland mobile number of a 3-digit prefix (139, 136 ...), in E.164."""
    return f"+86{prefix}{k:08d}"
