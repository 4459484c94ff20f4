"""Oasis server: the command line, and (as it grows) the HTTP API, workers and scheduler.

Importing this package loads nothing heavy; each command imports what it needs.
"""
