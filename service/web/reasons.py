"""The planner's reasons (kept in English in the data and the API) in the reader's language.

The domain writes them in a few fixed shapes (service.domain.visits.plan, programs.challenge_scores, a move's
`<kecamatan code>: <reason>`); each shape is recognised whole, so the words a person typed are never changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

RANKED = re.compile(r"^(?P<pinned>pinned first; )?rank (?P<rank>\d+) \(score (?P<score>[^,]+), (?P<why>.*)\)$")
NO_FIT = re.compile(r"^does not fit between (?P<start>\S+) and (?P<end>\S+)$")
MANUAL = re.compile(r"^set by the Bupati's office(?:: (?P<reason>.*))?$", re.DOTALL)
COUNTED = re.compile(r"^computed from (?P<parts>.*)$")
CODED = re.compile(r"^(?P<code>\d{2}\.\d{2}\.\d{2}): (?P<rest>.*)$", re.DOTALL)
COUNTS = {
    "open findings": "temuan terbuka",
    "overdue findings": "temuan terlambat",
    "reports": "laporan lapangan",
    "open complaints": "pengaduan terbuka",
    "overdue complaints": "pengaduan terlambat",
}


def _why(text: str) -> str:
    if text == "computed: nothing open":
        return "dihitung: tidak ada yang terbuka"
    if manual := MANUAL.match(text):
        return "ditetapkan Kantor Bupati" + (f": {manual['reason']}" if manual["reason"] else "")
    if counted := COUNTED.match(text):
        parts = []
        for part in counted["parts"].split(", "):
            number, _, name = part.partition(" ")
            parts.append(f"{number} {COUNTS.get(name, name)}")
        return "dihitung dari " + ", ".join(parts)
    return text


def shown(text: str | None, language: str, names: Mapping[str, str]) -> str:
    """A reason as the page shows it: a kecamatan's code becomes its name; Indonesian words unless English."""
    if not text:
        return ""
    if coded := CODED.match(text):
        return f"{names.get(coded['code'], coded['code'])}: {shown(coded['rest'], language, names)}"
    if language == "en":
        return text
    if ranked := RANKED.match(text):
        pinned = "Ditetapkan paling awal; p" if ranked["pinned"] else "P"
        return f"{pinned}eringkat {ranked['rank']} (skor {ranked['score']}, {_why(ranked['why'])})"
    if no_fit := NO_FIT.match(text):
        return f"Tidak muat antara {no_fit['start']} dan {no_fit['end']}"
    return text
