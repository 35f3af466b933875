"""Reading drawn SVG back in the tests: parse as XML, find by tag and class, the lightness of a colour."""

from __future__ import annotations

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """The root element; ElementTree raises on anything that is not well-formed XML."""
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def all_of(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{SVG}{tag}"))


def title_of(element: ET.Element) -> str | None:
    title = element.find(f"{SVG}title")
    return None if title is None else title.text


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in all_of(root, "text")]


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id}"
    return found[0]


def luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb': lower is darker."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
