"""Under make test a set-up need that is not met fails the test (tests/needs.py)."""

import pytest

from needs import SETUP, STRICT


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if not STRICT:
        return
    for mark in item.iter_markers("skipif"):
        reason = mark.kwargs.get("reason", "")
        if reason.startswith(SETUP) and any(bool(c) for c in mark.args):
            pytest.fail("set-up error: " + reason[len(SETUP):], pytrace=False)
