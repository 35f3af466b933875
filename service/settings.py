"""Typed settings read once from the environment; bad values fail fast with a clear message."""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from service import logs

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "production", "test")
SECRET_KEY_FILE = PROJECT_DIR / "instance" / "secret_key"
READ_ATTEMPTS = 20  # 50 ms apart: a key file found empty is read again for about a second


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_TRACKING_PREFIX = re.compile("[A-Z0-9]{1,6}")  # + "-XXXX-XXXX" fits the 16 characters of a tracking code
_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def _text(env: Mapping[str, str], name: str, default: str, max_length: int = 200) -> str:
    """A name or sentence shown to people (in feeds, catalogues, protocol answers): one line, not empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if len(raw) > max_length or _CONTROL.search(raw):
        raise SettingsError(f"{name} must be one line of at most {max_length} characters, got {raw!r}")
    return raw


def _matching(env: Mapping[str, str], name: str, default: str, pattern: re.Pattern, expected: str) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not pattern.fullmatch(raw):
        raise SettingsError(f"{name} must be {expected}, got {raw!r}")
    return raw


def _database_url(raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL is not a database URL: {raw!r}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise SettingsError(f"DATABASE_URL must be sqlite or postgresql, got {url.drivername!r}")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise SettingsError("DATABASE_URL for PostgreSQL must use psycopg 3: postgresql+psycopg://...")
    return raw


def _public_base_url(env: Mapping[str, str]) -> str:
    """PUBLIC_BASE_URL, e.g. https://sambang.probolinggokab.go.id (a path prefix is allowed); by default the
    address `make run` serves on (HOST, PORT)."""
    raw = env.get("PUBLIC_BASE_URL", "").strip()
    if not raw:
        host = env.get("HOST", "").strip()
        host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        raw = f"http://{f'[{host}]' if ':' in host else host}:{_int(env, 'PORT', 8000, 1)}"
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 (a port that is not a number raises)
        port_ok = True
    except ValueError:
        port_ok = False
    if not port_ok or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"PUBLIC_BASE_URL must be http(s)://host[:port][/path], got {raw!r}")
    return raw.rstrip("/")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str, norm) -> str:
    value = norm(env.get(name, "").strip()) or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


IPNetwork = IPv4Network | IPv6Network
MESSAGE_SENDERS = ("none", "whatsapp", "sms")
SENDER_NEEDS = {
    "none": (),
    "whatsapp": ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_TOKEN"),
    "sms": ("SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN"),
}


def _networks(raw: str, default: tuple[IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    """METRICS_ALLOW="127.0.0.1/32,10.0.0.0/8": addresses or networks, comma-separated."""
    if not raw.strip():
        return default
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"METRICS_ALLOW: {exc}") from None


def _metrics_token(raw: str) -> str:
    if raw and len(raw) < 16:
        raise SettingsError("METRICS_TOKEN must be at least 16 characters (or empty)")
    return raw


def _redis_url(raw: str) -> str:
    if raw and urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {raw!r}")
    return raw


def _sla_days(raw: str, default: tuple) -> tuple[tuple[str, int], ...]:
    """SLA_DAYS="informasi=5,sederhana=5,tanpa_lapangan=14,lapangan=60": working days per SLA class."""
    if not raw.strip():
        return default
    days = dict(default)
    for item in raw.split(","):
        name, _, value = item.partition("=")
        if name.strip() not in days or not (value.strip().isascii() and value.strip().isdigit()) or int(value) < 1:
            raise SettingsError(f"SLA_DAYS: expected class=days with a class of {', '.join(days)}, got {item!r}")
        days[name.strip()] = int(value)
    return tuple(days.items())


def _create(path: Path, text: str) -> None:
    """Write a file that must not exist yet (FileExistsError if it does), readable by this user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())


def instance_secret(path: Path) -> str:
    """The key kept in `path`, made at random by the first process that starts without SECRET_KEY.

    The file appears complete or not at all (written aside, then hard-linked into place, which fails if it
    exists), so processes starting together all read the one key that won. Where the filesystem has no hard links,
    the first process creates the file itself (O_EXCL) and the others may find it empty for a moment: they wait."""
    if not path.exists():
        key = secrets.token_urlsafe(48)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _create(draft, key)
            os.link(draft, path)
        except FileExistsError:  # another process won: its key is the key
            pass
        except OSError:  # no hard links here (some network and FUSE filesystems)
            try:
                _create(path, key)
            except FileExistsError:
                pass
            except OSError as exc:
                raise SettingsError(f"SECRET_KEY is unset and its file {path} cannot be written: {exc}") from None
        finally:
            draft.unlink(missing_ok=True)
    for _ in range(READ_ATTEMPTS):
        try:
            secret = path.read_text().strip()
        except OSError as exc:
            raise SettingsError(f"SECRET_KEY is unset and its file {path} cannot be read: {exc}") from None
        if len(secret) >= 32:
            return secret
        time.sleep(0.05)  # perhaps another process is still writing it
    raise SettingsError(f"SECRET_KEY is unset and its file {path} holds fewer than 32 characters")


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = f"sqlite:///{PROJECT_DIR / 'instance' / 'sambang.db'}"
    # Empty means "no Redis": jobs run in process and rate limits are kept in memory.
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = ""  # from_env always sets one: SECRET_KEY, or the key kept in SECRET_KEY_FILE
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    login_max_failures: int = 10
    login_failure_window: int = 60
    login_max_failures_per_address: int = 20  # failed sign-ins per client address and window, any usernames
    web_session_idle: int = 12 * 3600  # a browser sign-in of the console ends after this long unused (seconds)
    web_session_lifetime: int = 7 * 24 * 3600  # and this long after it began, whatever the use
    firebase_project_id: str = ""
    firebase_credentials: str = ""
    # Override of Google's ID-token certificate endpoint; tests point it at loopback.
    firebase_cert_url: str = ""
    # Override of FCM's base URL (https://fcm.googleapis.com); tests point it at a fake on loopback.
    fcm_endpoint: str = ""
    job_sweep_interval: int = 60  # seconds between recovery sweeps
    job_sweep_grace: int = 60  # a due job is re-enqueued only after it waited this long
    reference_data_dir: Path = PROJECT_DIR / "data" / "probolinggo"
    max_upload_bytes: int = 25 * 1024 * 1024
    locate_tolerance_m: int = 250
    storage_backend: str = "local"  # or "s3"
    storage_dir: Path = PROJECT_DIR / "instance" / "media"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""  # empty: AWS itself; else any S3-compatible server (MinIO, Ceph, moto)
    s3_region: str = "us-east-1"
    signed_url_ttl: int = 900  # seconds a photo URL stays valid
    upload_expiry: int = 24 * 3600  # seconds an unfinished resumable upload is kept
    photo_max_pixels: int = 120_000_000  # decompression-bomb guard; phones reach about 100 MP
    photo_max_edge: int = 20_000  # px on the longest side; long thin images cost memory out of all proportion
    photo_decode_memory: int = 1024 * 1024 * 1024  # bytes a photo's decoding child process may use
    photo_max_distance_m: int = 500  # photo GPS farther than this from the report's point is flagged
    photo_max_time_diff: int = 24 * 3600  # seconds between taking the photo and capturing the report
    # Complaint deadlines in working days (policy: Indonesian public-service standards, see PROGRAM.md).
    sla_verify_days: int = 3
    sla_days: tuple[tuple[str, int], ...] = (
        ("informasi", 5),
        ("sederhana", 5),
        ("tanpa_lapangan", 14),
        ("lapangan", 60),
    )
    complaint_feedback_days: int = 14  # after resolve: rate or reopen within this; then it closes itself
    complaint_rate_limit: int = 10  # complaints per hour per signed-in user or IP address
    skm_rate_limit: int = 60  # new survey answers per hour per IP address (a puskesmas' wifi serves many)
    # Where clients reach the API: absolute links (calendar feed, Open311 discovery) start here, never from the
    # request's Host header, which any client can forge.
    public_base_url: str = "http://127.0.0.1:8000"
    # Proxies in front that set X-Forwarded-For/-Proto (nginx in the compose file: 1). 0 trusts no such header,
    # since a client could forge it: the client address is then the connection's.
    trusted_proxies: int = 0
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line, for a log collector
    # Who may read /metrics: these networks, or anyone showing the token.
    metrics_allow: tuple[IPNetwork, ...] = (ip_network("127.0.0.0/8"), ip_network("::1/128"))
    metrics_token: str = ""
    # The regency this installation serves. Its places come from REFERENCE_DATA_DIR; these are the words the code
    # would otherwise hard-wire (texts, the calendar feed, open data, Open311).
    regency_name: str = "Kabupaten Probolinggo"
    publisher_name: str = "Pemerintah Kabupaten Probolinggo"  # who publishes the open data and the calendar
    # Tracking codes are PREFIX-XXXX-XXXX; a new prefix applies to new complaints, old codes keep working.
    tracking_prefix: str = "PBL"
    open311_jurisdiction: str = "probolinggokab.go.id"
    open311_contact: str = "Diskominfo Kabupaten Probolinggo (Command Center), via the Sambang Desa coordinators"
    open311_key_service: str = "Ask Diskominfo Kabupaten Probolinggo for an api_key (needed to POST requests)"
    calendar_name: str = "Ngantor di Kecamatan"
    # The calendar events' UIDs end in it: changing it makes subscribed calendars see every visit as a new event.
    calendar_uid_domain: str = "sambang.probolinggokab.go.id"
    # How the self-service password reset sends its code to a verified phone (service.domain.messaging): "none"
    # turns the self-service reset off; "whatsapp" (WhatsApp Business Cloud API) and "sms" (a gateway) need
    # their URL, id and token below.
    message_sender: str = "none"
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"  # the Graph API with its version
    whatsapp_phone_number_id: str = ""
    whatsapp_token: str = ""
    whatsapp_template: str = ""  # an approved template with one body parameter, which carries the text
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""

    @property
    def testing(self) -> bool:
        return self.env == "test"

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS, except on a developer's or a test's plain-HTTP loopback."""
        return self.env not in ("development", "test")

    @property
    def jobs_inline(self) -> bool:
        return not self.redis_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        app_env = env.get("APP_ENV", "development").strip() or "development"
        if app_env not in ENVIRONMENTS:
            raise SettingsError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {app_env!r}")
        secret = env.get("SECRET_KEY", "")
        if not secret:
            if app_env == "production":
                raise SettingsError("SECRET_KEY is required when APP_ENV=production")
            secret = instance_secret(Path(env.get("SECRET_KEY_FILE") or SECRET_KEY_FILE))
        elif len(secret) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters")
        if env.get("FIREBASE_AUTH_EMULATOR_HOST") and app_env != "test":
            # The emulator switch makes firebase-admin skip signature and expiry checks.
            raise SettingsError("FIREBASE_AUTH_EMULATOR_HOST is set: refusing to start outside APP_ENV=test")
        creds = env.get("FIREBASE_CREDENTIALS", "")
        if creds and not Path(creds).is_file():
            raise SettingsError(f"FIREBASE_CREDENTIALS names no file: {creds}")
        data_dir = Path(env.get("REFERENCE_DATA_DIR") or cls.reference_data_dir)
        backend = env.get("STORAGE_BACKEND", "").strip() or cls.storage_backend
        if backend not in ("local", "s3"):
            raise SettingsError(f"STORAGE_BACKEND must be local or s3, got {backend!r}")
        bucket = env.get("S3_BUCKET", "").strip()
        if backend == "s3" and not bucket:
            raise SettingsError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        sender = _choice(env, "MESSAGE_SENDER", MESSAGE_SENDERS, cls.message_sender, str.lower)
        for name in SENDER_NEEDS[sender]:
            if not env.get(name, "").strip():
                raise SettingsError(f"{name} is required when MESSAGE_SENDER={sender}")
        return cls(
            env=app_env,
            database_url=_database_url(env.get("DATABASE_URL") or cls.database_url),
            redis_url=_redis_url(env.get("REDIS_URL", cls.redis_url).strip()),
            secret_key=secret,
            access_token_ttl=_int(env, "ACCESS_TOKEN_TTL", cls.access_token_ttl, 30),
            refresh_token_ttl=_int(env, "REFRESH_TOKEN_TTL", cls.refresh_token_ttl, 60),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", cls.login_max_failures, 1),
            login_failure_window=_int(env, "LOGIN_FAILURE_WINDOW", cls.login_failure_window, 1),
            login_max_failures_per_address=_int(
                env, "LOGIN_MAX_FAILURES_PER_ADDRESS", cls.login_max_failures_per_address, 1
            ),
            web_session_idle=_int(env, "WEB_SESSION_IDLE", cls.web_session_idle, 60),
            web_session_lifetime=_int(env, "WEB_SESSION_LIFETIME", cls.web_session_lifetime, 60),
            firebase_project_id=env.get("FIREBASE_PROJECT_ID", ""),
            firebase_credentials=creds,
            firebase_cert_url=env.get("FIREBASE_ID_TOKEN_CERT_URL", ""),
            fcm_endpoint=env.get("FCM_ENDPOINT", "").rstrip("/"),
            job_sweep_interval=_int(env, "JOB_SWEEP_INTERVAL", cls.job_sweep_interval, 1),
            job_sweep_grace=_int(env, "JOB_SWEEP_GRACE", cls.job_sweep_grace, 0),
            reference_data_dir=data_dir,
            max_upload_bytes=_int(env, "MAX_UPLOAD_MB", 25, 1) * 1024 * 1024,
            locate_tolerance_m=_int(env, "LOCATE_TOLERANCE_M", cls.locate_tolerance_m, 0),
            storage_backend=backend,
            storage_dir=Path(env.get("STORAGE_DIR") or cls.storage_dir),
            s3_bucket=bucket,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", "").strip(),
            s3_region=env.get("S3_REGION", "").strip() or cls.s3_region,
            signed_url_ttl=_int(env, "SIGNED_URL_TTL", cls.signed_url_ttl, 10),
            upload_expiry=_int(env, "UPLOAD_EXPIRY_HOURS", 24, 1) * 3600,
            photo_max_pixels=_int(env, "PHOTO_MAX_MEGAPIXELS", 120, 1) * 1_000_000,
            photo_max_edge=_int(env, "PHOTO_MAX_EDGE", cls.photo_max_edge, 100),
            photo_decode_memory=_int(env, "PHOTO_DECODE_MEMORY_MB", 1024, 64) * 1024 * 1024,
            photo_max_distance_m=_int(env, "PHOTO_MAX_DISTANCE_M", cls.photo_max_distance_m, 1),
            photo_max_time_diff=_int(env, "PHOTO_MAX_TIME_DIFF_HOURS", 24, 1) * 3600,
            sla_verify_days=_int(env, "SLA_VERIFY_DAYS", cls.sla_verify_days, 1),
            sla_days=_sla_days(env.get("SLA_DAYS", ""), cls.sla_days),
            complaint_feedback_days=_int(env, "COMPLAINT_FEEDBACK_DAYS", cls.complaint_feedback_days, 1),
            complaint_rate_limit=_int(env, "COMPLAINT_RATE_LIMIT", cls.complaint_rate_limit, 1),
            skm_rate_limit=_int(env, "SKM_RATE_LIMIT", cls.skm_rate_limit, 1),
            public_base_url=_public_base_url(env),
            # PROXY_HOPS: this setting's name before TRUSTED_PROXIES.
            trusted_proxies=_int(env, "TRUSTED_PROXIES" if env.get("TRUSTED_PROXIES") else "PROXY_HOPS", 0, 0),
            log_level=_choice(env, "LOG_LEVEL", logs.LEVELS, cls.log_level, str.upper),
            log_format=_choice(env, "LOG_FORMAT", logs.FORMATS, cls.log_format, str.lower),
            metrics_allow=_networks(env.get("METRICS_ALLOW", ""), cls.metrics_allow),
            metrics_token=_metrics_token(env.get("METRICS_TOKEN", "")),
            regency_name=_text(env, "REGENCY_NAME", cls.regency_name),
            publisher_name=_text(env, "PUBLISHER_NAME", cls.publisher_name),
            tracking_prefix=_matching(
                env, "TRACKING_PREFIX", cls.tracking_prefix, _TRACKING_PREFIX, "1 to 6 capital letters or digits"
            ),
            open311_jurisdiction=_matching(
                env, "OPEN311_JURISDICTION", cls.open311_jurisdiction, _DOMAIN, "a domain name in lower case"
            ),
            open311_contact=_text(env, "OPEN311_CONTACT", cls.open311_contact),
            open311_key_service=_text(env, "OPEN311_KEY_SERVICE", cls.open311_key_service),
            calendar_name=_text(env, "CALENDAR_NAME", cls.calendar_name, 100),
            calendar_uid_domain=_matching(
                env, "CALENDAR_UID_DOMAIN", cls.calendar_uid_domain, _DOMAIN, "a domain name in lower case"
            ),
            message_sender=sender,
            whatsapp_api_url=(env.get("WHATSAPP_API_URL", "").strip() or cls.whatsapp_api_url).rstrip("/"),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", "").strip(),
            whatsapp_token=env.get("WHATSAPP_TOKEN", "").strip(),
            whatsapp_template=env.get("WHATSAPP_TEMPLATE", "").strip(),
            sms_gateway_url=env.get("SMS_GATEWAY_URL", "").strip(),
            sms_gateway_token=env.get("SMS_GATEWAY_TOKEN", "").strip(),
        )
