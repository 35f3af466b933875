"""Photos of field reports: multipart upload, status and evidence, and the derivative images (signed URLs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import marshmallow as ma
from flask import g, redirect, send_file, url_for
from flask.views import MethodView
from flask_smorest.fields import Upload
from werkzeug.datastructures import FileStorage

from service.api.base import Blueprint, Schema, authenticate, principal, services, session
from service.domain import photos, report_review
from service.domain.errors import NotFound, Unauthorized
from service.models.photos import PHOTO_STATUSES, READY

blp = Blueprint("photos", __name__, description="Photos of field reports and their evidence flags")
URL_BUCKET = 300  # signed URLs change every 5 minutes, so a report's JSON (and its ETag) stays stable meanwhile
DERIVATIVE_MAX_AGE = 3600


def _signature(photo_id: int, variant: str, expires: int) -> str:
    message = f"photo:{photo_id}:{variant}:{expires}".encode()
    digest = hmac.new(services().settings.secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_url(photo, variant: str) -> str | None:
    """A URL of the derivative that works without a bearer token until it expires (for <img> and caches)."""
    return derivative_url(photo.id, variant) if photo.status == READY else None


def signed_expiry() -> int:
    """When a URL signed now expires: the end of the current 5-minute bucket plus the TTL."""
    return (int(time.time()) // URL_BUCKET + 1) * URL_BUCKET + services().settings.signed_url_ttl


def derivative_url(photo_id: int, variant: str) -> str:
    """The signed path of a ready photo's derivative."""
    expires = signed_expiry()
    signature = _signature(photo_id, variant, expires)
    return url_for("photos.PhotoFile", photo_id=photo_id, variant=variant, expires=expires, signature=signature)


class ExifSchema(Schema):
    lat = ma.fields.Float(attribute="exif_lat", allow_none=True)
    lon = ma.fields.Float(attribute="exif_lon", allow_none=True)
    taken_at = ma.fields.AwareDateTime(allow_none=True)


EXIF = ExifSchema()  # made once: a schema's construction copies its fields, per photo it was a cost of its own


class PhotoSchema(Schema):
    id = ma.fields.Integer()
    report_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the field report it belongs to; null for a complaint's photo"}
    )
    client_uuid = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(PHOTO_STATUSES)})
    error = ma.fields.String(allow_none=True, metadata={"description": "why the photo failed"})
    media_type = ma.fields.String()
    size_bytes = ma.fields.Integer()
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    exif = ma.fields.Function(lambda photo: EXIF.dump(photo), metadata={"description": "lat, lon, taken_at"})
    flags = ma.fields.List(ma.fields.String())
    dismissed_flags = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(),
        metadata={"description": "flags a reviewer judged harmless: {flag: {by, at, reason}}; they stay in flags"},
    )
    evidence = ma.fields.Function(
        lambda photo: photos.evidence_for(photo, principal()), metadata={"description": "the figures behind the flags"}
    )
    display_url = ma.fields.Function(lambda photo: signed_url(photo, "display"), allow_none=True)
    thumb_url = ma.fields.Function(lambda photo: signed_url(photo, "thumb"), allow_none=True)
    created_at = ma.fields.AwareDateTime()
    processed_at = ma.fields.AwareDateTime(allow_none=True)


class PhotoBriefSchema(PhotoSchema):
    """A photo as listed in its report."""

    class Meta:
        exclude = ("report_id", "client_uuid", "error", "media_type", "size_bytes", "exif", "evidence", "created_at",
                   "processed_at")  # fmt: skip


class FileField(Upload):
    """A file part of a multipart body (a plain text field of that name is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Send the photo as a file part named 'file'.")
        return value


class PhotoUploadSchema(Schema):
    file = FileField(required=True, metadata={"description": "JPEG, PNG, WebP or HEIC; the type is read from it"})
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "made by the phone; a retry reuses it"})


class SignedArgs(Schema):
    expires = ma.fields.Integer(validate=ma.validate.Range(0, 2**40))
    signature = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,100}$"))


@blp.route("/reports/<id:report_id>/photos")
class ReportPhotos(MethodView):
    @blp.auth()
    @blp.arguments(PhotoUploadSchema, location="form_and_files")
    @blp.response(202, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="A retry: the photo with this client_uuid")
    def post(self, args, report_id):
        """Add a photo (streamed to storage; processed in the background). Same client_uuid and file again:
        200 with the photo; another file: 409. Over the size limit: 413; not an image: 415."""
        accepted = photos.accept(
            session(),
            services().storage,
            principal(),
            report_id,
            str(args["client_uuid"]),
            args["file"].stream,
            services().settings.max_upload_bytes,
        )
        session().commit()
        return accepted.photo, 202 if accepted.created else 200


@blp.route("/photos/<id:photo_id>")
class PhotoById(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, PhotoSchema)
    def get(self, photo_id):
        """A photo's status, EXIF position and time, flags with their figures, and derivative URLs."""
        return photos.get(session(), principal(), photo_id)

    @blp.auth()
    @blp.response(204)
    def delete(self, photo_id):
        """The report's author removes a photo from it before a verdict.

        409 once the report is approved or rejected, or withdrawn. The files go with the next `storage gc`."""
        report_review.remove_photo(session(), principal(), photo_id)
        session().commit()


class FlagDismissSchema(Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 1000))


@blp.route("/photos/<id:photo_id>/flags/<string:flag>/dismiss")
class PhotoFlagDismiss(MethodView):
    @blp.auth()
    @blp.arguments(FlagDismissSchema, example={"reason": "GPS ponsel meleset; lokasi sudah dicek camat di tempat."})
    @blp.response(200, PhotoSchema)
    def post(self, data, photo_id, flag):
        """A reviewer (the camat of the kecamatan, the Bupati's office, admin) dismisses a report photo's flag.

        The flag stays on the photo, in dismissed_flags with who, when and why; the report's photo_<flag> goes
        once it is dismissed on every photo that has it. 404 for a flag the photo does not have, 409 when it is
        dismissed already or the report's review is closed."""
        photo = report_review.dismiss_flag(session(), principal(), photo_id, flag, data["reason"])
        session().commit()
        return photo


@blp.route("/photos/<id:photo_id>/<any(display, thumb):variant>")
class PhotoFile(MethodView):
    @blp.arguments(SignedArgs, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="image/jpeg")
    @blp.doc(security=[{"bearerAuth": []}, {}])
    def get(self, args, photo_id, variant):
        """The display (1600 px) or thumbnail (320 px) JPEG, upright and without metadata: with a bearer token of
        someone who may read the report, or with the signed URL given in the photo's JSON."""
        if _signed(args, photo_id, variant):
            photo = photos.find(session(), photo_id)  # the signature is the authorisation
        else:
            g.principal = authenticate(optional=False)
            photo = photos.get(session(), principal(), photo_id)
        if photo.status != READY:
            raise NotFound(f"No {variant} image yet: the photo is {photo.status}.")
        storage, key = services().storage, photos.derivative_key(photo.id, variant)
        url = storage.signed_url(key, 60, "image/jpeg")
        if url:  # object storage serves the bytes itself
            return redirect(url, 302)
        response = send_file(
            storage.open(key), mimetype="image/jpeg", etag=f"{photo.sha256[:20]}-{variant}", max_age=DERIVATIVE_MAX_AGE
        )
        response.cache_control.public = False
        response.cache_control.private = True
        return response


def _signed(args: dict, photo_id: int, variant: str) -> bool:
    """Whether the request carries a valid signature; a wrong or expired one is 401, not a silent fallback."""
    if "signature" not in args and "expires" not in args:
        return False
    if "signature" not in args or "expires" not in args or args["expires"] < time.time():
        raise Unauthorized("The photo URL has expired: read the photo again for a fresh one.")
    if not hmac.compare_digest(args["signature"].encode(), _signature(photo_id, variant, args["expires"]).encode()):
        raise Unauthorized("The photo URL's signature is wrong.")
    return True
