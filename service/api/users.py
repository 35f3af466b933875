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
from service.domain import access
from service.domain import users as domain
from service.domain.passwords import MIN_LENGTH
from service.models import User

blp = Blueprint("users", __name__, description="The caller and user management")


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
    created_at = ma.fields.AwareDateTime(dump_only=True)


_code: dict[str, Any] = {"allow_none": True, "validate": ma.validate.Length(max=40)}
_password: dict[str, Any] = {"load_only": True, "validate": ma.validate.Length(MIN_LENGTH, 256)}
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
