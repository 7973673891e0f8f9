"""Sockaddr maps (socket:sockaddr_in() and sockaddr_in6()) as the port program
takes them for {ifaddr, Map} and gen_tcp:connect/3: as prim_inet binds and
connects with such a map, its own port counts and an inet6 one keeps flowinfo
and scope_id. Seen in OTP's gen_tcp_api_SUITE (t_simple_*_sockaddr_*) and
pinned by apps/pyinet_conformance/src/pyinet_conformance_tcp_otp.erl."""

from __future__ import annotations

import socket

import pytest

from bridge import addresses
from bridge.errors import RequestError
from bridge.etf.terms import atom

INET, INET6, LOCAL = atom("inet"), atom("inet6"), atom("local")


def m(**kw):
    return {atom(k): v for k, v in kw.items()}


def test_inet_map_with_its_own_port():
    addr = m(family=INET, addr=(127, 0, 0, 1), port=4711)
    assert addresses.to_python(socket.AF_INET, addr, 0) == ("127.0.0.1", 4711)


def test_inet_map_any_and_loopback():
    assert addresses.from_map(socket.AF_INET, m(family=INET, addr=atom("any"), port=0)) == ("0.0.0.0", 0)
    assert addresses.from_map(socket.AF_INET6, m(family=INET6, addr=atom("loopback"))) == ("::1", 0, 0, 0)


def test_inet6_map_keeps_flowinfo_and_scope_id():
    addr = m(family=INET6, addr=(0xFE80, 0, 0, 0, 0, 0, 0, 1), port=80, flowinfo=0, scope_id=4)
    assert addresses.to_python(socket.AF_INET6, addr, 0) == ("fe80::1", 80, 0, 4)


def test_local_map():
    assert addresses.from_map(socket.AF_UNIX, m(family=LOCAL, path=b"/tmp/s")) == b"/tmp/s"


@pytest.mark.parametrize("family, addr", [
    (socket.AF_INET, m(family=INET6, addr=(0, 0, 0, 0, 0, 0, 0, 1), port=0)),  # other family
    (socket.AF_INET, m(addr=(127, 0, 0, 1), port=0)),                           # no family
    (socket.AF_INET, m(family=INET, addr=(127, 0, 0, 1), port=70000)),
    (socket.AF_INET6, m(family=INET6, addr=(0, 0, 0, 0, 0, 0, 0, 1), scope_id=-1)),
    (socket.AF_INET, m(family=INET, addr=(256, 0, 0, 1), port=0)),
])
def test_bad_maps_are_einval(family, addr):
    with pytest.raises(RequestError) as err:
        addresses.from_map(family, addr)
    assert err.value.reason == atom("einval")


def test_bind_to_a_map_binds_its_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    s = socket.socket()
    try:
        s.bind(addresses.to_python(socket.AF_INET, m(family=INET, addr=(127, 0, 0, 1), port=port), 0))
        assert s.getsockname() == ("127.0.0.1", port)
    finally:
        s.close()
