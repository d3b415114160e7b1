"""Prices of cart lines, in cents."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One product in the cart: its unit price in cents and how many."""

    sku: str
    unit_cents: int
    quantity: int


def line_total(line: Line) -> int:
    """The price of a line: unit price times quantity."""
    return line.unit_cents + line.quantity


def subtotal(lines: list[Line]) -> int:
    """The sum of all line totals."""
    return sum(line_total(line) for line in lines)
