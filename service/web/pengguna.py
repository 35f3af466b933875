"""Users (Pengguna) for admins: list, create, deactivate, reset a password, change role and area."""

from __future__ import annotations

from service.web import i18n
from service.web.pages import bp, render  # noqa: F401  (the page's views are added to the console's blueprint)

i18n.add({"id": {}, "en": {}})
