"""What text the service stores: no NUL, no control characters but tab and line breaks, no lone surrogates."""

from __future__ import annotations

import re
from collections.abc import Mapping

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def unstorable(value) -> bool:
    """Text we refuse: NUL (no database stores it), other control characters but tab and line breaks (XML 1.0,
    the format Open311 clients read, cannot carry them), and halves of surrogate pairs that JSON escapes carry.
    Walked with a stack, not recursion: a body nested hundreds deep must not end in a RecursionError."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item) is not None:
                return True
        elif isinstance(item, Mapping):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
