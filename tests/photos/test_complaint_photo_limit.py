"""A complaint has at most MAX_COMPLAINT_PHOTOS photos, however many arrive at once."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from sqlalchemy import delete, func, select

from service import create_app
from service.domain.photos import MAX_COMPLAINT_PHOTOS
from service.models import Complaint, JobIntent, Photo
from tests import images

POINT = {"lat": -7.955629, "lon": 113.087587}  # in Sumber


@pytest.mark.postgres_only
def test_ten_concurrent_photos_to_one_complaint_store_five(settings, engine, redis_client):
    app = create_app(settings)  # real commits: every request its own connection
    services = app.extensions["sambang"]
    filed = app.test_client().post(
        "/api/v1/complaints",
        json={"client_uuid": str(uuid.uuid4()), "category_code": "sampah", "privacy": "anonim",
              "description": "Sampah menumpuk di pinggir jalan desa sejak seminggu.", **POINT},
    ).json  # fmt: skip
    pictures = [images.jpeg(320, 240, seed=seed) for seed in range(10)]
    statuses, barrier = [], threading.Barrier(10)

    def post(data: bytes) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/complaints/{filed['id']}/photos",
            data={"file": (io.BytesIO(data), "p.jpg"), "client_uuid": str(uuid.uuid4())},
            headers={"X-Complaint-Secret": filed["secret"]},
            content_type="multipart/form-data",
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(data,)) for data in pictures]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(statuses) == [202] * MAX_COMPLAINT_PHOTOS + [409] * (10 - MAX_COMPLAINT_PHOTOS), statuses
        with services.db.session() as session:
            stored = session.scalar(select(func.count()).where(Photo.complaint_id == filed["id"]))
            assert stored == MAX_COMPLAINT_PHOTOS
        originals = [p for p in (settings.storage_dir / "originals").rglob("*") if p.is_file()]
        assert len(originals) == MAX_COMPLAINT_PHOTOS, "the refused ones' files are removed"
    finally:
        with services.db.session() as session:
            session.execute(delete(JobIntent).where(JobIntent.key.like("photos.process-%")))
            session.execute(delete(Complaint).where(Complaint.id == filed["id"]))  # its photos cascade
            session.commit()
        services.db.engine.dispose()
