"""``import oasis_core`` stays light: no media, database or web libraries."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("av", "PIL", "numpy", "sqlalchemy", "litestar", "dramatiq")


def test_importing_the_core_loads_no_heavy_library() -> None:
    code = "import sys, json, oasis_core, oasis_core.testing; print(json.dumps(sorted(sys.modules)))"
    loaded = set(
        json.loads(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        )
    )
    assert not loaded & set(HEAVY)
    assert not any(name.startswith(("oasis_plugins", "oasis_server")) for name in loaded)
