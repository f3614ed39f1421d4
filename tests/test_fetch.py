"""The fetch step without a network: a real .deb (dpkg-deb) and a wheel built in tmp_path are
put where a download would have left them, then unpacked, selected and listed."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from models.training import fetch
from models.training.fetch import (FetchError, default_cache_dir, fetch_sources, split_holdout,
                                   training_images)
from models.training.sources import SOURCES, Source

needs_dpkg = pytest.mark.skipif(not (shutil.which("dpkg-deb") and shutil.which("dpkg")),
                                reason="dpkg / dpkg-deb not installed")

DEB = Source(name="test-deb", kind="deb", package="testpics", licence="CC0",
             include=("usr/share/testpics/photos/*",), exclude=("*/blurred.png",))
WHEEL = Source(name="test-wheel", kind="pypi", package="test-pics", licence="MIT",
               include=("test_pics/images/*.png",))


def _png(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    cv2.imwrite(str(path), image)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache whose debs/ and pypi/ already hold one tiny package each."""
    cache = tmp_path / "cache"
    package = tmp_path / "testpics"
    (package / "DEBIAN").mkdir(parents=True)
    (package / "DEBIAN" / "control").write_text(
        "Package: testpics\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: Test <test@example.org>\nDescription: test pictures\n")
    photos = package / "usr/share/testpics/photos"
    _png(photos / "a.png", 1)
    _png(photos / "b.png", 2)
    _png(photos / "blurred.png", 3)
    (photos / "README.txt").write_text("not an image")
    (photos / "a_small.png").symlink_to("a.png")
    _png(package / "usr/share/testpics/icons/icon.png", 4)
    (cache / "debs").mkdir(parents=True)
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(package),
                    str(cache / "debs" / "testpics_1.0_all.deb")],
                   check=True, capture_output=True)

    (cache / "pypi").mkdir()
    _png(tmp_path / "c.png", 5)
    with zipfile.ZipFile(cache / "pypi" / "test_pics-1.0-py3-none-any.whl", "w") as wheel:
        wheel.write(tmp_path / "c.png", "test_pics/images/c.png")
        wheel.writestr("test_pics/__init__.py", "")
        wheel.writestr("test_pics-1.0.dist-info/METADATA", "Name: test-pics\nLicense: MIT\n")
    return cache


@needs_dpkg
def test_fetch_unpacks_selects_and_lists(cache: Path) -> None:
    manifest = fetch_sources(cache, [DEB, WHEEL], log=lambda _: None)
    entries = json.loads(manifest.read_text())["images"]
    assert [(Path(e["path"]).name, e["source"], e["package"], e["licence"]) for e in entries] == [
        ("a.png", "test-deb", "testpics", "CC0"),
        ("b.png", "test-deb", "testpics", "CC0"),
        ("c.png", "test-wheel", "test-pics", "MIT"),
    ]
    assert entries[0]["path"] == "x/testpics_1.0_all/usr/share/testpics/photos/a.png"
    paths = training_images(cache)
    assert all(p.is_file() and p.is_relative_to(cache) for p in paths)
    assert not list((cache / "x").glob(".*partial"))


@needs_dpkg
def test_second_fetch_reuses_archives_and_trees(cache: Path, monkeypatch) -> None:
    first = fetch_sources(cache, [DEB, WHEEL], log=lambda _: None).read_text()
    sentinel = cache / "x" / "testpics_1.0_all" / "kept"
    sentinel.write_text("an unpacked tree is not unpacked again")

    def no_commands(*args, **kwargs):
        raise AssertionError("a second fetch must not download or unpack")
    monkeypatch.setattr(fetch.subprocess, "run", no_commands)
    monkeypatch.setattr(fetch.zipfile, "ZipFile", no_commands)
    assert fetch_sources(cache, [DEB, WHEEL], log=lambda _: None).read_text() == first
    assert sentinel.is_file()


@needs_dpkg
def test_source_matching_nothing_is_an_error(cache: Path) -> None:
    empty = Source(name="none", kind="deb", package="testpics", licence="CC0",
                   include=("usr/share/nowhere/*.png",))
    with pytest.raises(FetchError, match="testpics.*sources.py"):
        fetch_sources(cache, [empty], log=lambda _: None)


def test_missing_apt_get_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fetch.shutil, "which", lambda _: None)
    with pytest.raises(FetchError, match="testpics: apt-get not found"):
        fetch_sources(tmp_path, [DEB], log=lambda _: None)


def test_missing_manifest_says_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="run `deblur data fetch` first"):
        training_images(tmp_path)


def test_default_cache_dir_follows_env(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEBLUR_DATA", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("DEBLUR_DATA")
    assert default_cache_dir() == Path.home() / ".cache" / "deblur" / "data"


def test_split_holdout_is_deterministic_and_location_free(tmp_path: Path) -> None:
    for i in range(200):
        (tmp_path / "a" / f"{i}").mkdir(parents=True)
        (tmp_path / "a" / f"{i}" / "2560x1600.jpg").write_bytes(f"image {i}".encode())
    paths = sorted((tmp_path / "a").rglob("*.jpg"))
    train, holdout = split_holdout(paths, 0.1)
    assert set(train).isdisjoint(holdout) and len(train) + len(holdout) == len(paths)
    assert 5 <= len(holdout) <= 40  # same file names, yet both sides get some
    assert split_holdout(reversed(paths), 0.1)[1] == holdout[::-1]
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    moved = split_holdout(sorted((tmp_path / "b").rglob("*.jpg")), 0.1)[1]
    assert [p.relative_to(tmp_path / "b") for p in moved] == \
        [p.relative_to(tmp_path / "a") for p in holdout]


def test_sources_table_is_well_formed() -> None:
    assert len({s.name for s in SOURCES}) == len(SOURCES)
    assert all(s.kind in ("deb", "pypi") and s.include and s.licence for s in SOURCES)
