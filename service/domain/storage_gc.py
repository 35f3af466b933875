"""Finding stored files no row refers to any more (an upload whose transaction failed, a deleted report's
photos, parts left by an interrupted clean-up) and removing them once they are old enough to be surely dead."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Photo, Upload
from service.storage import Storage

MIN_AGE = dt.timedelta(days=1)  # younger objects may belong to a request still running
_DERIVED = re.compile(r"^derived/(\d+)/")
_PART = re.compile(r"^uploads/([0-9a-f]{32})/")


@dataclass
class Collected:
    kept: int = 0
    orphans: list[str] = field(default_factory=list)


def collect(session: Session, storage: Storage, now: dt.datetime, delete: bool, batch: int = 500) -> Collected:
    """Walk originals, derivatives and upload parts; an object is an orphan when no photo (or unfinished upload)
    names it. Deletes the orphans older than MIN_AGE when `delete`, else only lists them."""
    result = Collected()
    for prefix, owners in (("originals/", _originals), ("derived/", _derived), ("uploads/", _parts)):
        pending: list[str] = []
        for key, modified in storage.keys(prefix):
            if now - modified < MIN_AGE:
                result.kept += 1
                continue
            pending.append(key)
            if len(pending) >= batch:
                _settle(session, storage, pending, owners, delete, result)
                pending = []
        _settle(session, storage, pending, owners, delete, result)
    return result


def _settle(session, storage, keys: list[str], owners, delete: bool, result: Collected) -> None:
    if not keys:
        return
    alive = owners(session, keys)
    for key in keys:
        if key in alive:
            result.kept += 1
            continue
        result.orphans.append(key)
        if delete:
            storage.delete(key)


def _originals(session: Session, keys: list[str]) -> set[str]:
    return set(session.scalars(select(Photo.original_key).where(Photo.original_key.in_(keys))))


def _derived(session: Session, keys: list[str]) -> set[str]:
    ids = {int(m.group(1)) for key in keys if (m := _DERIVED.match(key))}
    existing = set(session.scalars(select(Photo.id).where(Photo.id.in_(ids)))) if ids else set()
    return {key for key in keys if (m := _DERIVED.match(key)) and int(m.group(1)) in existing}


def _parts(session: Session, keys: list[str]) -> set[str]:
    """Parts of unfinished uploads; a finished upload's parts were joined into its photo's original."""
    ids = {m.group(1) for key in keys if (m := _PART.match(key))}
    unfinished = set()
    if ids:
        for parts in session.scalars(select(Upload.parts).where(Upload.id.in_(ids), Upload.photo_id.is_(None))):
            unfinished.update(parts)
    return {key for key in keys if key in unfinished}
