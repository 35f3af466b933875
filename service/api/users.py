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
    posted_file,
    principal,
    session,
)
from service.domain import access, activation, user_import
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


class ImportArgs(Schema):
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "1: say what each line would do"})


class ImportLineSchema(Schema):
    line = ma.fields.Integer(metadata={"description": "the row's number in the spreadsheet (the header is 1)"})
    username = ma.fields.String()
    action = ma.fields.String(metadata={"description": "created, updated, unchanged or refused"})
    role = ma.fields.String()
    kecamatan_code = ma.fields.String(allow_none=True)
    desa_code = ma.fields.String(allow_none=True)
    opd_code = ma.fields.String(allow_none=True)
    full_name = ma.fields.String(attribute="display_name")
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    email = ma.fields.String(allow_none=True)
    changes = ma.fields.List(ma.fields.String(), metadata={"description": "the fields an update changes"})
    problems = ma.fields.List(ma.fields.String(), metadata={"description": "why the line is refused"})
    user_id = ma.fields.Integer(allow_none=True)
    activation_code = ma.fields.String(
        allow_none=True, metadata={"description": "new users only, in this answer only (only its hash is kept)"}
    )
    expires_at = ma.fields.AwareDateTime(allow_none=True)


class ImportOutcomeSchema(Schema):
    dry_run = ma.fields.Boolean()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    lines = ma.fields.List(ma.fields.Nested(ImportLineSchema))


IMPORT_BODY = {
    "required": True,
    "description": "The spreadsheet as the file part `file`: XLSX (first sheet) or CSV (UTF-8, comma or semicolon), "
    f"at most {user_import.MAX_BYTES // (1024 * 1024)} MB and {user_import.MAX_ROWS} rows. The header row names the "
    f"columns: {', '.join(user_import.COLUMNS)} (or nama_pengguna, nama, peran, kecamatan, desa, opd, no_hp, "
    "surel). Kecamatan, desa and OPD by code or by name; phones as 0812..., 62812... or +62812....",
    "content": {
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
        }
    },
}
IMPORT_EXAMPLE = {
    "dry_run": False,
    "counts": {"created": 1, "updated": 1, "unchanged": 0, "refused": 0},
    "lines": [
        {
            "line": 2,
            "username": "kades.gemito",
            "action": "created",
            "role": "kepala_desa",
            "kecamatan_code": "35.13.02",
            "desa_code": "35.13.02.2005",
            "opd_code": None,
            "full_name": "Siti Aminah",
            "phone": "+6281234567890",
            "email": None,
            "changes": [],
            "problems": [],
            "user_id": 41,
            "activation_code": "K7MXP3RA9Q",
            "expires_at": "2026-12-24T08:00:00+00:00",
        },
        {
            "line": 3,
            "username": "camat.sumber",
            "action": "updated",
            "role": "camat",
            "kecamatan_code": "35.13.02",
            "desa_code": None,
            "opd_code": None,
            "full_name": "Drs. Hadi Purnomo",
            "phone": "+6281298765432",
            "email": "camat.sumber@probolinggokab.go.id",
            "changes": ["phone"],
            "problems": [],
            "user_id": 7,
            "activation_code": None,
            "expires_at": None,
        },
    ],
}


@blp.route("/users/import")
class UsersImport(MethodView):
    @blp.auth()
    @blp.arguments(ImportArgs, location="query")
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(200, ImportOutcomeSchema, example=IMPORT_EXAMPLE)
    def post(self, args):
        """Create or update officials from a spreadsheet (admin): all lines in one transaction, or none.

        Each line by username: `created` (no password; its one-time activation code is in this answer only),
        `updated` (role, scope, name, phone or e-mail differ), `unchanged`, or `refused` with its problems. One
        refused line: 422 naming every bad line in `errors.lines`, nothing stored. `?dry_run=1` answers the plan
        and stores nothing. 413 over the size limit, 415 for a file that is neither CSV nor XLSX."""
        spreadsheet = posted_file(user_import.MAX_BYTES, "spreadsheet")
        outcome = user_import.import_users(session(), principal(), spreadsheet, dry_run=args["dry_run"])
        session().commit()
        return outcome
