"""The console's pages in the navigation, by role: one list, so a page appears for the roles that may open it.

A page is listed once its view exists (its endpoint is registered), so the menu grows as pages are built. A page's
view is named by its endpoint here (`web.jadwal` is the function `jadwal` of service.web's blueprint).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from service.domain import access


@dataclass(frozen=True)
class Page:
    key: str  # message id of its name in the menu (service.web.i18n)
    endpoint: str
    permission: str  # in access.PERMISSIONS: who sees it in the menu (the view itself checks again)


PAGES = (
    Page("nav.beranda", "web.home", "console.use"),
    Page("nav.jadwal", "web.jadwal", "visits.read"),
    Page("nav.peta", "web.peta", "console.use"),
    Page("nav.angka", "web.angka", "stats.read"),
    Page("nav.laporan", "web.laporan", "reports.review"),
    Page("nav.pengaduan", "web.pengaduan", "complaints.verify"),  # the coordinators' queue
    Page("nav.tugas", "web.tugas", "tasks.read"),
    Page("nav.pengguna", "web.pengguna", "users.read"),
)


def menu(principal: access.Principal, endpoints: Container[str]) -> list[Page]:
    """The pages this caller may open among those that exist."""
    if not access.can(principal, "console.use"):
        return []
    return [page for page in PAGES if page.endpoint in endpoints and access.can(principal, page.permission)]
