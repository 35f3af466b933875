"""People: the caller (/me) and user management (admin)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from service.api.base import (
    Blueprint,
    JsonBoolean,
    PageArgs,
    PatchSchema,
    Schema,
    page_of,
    paginate,
    principal,
    session,
)
from service.domain import access, activation
from service.domain import users as domain
from service.domain.activation import PURPOSES
from service.domain.passwords import MIN_LENGTH
from service.models import User

blp = Blueprint("users", __name__, description="The caller and user management")

PASSWORD_RULES = (
    f"At least {MIN_LENGTH} characters, not containing the username, not on the list of common passwords "
    "(422 with `reason` short, username or common)."
)


class UserSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    username = ma.fields.String()
    role = ma.fields.String()
    kecamatan_code = ma.fields.String(allow_none=True)
    desa_code = ma.fields.String(allow_none=True)
    opd_code = ma.fields.String(allow_none=True)
    display_name = ma.fields.String()
    is_active = ma.fields.Boolean()
    is_head = ma.fields.Boolean(metadata={"description": "head of the OPD or kecamatan (escalations)"})
    locale = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164, e.g. +6281234567890"})
    phone_verified_at = ma.fields.AwareDateTime(
        allow_none=True, dump_only=True, metadata={"description": "set: reset codes may be sent to this phone"}
    )
    email = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


_code: dict[str, Any] = {"allow_none": True, "validate": ma.validate.Length(max=40)}
_password: dict[str, Any] = {
    "load_only": True,
    "validate": ma.validate.Length(1, 256),
    "metadata": {"description": PASSWORD_RULES},
}
_username = [ma.validate.Length(3, 64), ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")]


class UserCreateSchema(Schema):
    username = ma.fields.String(required=True, validate=_username)
    password = ma.fields.String(required=True, **_password)
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(access.ROLES))
    kecamatan_code = ma.fields.String(**_code)
    desa_code = ma.fields.String(**_code)
    opd_code = ma.fields.String(**_code)
    display_name = ma.fields.String(validate=ma.validate.Length(max=120))
    is_head = JsonBoolean()


class UserUpdateSchema(PatchSchema):
    password = ma.fields.String(**_password)
    role = ma.fields.String(validate=ma.validate.OneOf(access.ROLES))
    kecamatan_code = ma.fields.String(**_code)
    desa_code = ma.fields.String(**_code)
    opd_code = ma.fields.String(**_code)
    display_name = ma.fields.String(validate=ma.validate.Length(max=120))
    is_active = JsonBoolean()
    is_head = JsonBoolean()
    phone = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Regexp(r"^\+[1-9][0-9]{7,14}$", error="E.164: + and 8 to 15 digits."),
        metadata={"description": "E.164; a new number is unverified unless phone_verified comes along"},
    )
    phone_verified = JsonBoolean(
        metadata={"description": "true: the admin confirmed the phone reaches its owner (self-service reset)"}
    )
    email = ma.fields.Email(allow_none=True, validate=ma.validate.Length(max=254))


class CodeRequestSchema(Schema):
    purpose = ma.fields.String(
        load_default="activation",
        validate=ma.validate.OneOf(PURPOSES),
        metadata={"description": "activation (a new account) or reset (a forgotten password)"},
    )


class IssuedCodeSchema(Schema):
    code = ma.fields.String(required=True, metadata={"description": "shown this once: only its hash is kept"})
    expires_at = ma.fields.AwareDateTime(required=True)
    purpose = ma.fields.String(required=True)


class ProfileSchema(PatchSchema):
    display_name = ma.fields.String(validate=ma.validate.Length(max=120))
    locale = ma.fields.String(validate=ma.validate.OneOf(("id", "en")))
    kecamatan_code = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=16))


class UserListArgs(PageArgs):
    role = ma.fields.String(validate=ma.validate.OneOf(access.ROLES))


@blp.route("/me")
class Me(MethodView):
    @blp.auth()
    @blp.response(200, UserSchema)
    def get(self):
        """The caller: role and scope (kecamatan, desa or OPD)."""
        return domain.me(session(), principal())

    @blp.auth()
    @blp.arguments(ProfileSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes):
        """Your name, language (id/en) and, for residents, the kecamatan you follow for announcements."""
        user = domain.update_profile(session(), principal(), changes)
        session().commit()
        return user


@blp.route("/users")
class Users(MethodView):
    @blp.auth()
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, page_of(UserSchema))
    def get(self, args):
        """Users, by id (admin)."""
        return paginate(domain.users_query(principal(), args.get("role")), [User.id], args)

    @blp.auth()
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user with a role and the scope the role needs (admin)."""
        user = domain.create_user(session(), principal(), data)
        session().commit()
        return user


@blp.route("/users/<id:user_id>")
class UserById(MethodView):
    @blp.auth()
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user (admin)."""
        return domain.get_user(session(), principal(), user_id)

    @blp.auth()
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change role, scope, name, password or active flag (admin). Deactivation ends the user's sessions."""
        user = domain.update_user(session(), principal(), user_id, changes)
        session().commit()
        return user


@blp.route("/users/<id:user_id>/activation-code")
class UserCode(MethodView):
    @blp.auth()
    @blp.arguments(CodeRequestSchema, required=False, example={"purpose": "reset"})
    @blp.response(201, IssuedCodeSchema, example={"code": "K7MXP3RA9Q", "expires_at": "2026-12-24T08:00:00+00:00"})
    def post(self, data, user_id):
        """Issue a new activation or reset code (admin); the user's earlier unused code for it dies.

        The code (10 characters without 0/O or 1/I/L, valid 14 days) is answered this once: hand it to the user,
        who sets his own password with it at /auth/activate (or /auth/reset), in the apps or the console's
        /app/aktivasi."""
        purpose = (data or {}).get("purpose", "activation")
        issued = activation.issued(session(), principal(), user_id, purpose)
        session().commit()
        return {"code": issued.code, "expires_at": issued.expires_at, "purpose": purpose}
