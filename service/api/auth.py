"""Signing in and out: password login, Firebase sign-in, refresh-token rotation, logout."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from service.api.base import Blueprint, Schema, services, session
from service.api.users import UserSchema
from service.domain import activation, tokens
from service.domain import auth as domain
from service.domain.passwords import MIN_LENGTH
from service.domain.throttle import address_key

blp = Blueprint("auth", __name__, description="Sign in, refresh, sign out; activation and password reset by code")


def client_address() -> str:
    """The client a per-address limit counts for (sign-ins, anonymous filings): its address, or its IPv6 /64."""
    return address_key(request.remote_addr)


class LoginSchema(Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 256))


class RefreshSchema(Schema):
    refresh_token = ma.fields.String(required=True, validate=ma.validate.Length(1, 512))


class LogoutSchema(RefreshSchema):
    device_token = ma.fields.String(validate=ma.validate.Length(1, 512), metadata={"description": "stop pushes"})


class FirebaseSchema(Schema):
    id_token = ma.fields.String(required=True, validate=ma.validate.Length(1, 8192))


class TokenPairSchema(Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.Constant("Bearer")
    expires_in = ma.fields.Integer(required=True, metadata={"description": "access token lifetime, seconds"})
    user = ma.fields.Nested(UserSchema, required=True)


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    def post(self, data):
        """Username and password -> access and refresh tokens. Repeated failures from one address get 429."""
        pair = domain.login(
            session(),
            services().tokens,
            services().login_throttle,
            data["username"],
            data["password"],
            client_address(),
        )
        session().commit()
        return pair


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    def post(self, data):
        """A new pair for a refresh token; the old one stops working. Presented again within 10 seconds (two
        requests in flight) it gives the same new pair; reused later, it revokes the whole sign-in."""
        try:
            return tokens.rotate(session(), services().tokens, data["refresh_token"])
        finally:
            session().commit()  # the family revocation of a reuse must persist despite the 401


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.arguments(LogoutSchema)
    @blp.response(204)
    def post(self, data):
        """End the sign-in of the refresh token (its access tokens stop working too) and forget the device token
        given, if any (idempotent)."""
        domain.logout(session(), data["refresh_token"], data.get("device_token"))
        session().commit()


@blp.route("/auth/firebase")
class FirebaseSignIn(MethodView):
    @blp.arguments(FirebaseSchema)
    @blp.response(200, TokenPairSchema)
    def post(self, data):
        """A Firebase Authentication ID token (phone sign-in) -> our tokens. First sign-in creates a resident."""
        pair = domain.firebase_sign_in(
            session(), services().tokens, services().firebase.verify_id_token, data["id_token"]
        )
        session().commit()
        return pair


PASSWORD_RULES = (
    f"The new password: at least {MIN_LENGTH} characters, not containing the username, not on the list of common "
    "passwords (422 with `reason` short, username or common)."
)


class CodeSchema(Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 64),
        metadata={"description": "as issued; case, spaces and dashes do not matter"},
    )
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(1, 256), metadata={"description": PASSWORD_RULES}
    )


class ResetRequestSchema(Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 64))


CODE_REFUSALS = """A code that does not work answers with `reason`:

- 401 `wrong`: `{"code": 401, "status": "Unauthorized", "message": "Wrong username or code.", "reason": "wrong"}`
- 410 `used` (used, or replaced by a newer code): `{"code": 410, "status": "Gone", "message": "This code was already
  used or replaced by a newer one; ask an admin for a new code.", "reason": "used"}`
- 410 `expired`: `{"code": 410, "status": "Gone", "message": "This code has expired; ask an admin for a new code.",
  "reason": "expired"}`
- 422 a password the rules refuse: `{"code": 422, "status": "Unprocessable Entity", "message": "Password refused.",
  "errors": {"password": ["At least 10 characters."]}, "reason": "short"}` (the code stays usable)
- 429 after too many failures for the username from one address, or from one address (Retry-After), as sign-ins.

Success ends every other sign-in of the user (apps and browsers) and every other code of his."""


def _redeem(data: dict, purpose: str) -> tokens.TokenPair:
    """Use a code; the refusal is audited, so the transaction commits either way."""
    try:
        user = activation.redeem(
            session(),
            services().login_throttle,
            data["username"],
            data["code"],
            data["password"],
            purpose,
            client_address(),
        )
        return tokens.issue_pair(session(), services().tokens, user)
    finally:
        session().commit()


CODE_EXAMPLE = {"username": "kades.sumberanyar", "code": "K7MX-P3RA9Q", "password": "jalan-desa-mulus-2026"}


@blp.route("/auth/activate")
class Activate(MethodView):
    @blp.arguments(CodeSchema, example=CODE_EXAMPLE)
    @blp.response(200, TokenPairSchema)
    @blp.doc(
        description="A new account's activation code (from the import or an admin) sets the user's own password and "
        "signs him in: the answer is a login's. A code works once, within 14 days.\n\n" + CODE_REFUSALS
    )
    def post(self, data):
        """Activate an account with its code: set your own password."""
        return _redeem(data, activation.ACTIVATION)


@blp.route("/auth/reset")
class Reset(MethodView):
    @blp.arguments(CodeSchema, example={**CODE_EXAMPLE, "code": "48213907"})
    @blp.response(200, TokenPairSchema)
    @blp.doc(
        description="A password-reset code (from an admin, or sent to the user's verified phone by "
        "/auth/reset-request) sets a new password and signs the user in: the answer is a login's.\n\n" + CODE_REFUSALS
    )
    def post(self, data):
        """Reset your password with a reset code."""
        return _redeem(data, activation.RESET)


@blp.route("/auth/reset-request")
class ResetRequest(MethodView):
    @blp.arguments(ResetRequestSchema, example={"username": "kades.sumberanyar"})
    @blp.response(202)
    def post(self, data):
        """Ask for a reset code on your verified phone (WhatsApp or SMS).

        The code (8 digits, valid 30 minutes) goes to the user's verified phone, for /auth/reset. Answers 202
        whether or not the username exists or has a verified phone (nothing is revealed); without one nothing is
        sent and an admin issues the code instead.

        403 when this installation has no message sender (MESSAGE_SENDER=none): `{"code": 403, "status":
        "Forbidden", "message": "Self-service password reset is off here (no message sender is set up); ask an
        admin for a reset code."}`. 429 after 3 requests an hour for a username from one address, or 10 from one
        address (Retry-After)."""
        activation.request_reset(
            session(), services().message_sender, services().reset_request_throttle, data["username"], client_address()
        )
        session().commit()
