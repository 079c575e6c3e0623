"""Handing a departing colleague's open work to another: the cases and threads assigned to them."""
