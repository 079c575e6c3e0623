"""Threads and messages between a gemeente and a kantoor, their read state and reaction clocks."""
