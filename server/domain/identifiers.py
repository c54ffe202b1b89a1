"""Customer and vehicle identifiers, checked with the libraries that know their rules."""

from __future__ import annotations

import phonenumbers
from vininfo import Vin

DEFAULT_REGION = "CN"
VIN_CHARACTERS = frozenset("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")  # I, O and Q are never used


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number, or ValueError saying what is wrong with it."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"'{raw}' is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{raw}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """+8613812345678 -> +86138****5678: enough to recognise, not enough to call."""
    return e164[:-8] + "****" + e164[-4:] if len(e164) > 8 else "****"


def normalise_vin(raw: str) -> str:
    """A 17-character VIN whose check digit (position 9, as GB 16735 requires) is right."""
    vin = raw.strip().upper()
    if len(vin) != 17:
        raise ValueError(f"a VIN has 17 characters, '{raw}' has {len(vin)}")
    if not set(vin) <= VIN_CHARACTERS:
        raise ValueError(f"'{raw}' has characters a VIN never uses (I, O, Q or punctuation)")
    if not Vin(vin).verify_checksum(check_year=False):
        raise ValueError(f"'{raw}' fails the VIN check digit (position 9)")
    return vin
