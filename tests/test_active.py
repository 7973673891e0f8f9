"""The active-mode machine against inet_drv's rules (INET_LOPT_ACTIVE)."""

from __future__ import annotations

import pytest

from bridge.active import ACTIVE, MULTI, ONCE, PASSIVE, ActiveMode
from bridge.etf.terms import atom


def test_once_turns_passive_silently():
    a = ActiveMode()
    assert a.set(atom("once")) is False
    assert a.delivered() is False
    assert a.mode == PASSIVE and a.term() is False


def test_n_counts_down_to_a_passive_message():
    a = ActiveMode(PASSIVE)
    a.set(2)
    assert a.term() == 2
    assert a.delivered() is False
    assert a.delivered() is True
    assert a.term() is False


def test_n_adds_to_a_running_count_only():
    a = ActiveMode(PASSIVE)
    a.set(3)
    a.set(5)
    assert a.term() == 8
    a.set(True)
    a.set(4)
    assert a.term() == 4  # true reset the count


def test_reaching_zero_or_below_is_passive_with_a_message():
    a = ActiveMode(PASSIVE)
    a.set(3)
    assert a.set(-6) is True
    assert a.term() is False
    assert ActiveMode(PASSIVE).set(0) is True


@pytest.mark.parametrize("start,add", [(30000, 3000), (0, 32768), (0, -32769)])
def test_out_of_range_is_einval_and_changes_nothing(start, add):
    a = ActiveMode(MULTI, start) if start > 0 else ActiveMode(PASSIVE)
    before = (a.mode, a.count)
    with pytest.raises(ValueError):
        a.set(add)
    assert (a.mode, a.count) == before


def test_true_and_false_stay_as_they_are():
    a = ActiveMode(ACTIVE)
    assert [a.delivered() for _ in range(5)] == [False] * 5
    assert a.term() is True
    a.set(False)
    assert a.delivered() is False and a.term() is False


@pytest.mark.parametrize("bad", [atom("maybe"), 1.5, None, "once"])
def test_other_values_are_rejected(bad):
    with pytest.raises(ValueError):
        ActiveMode().set(bad)
