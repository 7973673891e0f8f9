"""The implementations of the codec, for the tests that run against each:
the pure-Python reference, and the C extension when it is built (`python
setup.py build_ext --inplace`), whatever PYINET_PURE_PYTHON says."""

from __future__ import annotations

import pytest

from needs import needs

from bridge.etf import PURE_PYTHON, load_c

C = load_c()
NOT_BUILT = "the C codec is not built (make build builds it: python3-dev and gcc)"
needs_c = needs(C is not None, NOT_BUILT)

CODECS = [
    pytest.param(PURE_PYTHON, id="python"),
    pytest.param(C, id="c", marks=needs_c),
]


@pytest.fixture(scope="module", params=CODECS)
def codec(request):
    """One implementation: .decode, .decode_prefix and .encode. Module-scoped,
    so that hypothesis accepts it and each module's tests run per codec."""
    return request.param
