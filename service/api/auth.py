"""Signing in and out: password login, Firebase sign-in, refresh-token rotation, logout."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from service.api.base import Blueprint, Schema, services, session
from service.api.users import UserSchema
from service.domain import auth as domain
from service.domain import tokens
from service.domain.throttle import address_key

blp = Blueprint("auth", __name__, description="Sign in, refresh, sign out")


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
