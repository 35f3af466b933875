"""The survey end to end: 40 answers about one puskesmas, half through its public page (each browser with its own
cookie) and half through the apps' API, give the index the regulation's formula gives, recomputed here by hand."""

from __future__ import annotations

import random
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal

from service.models.skm import ELEMENTS

UNIT = "pkm-sumber"
BANDS = (("A", Decimal("88.31")), ("B", Decimal("76.61")), ("C", Decimal("65.00")), ("D", Decimal("25.00")))


def _answers(rng: random.Random) -> dict[str, int]:
    # Mostly satisfied, with waiting time (u3) and complaint handling (u8) weaker: a realistic spread.
    weights = {element: (1, 2, 5, 3) for element in ELEMENTS} | {"u3": (3, 5, 3, 1), "u8": (2, 4, 4, 1)}
    return {element: rng.choices((1, 2, 3, 4), weights[element])[0] for element in ELEMENTS}


def _through_the_page(app, answers: dict[str, int]) -> None:
    browser = app.test_client()  # a browser of its own: its own cookie, so not "already answered today"
    page = browser.get(f"/skm/{UNIT}")
    assert page.status_code == 200
    hidden = {
        name: re.search(rf'name="{name}" value="([^"]+)"', page.get_data(as_text=True)).group(1)
        for name in ("csrf_token", "client_uuid")
    }
    sent = browser.post(f"/skm/{UNIT}", data={**hidden, **{k: str(v) for k, v in answers.items()}})
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]


def _through_the_api(client, answers: dict[str, int]) -> None:
    body = {"client_uuid": str(uuid.uuid4()), "answers": answers, "device_id": f"install-{uuid.uuid4()}"}
    sent = client.post(f"/api/v1/skm/{UNIT}/responses", json=body)
    assert sent.status_code == 201, sent.json


def test_forty_answers_give_the_regulations_index(app, client, as_):
    rng = random.Random(14_2017)
    given = [_answers(rng) for _ in range(40)]
    for number, answers in enumerate(given):
        if number % 2:
            _through_the_page(app, answers)
        else:
            _through_the_api(client, answers)

    # By hand, as the regulation's worksheet: each element's mean (NRR), their mean times 25, the band's letter.
    nrr = {element: Decimal(sum(a[element] for a in given)) / 40 for element in ELEMENTS}
    ikm = (sum(nrr.values()) / 9 * 25).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    letter = next(letter for letter, lower in BANDS if ikm >= lower)
    weakest = min(ELEMENTS, key=lambda element: (nrr[element], element))

    figures = client.get("/api/v1/stats/skm", query_string={"unit": UNIT}, headers=as_("office"))
    assert figures.status_code == 200, figures.json
    (row,) = [row for row in figures.json["units"] if row["unit_code"] == UNIT]
    assert row["respondents"] == 40
    assert row["ikm"] == float(ikm) and row["quality"] == letter
    assert {element: round(value, 3) for element, value in row["nrr"].items()} == {
        element: float(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)) for element, value in nrr.items()
    }
    assert row["weakest"]["element"] == weakest
    assert (ikm, letter, weakest) == (Decimal("68.61"), "C", "u3"), "the seeded spread: a C, waiting time weakest"

    again = client.post(
        f"/api/v1/skm/{UNIT}/responses",
        json={"client_uuid": str(uuid.uuid4()), "answers": given[0], "device_id": "install-twice"},
    )
    assert again.status_code == 201
    refused = client.post(
        f"/api/v1/skm/{UNIT}/responses",
        json={"client_uuid": str(uuid.uuid4()), "answers": given[1], "device_id": "install-twice"},
    )
    assert refused.status_code == 409 and refused.json["reason"] == "already_answered"
    assert "Thank you" in refused.json["message"], "refused politely"
