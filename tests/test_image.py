"""The image the Dockerfile describes, read without a Docker engine: what its runtime stage copies from the build
context (after .dockerignore), that it installs offline as a non-root user, and that it checks its own health."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path, PurePosixPath

import pytest

from service.settings import PROJECT_DIR

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".tif", ".tiff", ".bmp"}


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, with continuation lines joined and comments dropped."""
    kept = "\n".join(line for line in dockerfile.splitlines() if not line.lstrip().startswith("#"))
    joined = re.sub(r"\\\n", " ", kept)
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[start:]


def ignore_rules(text: str) -> list[tuple[bool, re.Pattern]]:
    """.dockerignore as (exclude?, pattern): Go filepath.Match globs plus `**`; `!` re-includes; the last rule
    that matches a path (or one of its parent folders) decides."""
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((exclude, re.compile(regex + r"\Z")))
    return rules


def in_context(path: str, rules) -> bool:
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for exclude, pattern in rules:
        if any(pattern.match(prefix) for prefix in prefixes):
            excluded = exclude
    return not excluded


def repository_files() -> list[str]:
    """What a build context on a checkout holds: the tracked files plus untracked ones that are not git-ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    # Common leftovers of a working copy that git ignores but a context would still send.
    extra = [".git/HEAD", ".venv/bin/python", "instance/sambang.db", "instance/secret_key", "service/__pycache__/x.pyc"]
    return sorted({*listed, *extra})


def copied_files(stage: list[tuple[str, str]], context: list[str]) -> set[str]:
    """The context files that the stage's COPY/ADD lines (those without --from) take."""
    taken: set[str] = set()
    for keyword, args in stage:
        if keyword not in {"COPY", "ADD"}:
            continue
        words = shlex.split(args)
        if any(word.startswith("--from") for word in words):
            continue
        sources = [word for word in words if not word.startswith("--")][:-1]
        for source in sources:
            source = source.rstrip("/")
            if source in {"", "."}:
                taken.update(context)
                continue
            glob = re.compile(re.escape(source).replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + r"(?:/.*)?\Z")
            taken.update(path for path in context if glob.match(path))
    return taken


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (PROJECT_DIR / "Dockerfile").read_text()


@pytest.fixture(scope="module")
def image_files(dockerfile) -> set[str]:
    rules = ignore_rules((PROJECT_DIR / ".dockerignore").read_text())
    context = [path for path in repository_files() if in_context(path, rules)]
    return copied_files(final_stage(dockerfile), context)


def test_the_image_holds_no_tests_samples_or_tooling(image_files):
    unwanted = [
        path
        for path in image_files
        if path.split("/")[0] in {"tests", "bench", ".git", ".venv", "instance", ".ci"}
        or Path(path).suffix.lower() in IMAGE_SUFFIXES
        or "__pycache__" in path
    ]
    assert unwanted == []
    assert not any(path.startswith("requirements") for path in image_files), "installed from wheels, not kept"


def test_the_image_holds_what_the_service_runs_from(image_files):
    for needed in ("wsgi.py", "gunicorn.conf.py", "alembic.ini", "docker/entrypoint.sh", "service/__init__.py",
                   "service/__main__.py", "migrations/env.py", "data/probolinggo/kecamatan.csv"):  # fmt: skip
        assert needed in image_files
    versions = {p for p in image_files if p.startswith("migrations/versions/")}
    assert versions == {p for p in repository_files() if p.startswith("migrations/versions/") and p.endswith(".py")}
    tracked_service = {p for p in repository_files() if p.startswith("service/") and "__pycache__" not in p}
    assert tracked_service <= image_files


def test_the_ignore_rules_read_as_docker_reads_them():
    rules = ignore_rules("*\n!service/\n**/__pycache__\n!keep.txt\n# note\n")
    assert in_context("service/api/views.py", rules) and in_context("keep.txt", rules)
    assert not in_context("tests/samples/photos/a.jpg", rules) and not in_context("README.md", rules)
    assert not in_context("service/__pycache__/x.pyc", rules)


def test_the_runtime_stage_installs_built_wheels_offline_as_a_non_root_user(dockerfile):
    stage = final_stage(dockerfile)
    froms = [args for keyword, args in instructions(dockerfile) if keyword == "FROM"]
    assert len(froms) >= 2 and all(args.startswith("python:3.11-slim") for args in froms), "multi-stage, pinned base"
    build = instructions(dockerfile)[: len(instructions(dockerfile)) - len(stage)]
    wheels = [args for keyword, args in build if keyword == "RUN" and "pip wheel" in args]
    assert wheels and all("--require-hashes" in args and "requirements.txt" in args for args in wheels)
    installs = [args for keyword, args in stage if keyword == "RUN" and "pip install" in args]
    assert installs and all("--no-index" in args for args in installs)
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert stage[-1] == ("CMD", '["api"]') or any(k == "ENTRYPOINT" for k, _ in stage)


def test_the_image_checks_its_own_health(dockerfile):
    checks = [args for keyword, args in final_stage(dockerfile) if keyword == "HEALTHCHECK"]
    assert len(checks) == 1 and "/healthz" in checks[0] and "curl" not in checks[0]
    assert "urllib" in checks[0], "python's urllib: the slim base has no curl"
