"""The CEL encoders extension: `base64.encode` and `base64.decode`."""
from __future__ import annotations

import binascii
from typing import Any, Callable

from ..registry import Cost, standard
from .base import fail, no_overload

__all__ = ["DECLS", "base64_encode", "base64_decode"]

_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_encode(value: Any) -> str:
    """Standard alphabet, padded."""
    if type(value) is not bytes:
        no_overload("base64.encode", value)
    return binascii.b2a_base64(value, newline=False).decode("ascii")


def base64_decode(value: Any) -> bytes:
    """Standard alphabet, with or without trailing padding.

    Validation is done here rather than by binascii because its non-strict
    mode silently skips stray characters, and strict_mode needs Python 3.11.
    Padding, when present, must be exactly the amount the length calls for.
    """
    if type(value) is not str:
        no_overload("base64.decode", value)
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        fail("base64.decode: invalid base64 input")
    body = raw.rstrip(b"=")
    padding = len(raw) - len(body)
    if (
        padding > 2
        or (padding and len(raw) % 4)
        or len(body) % 4 == 1
        or not _ALPHABET.issuperset(body)
    ):
        fail("base64.decode: invalid base64 input")
    body += b"=" * (-len(body) % 4)
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        # Unreachable after the checks above; kept so no Python error escapes.
        fail("base64.decode: invalid base64 input")


DECLS = (
    standard("base64.encode", base64_encode, "bytes -> string", cost=Cost.BUILDS),
    standard("base64.decode", base64_decode, "string -> bytes", cost=Cost.BUILDS),
)
