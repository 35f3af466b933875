"""The posters' QR codes as drawn (service.web.qr): the SVG's rectangles, painted as pixels, decode to the data
(short and long addresses, capitals, a path prefix); the quiet zone stays white; the label is escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from service.web import qr

SCALE = 6  # pixels per module: about what a phone's camera sees of a printed code
RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def _painted(svg: str) -> tuple[Image.Image, int]:
    """The SVG's dark rectangles painted black on white, as a renderer would (and the viewBox's size)."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    path = root.find("{http://www.w3.org/2000/svg}path").get("d")
    assert RUN.sub("", path) == "", "only row runs in the path"
    image = Image.new("L", (size * SCALE, size * SCALE), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width, back in RUN.findall(path):
        assert width == back
        x, y, width = int(x), int(y), int(width)
        draw.rectangle((x * SCALE, y * SCALE, (x + width) * SCALE - 1, (y + 1) * SCALE - 1), fill=0)
    return image, size


@pytest.mark.parametrize(
    "data",
    [
        "http://127.0.0.1:8000/skm/pkm-sumber",
        "https://sambang.probolinggokab.go.id/layanan/skm/rsud-waluyojati",
        "HTTPS://EXAMPLE.ORG/SKM/KEC-SUKAPURA",
        "https://sambang.probolinggokab.go.id/skm/" + "unit-layanan-dengan-kode-panjang-" * 3,
    ],
)
def test_the_drawn_code_decodes_to_its_data(data):
    image, size = _painted(qr.svg(data, "Kode QR"))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [data]
    assert len(qr.modules(data)) == size
    border = qr.QUIET_ZONE * SCALE
    inner = image.crop((border, border, image.width - border, image.height - border))
    assert image.getextrema() == (0, 255) and inner.getbbox() is not None
    assert Image.eval(image, lambda v: 255 - v).getbbox() == (border, border, image.width - border,
                                                             image.height - border), "a white quiet zone"  # fmt: skip


def test_the_label_is_escaped():
    svg = qr.svg("https://example.org/", 'Kode "QR" <a> & b')
    root = ET.fromstring(svg)
    assert root.get("aria-label") == 'Kode "QR" <a> & b' and root.get("role") == "img"
    assert "<a>" not in svg
