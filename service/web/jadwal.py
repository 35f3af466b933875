"""The schedule (Jadwal): the rotation by month and as a list, planning with a preview, visit moves, settings."""

from __future__ import annotations

from service.web import i18n
from service.web.pages import bp, render  # noqa: F401  (the page's views are added to the console's blueprint)

i18n.add({"id": {}, "en": {}})
