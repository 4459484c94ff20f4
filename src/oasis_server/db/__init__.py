"""Persistence: SQLAlchemy models of the six tables, the engine, and migrations."""
