"""Hostile files: any error while decoding ends the photo `failed` with a reason; dimensions are limited as well as
pixels; the decode runs in a confined child process, so running out of memory ends the photo, not the caller."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import signal
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from service.domain import imaging
from service.jobs import runtime
from service.models import JobIntent, Photo
from service.settings import Settings
from tests import images
from tests.conftest import make_app

MB = 2**20


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


class PeakRise:
    """How far this process's peak RSS rises inside the block, in MB (Linux: clear_refs resets the peak)."""

    def __enter__(self):
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        self.before = _status_kb("VmRSS")
        return self

    def __exit__(self, *exc):
        self.mb = (_status_kb("VmHWM") - self.before) / 1024


def test_a_cmyk_jpeg_with_a_broken_colour_profile_is_refused_not_crashed():
    data = images.cmyk_jpeg_with_broken_profile()
    with pytest.raises(imaging.Rejected, match="cannot be decoded"):
        imaging.derive(io.BytesIO(data), "image/jpeg", 10**8)
    with pytest.raises(imaging.Rejected, match="cannot be decoded"):
        imaging.derive_isolated(io.BytesIO(data), "image/jpeg", 10**8, 20_000, 512 * MB)


def test_a_photo_that_cannot_be_decoded_ends_failed_at_once_without_retries(
    client, upload, report_id, kades, auth_header, work, db
):
    photo_id = upload(report_id, images.cmyk_jpeg_with_broken_profile()).json["id"]
    work()
    photo = client.get(f"/api/v1/photos/{photo_id}", headers=auth_header(kades)).json
    assert photo["status"] == "failed" and "cannot be decoded" in photo["error"], photo
    intent = db.scalar(select(JobIntent).where(JobIntent.key == f"photos.process-{photo_id}"))
    assert (intent.state, intent.attempts) == ("done", 1), "a bad file is an outcome, not a crash to retry"


def test_the_default_limits_suit_phones():
    settings = Settings.from_env({"APP_ENV": "test"})
    assert settings.photo_max_edge == 20_000 and settings.photo_decode_memory == 1024 * MB
    custom = Settings.from_env({"APP_ENV": "test", "PHOTO_MAX_EDGE": "12000", "PHOTO_DECODE_MEMORY_MB": "512"})
    assert custom.photo_max_edge == 12_000 and custom.photo_decode_memory == 512 * MB


def test_a_long_thin_image_is_refused_from_its_header_before_any_decoding():
    """194 KB, 100 megapixels (under the 120 MP limit), 1 pixel wide: decoding it took 2 GB."""
    bomb = images.blank_png(1, 100_000_000)
    with PeakRise() as peak, pytest.raises(imaging.Rejected, match="longer than 20000 pixels"):
        imaging.derive(io.BytesIO(bomb), "image/png", 120_000_000)
    assert peak.mb < 50
    with pytest.raises(imaging.Rejected, match="longer than 20000 pixels"):
        imaging.derive_isolated(io.BytesIO(bomb), "image/png", 120_000_000, 20_000, 1024 * MB)
    wide = images.blank_png(20_000, 10)  # a phone panorama's proportions are fine
    assert imaging.derive(io.BytesIO(wide), "image/png", 120_000_000).width == 20_000


def test_a_decode_over_the_memory_bound_is_refused_and_the_caller_keeps_its_memory():
    """107 KB, 10000 x 11000: decoded in the caller it added 670 MB to the API or worker process."""
    bomb = images.blank_png(10_000, 11_000)
    with PeakRise() as peak, pytest.raises(imaging.Rejected, match="too large to decode"):
        imaging.derive_isolated(io.BytesIO(bomb), "image/png", 120_000_000, 20_000, 200 * MB)
    assert peak.mb < 50, "the decode ran in the child"
    with PeakRise() as peak:
        derived = imaging.derive_isolated(io.BytesIO(bomb), "image/png", 120_000_000, 20_000, 1024 * MB)
    assert (derived.width, derived.height) == (10_000, 11_000) and images.decode(derived.display).size == (1455, 1600)
    assert peak.mb < 50, "within the default bound it is decoded, still outside the caller"


def test_a_child_past_its_cpu_seconds_is_refused_as_too_slow_and_reaped(tmp_path):
    """A decoder spinning on a crafted file is killed at its CPU limit. A loop stands in for it: how much CPU a real
    decode takes depends on the code and the machine (the bomb above needed just over a second, now well under)."""
    pid_file = tmp_path / "pid"

    def spin():
        pid_file.write_text(str(os.getpid()))
        while True:
            pass

    with pytest.raises(imaging.Rejected, match="too long to decode"):
        imaging.run_isolated(spin, 512 * MB, cpu_seconds=1)
    assert _reaped(int(pid_file.read_text()))


def test_the_upload_request_reads_only_the_header(upload, report_id):
    """Nothing in the request path decodes pixels: the bomb is stored as it is, for the job to refuse."""
    bomb = images.blank_png(10_000, 11_000)
    with PeakRise() as peak:
        sent = upload(report_id, bomb)
    assert sent.status_code == 202 and sent.json["media_type"] == "image/png" and sent.json["status"] == "pending"
    assert peak.mb < 50


def test_without_redis_a_bomb_ends_failed_and_the_api_process_is_untouched(
    settings, connection, redis_client, kades, auth_header, db
):
    """No Redis: the photo job runs inside the API process right after the upload's commit."""
    confined = dataclasses.replace(settings, redis_url="", photo_decode_memory=200 * MB)
    app = make_app(confined, connection)
    runtime.use(app.extensions["sambang"])
    try:
        client = app.test_client()
        body = {"client_uuid": str(uuid.uuid4()), "title": "Jalan", "category": "infrastruktur",
                "captured_at": "2026-11-20T09:15:00+07:00", "lat": -7.955629, "lon": 113.087587}  # fmt: skip
        report = client.post("/api/v1/reports", json=body, headers=auth_header(kades)).json
        bomb = images.blank_png(10_000, 11_000)
        with PeakRise() as peak:
            sent = client.post(
                f"/api/v1/reports/{report['id']}/photos",
                data={"file": (io.BytesIO(bomb), "p.png"), "client_uuid": str(uuid.uuid4())},
                headers=auth_header(kades),
                content_type="multipart/form-data",
            )
        assert sent.status_code == 202, sent.json
        db.expire_all()
        photo = db.get(Photo, sent.json["id"])
        assert photo.status == "failed" and "too large to decode" in photo.error
        assert peak.mb < 50
    finally:
        runtime.use(None)


def test_a_child_that_cannot_confine_itself_is_an_error_to_retry_not_a_bad_file():
    """A limit the child cannot set (here an absurd PHOTO_DECODE_MEMORY_MB) is our failure: not 'too large'."""
    data = images.jpeg(64, 48)
    with pytest.raises(RuntimeError, match="OverflowError"):
        imaging.derive_isolated(io.BytesIO(data), "image/jpeg", 10**8, 20_000, 2**63)


def test_without_redis_a_child_failure_leaves_the_photo_to_a_retry(
    settings, connection, redis_client, kades, auth_header, db
):
    confined = dataclasses.replace(settings, redis_url="", photo_decode_memory=2**63)
    app = make_app(confined, connection)
    runtime.use(app.extensions["sambang"])
    try:
        client = app.test_client()
        body = {"client_uuid": str(uuid.uuid4()), "title": "Jalan", "category": "infrastruktur",
                "captured_at": "2026-11-20T09:15:00+07:00", "lat": -7.955629, "lon": 113.087587}  # fmt: skip
        report = client.post("/api/v1/reports", json=body, headers=auth_header(kades)).json
        sent = client.post(
            f"/api/v1/reports/{report['id']}/photos",
            data={"file": (io.BytesIO(images.jpeg(64, 48)), "p.jpg"), "client_uuid": str(uuid.uuid4())},
            headers=auth_header(kades),
            content_type="multipart/form-data",
        )
        assert sent.status_code == 202, sent.json
        db.expire_all()
        photo = db.get(Photo, sent.json["id"])
        assert photo.status != "failed", photo.error
        intent = db.scalar(select(JobIntent).where(JobIntent.key == f"photos.process-{photo.id}"))
        assert intent.state != "done" and "decoding child failed" in intent.error, (intent.state, intent.error)
    finally:
        runtime.use(None)


def _reaped(pid: int) -> bool:
    """True when `pid` is no child of this process any more: killed and waited for, no zombie left."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


class LockedByAnotherThread:
    """A lock that another thread of this process holds while the test forks (as a logging handler's may be)."""

    def __enter__(self):
        self.lock, self.taken, self.done = threading.Lock(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        self.taken.wait()
        return self.lock

    def _hold(self):
        with self.lock:
            self.taken.set()
            self.done.wait()

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def test_a_child_stuck_on_an_inherited_lock_is_killed_at_the_deadline_and_reaped(tmp_path):
    """In-process jobs decode from a threaded server: a lock held by another thread at the fork stays held in the
    child forever, and no CPU limit sees a blocked child. The caller waits `wall_seconds`, no more."""
    pid_file = tmp_path / "pid"

    def stuck(lock):
        pid_file.write_text(str(os.getpid()))
        lock.acquire()

    with LockedByAnotherThread() as lock, pytest.raises(imaging.Rejected, match="too long to decode"):
        imaging.run_isolated(lambda: stuck(lock), 512 * MB, wall_seconds=1)
    assert _reaped(int(pid_file.read_text()))


def test_the_child_logs_nothing_so_a_held_handler_lock_cannot_hang_it():
    """derive() logs why a file cannot be decoded; in the child that must not reach a handler (the parent logs)."""
    parent = os.getpid()

    class HeldHandler(logging.Handler):
        def emit(self, record):
            if os.getpid() != parent:
                lock.acquire()  # in the child: held by a thread that was not forked

    logger = logging.getLogger(imaging.__name__)
    handler, level = HeldHandler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with LockedByAnotherThread() as lock, pytest.raises(imaging.Rejected, match="cannot be decoded"):
            data = images.cmyk_jpeg_with_broken_profile()
            imaging.derive_isolated(io.BytesIO(data), "image/jpeg", 10**8, 20_000, 512 * MB, wall_seconds=10)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_an_error_in_the_work_is_reported_as_ours_and_the_child_reaped(tmp_path):
    pid_file = tmp_path / "pid"

    def broken():
        pid_file.write_text(str(os.getpid()))
        raise KeyError("setup")

    with pytest.raises(RuntimeError, match="KeyError"):
        imaging.run_isolated(broken, 512 * MB)
    assert _reaped(int(pid_file.read_text()))


def test_an_interrupted_caller_kills_and_reaps_the_child_and_keeps_its_exception(tmp_path):
    """A job timeout arrives as an exception in the waiting caller (RQ's SIGALRM): that exception propagates."""
    pid_file = tmp_path / "pid"

    class JobTimeout(Exception):
        pass

    def slow():
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    def timeout(signum, frame):
        raise JobTimeout

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(JobTimeout):
            imaging.run_isolated(slow, 512 * MB)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _reaped(int(pid_file.read_text()))


def test_without_proc_the_child_decodes_without_a_memory_limit(monkeypatch, tmp_path):
    """macOS has no /proc: the memory limit is dropped (decided once), the photos are still decoded."""
    monkeypatch.setattr(imaging, "PROC_STATUS", str(tmp_path / "no-proc-status"))
    imaging._can_limit_address_space.cache_clear()
    try:
        derived = imaging.derive_isolated(io.BytesIO(images.jpeg(64, 48)), "image/jpeg", 10**8, 20_000, 512 * MB)
        assert (derived.width, derived.height) == (64, 48)
    finally:
        imaging._can_limit_address_space.cache_clear()
