"""A gemeente's calendar: its own closing days on top of the national werkdagen of :mod:`hub.terms`."""
