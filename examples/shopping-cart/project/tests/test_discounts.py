import unittest

from cart.discounts import discount


class DiscountTest(unittest.TestCase):
    def test_ten_percent_off(self):
        self.assertEqual(discount(2000, "SAVE10"), 200)

    def test_half_off(self):
        self.assertEqual(discount(1400, "HALF"), 700)

    def test_unknown_code_takes_nothing_off(self):
        self.assertEqual(discount(1400, "BOGUS"), 0)
