"""Printable activation sheets (lembar aktivasi): each new official's username and code, one page per kecamatan."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from jinja2 import Environment, PackageLoader, select_autoescape

from service.domain.user_import import Line
from service.web import i18n

REGENCY = "kabupaten"  # the sheet of OPD officers and regency-wide users
_env = Environment(loader=PackageLoader("service.web", "templates"), autoescape=select_autoescape(["html"]))


def sheets(lines: Iterable[Line], kecamatan: dict[str, str], activate_url: str, regency: str) -> dict[str, str]:
    """File name -> a standalone A4 HTML page for each kecamatan with new users (camat and kepala desa), and one
    for the others (OPD officers, regency staff). Codes are kept only as hashes: the import's answer is the one
    source, so the sheets are made from it, once."""
    groups: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        if line.activation_code:
            groups[line.kecamatan_code or REGENCY].append(line)
    template = _env.get_template("lembar_aktivasi.html")
    pages = {}
    for code in sorted(groups, key=lambda c: (c == REGENCY, kecamatan.get(c, c))):
        place = f"Kecamatan {kecamatan[code]}" if code in kecamatan else regency
        people = sorted(groups[code], key=lambda line: (line.desa_code or "", line.username))
        pages[f"aktivasi-{_slug(code if code == REGENCY else kecamatan[code])}.html"] = template.render(
            place=place,
            people=people,
            activate_url=activate_url,
            role=lambda kind: i18n.text("id", f"role.{kind}"),
            date=lambda moment: i18n.short_date(moment, "id"),
        )
    return pages


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
