"""Every endpoint x every role -> the expected status. A new endpoint must be added here to pass."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest

from service.api.base import MAX_ID
from service.domain import access
from service.domain.access import Principal, covers
from service.models import Complaint, Device, Finding, FindingEvent, Notification, Photo, Program, Report, Upload, Visit
from tests.conftest import KRAKSAAN, SUMBER
from tests.images import sample
from tests.tus import CHUNK, TUS, metadata

ROLES = ("anonymous", *access.ROLES)
TUS_METADATA = metadata(client_uuid=uuid.uuid4())
OPEN = dict.fromkeys(ROLES, 200)


def only(role_status: dict, default: int) -> dict:
    return {role: role_status.get(role, default if role != "anonymous" else 401) for role in ROLES}


SIGNED_IN = only({}, 200)
ADMIN_ONLY = only({"admin": 200}, 403)

# (method, path template) -> (request kwargs, {role: status})
TABLE = {
    ("GET", "/healthz"): ({}, OPEN),
    ("GET", "/readyz"): ({}, OPEN),
    ("POST", "/api/v1/auth/login"): ({"json": {"username": "x", "password": "y"}}, dict.fromkeys(ROLES, 401)),
    ("POST", "/api/v1/auth/refresh"): ({"json": {"refresh_token": "unknown"}}, dict.fromkeys(ROLES, 401)),
    ("POST", "/api/v1/auth/logout"): ({"json": {"refresh_token": "unknown"}}, dict.fromkeys(ROLES, 204)),
    ("POST", "/api/v1/auth/firebase"): ({"json": {"id_token": "x.y.z"}}, dict.fromkeys(ROLES, 401)),
    ("POST", "/api/v1/auth/activate"): (
        {"json": {"username": "x", "code": "ABCDEFGHJK", "password": "a long new password"}},
        dict.fromkeys(ROLES, 401),
    ),
    ("POST", "/api/v1/auth/reset"): (
        {"json": {"username": "x", "code": "12345678", "password": "a long new password"}},
        dict.fromkeys(ROLES, 401),
    ),
    # The test settings set up no message sender: the self-service reset is off for everyone.
    ("POST", "/api/v1/auth/reset-request"): ({"json": {"username": "x"}}, dict.fromkeys(ROLES, 403)),
    ("GET", "/api/v1/me"): ({}, SIGNED_IN),
    ("PATCH", "/api/v1/me"): ({"json": {"display_name": "Pak Camat"}}, SIGNED_IN),
    ("POST", "/api/v1/devices"): (
        lambda role: {"json": {"token": f"token-of-{role}", "platform": "android"}},
        only({}, 201),
    ),
    ("DELETE", "/api/v1/devices/{token}"): ({}, only({}, 404)),  # not the caller's device
    ("GET", "/api/v1/notifications"): ({}, SIGNED_IN),
    ("POST", "/api/v1/notifications/{notification_id}/read"): ({}, only({}, 404)),  # not the caller's
    ("POST", "/api/v1/notifications/test"): ({"json": {}}, only({"admin": 202}, 403)),
    ("POST", "/api/v1/broadcasts"): (
        {"json": {"kecamatan_code": SUMBER, "title": "Kerja bakti", "body": "Minggu pagi di balai desa."}},
        only({"admin": 202, "bupati_office": 202}, 403),
    ),
    ("GET", "/api/v1/users"): ({}, ADMIN_ONLY),
    ("POST", "/api/v1/users"): (
        {"json": {"username": "made.in.table", "password": "long enough", "role": "resident"}},
        only({"admin": 201}, 403),
    ),
    ("GET", "/api/v1/users/{user_id}"): ({}, ADMIN_ONLY),
    ("PATCH", "/api/v1/users/{user_id}"): ({"json": {"display_name": "Pak Lurah"}}, ADMIN_ONLY),
    ("POST", "/api/v1/users/{user_id}/activation-code"): ({"json": {}}, only({"admin": 201}, 403)),
    ("POST", "/api/v1/users/import"): (
        lambda role: {
            "data": {"file": (io.BytesIO(b"username,role\r\nimported.user,admin\r\n"), "pejabat.csv")},
            "query_string": {"dry_run": "1"},
            "content_type": "multipart/form-data",
        },
        ADMIN_ONLY,
    ),
    ("GET", "/api/v1/kecamatan"): ({}, OPEN),
    ("GET", "/api/v1/kecamatan/{code}"): ({}, OPEN),
    ("GET", "/api/v1/kecamatan/{code}/desa"): ({}, OPEN),
    ("GET", "/api/v1/opd"): ({}, OPEN),
    ("GET", "/api/v1/locate"): ({"query_string": {"lat": -7.95, "lon": 113.08}}, OPEN),
}
UNITS_CSV = b"code,name,type,kecamatan_code,lat,lon\r\npkm-sumber,Puskesmas Sumber,puskesmas,35.13.02,-7.95,113.08\r\n"
MANAGERS = {"admin": 200, "bupati_office": 200}
# Roles that upload photos (reports, findings) get 404 for another user's upload; the others 403.
SOMEONE_ELSES_UPLOAD = dict.fromkeys(("admin", "bupati_office", "camat", "kepala_desa", "opd_officer"), 404)
COORDINATORS_DO = {"admin": 200, "coordinator": 200}
COORDINATORS_CANNOT_YET = {"admin": 409, "coordinator": 409}  # allowed, but not from `submitted`
VISIBLE_ONLY_TO_AREA = {"opd_officer": 404, "resident": 404}  # a planned visit: outside the public schedule
TABLE.update(
    {
        ("GET", "/api/v1/programs"): ({}, SIGNED_IN),
        ("POST", "/api/v1/programs"): (
            {"json": {"name": "P", "start_date": "2030-01-01", "end_date": "2030-12-31"}},
            only({"admin": 201, "bupati_office": 201}, 403),
        ),
        ("GET", "/api/v1/programs/{program_id}"): ({}, SIGNED_IN),
        ("PATCH", "/api/v1/programs/{program_id}"): ({"json": {"name": "Q"}}, only(MANAGERS, 403)),
        ("POST", "/api/v1/programs/{program_id}/plan"): ({"query_string": {"dry_run": 1}}, only(MANAGERS, 403)),
        ("DELETE", "/api/v1/programs/{program_id}"): ({}, only(MANAGERS, 403)),  # it has a finding: archived, 200
        ("PUT", "/api/v1/programs/{program_id}/priorities"): (
            {"json": {"priorities": [{"kecamatan_code": SUMBER, "score": 5, "reason": "Stunting"}]}},
            only(MANAGERS, 403),
        ),
        ("GET", "/api/v1/visits"): ({}, SIGNED_IN),
        ("GET", "/api/v1/visits/{visit_id}"): ({}, only({**VISIBLE_ONLY_TO_AREA}, 200)),
        ("POST", "/api/v1/visits/{visit_id}/confirm"): (
            {},
            only({**VISIBLE_ONLY_TO_AREA, **MANAGERS, "camat": 200}, 403),
        ),
        ("POST", "/api/v1/visits/{visit_id}/postpone"): (
            {"json": {"reason": "Rapat di provinsi"}},
            only({**VISIBLE_ONLY_TO_AREA, **MANAGERS}, 403),
        ),
        ("POST", "/api/v1/visits/{visit_id}/complete"): ({}, only(MANAGERS, 403)),  # a confirmed (public) visit
        ("POST", "/api/v1/visits/{visit_id}/cancel"): (
            {"json": {"reason": "Banjir"}},
            only({**VISIBLE_ONLY_TO_AREA, **MANAGERS}, 403),
        ),
        ("PUT", "/api/v1/visits/{visit_id}/agenda"): (
            {"json": {"agenda": [{"kind": "puskesmas", "name": "Puskesmas"}]}},
            only({**VISIBLE_ONLY_TO_AREA, **MANAGERS, "camat": 200}, 403),
        ),
        ("GET", "/api/v1/visits/{visit_id}/briefing"): ({}, only({**MANAGERS, "coordinator": 200, "camat": 200}, 403)),
        ("GET", "/api/v1/visits/{visit_id}/findings"): ({}, only({**VISIBLE_ONLY_TO_AREA}, 200)),
        ("POST", "/api/v1/visits/{visit_id}/findings"): (
            {"json": {"description": "Jalan rusak", "opd_code": "dpupr", "due_date": "2030-01-31"}},
            only({"admin": 201, "bupati_office": 201}, 403),
        ),
        ("GET", "/api/v1/findings"): ({}, only({"resident": 403}, 200)),
        ("GET", "/api/v1/findings/{finding_id}"): ({}, only({"resident": 403, "opd_officer": 404}, 200)),
        ("PATCH", "/api/v1/findings/{finding_id}"): (
            {"json": {"description": "Jalan rusak parah"}},
            only(MANAGERS, 403),
        ),
        # The table's finding is Dinkes's (the table's officer is DPUPR's: 404), open, in no desa (a kepala desa: 403).
        ("POST", "/api/v1/findings/{finding_id}/updates"): (
            {"json": {"note": "Sedang dikerjakan", "progress": 10}},
            only({"admin": 201, "bupati_office": 201, "camat": 201, "opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/findings/{finding_id}/updates/{update_id}/photos"): (
            lambda role: {
                "data": {"file": (io.BytesIO(sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
                "content_type": "multipart/form-data",
            },
            only({"admin": 202, "bupati_office": 202, "camat": 202, "opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/findings/{finding_id}/done"): (  # allowed, but no evidence yet: 422
            {"json": {"note": "Selesai"}},
            only({"admin": 422, "bupati_office": 422, "opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/findings/{finding_id}/verify"): (
            {"json": {}},
            only({**COORDINATORS_CANNOT_YET, "bupati_office": 409}, 403),
        ),
        ("POST", "/api/v1/findings/{finding_id}/reopen"): (
            {"json": {"reason": "Belum"}},
            only({**COORDINATORS_CANNOT_YET, "bupati_office": 409}, 403),
        ),
        ("GET", "/api/v1/stats/findings"): ({}, only({"resident": 403}, 200)),
        **{
            ("GET", f"/api/v1/stats/{by}"): ({}, only({"resident": 403}, 200))
            for by in ("overview", "kecamatan", "opd", "pillars")
        },
        ("GET", "/api/v1/stats/skm"): ({}, only({"resident": 403}, 200)),
        # Puskesmas Sumber: in the camat's and kepala desa's kecamatan, not of the officer's OPD (DPUPR).
        ("GET", "/api/v1/exports/skm/{unit_code}.xlsx"): ({}, only({"resident": 403, "opd_officer": 404}, 200)),
        ("GET", "/api/v1/exports/complaints.{extension}"): ({}, only({"resident": 403, "kepala_desa": 403}, 200)),
        ("GET", "/api/v1/exports/findings.{extension}"): ({}, only({"resident": 403}, 200)),
        ("GET", "/api/v1/exports/reports.{extension}"): ({}, only({"resident": 403, "opd_officer": 403}, 200)),
        ("GET", "/api/v1/exports/visits.{extension}"): ({}, only({"resident": 403}, 200)),
        ("GET", "/open-data/catalog.jsonld"): ({}, OPEN),
        ("GET", "/open-data/{dataset}.{extension}"): ({}, OPEN),
        ("GET", "/api/v1/visits.ics"): ({}, SIGNED_IN),
        ("POST", "/api/v1/reports"): (
            lambda role: {
                "json": {
                    "client_uuid": f"00000000-0000-4000-8000-{ROLES.index(role):012d}",
                    "title": "Jalan berlubang",
                    "category": "infrastruktur",
                    "lat": -7.955629,
                    "lon": 113.087587,
                    "captured_at": "2026-11-20T09:00:00+07:00",
                }
            },
            only({"admin": 201, "bupati_office": 201, "camat": 201, "kepala_desa": 201}, 403),
        ),
        ("GET", "/api/v1/reports"): ({}, only({"opd_officer": 403, "resident": 403}, 200)),
        ("GET", "/api/v1/reports/{report_id}"): ({}, only({"opd_officer": 403, "resident": 403}, 200)),
        ("POST", "/api/v1/reports/{report_id}/photos"): (
            lambda role: {
                "data": {"file": (io.BytesIO(sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
                "content_type": "multipart/form-data",
            },
            only({"admin": 202, "bupati_office": 202, "camat": 202, "kepala_desa": 202}, 403),
        ),
        # The review loop. The table's report has no author (its own author's moves: tests/reports) and is received.
        ("PATCH", "/api/v1/reports/{report_id}"): ({"json": {"title": "Jalan rusak"}}, only({}, 403)),
        ("POST", "/api/v1/reports/{report_id}/review"): (
            {"json": {"state": "approved"}},
            only({**MANAGERS, "camat": 200}, 403),
        ),
        ("POST", "/api/v1/reports/{report_id}/withdraw"): ({"json": {"reason": "Ganda"}}, only({}, 403)),
        ("GET", "/api/v1/reports/{report_id}/comments"): ({}, only({"opd_officer": 403, "resident": 403}, 200)),
        ("POST", "/api/v1/reports/{report_id}/comments"): (
            {"json": {"body": "Mohon foto tambahan."}},
            only({"admin": 201, "bupati_office": 201, "camat": 201}, 403),
        ),
        ("DELETE", "/api/v1/photos/{photo_id}"): ({}, only({}, 403)),  # only the report's author
        ("POST", "/api/v1/photos/{photo_id}/flags/{flag}/dismiss"): (  # a pending photo has no flag yet: 404
            {"json": {"reason": "GPS meleset"}},
            only({"admin": 404, "bupati_office": 404, "camat": 404}, 403),
        ),
        ("GET", "/api/v1/photos/{photo_id}"): ({}, only({"opd_officer": 403, "resident": 403}, 200)),
        # A pending photo has no derivative yet: 404 for those who may read it.
        ("GET", "/api/v1/photos/{photo_id}/{variant}"): ({}, only({"opd_officer": 403, "resident": 403}, 404)),
        ("POST", "/api/v1/uploads"): (
            lambda role: {"headers": {**TUS, "Upload-Length": "1000", "Upload-Metadata": TUS_METADATA}},
            only({"admin": 201, "bupati_office": 201, "camat": 201, "kepala_desa": 201}, 403),
        ),
        ("PATCH", "/api/v1/uploads/{upload_id}"): (
            {"headers": {**TUS, "Upload-Offset": "0", "Content-Type": CHUNK}, "data": b"x"},
            only(SOMEONE_ELSES_UPLOAD, 403),
        ),
        ("DELETE", "/api/v1/uploads/{upload_id}"): ({"headers": TUS}, only(SOMEONE_ELSES_UPLOAD, 403)),
        ("GET", "/api/v1/complaint-categories"): ({}, OPEN),
        ("POST", "/api/v1/complaint-categories"): (
            {"json": {"code": "baru", "name": "Baru", "kind": "pengaduan", "sla_class": "sederhana"}},
            only({"admin": 201}, 403),
        ),
        ("PATCH", "/api/v1/complaint-categories/{category_code}"): ({"json": {"name": "Sampah"}}, ADMIN_ONLY),
        ("POST", "/api/v1/complaints"): (
            lambda role: {
                "json": {
                    "client_uuid": f"00000000-0000-4000-9000-{ROLES.index(role):012d}",
                    "category_code": "sampah",
                    "description": "Sampah menumpuk di pinggir jalan.",
                    "lat": -7.955629,
                    "lon": 113.087587,
                }
            },
            {**only({"admin": 201, "coordinator": 201, "resident": 201}, 403), "anonymous": 201},
        ),
        ("GET", "/api/v1/complaints"): ({}, only({"kepala_desa": 403}, 200)),
        ("GET", "/api/v1/complaints/nearby"): (
            {"query_string": {"lat": -7.9556, "lon": 113.0876, "category_code": "sampah"}},
            OPEN,
        ),
        # A public, submitted complaint of another resident, in Sumber, not yet with an OPD (officer: 404).
        ("GET", "/api/v1/complaints/{complaint_id}"): ({}, only({"kepala_desa": 403, "opd_officer": 404}, 200)),
        ("POST", "/api/v1/complaints/{complaint_id}/support"): ({}, only({"resident": 200}, 403)),
        ("POST", "/api/v1/complaints/{complaint_id}/photos"): (  # the complainant (someone else here), the OPD's
            lambda role: {  # officers (the table's complaint is not the officer's OPD's)
                "data": {"file": (io.BytesIO(sample("portrait_1.jpg")), "p.jpg"), "client_uuid": str(uuid.uuid4())},
                "content_type": "multipart/form-data",
            },
            only({"opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/verify"): ({"json": {}}, only(COORDINATORS_DO, 403)),
        ("POST", "/api/v1/complaints/{complaint_id}/dispatch"): ({"json": {}}, only(COORDINATORS_CANNOT_YET, 403)),
        ("POST", "/api/v1/complaints/{complaint_id}/respond"): (
            {"json": {"message": "x"}},
            only({"opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/reroute"): (
            {"json": {"reason": "x"}},
            only({**COORDINATORS_CANNOT_YET, "opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/resolve"): (
            {"json": {"message": "x"}},
            only({**COORDINATORS_CANNOT_YET, "opd_officer": 404}, 403),
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/reject"): ({"json": {"reason": "x"}}, only(COORDINATORS_DO, 403)),
        ("POST", "/api/v1/complaints/{complaint_id}/merge"): (
            {"json": {"into_id": MAX_ID}},  # no complaint to take it: 422 for who may merge
            only({"admin": 422, "coordinator": 422}, 403),
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/reopen"): (
            {"json": {"reason": "x"}},
            only({**COORDINATORS_CANNOT_YET, "resident": 403}, 403),  # the resident is not the complainant
        ),
        ("POST", "/api/v1/complaints/{complaint_id}/close"): ({"json": {}}, only(COORDINATORS_CANNOT_YET, 403)),
        ("POST", "/api/v1/complaints/{complaint_id}/rating"): ({"json": {"rating": 5}}, only({}, 403)),
        ("GET", "/api/v1/track/{tracking_code}"): ({}, OPEN),
        ("GET", "/api/v1/stats/complaints"): (
            {"query_string": {"from": "2026-01-01", "to": "2026-12-31"}},
            only({"admin": 200, "bupati_office": 200, "coordinator": 200, "opd_officer": 200}, 403),
        ),
        ("GET", "/api/v1/service-units"): ({}, OPEN),
        ("POST", "/api/v1/service-units"): (
            {
                "json": {
                    "code": "pkm-baru",
                    "name": "Puskesmas Baru",
                    "type": "puskesmas",
                    "opd_code": "dinkes",
                    "kecamatan_code": SUMBER,
                    "lat": -7.9556,
                    "lon": 113.0876,
                }
            },
            only({"admin": 201}, 403),
        ),
        ("GET", "/api/v1/service-units/{unit_code}"): ({}, OPEN),
        ("PATCH", "/api/v1/service-units/{unit_code}"): ({"json": {"served_per_month": 500}}, ADMIN_ONLY),
        ("POST", "/api/v1/service-units/import"): (
            lambda role: {
                "data": {"file": (io.BytesIO(UNITS_CSV), "units.csv")},
                "content_type": "multipart/form-data",
            },
            ADMIN_ONLY,
        ),
        ("GET", "/api/v1/skm/questionnaire"): ({}, OPEN),
        # Anyone answers, with or without an account (each caller here is another device).
        ("POST", "/api/v1/skm/{unit_code}/responses"): (
            lambda role: {
                "json": {
                    "client_uuid": f"00000000-0000-4000-a000-{ROLES.index(role):012d}",
                    "answers": {f"u{number}": 3 for number in range(1, 10)},
                }
            },
            dict.fromkeys(ROLES, 201),
        ),
        ("GET", "/api/v1/open311-keys"): ({}, ADMIN_ONLY),
        ("POST", "/api/v1/open311-keys"): ({"json": {"name": "LAPOR bridge"}}, only({"admin": 201}, 403)),
        ("DELETE", "/api/v1/open311-keys/{key_id}"): ({}, only({"admin": 404}, 403)),  # no such key
        # Open311 is public to read; filing needs an api_key (none given here), whoever the caller is.
        ("GET", "/open311/v2/discovery.{fmt}"): ({}, OPEN),
        ("GET", "/open311/v2/services.{fmt}"): ({}, OPEN),
        ("GET", "/open311/v2/services/{service_code}.{fmt}"): ({}, OPEN),
        ("GET", "/open311/v2/requests.{fmt}"): ({}, OPEN),
        ("POST", "/open311/v2/requests.{fmt}"): ({"data": {"service_code": "sampah"}}, dict.fromkeys(ROLES, 403)),
        # The table's complaint is submitted: Open311 publishes it once verified (tests/security/test_scope_open311).
        ("GET", "/open311/v2/requests/{request_id}.{fmt}"): ({}, dict.fromkeys(ROLES, 404)),
        ("GET", "/open311/v2/tokens/{tracking_code}.{fmt}"): ({}, OPEN),
        ("GET", "/api/v1/me/calendar"): ({}, SIGNED_IN),
        ("POST", "/api/v1/me/calendar"): ({}, SIGNED_IN),
    }
)
# The jobs dashboard, the scrapers' /metrics (by network or token, not by role) and the web pages (the console and
# the public pages: service.web's blueprints, tests/web) have their own tests.
NOT_API = re.compile(r"^/api/(docs|openapi\.json)|^/admin/rq|^/metrics$")
WEB_BLUEPRINTS = ("web", "site")


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or NOT_API.match(rule.rule) or rule.endpoint.split(".")[0] in WEB_BLUEPRINTS:
            continue
        template = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield method, template


def test_every_endpoint_is_in_the_table(app):
    assert set(routes(app)) == set(TABLE)


@pytest.fixture
def people(make_user):
    scopes = {
        "camat": {"kecamatan_code": SUMBER},
        "kepala_desa": {"desa_code": "35.13.02.2005", "kecamatan_code": SUMBER},
        "opd_officer": {"opd_code": "dpupr"},
    }
    return {role: make_user(role, **scopes.get(role, {})) for role in access.ROLES}


@pytest.mark.parametrize("method,template", sorted(TABLE))
def test_status_for_every_role(client, people, auth_header, make_user, db, method, template):
    kwargs, expected = TABLE[(method, template)]
    target = make_user("resident")
    other_device = Device(user_id=target.id, token="someone-elses-token", platform="ios")
    other_notification = Notification(user_id=target.id, kind="test")
    db.add_all([other_device, other_notification])
    db.commit()
    actual = {}
    for role in ROLES:
        # A fresh visit (in Sumber, with a finding for Dinkes) per caller, as callers change its state.
        status = "confirmed" if template.endswith("/complete") else "planned"
        program = Program(name="T", start_date=dt.date(2030, 1, 1), end_date=dt.date(2030, 12, 31))
        db.add(program)
        db.flush()
        visit = Visit(program_id=program.id, kecamatan_code=SUMBER, date=dt.date(2030, 3, 4), status=status)
        db.add(visit)
        db.flush()
        finding = Finding(
            visit_id=visit.id, kecamatan_code=SUMBER, description="x", opd_code="dinkes", due_date=dt.date(2030, 5, 1)
        )
        db.add(finding)
        db.flush()
        update_event = FindingEvent(
            finding_id=finding.id, action="update", from_status="open", to_status="in_progress", note="x"
        )
        db.add(update_event)
        field_report = Report(
            client_uuid=str(uuid.uuid4()),
            content_hash="x",
            title="x",
            category="lainnya",
            kecamatan_code=SUMBER,
            desa_code="35.13.02.2005",
            lat=-7.95,
            lon=113.08,
            captured_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        )
        db.add(field_report)
        db.flush()
        photo = Photo(
            report_id=field_report.id,
            client_uuid=str(uuid.uuid4()),
            sha256="x",
            size_bytes=1,
            media_type="image/jpeg",
            original_key="originals/x",
        )
        someone_elses_upload = Upload(
            id=uuid.uuid4().hex,
            user_id=target.id,
            report_id=field_report.id,
            client_uuid=str(uuid.uuid4()),
            length=10,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
        )
        db.add_all([photo, someone_elses_upload])
        complaint = a_complaint(reporter_id=target.id, privacy="public")
        db.add(complaint)
        db.commit()
        path = template.format(
            user_id=target.id,
            code=SUMBER,
            token=other_device.token,
            notification_id=other_notification.id,
            program_id=program.id,
            visit_id=visit.id,
            finding_id=finding.id,
            update_id=update_event.id,
            report_id=field_report.id,
            photo_id=photo.id,
            flag="no_gps",
            variant="thumb",
            upload_id=someone_elses_upload.id,
            complaint_id=complaint.id,
            tracking_code=complaint.tracking_code,
            category_code="sampah",
            key_id=MAX_ID,
            fmt="json",
            extension="csv",
            dataset="visit-rotation",
            service_code="sampah",
            request_id=complaint.id,
            unit_code="pkm-sumber",
        )
        headers = auth_header(people[role]) if role != "anonymous" else {}
        request = kwargs(role) if callable(kwargs) else kwargs
        if template == "/api/v1/uploads":
            request["headers"]["Upload-Metadata"] += "," + metadata(report_id=field_report.id)
        request = dict(request)
        headers = {**headers, **request.pop("headers", {})}
        actual[role] = client.open(path, method=method, headers=headers, **request).status_code
        if method == "POST" and template == "/api/v1/users" and actual[role] == 201:
            kwargs = {"json": {**kwargs["json"], "username": "made.again"}}
    assert actual == expected


@pytest.mark.parametrize(
    "principal,expected",
    [
        (Principal("admin"), (True, True)),
        (Principal("bupati_office"), (True, True)),
        (Principal("coordinator"), (True, True)),
        (Principal("camat", kecamatan_code=SUMBER), (True, False)),
        (Principal("kepala_desa", desa_code="35.13.02.2005", kecamatan_code=SUMBER), (True, False)),
        (Principal("opd_officer", opd_code="dpupr"), (False, False)),
        (Principal("resident"), (False, False)),
        (access.NOBODY, (False, False)),
    ],
    ids=lambda v: v.role if isinstance(v, Principal) else None,
)
def test_area_scope(principal, expected):
    """What lies in Sumber (desa Gemito) is covered; what lies in Kraksaan is not, except regency-wide."""
    in_sumber = covers(principal, kecamatan_code=SUMBER, desa_code="35.13.02.2005")
    in_kraksaan = covers(principal, kecamatan_code=KRAKSAAN, desa_code="35.13.14.1001")
    assert (in_sumber, in_kraksaan) == expected
    with_opd = covers(principal, opd_code="dpupr")
    assert with_opd == (principal.role in access.REGENCY_WIDE or principal.role == "opd_officer")


def a_complaint(**values) -> Complaint:
    """A sampah complaint in Sumber, stored as filed (the fields the test cares about given)."""
    return Complaint(
        client_uuid=str(uuid.uuid4()),
        content_hash="x",
        tracking_code=f"PBL-{uuid.uuid4().hex[:9].upper()}",
        kind="pengaduan",
        category_code="sampah",
        description="Sampah.",
        lat=-7.95,
        lon=113.08,
        kecamatan_code=SUMBER,
        sla_class="tanpa_lapangan",
        **values,
    )


@pytest.mark.parametrize("privacy", ["public", "rahasia"])
def test_who_sees_a_complaint_and_its_reporter(client, people, auth_header, make_user, db, privacy):
    """complaints.read, .confidential, .identity and .reporter_name as the table gives them: who reads a complaint
    of DPUPR in Sumber (a rahasia one only with .confidential; other citizens a public one), and who learns who
    filed it (all of him with .identity, his name with .reporter_name on a public complaint, nothing otherwise)."""
    reporter = make_user("resident")
    complaint = a_complaint(
        reporter_id=reporter.id,
        reporter_contact="0812 0000 0000",
        opd_code="dpupr",
        status="dispatched",
        privacy=privacy,
    )
    db.add(complaint)
    db.commit()
    table = access.PERMISSIONS
    actual, expected = {}, {}
    for role in ROLES:
        headers = auth_header(people[role]) if role != "anonymous" else {}
        response = client.get(f"/api/v1/complaints/{complaint.id}", headers=headers)
        shown = response.get_json().get("reporter", "-") if response.status_code == 200 else "-"
        actual[role] = (response.status_code, sorted(shown) if isinstance(shown, dict) else shown)
        if role == "anonymous":
            expected[role] = (401, "-")
        elif role not in table["complaints.read"]:
            expected[role] = (403, "-")
        elif privacy == "rahasia" and role not in table["complaints.confidential"]:
            expected[role] = (404, "-")  # the resident too: another's rahasia complaint is not public
        elif role in table["complaints.identity"]:
            expected[role] = (200, ["contact", "name", "user_id"])
        elif privacy == "public" and role in table["complaints.reporter_name"]:
            expected[role] = (200, ["name"])
        else:
            expected[role] = (200, None)
    assert actual == expected
    assert expected["coordinator"][1] == ["contact", "name", "user_id"], "the table still names who sees identity"
