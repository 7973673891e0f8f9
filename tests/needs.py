"""What a test needs from the machine, beyond Python.

`needs(available, what)` marks a test that cannot run without something the
project's own files install (Erlang for the differential tests, the C codec).
Run by hand, pytest skips such a test and says what is missing. Under `make
test` (PYINET_SETUP_STRICT=1) the Makefile has installed everything, so a need
that is not met is a set-up error: the test fails with the same words
(tests/conftest.py), because a reference that could not run proves nothing.
"""

from __future__ import annotations

import os
import shutil

import pytest

SETUP = "set-up: "
STRICT = os.environ.get("PYINET_SETUP_STRICT") == "1"


def needs(available: bool, what: str):
    return pytest.mark.skipif(not available, reason=SETUP + what)


def erl_available() -> bool:
    return shutil.which("escript") is not None and shutil.which("erl") is not None


needs_erl = needs(erl_available(), "needs Erlang/OTP (erl, escript): make test installs it")


def otp_release() -> int | None:
    """The release of the erl on PATH, the reference the differential tests
    compare with; None without Erlang."""
    if not erl_available():
        return None
    import subprocess
    out = subprocess.run(
        ["erl", "-noshell", "-eval", "io:put_chars(erlang:system_info(otp_release)), halt()."],
        capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip()) if out.stdout.strip().isdigit() else None
