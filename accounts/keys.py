"""API key format: `imk_live_<32 random base62><6 base62 checksum>`.

The checksum (CRC32 of the random part) lets us refuse mistyped or truncated
keys without a database lookup, the way GitHub's tokens do. Only a SHA-256 hash
of the whole key is stored; the key's randomness (190 bits) makes a slow hash
unnecessary.
"""

import hashlib
import hmac
import re
import zlib

from accounts.ids import BASE62, random_base62

KEY_PREFIXES = {"live": "imk_live_", "test": "imk_test_"}
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
KEY_RE = re.compile(rf"^imk_(live|test)_([0-9A-Za-z]{{{RANDOM_LENGTH}}})([0-9A-Za-z]{{{CHECKSUM_LENGTH}}})$")
# How much of the key is kept in clear to tell keys apart in lists.
VISIBLE_PREFIX_LENGTH = len("imk_live_") + 4


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, rest = divmod(value, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits))


def generate_key(mode: str) -> str:
    """A new full key for `mode` ("live" or "test")."""
    body = random_base62(RANDOM_LENGTH)
    return f"{KEY_PREFIXES[mode]}{body}{_checksum(body)}"


def parse_key(raw: str) -> str | None:
    """The key's mode if `raw` is well formed with a valid checksum, else None."""
    match = KEY_RE.match(raw)
    if not match:
        return None
    mode, body, checksum = match.groups()
    if not hmac.compare_digest(_checksum(body), checksum):
        return None
    return mode


def hash_key(raw: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(raw.encode()).hexdigest()


def visible_prefix(raw: str) -> str:
    return raw[:VISIBLE_PREFIX_LENGTH]
