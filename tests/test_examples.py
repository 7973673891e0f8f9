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


def test_the_readme_shows_the_fault_example_as_it_is():
    """The suite in the README is the one `make test` runs."""
    example = (ROOT / "examples" / "fault_example_SUITE.erl").read_text()
    assert "```erlang\n" + example + "```" in (ROOT / "README.md").read_text()
