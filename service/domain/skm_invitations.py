"""Inviting a complainant to the satisfaction survey of the unit his closed complaint was about."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.domain import notifications, service_units
from service.models import Complaint, ComplaintCategory, ServiceUnit


def survey_unit(session: Session, complaint: Complaint) -> ServiceUnit | None:
    """The unit a complaint's service came from: its category's unit type, the active unit of that type nearest to
    the complaint's point (a complaint filed by desa has its desa's centre) in its kecamatan; None for categories
    about no unit (a road)."""
    category = session.get(ComplaintCategory, complaint.category_code)
    if category is None or category.unit_type is None or complaint.kecamatan_code is None:
        return None
    return service_units.nearest(
        session, category.unit_type, category.opd_code, complaint.kecamatan_code, complaint.lat, complaint.lon
    )


def invite(session: Session, complaint: Complaint, public_base_url: str) -> None:
    """A closed complaint's registered complainant gets the survey link in his inbox and as a push (an anonymous
    one sees it on the tracking page). The answer stays anonymous: nothing ties it to the complaint."""
    if complaint.reporter_id is None or (unit := survey_unit(session, complaint)) is None:
        return
    url = service_units.survey_url(public_base_url, unit.code)
    params = {"unit": unit.name, "tracking_code": complaint.tracking_code, "url": url}
    data = {"complaint_id": str(complaint.id), "unit_code": unit.code, "url": url}
    notifications.notify(session, complaint.reporter_id, "skm_invitation", params, data)
