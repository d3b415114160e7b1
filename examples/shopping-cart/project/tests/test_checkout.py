import unittest

from cart.checkout import total
from cart.pricing import Line


class CheckoutTest(unittest.TestCase):
    def test_total_with_a_code(self):
        self.assertEqual(total([Line("tea", 250, 4), Line("mug", 900, 1)], "SAVE10"), 1710)

    def test_total_without_a_code(self):
        self.assertEqual(total([Line("tea", 250, 2)]), 500)
