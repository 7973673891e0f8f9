"""The examples run as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from needs import needs_erl

ROOT = Path(__file__).resolve().parent.parent


@needs_erl
def test_raw_open_port_client():
    """PROTOCOL.md is enough: an escript with plain open_port drives the bridge."""
    out = subprocess.run(["escript", "examples/raw_client.escript", sys.executable], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "ERL_LIBS": ""})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "raw client ok" in out.stdout
    assert "<< {pyinet,{hello," in out.stdout
