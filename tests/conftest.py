"""Under make test a set-up need that is not met fails the test (tests/needs.py).
The port program and the codec answer as the erl on PATH does, the release the
differential tests compare with (bridge/release.py)."""

import os

import pytest

from bridge_client import BridgeProcess
from needs import SETUP, STRICT, otp_release


def pytest_configure(config):
    release = os.environ.get("PYINET_OTP_RELEASE") or otp_release()
    if release:
        os.environ["PYINET_OTP_RELEASE"] = str(release)
        from bridge.release import Release, follow_release
        follow_release(Release(int(release)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not STRICT:
        return
    for mark in item.iter_markers("skipif"):
        reason = mark.kwargs.get("reason", "")
        if reason.startswith(SETUP) and any(bool(c) for c in mark.args):
            pytest.fail("set-up error: " + reason[len(SETUP):], pytrace=False)


@pytest.fixture
def bridge():
    """A port program of its own, closed after the test."""
    b = BridgeProcess()
    yield b
    b.close()
