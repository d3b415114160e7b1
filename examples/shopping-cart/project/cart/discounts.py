"""Discount codes and what they take off, in cents."""

CODES = {"SAVE10": 10, "HALF": 50}
"""Percent off for each known code."""


def discount(subtotal_cents: int, code: str | None) -> int:
    """Cents taken off the subtotal by a code; unknown or missing codes take nothing off."""
    if code is None or code not in CODES:
        return 0
    return subtotal_cents * CODES[code] // 10
