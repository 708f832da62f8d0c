"""The ``two_fa`` logon code: RFC 4226 HOTP keyed with the API key's bytes.

The reference client feeds the API trading key to an HOTP library only via
base32, so the effective HMAC key is simply the ASCII bytes of the key, and
the counter is always 0 - the code is a fixed six-digit value per key.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

__all__ = ["two_fa_code"]


def two_fa_code(api_key: str, counter: int = 0, digits: int = 6) -> str:
    """HOTP(key=ASCII bytes of ``api_key``, counter) as a zero-padded decimal string."""
    mac = hmac.new(api_key.encode("ascii"), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack_from(">I", mac, offset)[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)
