"""The satisfaction survey (SKM) for the apps: its questionnaire and answering it, without an account."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView

from service.api.auth import client_address
from service.api.base import Blueprint, Schema, asked_locale, principal, services, session
from service.domain import skm, skm_index, texts
from service.models.skm import ELEMENTS

blp = Blueprint("skm", __name__, description="The satisfaction survey (SKM, PermenPANRB 14/2017)")


# The nine elements in the regulation's order, each 1 (worst) to 4 (best); all required, nothing else.
AnswersSchema = Schema.from_dict(
    {
        element: ma.fields.Integer(
            required=True,
            strict=True,
            validate=ma.validate.Range(1, 4),
            metadata={"description": skm_index.ELEMENT_TEXTS[element]["en"][0]},
        )
        for element in ELEMENTS
    },
    name="SkmAnswers",
)


def _profile_field(item: str) -> ma.fields.String:
    codes = list(skm_index.PROFILE[item])
    return ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(codes),
        metadata={"description": f"{skm_index.PROFILE_ITEMS[item][1]}: GET /skm/questionnaire labels the codes"},
    )


class SkmProfileSchema(Schema):
    """The respondent, as the regulation asks; every item optional."""

    age_band = _profile_field("age_band")
    sex = _profile_field("sex")
    education = _profile_field("education")
    occupation = _profile_field("occupation")


class SkmAnswerSchema(Schema):
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "made by the app; a retry reuses it"})
    answers = ma.fields.Nested(AnswersSchema, required=True)
    profile = ma.fields.Nested(SkmProfileSchema, load_default=dict)
    suggestion = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=skm.SUGGESTION_MAX))
    device_id = ma.fields.String(
        validate=ma.validate.Length(8, 200),
        metadata={"description": "the app's install id (a random id kept by the app), for one answer a day"},
    )


class SkmAnsweredSchema(Schema):
    id = ma.fields.Integer(required=True)
    unit_code = ma.fields.String(required=True)
    answered_on = ma.fields.Date(required=True, metadata={"description": "the day in Asia/Jakarta"})
    created_at = ma.fields.AwareDateTime(required=True)
    answers = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    profile = ma.fields.Nested(SkmProfileSchema, required=True)


class SkmQuestionnaireArgs(Schema):
    lang = ma.fields.String(
        validate=ma.validate.OneOf(texts.LOCALES),
        metadata={"description": "id or en; default: Accept-Language, else Bahasa Indonesia"},
    )


class SkmOptionSchema(Schema):
    value = ma.fields.Integer(required=True, metadata={"description": "what to send: 1 (worst) .. 4 (best)"})
    label = ma.fields.String(required=True)


class SkmElementSchema(Schema):
    code = ma.fields.String(required=True, metadata={"description": "u1 .. u9, the key in `answers`"})
    name = ma.fields.String(required=True)
    question = ma.fields.String(required=True)
    answers = ma.fields.List(ma.fields.Nested(SkmOptionSchema), required=True)


class SkmProfileOptionSchema(Schema):
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class SkmProfileItemSchema(Schema):
    code = ma.fields.String(required=True, metadata={"description": "the key in `profile`"})
    label = ma.fields.String(required=True)
    options = ma.fields.List(ma.fields.Nested(SkmProfileOptionSchema), required=True)


class SkmSuggestionFieldSchema(Schema):
    label = ma.fields.String(required=True)
    max_length = ma.fields.Integer(required=True)


class SkmBandSchema(Schema):
    letter = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    lowest = ma.fields.Float(required=True, metadata={"description": "the lowest IKM of the band"})
    highest = ma.fields.Float(required=True, metadata={"description": "the highest IKM of the band"})


class SkmQuestionnaireSchema(Schema):
    locale = ma.fields.String(required=True)
    elements = ma.fields.List(ma.fields.Nested(SkmElementSchema), required=True)
    profile = ma.fields.List(ma.fields.Nested(SkmProfileItemSchema), required=True)
    suggestion = ma.fields.Nested(SkmSuggestionFieldSchema, required=True)
    quality = ma.fields.List(ma.fields.Nested(SkmBandSchema), required=True)


ANSWER_EXAMPLE = {
    "client_uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "answers": {"u1": 4, "u2": 3, "u3": 3, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u8": 2, "u9": 3},
    "profile": {"age_band": "30_39", "sex": "p", "education": "sma", "occupation": "wirausaha"},
    "suggestion": "Ruang tunggu perlu kipas angin.",
    "device_id": "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
}
ANSWERED_EXAMPLE = {
    "id": 1842,
    "unit_code": "pkm-kraksaan",
    "answered_on": "2026-12-07",
    "created_at": "2026-12-07T02:15:31+00:00",
    "answers": ANSWER_EXAMPLE["answers"],
    "profile": ANSWER_EXAMPLE["profile"],
}
QUESTIONNAIRE_EXAMPLE = {
    "locale": "id",
    "elements": [
        {
            "code": "u1",
            "name": "Persyaratan",
            "question": "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
            "answers": [
                {"value": 1, "label": "Tidak sesuai"},
                {"value": 2, "label": "Kurang sesuai"},
                {"value": 3, "label": "Sesuai"},
                {"value": 4, "label": "Sangat sesuai"},
            ],
        }
    ],
    "profile": [
        {
            "code": "sex",
            "label": "Jenis kelamin",
            "options": [{"code": "l", "label": "Laki-laki"}, {"code": "p", "label": "Perempuan"}],
        }
    ],
    "suggestion": {"label": "Saran dan masukan", "max_length": skm.SUGGESTION_MAX},
    "quality": [{"letter": "A", "label": "Sangat baik", "lowest": 88.31, "highest": 100.0}],
}


@blp.route("/skm/questionnaire")
class Questionnaire(MethodView):
    @blp.etag
    @blp.arguments(SkmQuestionnaireArgs, location="query")
    @blp.response(200, SkmQuestionnaireSchema, example=QUESTIONNAIRE_EXAMPLE)
    def get(self, args):
        """The survey as the apps show it, in the caller's language (?lang=, else Accept-Language, else Bahasa
        Indonesia): the nine elements in the regulation's order with their question and four answers (send the
        `value`), the respondent profile items with their codes, the suggestion field and the quality bands of
        the index. Public."""
        locale = asked_locale(args.get("lang")) or texts.DEFAULT_LOCALE
        return skm_index.questionnaire(locale, skm.SUGGESTION_MAX), 200, {"Content-Language": locale}


@blp.after_request
def _vary_by_language(response):
    """The questionnaire's language follows Accept-Language: caches must know, on its 304s too (flask-smorest's
    If-None-Match check answers them without the view's headers)."""
    if request.endpoint == "skm.Questionnaire":
        response.vary.add("Accept-Language")
    return response


@blp.route("/skm/<unit:unit_code>/responses")
class Responses(MethodView):
    @blp.auth(optional=True)
    @blp.arguments(SkmAnswerSchema, example=ANSWER_EXAMPLE)
    @blp.response(201, SkmAnsweredSchema, example=ANSWERED_EXAMPLE)
    @blp.alt_response(200, schema=SkmAnsweredSchema, description="A retry: the answer stored under this client_uuid")
    def post(self, data, unit_code):
        """Answer the survey about an active unit, with or without an account: all nine elements (1-4), an
        optional profile and suggestion.

        One answer per device, unit and day (Asia/Jakarta). The device is the signed-in account when there is
        one (on any phone), else the app's `device_id` when sent, else none: then only the per-address limit
        applies. A second answer from the same device: 409 with `reason` `already_answered` (thank the
        respondent). A retry with the same `client_uuid` and content: 200 with the stored answer; other content
        under that uuid: 409 with `reason` `uuid`. 404 for an unknown or inactive unit; 429 with Retry-After after
        too many new answers from one network address in an hour (across all units)."""
        data["client_uuid"] = str(data["client_uuid"])
        device = skm.app_device(principal().user_id, data.pop("device_id", None))
        answered = skm.answer(
            session(),
            unit_code,
            data,
            device,
            "app",
            limiter=services().skm_throttle,
            limit_key=f"ip:{client_address()}",
        )
        session().commit()
        return skm.shown(answered.response), 201 if answered.created else 200
