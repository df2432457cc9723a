"""The MNIST classifier: shapes, augmentation, a short training that beats chance, and its cache."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from lib.core.files import load_checked, save_atomic
from lib.core.inference import CHUNK
from lib.core.repro import torch_threads
from lib.mnist import classifier as clf
from lib.mnist import is_prepared, mnist_tensors
from lib.mnist.__main__ import main as mnist_main
from lib.mnist.classifier import (
    ClassifierConfig,
    MnistClassifier,
    accuracy,
    get_classifier,
    random_shift,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
TINY = ClassifierConfig(
    channels=(4, 8), feature_dim=16, epochs=1, batch_size=128, lr=1e-2, shift=0
)  # ~88%

needs_data = pytest.mark.skipif(
    not is_prepared(DATA), reason="MNIST not prepared: run `make data`"
)


def test_shapes_for_flat_and_image_inputs():
    model = MnistClassifier(ClassifierConfig()).eval()
    images = torch.rand(3, 1, 28, 28) * 2 - 1  # (3, 1, 28, 28) in [-1, 1]
    assert model(images).shape == (3, 10)
    torch.testing.assert_close(
        model(images.flatten(1)), model(images)
    )  # (3, 784) is the same digit
    assert model.features(images).shape == (3, ClassifierConfig().feature_dim)
    labels = model.predict(images)
    assert labels.shape == (3,) and labels.dtype == torch.int64


def test_chunked_inference_equals_one_pass():
    model = MnistClassifier(dataclasses.replace(TINY, feature_dim=8)).eval()
    images = torch.rand(2 * CHUNK + 7, 784) * 2 - 1  # more than two chunks
    with torch.no_grad():
        logits = model(images)  # (N, 10)
    torch.testing.assert_close(model.features(images), model._features(images).detach())
    assert torch.equal(model.predict(images), logits.argmax(dim=1))


def test_config_validation_says_what_is_wrong():
    for bad, match in (
        (dict(channels=(4,)), "channels"),
        (dict(epochs=0), "epochs"),
        (dict(lr=0.0), "lr"),
        (dict(shift=14), "shift"),
    ):
        with pytest.raises(ValueError, match=match):
            ClassifierConfig(**bad)


def test_random_shift_moves_a_pixel_by_at_most_shift():
    image = torch.full((1, 1, 28, 28), -1.0)
    image[0, 0, 10, 20] = 1.0
    generator = torch.Generator().manual_seed(0)
    moved = random_shift(image.repeat(64, 1, 1, 1), 2, generator)  # (64, 1, 28, 28)
    assert moved.shape == (64, 1, 28, 28)
    spots = torch.nonzero(moved[:, 0] == 1.0)  # (64, 3): one lit pixel per image
    assert len(spots) == 64
    assert (spots[:, 1] - 10).abs().max() <= 2 and (spots[:, 2] - 20).abs().max() <= 2
    assert len({tuple(s) for s in spots[:, 1:].tolist()}) > 10  # the offsets vary
    assert torch.equal(random_shift(image, 0, generator), image)


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory) -> tuple[Path, MnistClassifier, bool]:
    """A cache folder holding one short training of TINY (shared: training is the slow part), and
    whether the global RNG came through the training untouched."""
    cache_dir = tmp_path_factory.mktemp("cache")
    before = torch.random.get_rng_state()
    model = get_classifier(DATA, cache_dir, device="cpu", config=TINY)
    return cache_dir, model, torch.equal(before, torch.random.get_rng_state())


@needs_data
def test_short_training_beats_chance(tiny_cache):
    _, model, rng_untouched = tiny_cache
    assert (
        rng_untouched
    )  # randomness is explicit: the caller's global generator is left alone
    assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.test_accuracy > 0.5  # chance is 0.1
    images, labels = mnist_tensors(DATA, train=False)
    assert accuracy(model, images, labels) == pytest.approx(model.test_accuracy)


@needs_data
def test_cache_trains_once_then_loads(tiny_cache, monkeypatch):
    cache_dir, first, _ = tiny_cache
    path = clf.cache_path(TINY, DATA, cache_dir)
    assert path.is_file() and list(
        load_checked(path, "mnist-classifier")["config"]["channels"]
    ) == [4, 8]

    def must_not_train(*args, **kwargs):
        raise AssertionError("trained again although the cache holds this config")

    monkeypatch.setattr(clf, "train_classifier", must_not_train)
    again = get_classifier(DATA, cache_dir, device="cpu", config=TINY)
    assert again.test_accuracy == first.test_accuracy and not again.training
    for name, tensor in first.state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], tensor)
    assert (
        clf.cache_path(dataclasses.replace(TINY, seed=1), DATA, cache_dir) != path
    )  # config is in the key


@needs_data
def test_foreign_checkpoint_in_the_cache_is_refused(tmp_path):
    save_atomic(
        {"kind": "gan-generator", "format": 1, "config": {}},
        clf.cache_path(TINY, DATA, tmp_path),
    )
    with pytest.raises(ValueError, match="not 'mnist-classifier'"):
        get_classifier(DATA, tmp_path, device="cpu", config=TINY)


@pytest.mark.slow
@needs_data
def test_default_classifier_reaches_98_percent(classifier_cache, one_thread):
    """The accuracy the book reports, for the default config."""
    assert get_classifier(DATA, classifier_cache, device="cpu").test_accuracy >= 0.98


@pytest.mark.slow
@needs_data
def test_cli_reports_the_cached_accuracy(classifier_cache, capsys, quiet_commands):
    mnist_main(
        [
            "classifier",
            "--root",
            str(DATA),
            "--cache",
            str(classifier_cache),
            "--device",
            "cpu",
        ]
    )
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["cached"] is True and summary["test_accuracy"] >= 0.98


@needs_data
def test_cache_key_holds_the_thread_count(tmp_path):
    """Weights trained with 1 and 2 CPU threads differ in the last bits: they must not share an entry."""
    with torch_threads(1):
        one = clf.cache_path(TINY, DATA, tmp_path, device="cpu")
    with torch_threads(2):
        two = clf.cache_path(TINY, DATA, tmp_path, device="cpu")
    assert one != two
