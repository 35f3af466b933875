"""Shared pieces of the server-drawn SVG: safe text, Indonesian numbers, nice axis steps, coordinates and ids."""

from __future__ import annotations

import html
import itertools
import math
import re

# Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF): one in a name would make the
# whole document unparseable for an XML reader, so they are dropped rather than escaped.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_ids = itertools.count(1)

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
RANGE_DASH = "\u2013"  # the en dash of "5-9", written as an escape so it cannot pass for a hyphen in the source
TEXT_COLOUR = "#1f1f1f"  # 16:1 on white
MUTED_COLOUR = "#575757"  # 7:1 on white: axis labels stay AA when printed light


def text(value: object) -> str:
    """`value` escaped for element text and attribute values alike (also a Markup value: labels are text)."""
    # html.escape (& < > " ') is what markupsafe.escape does, without a Markup object per call: a map with a
    # thousand points calls this thousands of times. str() of a Markup is a plain str, so it is escaped too.
    return html.escape(_XML_FORBIDDEN.sub("", str(value)), quote=True)


def safe_href(href: str | None) -> str | None:
    """The link if it is relative or http(s)/mailto, else None: a `javascript:` URL would run on a click."""
    if not href:
        return None
    scheme = _SCHEME.match(href)
    if scheme and scheme.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return href


def shorten(label: str, max_chars: int) -> str:
    """The label cut to `max_chars` with an ellipsis; the full one goes into a <title> beside it."""
    label = " ".join(str(label).split())
    return label if len(label) <= max_chars else label[: max_chars - 1].rstrip() + "…"


def num(value: float) -> str:
    """A coordinate with one decimal at most: a tenth of a viewBox unit is invisible, and the file stays light."""
    return f"{round(value, 1) + 0.0:g}"


def format_number(value: float | None, decimals: int = 2) -> str:
    """12345.5 -> '12.345,5' (Indonesian: a dot groups thousands, a comma marks decimals); None -> a dash."""
    if value is None or not math.isfinite(value):
        return RANGE_DASH
    rounded = round(float(value), decimals) + 0.0
    digits = 0 if rounded.is_integer() else decimals
    formatted = f"{rounded:,.{digits}f}"
    if digits:
        formatted = formatted.rstrip("0")
    return formatted.translate(str.maketrans(",.", ".,"))


def new_id(prefix: str) -> str:
    """An id unique in this process, so two charts on one page never share the ids their aria-labelledby names."""
    return f"{prefix}-{next(_ids)}"


def all_integers(values) -> bool:
    return all(float(v).is_integer() for v in values)


def nice_step(raw: float, integer: bool = False) -> float:
    """The smallest step of the form 1, 2, 2.5 or 5 times a power of ten that is at least `raw` (whole numbers
    only when `integer`: counts have no half steps)."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10, 20):
        step = round(factor * magnitude, 12)
        if step >= raw * (1 - 1e-9) and (not integer or step.is_integer()):
            return step
    return 1.0  # unreachable for integer steps below 1 (factor 10 of 0.1 is 1)


def nice_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering [low, high] in about `count` steps; [0, 1] when there is nothing to cover."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high < low:
        low, high = high, low
    if high == low:
        low, high = (low, low + 1) if low >= 0 else (low - 1, low + 1)
    step = nice_step((high - low) / max(count, 1), integer)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(i * step, 10) + 0.0 for i in range(first, last + 1)]
