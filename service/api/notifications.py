"""Push devices, the inbox, a test push (admin) and announcements to a kecamatan's followers."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from service.api.base import (
    ID_RANGE,
    Blueprint,
    JsonBoolean,
    PageArgs,
    Schema,
    asked_locale,
    page_of,
    paginate,
    principal,
    session,
)
from service.domain import devices, texts
from service.domain import notifications as domain
from service.domain.users import me
from service.models import Notification

blp = Blueprint("notifications", __name__, description="Devices, inbox and announcements")


class DeviceSchema(Schema):
    token = ma.fields.String(required=True, validate=ma.validate.Length(1, 512))
    platform = ma.fields.String(required=True, validate=ma.validate.OneOf(("android", "ios", "web")))
    app_version = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))
    locale = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=16))
    topic = ma.fields.String(dump_only=True, allow_none=True)


class InboxArgs(PageArgs):
    unread = ma.fields.Boolean(load_default=False)
    lang = ma.fields.String(validate=ma.validate.OneOf(texts.LOCALES), metadata={"description": "id or en"})


class NotificationSchema(Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    data = ma.fields.Dict(required=True, metadata={"description": "deep link: type, id"})
    urgent = ma.fields.Boolean(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    read_at = ma.fields.AwareDateTime(allow_none=True, required=True)
    push_state = ma.fields.String(required=True)


class TestPushSchema(Schema):
    user_id = ma.fields.Integer(strict=True, validate=ID_RANGE, metadata={"description": "default: you"})
    urgent = JsonBoolean(load_default=True, metadata={"description": "test pushes ignore quiet hours"})


class BroadcastSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    kecamatan_code = ma.fields.String(required=True, validate=ma.validate.Length(1, 16))
    title = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 120))
    body = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 1000))
    title_en = ma.fields.String(load_only=True, validate=ma.validate.Length(1, 120))
    body_en = ma.fields.String(load_only=True, validate=ma.validate.Length(1, 1000))
    topic = ma.fields.String(dump_only=True)
    push_state = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


def _reader_locale(args: dict) -> str:
    """?lang=, else the phone's Accept-Language, else the user's saved language."""
    return asked_locale(args.get("lang")) or me(session(), principal()).locale


@blp.route("/devices")
class Devices(MethodView):
    @blp.auth()
    @blp.arguments(DeviceSchema)
    @blp.response(201, DeviceSchema)
    @blp.alt_response(200, schema=DeviceSchema, description="The token was known: updated (and moved to you)")
    def post(self, data):
        """Register this phone's FCM token for pushes; idempotent per token."""
        device, created = devices.register(session(), principal(), **data)
        session().commit()
        return device, 201 if created else 200


@blp.route("/devices/<string:token>")
class DeviceByToken(MethodView):
    @blp.auth()
    @blp.response(204)
    def delete(self, token):
        """Stop pushes to this token (sign-out on the phone)."""
        devices.forget(session(), principal(), token)
        session().commit()


@blp.route("/notifications")
class Inbox(MethodView):
    @blp.auth()
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, page_of(NotificationSchema))
    def get(self, args):
        """The caller's inbox, newest first: every notification, pushed or not."""
        page = paginate(domain.inbox_query(principal(), args["unread"]), [Notification.id], args, desc=True)
        locale = _reader_locale(args)
        page.items = [domain.rendered(row, locale) for row in page.items]
        return page


@blp.route("/notifications/<id:notification_id>/read")
class MarkRead(MethodView):
    @blp.auth()
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one notification read (idempotent)."""
        row = domain.mark_read(session(), principal(), notification_id)
        session().commit()
        return domain.rendered(row, _reader_locale({}))


@blp.route("/notifications/test")
class TestPush(MethodView):
    @blp.auth()
    @blp.arguments(TestPushSchema, required=False)
    @blp.response(202, NotificationSchema)
    def post(self, data):
        """Send a test notification to a user (default: yourself) through the real push path (admin)."""
        row, user = domain.send_test(session(), principal(), data.get("user_id"), data["urgent"])
        session().commit()
        return domain.rendered(row, user.locale)


@blp.route("/broadcasts")
class Broadcasts(MethodView):
    @blp.auth()
    @blp.arguments(BroadcastSchema)
    @blp.response(202, BroadcastSchema)
    def post(self, data):
        """Announce to a kecamatan: a push to its topic and a copy in the inbox of everyone there."""
        code = data.pop("kecamatan_code")
        row = domain.announce(session(), principal(), code, data)
        session().commit()
        return row
