"""QR codes as inline SVG, made on the server (the `qrcode` library encodes; the modules are drawn here as paths)."""

from __future__ import annotations

import functools

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from service.web.svgkit import text

QUIET_ZONE = 4  # modules of white around the code, as the standard asks: scanners find its edges by it


@functools.lru_cache(maxsize=256)
def modules(data: str) -> tuple[tuple[bool, ...], ...]:
    """The code's dark (True) and light modules, quiet zone included; level M survives a smudged or creased poster."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def svg(data: str, label: str, css_class: str = "qr") -> str:
    """The code of `data` as an <svg> that scales to any size (one unit per module); each row's runs of dark modules
    are one rectangle, so the file stays small and no seam shows between neighbours. `label` names it for screen
    readers."""
    matrix = modules(data)
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < size and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    return (
        f'<svg class="{text(css_class)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" aria-label="{text(label)}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )
