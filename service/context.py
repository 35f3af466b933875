"""Per-app wiring built once by create_app: settings, database, Redis, Firebase, token config, throttles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis

from service.db import Database
from service.domain import activation
from service.domain.complaints import ANONYMOUS_SUPPORTS_PER_HOUR
from service.domain.messaging import MessageSender
from service.domain.throttle import LoginThrottle, Store, Throttle
from service.domain.tokens import TokenConfig
from service.notify.firebase import Firebase
from service.notify.messaging import make_sender
from service.settings import Settings
from service.storage import Storage, make_storage

RESET_REQUESTS_PER_USER = 3  # reset codes sent per hour for one username from one address
RESET_REQUESTS_PER_ADDRESS = 10  # and per hour from one address, any usernames


@dataclass
class Services:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        # The secret key keys the hashes of activation and reset codes (service.domain.activation).
        info = {"dispatcher": self.dispatcher, activation.KEY: self.settings.secret_key}
        return Database(self.settings.database_url, info=info)

    @cached_property
    def dispatcher(self):
        from service.jobs.dispatch import Dispatcher

        return Dispatcher(self)

    @cached_property
    def redis(self) -> redis.Redis | None:
        """A client (connects lazily), or None when the app runs without Redis."""
        s = self.settings
        return redis.Redis.from_url(s.redis_url, socket_connect_timeout=2, socket_timeout=5) if s.redis_url else None

    @cached_property
    def tokens(self) -> TokenConfig:
        s = self.settings
        return TokenConfig(secret=s.secret_key, access_ttl=s.access_token_ttl, refresh_ttl=s.refresh_token_ttl)

    @cached_property
    def rate_counts(self) -> Store:
        """One store for every rate limit: one Redis client, one memory fallback (logged once) while it is away."""
        return Store(self.settings.redis_url or "memory://")

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        s = self.settings
        return LoginThrottle(
            self.rate_counts, s.login_max_failures, s.login_max_failures_per_address, s.login_failure_window
        )

    @cached_property
    def reset_request_throttle(self) -> LoginThrottle:
        """Requests for a reset code by message: every request counts (each may cost a message)."""
        return LoginThrottle(
            self.rate_counts, RESET_REQUESTS_PER_USER, RESET_REQUESTS_PER_ADDRESS, 3600, namespace="sambang-reset"
        )

    @cached_property
    def message_sender(self) -> MessageSender | None:
        return make_sender(self.settings)

    @cached_property
    def firebase(self) -> Firebase:
        s = self.settings
        return Firebase(s.firebase_project_id, s.firebase_credentials, s.firebase_cert_url, s.fcm_endpoint)

    @cached_property
    def storage(self) -> Storage:
        return make_storage(self.settings)

    @cached_property
    def support_throttle(self) -> Throttle:
        return Throttle(self.rate_counts, ANONYMOUS_SUPPORTS_PER_HOUR, 3600, "sambang-supports")

    @cached_property
    def complaint_throttle(self) -> Throttle:
        s = self.settings
        return Throttle(self.rate_counts, s.complaint_rate_limit, 3600, "sambang-complaints")

    @cached_property
    def skm_throttle(self) -> Throttle:
        return Throttle(self.rate_counts, self.settings.skm_rate_limit, 3600, "sambang-skm")
