"""The instance key file on filesystems without hard links, and readers that find it half written."""

from __future__ import annotations

import errno
import os
import stat

from service import settings as settings_module
from service.settings import Settings, instance_secret


def test_without_hard_links_the_key_file_is_created_exclusively(tmp_path, monkeypatch):
    def no_links(*args, **kwargs):  # what some network and FUSE filesystems answer
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "instance" / "secret_key"
    key = Settings.from_env({"SECRET_KEY_FILE": str(path)}).secret_key
    assert len(key) >= 32 and path.read_text() == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert instance_secret(path) == key, "the next start reads the same key"
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"], "no drafts left behind"


def test_a_reader_waits_for_a_key_file_still_being_written(tmp_path, monkeypatch):
    path = tmp_path / "secret_key"
    path.touch()  # another process created it (O_EXCL) and has not written it yet
    key = "k" * 64

    def other_process_finishes(seconds):
        path.write_text(key)

    monkeypatch.setattr(settings_module.time, "sleep", other_process_finishes)
    assert instance_secret(path) == key
