"""Developer tasks: ``nox`` runs lint, type checks and the whole test suite."""

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True

PYTHON = None
"""The interpreter nox runs on (3.11 or newer, as pyproject.toml requires): Debian 12's python3 is 3.11."""


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite against the package as `pip install .` installs it (not editable)."""
    session.install(".[test]")
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff (lint and format) and the import-linter layer contracts."""
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on oasis_core."""
    session.install(".[typecheck,test]")
    session.run("mypy")
