"""The total a customer pays."""

from cart.discounts import discount
from cart.pricing import Line, subtotal


def total(lines: list[Line], code: str | None = None) -> int:
    """Subtotal minus the discount, never below zero."""
    before = subtotal(lines)
    return max(before - discount(before, code), 0)
