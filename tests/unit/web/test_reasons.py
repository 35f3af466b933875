"""The planner's reasons in Indonesian: each shape the domain writes, and people's own words left alone."""

from __future__ import annotations

import pytest

from service.web.reasons import shown

NAMES = {"35.13.02": "Sumber"}


@pytest.mark.parametrize(
    ("reason", "indonesian"),
    [
        ("rank 1 (score 0, computed: nothing open)", "Peringkat 1 (skor 0, dihitung: tidak ada yang terbuka)"),
        (
            "pinned first; rank 2 (score 7, computed from 2 open findings, 1 overdue findings, 1 reports)",
            "Ditetapkan paling awal; peringkat 2 (skor 7, dihitung dari 2 temuan terbuka, 1 temuan terlambat, "
            "1 laporan lapangan)",
        ),
        (
            "rank 3 (score 12.5, set by the Bupati's office: Stunting and floods)",
            "Peringkat 3 (skor 12.5, ditetapkan Kantor Bupati: Stunting and floods)",
        ),
        ("rank 4 (score 50, set by the Bupati's office)", "Peringkat 4 (skor 50, ditetapkan Kantor Bupati)"),
        ("does not fit between 2025-11-03 and 2025-12-31", "Tidak muat antara 2025-11-03 dan 2025-12-31"),
        ("35.13.02: Bupati rapat di Surabaya", "Sumber: Bupati rapat di Surabaya"),
        (
            "35.13.02: rank 1 (score 0, computed: nothing open)",
            "Sumber: Peringkat 1 (skor 0, dihitung: tidak ada yang terbuka)",
        ),
        ("Bupati rank 1 and does not fit", "Bupati rank 1 and does not fit"),
        ("", ""),
    ],
)
def test_indonesian(reason, indonesian):
    assert shown(reason, "id", NAMES) == indonesian


def test_english_keeps_the_words_and_names_the_kecamatan():
    assert shown("35.13.02: rank 1 (score 0, computed: nothing open)", "en", NAMES) == (
        "Sumber: rank 1 (score 0, computed: nothing open)"
    )
    assert shown("rank 1 (score 0, computed: nothing open)", "en", NAMES) == "rank 1 (score 0, computed: nothing open)"
