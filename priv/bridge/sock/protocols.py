"""Protocol names as the socket NIF knows them: from getprotoent (/etc/protocols),
with ip, ipv6, tcp, udp and sctp always there (esock_supports_protocols).

A number is named by the first entry for it in the file, its official name
first (prim_socket turns `{socket, protocol}` and info's protocol into that
name); every name and alias maps back to its number.
"""

from __future__ import annotations

from ..etf.terms import atom

_DEFAULTS = (("ip", 0), ("ipv6", 41), ("tcp", 6), ("udp", 17), ("sctp", 132))


def _read(path: str = "/etc/protocols") -> list[tuple[list[str], int]]:
    entries = []
    try:
        with open(path, encoding="latin-1") as f:
            for line in f:
                fields = line.split("#", 1)[0].split()
                if len(fields) >= 2 and fields[1].isdigit():
                    # The NIF lists the aliases last first after the name.
                    entries.append(([fields[0]] + fields[2:][::-1], int(fields[1])))
    except OSError:
        pass
    return entries


def _tables():
    numbers: dict = {}
    names: dict = {}
    for name, num in _DEFAULTS:
        numbers[atom(name)] = num
        names[num] = [atom(name)]
    seen = set()
    for aliases, num in _read():
        for a in aliases:
            numbers[atom(a)] = num
        if num not in seen:
            seen.add(num)
            names[num] = [atom(a) for a in aliases]
    return numbers, names


NUMBERS, NAMES = _tables()


def number(name) -> int | None:
    return NUMBERS.get(name)


def name(num: int):
    """The protocol's name, or the number itself when it has none."""
    names = NAMES.get(num)
    return names[0] if names else num


def aliases(num: int) -> list:
    """The names an option level goes by (prim_socket's options table)."""
    return [str(a) for a in NAMES.get(num, [])]
