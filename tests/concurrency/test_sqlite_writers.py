"""The embedded default (SQLite) under concurrent writers: the real `serve`, several users posting reports, signing
in and uploading a photo at once, a burst of simultaneous reports and two simultaneous complaint moves. Every
answer is 2xx or the 409 the rules give, never a 5xx, and every accepted report is stored."""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy.engine import make_url

from tests import images
from tests.concurrency.conftest import WRITERS, complaint_body, report_body


class Drill:
    """Load against one served app; records every status and every report the server accepted."""

    def __init__(self, served):
        self.served = served
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.accepted: set[str] = set()
        self.seconds: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def record(self, what: str, response: requests.Response, client_uuid: str | None = None) -> None:
        with self.lock:
            self.statuses[(what, response.status_code)] += 1
            self.seconds.setdefault(what, []).append(response.elapsed.total_seconds())
            if response.status_code >= 500:
                self.failures.append(f"{what}: {response.status_code} {response.text[:200]}")
            elif client_uuid and response.status_code in (200, 201):
                self.accepted.add(client_uuid)

    def post_report(self, username: str, session: requests.Session | None = None) -> None:
        body = report_body()
        response = (session or requests).post(
            f"{self.served.url}/api/v1/reports", json=body, headers=self.served.login(username), timeout=120
        )
        self.record("report", response, body["client_uuid"])

    def writer(self, username: str, stop: threading.Event, interval: float) -> None:
        with requests.Session() as session:
            while not stop.is_set():
                self.post_report(username, session)
                stop.wait(interval)

    def signer(self, stop: threading.Event) -> None:
        while not stop.is_set():
            for username in WRITERS:
                response = requests.post(
                    f"{self.served.url}/api/v1/auth/login",
                    json={"username": username, "password": "kata-sandi-panjang-1"},
                    timeout=120,
                )
                self.record("login", response)
            stop.wait(0.5)

    def photographer(self, stop: threading.Event) -> None:
        headers = self.served.login("camat1")
        photo = images.sample("DSCN0010.jpg")
        while not stop.is_set():
            body = report_body()
            created = requests.post(f"{self.served.url}/api/v1/reports", json=body, headers=headers, timeout=120)
            self.record("report", created, body["client_uuid"])
            if created.status_code != 201:
                continue
            uploaded = requests.post(
                f"{self.served.url}/api/v1/reports/{created.json()['id']}/photos",
                files={"file": ("photo.jpg", photo, "image/jpeg")},
                data={"client_uuid": body["client_uuid"]},
                headers=headers,
                timeout=120,
            )
            self.record("photo", uploaded)
            stop.wait(0.5)

    def burst(self, count: int = 20) -> None:
        """`count` reports sent at the same moment."""
        barrier = threading.Barrier(count)

        def one(i: int) -> None:
            barrier.wait()
            self.post_report(WRITERS[i % len(WRITERS)])

        with ThreadPoolExecutor(count) as pool:
            list(pool.map(one, range(count)))

    def simultaneous_moves(self) -> list[int]:
        """Two coordinators' `verify` of one complaint at the same moment: one moves it, the other gets 409."""
        filed = requests.post(f"{self.served.url}/api/v1/complaints", json=complaint_body(), timeout=120)
        self.record("complaint", filed)
        assert filed.status_code == 201, filed.text
        url = f"{self.served.url}/api/v1/complaints/{filed.json()['id']}/verify"
        headers = self.served.login("koordinator")
        barrier = threading.Barrier(2)

        def move(_):
            barrier.wait()
            response = requests.post(url, json={"note": "Lengkap."}, headers=headers, timeout=120)
            self.record("move", response)
            return response.status_code

        with ThreadPoolExecutor(2) as pool:
            return sorted(pool.map(move, range(2)))

    def run(self, seconds: float, interval: float = 0.2) -> list[int]:
        for username in (*WRITERS, "koordinator"):
            self.served.login(username)
        stop = threading.Event()
        threads = [threading.Thread(target=self.writer, args=(u, stop, interval)) for u in WRITERS]
        threads += [
            threading.Thread(target=self.signer, args=(stop,)),
            threading.Thread(target=self.photographer, args=(stop,)),
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(seconds / 2)
            self.burst()
            moves = self.simultaneous_moves()
            time.sleep(seconds / 2)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        return moves

    def stored(self) -> set[str]:
        path = make_url(self.served.env["DATABASE_URL"]).database
        with sqlite3.connect(path) as conn:
            return {row[0] for row in conn.execute("SELECT client_uuid FROM reports")}

    def summary(self) -> str:
        """What happened, for the log: statuses, and the median and slowest answer per kind (not asserted)."""
        times = {
            what: f"median {statistics.median(values):.2f} s, max {max(values):.2f} s"
            for what, values in sorted(self.seconds.items())
        }
        return f"{sorted(self.statuses.items())}\n{times}"


def check(drill: Drill, moves: list[int]) -> None:
    print(drill.summary())
    assert drill.failures == [], f"{len(drill.failures)} answers were 5xx, first: {drill.failures[:3]}"
    assert moves == [200, 409]
    assert drill.accepted and drill.accepted <= drill.stored(), "every accepted report is in the database"
    assert drill.statuses[("photo", 202)] >= 1


# The served app has an SQLite file of its own whatever TEST_DATABASE_URL says: `engine_neutral` (tests/conftest.py),
# so `make test` runs it once, in the SQLite pass.
def test_writers_logins_a_photo_a_burst_and_two_moves_get_no_5xx(sqlite_served):
    drill = Drill(sqlite_served)
    check(drill, drill.run(seconds=3))


@pytest.mark.faults
def test_four_writers_for_twenty_seconds_get_no_5xx(sqlite_served):
    drill = Drill(sqlite_served)
    check(drill, drill.run(seconds=20))


@pytest.mark.faults
def test_four_writers_for_twenty_seconds_with_rq_workers_get_no_5xx(sqlite_served_with_redis):
    drill = Drill(sqlite_served_with_redis)
    check(drill, drill.run(seconds=20))
