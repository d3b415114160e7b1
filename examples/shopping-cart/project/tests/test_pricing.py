import unittest

from cart.pricing import Line, line_total, subtotal


class PricingTest(unittest.TestCase):
    def test_a_line_is_unit_price_times_quantity(self):
        self.assertEqual(line_total(Line("tea", 250, 3)), 750)

    def test_subtotal_adds_lines(self):
        self.assertEqual(subtotal([Line("tea", 250, 2), Line("mug", 900, 1)]), 1400)
