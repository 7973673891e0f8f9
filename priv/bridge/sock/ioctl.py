"""ioctl of a `socket` API socket: the network device requests of the NIF
(esock_ioctl: gifconf, gifname, gifindex, gif*addr, gifnetmask, gifhwaddr,
gifmtu, giftxqlen, gifflags, gifmap and their sif* setters), made with this
program's socket, so on the same kernel and with the same privileges.

Results as the NIF encodes them: addresses as sockaddr maps, a hardware
address as `#{family => ARPHRD name or number, addr => sa_data}` (the 14
bytes of struct sockaddr's data), flags as names (ioctl_device_flag) and the
bits no name covers as an integer last. A name longer than IFNAMSIZ - 1 is cut
there, as the NIF copies it.
"""

from __future__ import annotations

import ctypes
import fcntl
import struct

from ..errors import posix_atom
from ..etf.terms import Atom, atom
from . import options as sopt
from .cmsg import decode_sockaddr
from .. import addresses as sa
from .descriptor import CLOSED, ERROR, OK, Raise, error

IFNAMSIZ = 16
_IFREQ_SIZE = 40
BADARG = atom("badarg")

SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8910, 0x8912, 0x8913, 0x8914
SIOCGIFADDR, SIOCSIFADDR, SIOCGIFDSTADDR, SIOCSIFDSTADDR = 0x8915, 0x8916, 0x8917, 0x8918
SIOCGIFBRDADDR, SIOCSIFBRDADDR, SIOCGIFNETMASK, SIOCSIFNETMASK = 0x8919, 0x891A, 0x891B, 0x891C
SIOCGIFMTU, SIOCSIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX = 0x8921, 0x8922, 0x8927, 0x8933
SIOCGIFTXQLEN, SIOCSIFTXQLEN, SIOCGIFMAP = 0x8942, 0x8943, 0x8970

# ioctl_device_flag() in the NIF's order (esock_ioctl_flags).
FLAGS = tuple((atom(name), bit) for name, bit in (
    ("up", 0x1), ("broadcast", 0x2), ("debug", 0x4), ("loopback", 0x8), ("pointopoint", 0x10),
    ("notrailers", 0x20), ("running", 0x40), ("noarp", 0x80), ("promisc", 0x100),
    ("allmulti", 0x200), ("master", 0x400), ("slave", 0x800), ("multicast", 0x1000),
    ("portsel", 0x2000), ("automedia", 0x4000), ("dynamic", 0x8000)))
FLAG_BITS = dict(FLAGS)

# ARPHRD_* device types esock_encode_hwsockaddr names.
_ARPHRD = {0: "netrom", 1: "ether", 6: "ieee802", 15: "dlci", 24: "ieee1394",
           770: "frelay", 772: "loopback", 773: "localtlk", 0xFFFE: "none"}

_ADDR_GETS = {"gifaddr": SIOCGIFADDR, "gifdstaddr": SIOCGIFDSTADDR,
              "gifbrdaddr": SIOCGIFBRDADDR, "gifnetmask": SIOCGIFNETMASK}
_ADDR_SETS = {"sifaddr": SIOCSIFADDR, "sifdstaddr": SIOCSIFDSTADDR,
              "sifbrdaddr": SIOCSIFBRDADDR, "sifnetmask": SIOCSIFNETMASK}
_INT_GETS = {"gifmtu": SIOCGIFMTU, "giftxqlen": SIOCGIFTXQLEN}
_INT_SETS = {"sifmtu": SIOCSIFMTU, "siftxqlen": SIOCSIFTXQLEN}


def _name(value) -> bytes:
    """An interface name (a string: a list of characters), as the NIF cuts it."""
    if not isinstance(value, list) or not all(type(c) is int and 0 <= c < 256 for c in value):
        raise Raise(BADARG)
    return bytes(value).split(b"\0", 1)[0][:IFNAMSIZ - 1]


def _ifreq(name: bytes, rest: bytes = b"") -> bytearray:
    buf = bytearray(_IFREQ_SIZE)
    buf[:len(name)] = name
    buf[IFNAMSIZ:IFNAMSIZ + len(rest)] = rest
    return buf


def _string(raw: bytes) -> list:
    return list(raw.split(b"\0", 1)[0])


def _flag_bits(value) -> dict:
    """prim_socket:enc_ioctl_flags: #{Flag => true | false} by bit. For a flag
    it does not know (or a value not a boolean) it hands the NIF its error
    tuple instead of a map, which the NIF reads as no flag to change: the
    request then sets the flags the interface has (seen on 25 and 27)."""
    out = {}
    for flag, on in value.items():
        if (on is not True and on is not False) or not isinstance(flag, Atom) \
                or flag not in FLAG_BITS:
            return {}
        out[FLAG_BITS[flag]] = on
    return out


def _sockaddr_bytes(value) -> bytes:
    """A sockaddr map as struct sockaddr (16 bytes) for a sif*addr request."""
    try:
        family, address = sa.decode(value)
    except sa.BadAddress:
        raise Raise(BADARG) from None
    raw = sa._sockaddr(family, address)
    return raw[:16].ljust(16, b"\0")


class Ioctl:
    """ioctl (see the module docstring)."""

    __slots__ = ()

    def ioctl(self, request, args: list):
        name = str(request) if isinstance(request, Atom) and not isinstance(request, bool) else None
        if name == "sifflags" and len(args) == 2:
            # prim_socket:enc_ioctl_flags, before the NIF looks at the socket.
            args = [args[0], _flag_bits(args[1])]
        if not self.is_open:
            return error(CLOSED)
        try:
            if name == "gifconf" and not args:
                return self._gifconf()
            if len(args) == 1:
                return self._get(name, args[0])
            if len(args) == 2:
                return self._set(name, args[0], args[1])
        except OSError as exc:
            return (ERROR, posix_atom(exc.errno))
        raise Raise(BADARG)

    def _call(self, code: int, buf):
        """The request on this socket; `buf` (a bytearray) holds the answer."""
        fcntl.ioctl(self.fd, code, buf)
        return buf

    def _gifconf(self):
        size = _IFREQ_SIZE * 64
        while True:
            buf = ctypes.create_string_buffer(size)
            ifc = self._call(SIOCGIFCONF,
                             bytearray(struct.pack("iP", size, ctypes.addressof(buf))))
            used = struct.unpack_from("i", ifc)[0]
            if used < size:
                break
            size *= 2
        raw = buf.raw[:used]
        out = []
        for i in range(0, used - used % _IFREQ_SIZE, _IFREQ_SIZE):
            entry = raw[i:i + _IFREQ_SIZE]
            out.append({atom("name"): _string(entry[:IFNAMSIZ]),
                        sa.ADDR: decode_sockaddr(entry[IFNAMSIZ:IFNAMSIZ + 16])})
        return (OK, out)

    def _get(self, name, arg):
        if name == "gifname":
            if type(arg) is not int or not -(1 << 31) <= arg < (1 << 31):
                raise Raise(BADARG)
            res = self._call(SIOCGIFNAME, _ifreq(b"", struct.pack("i", arg)))
            return (OK, _string(res[:IFNAMSIZ]))
        iface = _name(arg)
        if name == "gifindex":
            res = self._call(SIOCGIFINDEX, _ifreq(iface))
            return (OK, struct.unpack_from("i", res, IFNAMSIZ)[0])
        if name in _ADDR_GETS:
            res = self._call(_ADDR_GETS[name], _ifreq(iface))
            return (OK, decode_sockaddr(bytes(res[IFNAMSIZ:IFNAMSIZ + 16])))
        if name in _INT_GETS:
            res = self._call(_INT_GETS[name], _ifreq(iface))
            return (OK, struct.unpack_from("i", res, IFNAMSIZ)[0])
        if name == "gifflags":
            res = self._call(SIOCGIFFLAGS, _ifreq(iface))
            return (OK, sopt.bit_names(struct.unpack_from("H", res, IFNAMSIZ)[0], FLAGS))
        if name == "gifhwaddr":
            res = self._call(SIOCGIFHWADDR, _ifreq(iface))
            family = struct.unpack_from("H", res, IFNAMSIZ)[0]
            return (OK, {sa.FAMILY: atom(_ARPHRD[family]) if family in _ARPHRD else family,
                         sa.ADDR: bytes(res[IFNAMSIZ + 2:IFNAMSIZ + 16])})
        if name == "gifmap":
            res = self._call(SIOCGIFMAP, _ifreq(iface))
            mem_start, mem_end, base, irq, dma, port = struct.unpack_from("LLHBBB", res, IFNAMSIZ)
            return (OK, {atom("mem_start"): mem_start, atom("mem_end"): mem_end,
                         atom("base_addr"): base, atom("irq"): irq, atom("dma"): dma,
                         atom("port"): port})
        raise Raise(BADARG)

    def _set(self, name, arg, value):
        iface = _name(arg)
        if name == "sifflags":
            res = self._call(SIOCGIFFLAGS, _ifreq(iface))
            flags = struct.unpack_from("H", res, IFNAMSIZ)[0]
            for bit, on in value.items():
                flags = flags | bit if on else flags & ~bit
            self._call(SIOCSIFFLAGS, _ifreq(iface, struct.pack("H", flags & 0xFFFF)))
            return OK
        if name in _ADDR_SETS:
            self._call(_ADDR_SETS[name], _ifreq(iface, _sockaddr_bytes(value)))
            return OK
        if name in _INT_SETS:
            if type(value) is not int or not -(1 << 31) <= value < (1 << 31):
                raise Raise(BADARG)
            self._call(_INT_SETS[name], _ifreq(iface, struct.pack("i", value)))
            return OK
        raise Raise(BADARG)
