"""Maintenance tools run from the checkout (`make notices`); not part of the installed hub."""
