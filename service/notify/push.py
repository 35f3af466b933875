"""Sending pushes through firebase-admin (FCM HTTP v1): messages per device, topics, subscriptions."""

from __future__ import annotations

import datetime as dt

from firebase_admin import exceptions, messaging

from service import metrics
from service.domain.push import PERMANENT, TRANSIENT, UNREGISTERED, Push, PushResult
from service.notify.firebase import Firebase

GONE = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
RETRYABLE = (
    exceptions.UnavailableError,
    exceptions.InternalError,
    exceptions.DeadlineExceededError,
    exceptions.UnknownError,
    messaging.QuotaExceededError,
)


def _classify(exc: Exception) -> PushResult:
    kind = UNREGISTERED if isinstance(exc, GONE) else TRANSIENT if isinstance(exc, RETRYABLE) else PERMANENT
    return PushResult(error=kind, detail=f"{type(exc).__name__}: {exc}"[:500])


def to_message(push: Push) -> messaging.Message:
    """Platform options: urgent pushes wake the phone (Android high priority, APNs priority 10)."""
    return messaging.Message(
        token=push.token,
        topic=push.topic,
        notification=messaging.Notification(title=push.title, body=push.body),
        data={key: str(value) for key, value in push.data.items()},
        android=messaging.AndroidConfig(
            priority="high" if push.urgent else "normal",
            ttl=dt.timedelta(days=3),
            notification=messaging.AndroidNotification(
                channel_id="sambang_urgent" if push.urgent else "sambang_default"
            ),
        ),
        apns=messaging.APNSConfig(
            headers={"apns-priority": "10" if push.urgent else "5"},
            payload=messaging.APNSPayload(aps=messaging.Aps(sound="default" if push.urgent else None)),
        ),
    )


class FirebasePushSender:
    def __init__(self, firebase: Firebase):
        self.firebase = firebase
        self.enabled = firebase.messaging_enabled
        self.disabled_reason = (
            "" if self.enabled else "push disabled: FIREBASE_CREDENTIALS or FIREBASE_PROJECT_ID unset"
        )

    def send(self, pushes: list[Push]) -> list[PushResult]:
        results = []
        for start in range(0, len(pushes), 500):  # FCM's batch limit
            batch = [to_message(p) for p in pushes[start : start + 500]]
            try:
                response = messaging.send_each(batch, app=self.firebase.messaging_app())
            except exceptions.FirebaseError as exc:
                results += [_classify(exc)] * len(batch)
                continue
            results += [
                PushResult(message_id=r.message_id) if r.success else _classify(r.exception) for r in response.responses
            ]
        counter = metrics.metrics().pushes
        for result in results:
            counter.labels(result.error or "sent").inc()
        return results

    def _topic(self, subscribe: bool, tokens: list[str], topic: str) -> list[PushResult]:
        call = messaging.subscribe_to_topic if subscribe else messaging.unsubscribe_from_topic
        try:
            response = call(tokens, topic, app=self.firebase.messaging_app())
        except exceptions.FirebaseError as exc:
            return [_classify(exc)] * len(tokens)
        failed = {e.index: e.reason for e in response.errors}
        return [
            PushResult(error=TRANSIENT if "internal" in failed[i].lower() else PERMANENT, detail=failed[i])
            if i in failed
            else PushResult()
            for i in range(len(tokens))
        ]

    def subscribe(self, tokens: list[str], topic: str) -> list[PushResult]:
        return self._topic(True, tokens, topic)

    def unsubscribe(self, tokens: list[str], topic: str) -> list[PushResult]:
        return self._topic(False, tokens, topic)
