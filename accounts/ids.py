"""Public identifiers: a type prefix and a random base62 body, never a sequence."""

import secrets
import string

BASE62 = string.digits + string.ascii_letters


def random_base62(length: int) -> str:
    """Return `length` random base62 characters (about 5.95 bits each)."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_public_id(prefix: str) -> str:
    """A public id such as `tpl_3hG…`: 22 base62 characters, about 131 random bits."""
    return f"{prefix}_{random_base62(22)}"
