"""The satisfaction index (IKM) of PermenPANRB 14/2017: the nine elements, the quality letters, the sample table, and
the computation, as pure functions of answer totals."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from service.models.skm import ELEMENTS

# Each element: its name, the question and the regulation's four answers (1 = worst .. 4 = best), in Bahasa
# Indonesia and English. Worded after the regulation's model questionnaire.
ELEMENT_TEXTS: dict[str, dict[str, tuple[str, str, tuple[str, str, str, str]]]] = {
    "u1": {
        "id": (
            "Persyaratan",
            "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ),
        "en": (
            "Requirements",
            "How well do the service's requirements fit the service?",
            ("Not fitting", "Barely fitting", "Fitting", "Very fitting"),
        ),
    },
    "u2": {
        "id": (
            "Prosedur",
            "Bagaimana kemudahan prosedur pelayanan di unit ini?",
            ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
        ),
        "en": (
            "Procedure",
            "How easy is the unit's service procedure?",
            ("Not easy", "Hardly easy", "Easy", "Very easy"),
        ),
    },
    "u3": {
        "id": (
            "Waktu pelayanan",
            "Bagaimana kecepatan waktu dalam memberikan pelayanan?",
            ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
        ),
        "en": (
            "Service time",
            "How fast was the service given?",
            ("Not fast", "Hardly fast", "Fast", "Very fast"),
        ),
    },
    "u4": {
        "id": (
            "Biaya/tarif",
            "Bagaimana kewajaran biaya/tarif dalam pelayanan?",
            ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
        ),
        "en": (
            "Cost/fee",
            "How fair is the cost or fee of the service?",
            ("Very expensive", "Rather expensive", "Cheap", "Free"),
        ),
    },
    "u5": {
        "id": (
            "Produk spesifikasi jenis pelayanan",
            "Bagaimana kesesuaian hasil pelayanan dengan yang tercantum dalam standar pelayanan?",
            ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
        ),
        "en": (
            "Service product",
            "How well does what you received match the published service standard?",
            ("Not matching", "Barely matching", "Matching", "Fully matching"),
        ),
    },
    "u6": {
        "id": (
            "Kompetensi pelaksana",
            "Bagaimana kompetensi/kemampuan petugas dalam pelayanan?",
            ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
        ),
        "en": (
            "Staff competence",
            "How competent were the staff who served you?",
            ("Not competent", "Hardly competent", "Competent", "Very competent"),
        ),
    },
    "u7": {
        "id": (
            "Perilaku pelaksana",
            "Bagaimana perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
            ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
        ),
        "en": (
            "Staff conduct",
            "How polite and friendly were the staff?",
            ("Not polite or friendly", "Hardly polite or friendly", "Polite and friendly", "Very polite and friendly"),
        ),
    },
    "u8": {
        "id": (
            "Penanganan pengaduan, saran dan masukan",
            "Bagaimana penanganan pengaduan pengguna layanan?",
            ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
        ),
        "en": (
            "Handling of complaints and suggestions",
            "How are users' complaints handled?",
            ("There is none", "There is one but it does not work", "It works, not fully", "Well managed"),
        ),
    },
    "u9": {
        "id": (
            "Sarana dan prasarana",
            "Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?",
            ("Buruk", "Cukup", "Baik", "Sangat baik"),
        ),
        "en": (
            "Facilities",
            "What do you think of the quality of the facilities?",
            ("Poor", "Fair", "Good", "Very good"),
        ),
    },
}

# The respondent profile the regulation asks for; every item optional. code -> (Indonesian, English).
PROFILE: dict[str, dict[str, tuple[str, str]]] = {
    "age_band": {
        "lt20": ("Di bawah 20 tahun", "Under 20"),
        "20_29": ("20-29 tahun", "20-29"),
        "30_39": ("30-39 tahun", "30-39"),
        "40_49": ("40-49 tahun", "40-49"),
        "50_59": ("50-59 tahun", "50-59"),
        "60plus": ("60 tahun ke atas", "60 or older"),
    },
    "sex": {"l": ("Laki-laki", "Male"), "p": ("Perempuan", "Female")},
    "education": {
        "sd": ("SD ke bawah", "Primary school or less"),
        "smp": ("SMP", "Junior high school"),
        "sma": ("SMA/SMK", "Senior high school"),
        "diploma": ("D1-D3-D4", "Diploma"),
        "s1": ("S1", "Bachelor's degree"),
        "s2": ("S2 ke atas", "Master's degree or higher"),
    },
    "occupation": {
        "pns": ("PNS", "Civil servant"),
        "tni": ("TNI", "Armed forces"),
        "polri": ("POLRI", "Police"),
        "swasta": ("Pegawai swasta", "Private employee"),
        "wirausaha": ("Wirausaha", "Self-employed"),
        "pelajar": ("Pelajar/mahasiswa", "Student"),
        "lainnya": ("Lainnya", "Other"),
    },
}

# The profile items themselves: (Indonesian, English).
PROFILE_ITEMS: dict[str, tuple[str, str]] = {
    "age_band": ("Usia", "Age"),
    "sex": ("Jenis kelamin", "Sex"),
    "education": ("Pendidikan terakhir", "Education"),
    "occupation": ("Pekerjaan", "Occupation"),
}
# The kinds of service unit as the pages and the report name them: (Indonesian, English).
UNIT_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "kantor_kecamatan": ("Kantor kecamatan", "Kecamatan offices"),
    "puskesmas": ("Puskesmas", "Health centres (puskesmas)"),
    "rsud": ("Rumah sakit umum daerah (RSUD)", "Regional public hospitals (RSUD)"),
    "kantor_desa": ("Kantor desa", "Village offices"),
    "dinas_layanan": ("Layanan dinas", "Department counters"),
    "mpp": ("Mal Pelayanan Publik", "Public service mall (MPP)"),
    "other": ("Layanan lainnya", "Other services"),
}
SUGGESTION_LABEL = ("Saran dan masukan", "Suggestions")
SIDE = {"id": 0, "en": 1}  # which of an (Indonesian, English) pair a locale reads

# Quality letters by the converted index (nilai interval konversi): the lower bound of each band.
QUALITY = (("A", 88.31), ("B", 76.61), ("C", 65.00), ("D", 25.00))
QUALITY_TEXT = {
    "A": ("Sangat baik", "Very good"),
    "B": ("Baik", "Good"),
    "C": ("Kurang baik", "Poor"),
    "D": ("Tidak baik", "Bad"),
}

# The regulation's sample table (Krejcie and Morgan): population -> respondents needed.
_SAMPLE_TABLE = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40), (50, 44), (55, 48), (60, 52),
    (65, 56), (70, 59), (75, 63), (80, 66), (85, 70), (90, 73), (95, 76), (100, 80), (110, 86), (120, 92),
    (130, 97), (140, 103), (150, 108), (160, 113), (170, 118), (180, 123), (190, 127), (200, 132), (210, 136),
    (220, 140), (230, 144), (240, 148), (250, 152), (260, 155), (270, 159), (280, 162), (290, 165), (300, 169),
    (320, 175), (340, 181), (360, 186), (380, 191), (400, 196), (420, 201), (440, 205), (460, 210), (480, 214),
    (500, 217), (550, 226), (600, 234), (650, 242), (700, 248), (750, 254), (800, 260), (850, 265), (900, 269),
    (950, 274), (1000, 278), (1100, 285), (1200, 291), (1300, 297), (1400, 302), (1500, 306), (1600, 310),
    (1700, 313), (1800, 317), (1900, 320), (2000, 322), (2200, 327), (2400, 331), (2600, 335), (2800, 338),
    (3000, 341), (3500, 346), (4000, 351), (4500, 354), (5000, 357), (6000, 361), (7000, 364), (8000, 367),
    (9000, 368), (10000, 370), (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381),
    (75000, 382), (100000, 384),
)  # fmt: skip
_POPULATIONS = [population for population, _ in _SAMPLE_TABLE]


def sample_needed(population: int | None) -> int | None:
    """Respondents the regulation asks for from `population` service users: the row of the first tabled
    population at or above it (the safe side between two rows), never more than the population itself (a unit
    serving 12 people cannot hear 14); 384 for 100,000 and more; None when unknown."""
    if population is None or population <= 0:
        return None
    row = bisect.bisect_left(_POPULATIONS, population)
    needed = _SAMPLE_TABLE[row][1] if row < len(_SAMPLE_TABLE) else _SAMPLE_TABLE[-1][1]
    return min(population, needed)


def quality(ikm: float) -> str:
    """The letter of an index (rounded to two decimals first, as the regulation's bands are written)."""
    rounded = round(ikm, 2)
    return next((letter for letter, lower in QUALITY if rounded >= lower), "D")


@dataclass(frozen=True)
class Index:
    respondents: int
    nrr: dict[str, float]  # element -> mean answer (nilai rata-rata), unrounded
    ikm: float  # 25 x the mean of the element means, rounded half up to two decimals
    quality: str
    weakest: str  # the element with the lowest mean (the first in the regulation's order on a tie)


def compute(respondents: int, totals: dict[str, int]) -> Index | None:
    """The index from the number of respondents and the sum of the answers to each element (every respondent
    answers every element). IKM = 25 x (sum of NRR_i / 9), NRR_i = total_i / respondents; None without answers."""
    if respondents <= 0:
        return None
    nrr = {element: totals[element] / respondents for element in ELEMENTS}
    # 25 x sum / (9 x respondents), rounded half up in whole numbers: the answers are whole, so an index on a
    # half hundredth is exact (74.375 is 74.38), where floats and round() would give 74.37 or 74.38 by noise.
    numerator, denominator = 25 * sum(totals[element] for element in ELEMENTS), len(ELEMENTS) * respondents
    ikm = (200 * numerator + denominator) // (2 * denominator) / 100
    weakest = min(ELEMENTS, key=lambda element: (nrr[element], ELEMENTS.index(element)))
    return Index(respondents, nrr, ikm, quality(ikm), weakest)


def bands() -> list[tuple[str, float, float]]:
    """(letter, lowest, highest index) of each quality band, A first: the regulation's table (A 88.31-100,
    B 76.61-88.30, C 65.00-76.60, D 25.00-64.99), derived from QUALITY."""
    uppers = [100.0] + [round(lower - 0.01, 2) for _, lower in QUALITY[:-1]]
    return [(letter, lower, upper) for (letter, lower), upper in zip(QUALITY, uppers, strict=True)]


def questionnaire(locale: str, suggestion_max: int) -> dict:
    """Everything an app needs to show the survey in `locale` (id or en): the nine elements in the regulation's
    order with their question and four answers (value 1 = worst .. 4 = best), the profile items with their codes,
    the suggestion field and the quality bands."""
    side = SIDE[locale]
    elements = []
    for element in ELEMENTS:
        name, question, answers = ELEMENT_TEXTS[element][locale]
        options = [{"value": value, "label": label} for value, label in enumerate(answers, start=1)]
        elements.append({"code": element, "name": name, "question": question, "answers": options})
    profile = [
        {
            "code": item,
            "label": PROFILE_ITEMS[item][side],
            "options": [{"code": code, "label": labels[side]} for code, labels in PROFILE[item].items()],
        }
        for item in PROFILE
    ]
    quality_bands = [
        {"letter": letter, "label": QUALITY_TEXT[letter][side], "lowest": lower, "highest": upper}
        for letter, lower, upper in bands()
    ]
    return {
        "locale": locale,
        "elements": elements,
        "profile": profile,
        "suggestion": {"label": SUGGESTION_LABEL[side], "max_length": suggestion_max},
        "quality": quality_bands,
    }
