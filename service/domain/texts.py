"""User-facing notification texts: Bahasa Indonesia by default, English when the reader's locale asks."""

from __future__ import annotations

import string

from service.domain.errors import Invalid

DEFAULT_LOCALE = "id"
LOCALES = ("id", "en")

# kind -> locale -> (title, body); {placeholders} are filled from the notification's params.
TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "test": {
        "id": ("Uji notifikasi", "Ini pesan uji dari Sambang Desa. Notifikasi di ponsel Anda berfungsi."),
        "en": ("Test notification", "This is a test message from Sambang Desa. Notifications on your phone work."),
    },
    "announcement": {
        "id": ("{title}", "{body}"),
        "en": ("{title_en}", "{body_en}"),
    },
}


def locale_of(tag: str | None) -> str:
    """'en-US' -> 'en'; anything we do not speak -> Indonesian."""
    language = (tag or "").replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def check(kind: str, params: dict) -> None:
    """Refuse a notification whose texts could not be written (unknown kind, missing value)."""
    if kind not in TEXTS:
        raise Invalid(f"Unknown notification kind {kind!r}.")
    needed = {
        name
        for title, body in TEXTS[kind].values()
        for _, name, _, _ in string.Formatter().parse(title + body)
        if name and not name.endswith("_en")
    }
    missing = needed - params.keys()
    if missing:
        raise Invalid(f"Notification {kind!r} needs {', '.join(sorted(missing))}.")


def render(kind: str, params: dict, locale: str | None) -> tuple[str, str]:
    """English placeholders ({x_en}) fall back to the Indonesian value ({x}) when not given."""
    texts = TEXTS[kind]
    title, body = texts.get(locale_of(locale), texts[DEFAULT_LOCALE])
    values = {**{f"{k}_en": v for k, v in params.items()}, **params}
    return title.format_map(values), body.format_map(values)
