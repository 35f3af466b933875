"""The satisfaction index (IKM) as the console shows it on the figures page and the visit briefing: its texts and
what its macros (templates/_ikm_macros.html) need."""

from __future__ import annotations

from service.domain.skm_impact import IMPACT_MONTHS
from service.domain.skm_index import QUALITY_TEXT
from service.domain.skm_stats import MIN_RESPONDENTS
from service.web import i18n

i18n.add(
    {
        "id": {
            "ikm.title": "Kepuasan masyarakat (IKM)",
            "ikm.index": "IKM",
            "ikm.unit": "Unit layanan",
            "ikm.quality": "Mutu",
            "ikm.respondents": "Responden",
            "ikm.respondents_count": "{count} responden",
            "ikm.weakest": "Unsur terendah",
            "ikm.sample": "Sampel",
            "ikm.sample_of": "{respondents} dari {needed}",
            "ikm.sample_reached": "tercapai",
            "ikm.sample_short": "belum tercapai",
            "ikm.sample_unknown": "Belum diketahui",
            "ikm.no_answers": "Belum ada jawaban",
            "ikm.few_answers": "Kurang dari {min} jawaban: belum mewakili.",
            "ikm.units_answered": "Unit dengan jawaban",
            "ikm.units_table": "IKM per unit layanan",
            "ikm.report": "Laporan",
            "ikm.download": "Unduh laporan SKM {unit} sebagai",
            "ikm.none": "Tidak ada unit layanan dalam wilayah Anda.",
            "ikm.definitions": (
                "Indeks Kepuasan Masyarakat menurut PermenPANRB 14/2017: rata-rata sembilan unsur (skala 1-4) "
                "dikali 25. Mutu A 88,31-100, B 76,61-88,30, C 65,00-76,60, D 25,00-64,99. Jawaban dihitung menurut "
                "tanggal diberikan; sampel menurut tabel peraturan dari jumlah orang yang dilayani."
            ),
            "ikm.briefing_period": "IKM unit layanan kecamatan ini, dari jawaban {start} sampai {end} (12 bulan).",
            "ikm.impact_title": "IKM sebelum dan sesudah kunjungan",
            "ikm.impact_intro": (
                "Untuk tiap kunjungan yang selesai dalam periode ini: IKM unit layanan di kecamatannya selama "
                f"{IMPACT_MONTHS} bulan sebelum hari kunjungan (dasar) dan sesudahnya sampai hari ini (dampak). "
                f"Perbandingan memerlukan sedikitnya {MIN_RESPONDENTS} jawaban di tiap sisi."
            ),
            "ikm.impact_none": "Belum ada kunjungan selesai dalam periode ini di wilayah Anda.",
            "ikm.visit": "Kunjungan ke Kecamatan {kecamatan}, {date}",
            "ikm.windows": "Sebelum: {before_start} sampai {before_end}. Sesudah: {after_start} sampai {after_end}.",
            "ikm.before": "Sebelum",
            "ikm.after": "Sesudah",
            "ikm.change": "Perubahan",
            "ikm.not_enough": "Belum cukup jawaban",
            **{f"ikm.quality.{letter}": texts[0] for letter, texts in QUALITY_TEXT.items()},
        },
        "en": {
            "ikm.title": "Public satisfaction (IKM)",
            "ikm.index": "IKM",
            "ikm.unit": "Service unit",
            "ikm.quality": "Quality",
            "ikm.respondents": "Respondents",
            "ikm.respondents_count": "{count} respondents",
            "ikm.weakest": "Weakest element",
            "ikm.sample": "Sample",
            "ikm.sample_of": "{respondents} of {needed}",
            "ikm.sample_reached": "reached",
            "ikm.sample_short": "not reached",
            "ikm.sample_unknown": "Unknown",
            "ikm.no_answers": "No answers yet",
            "ikm.few_answers": "Fewer than {min} answers: not yet representative.",
            "ikm.units_answered": "Units with answers",
            "ikm.units_table": "IKM per service unit",
            "ikm.report": "Report",
            "ikm.download": "Download the SKM report of {unit} as",
            "ikm.none": "No service units in your area.",
            "ikm.definitions": (
                "The public satisfaction index of PermenPANRB 14/2017: the mean of nine elements (scale 1-4) times "
                "25. Quality A 88.31-100, B 76.61-88.30, C 65.00-76.60, D 25.00-64.99. Answers count by the day "
                "they were given; the sample follows the regulation's table of the people served."
            ),
            "ikm.briefing_period": "The IKM of this kecamatan's service units, from answers of {start} to {end} "
            "(12 months).",
            "ikm.impact_title": "IKM before and after a visit",
            "ikm.impact_intro": (
                "For each visit done in this period: the IKM of the service units of its kecamatan over the "
                f"{IMPACT_MONTHS} months before the day of the visit (baseline) and after it up to today (impact). "
                f"A comparison needs at least {MIN_RESPONDENTS} answers on each side."
            ),
            "ikm.impact_none": "No visit done in this period in your area yet.",
            "ikm.visit": "Visit to Kecamatan {kecamatan}, {date}",
            "ikm.windows": "Before: {before_start} to {before_end}. After: {after_start} to {after_end}.",
            "ikm.before": "Before",
            "ikm.after": "After",
            "ikm.change": "Change",
            "ikm.not_enough": "Not enough answers",
            **{f"ikm.quality.{letter}": texts[1] for letter, texts in QUALITY_TEXT.items()},
        },
    }
)


def context() -> dict:
    """Template values of the IKM macros and notes."""
    return {"min_respondents": MIN_RESPONDENTS}
