"""A tiny shopping cart: line prices, discounts and the total."""
