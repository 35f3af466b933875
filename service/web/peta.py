"""The map (Peta) of the 24 kecamatan coloured by a measure, and one kecamatan's page (Kecamatan)."""

from __future__ import annotations

from service.web import i18n
from service.web.pages import bp, render  # noqa: F401  (the page's views are added to the console's blueprint)

i18n.add({"id": {}, "en": {}})
