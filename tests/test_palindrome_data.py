"""Palindrome data: the palindrome property, the target, the encodings, and the seed streams."""

import pytest
import torch

from lib.palindrome import data


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("length", [2, 3, 4, 5, 10, 11, 100, 101])
def test_palindromes_read_the_same_both_ways(length):
    digits = data.palindromes(500, length, gen())
    assert digits.shape == (500, length)
    assert digits.dtype == torch.long
    assert torch.equal(digits, digits.flip(1))
    assert digits.min() >= 0 and digits.max() <= 9


@pytest.mark.parametrize("length", [5, 6])
def test_all_free_digits_vary(length):
    digits = data.palindromes(2000, length, gen())
    for j in range((length + 1) // 2):  # every free position takes all ten digits
        assert set(digits[:, j].tolist()) == set(range(10))


@pytest.mark.parametrize("length", [2, 7, 8])
def test_target_is_last_digit_and_first_digit(length):
    digits = data.palindromes(300, length, gen(1))
    x, y = data.split(digits, "onehot")
    assert x.shape == (300, length - 1, 10) and y.shape == (300,)
    assert torch.equal(y, digits[:, -1])
    assert torch.equal(y, digits[:, 0])
    assert torch.equal(
        x.argmax(-1), digits[:, :-1]
    )  # the input is the first T-1 digits


def test_onehot_encoding():
    x, _ = data.batch(64, 9, gen(), "onehot")
    assert x.shape == (64, 8, 10) and x.dtype == torch.float32
    assert torch.equal(x.sum(-1), torch.ones(64, 8))
    assert set(x.unique().tolist()) == {0.0, 1.0}


def test_scalar_encoding_holds_the_digit_value():
    digits = data.palindromes(64, 9, gen())
    x, y = data.split(digits, "scalar")
    assert x.shape == (64, 8, 1) and x.dtype == torch.float32
    assert torch.equal(x[..., 0], digits[:, :-1].float())
    assert data.input_dim("scalar") == 1 and data.input_dim("onehot") == 10


def test_same_seed_same_batches_and_different_seeds_differ():
    a, b, c = (
        data.Batches(32, seed=3),
        data.Batches(32, seed=3),
        data.Batches(32, seed=4),
    )
    xa, ya = a.next(12)
    xb, yb = b.next(12)
    xc, _ = c.next(12)
    assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(xa, xc)


def test_training_draws_fresh_batches():
    stream = data.Batches(32, seed=0)
    first, second = stream.next(10)[0], stream.next(10)[0]
    assert not torch.equal(first, second)


def test_heldout_is_reproducible_and_not_a_training_batch():
    x1, y1 = data.heldout(128, 10, seed=0)
    x2, y2 = data.heldout(128, 10, seed=0)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    xt, _ = data.Batches(128, seed=0).next(10)
    assert not torch.equal(x1, xt)
    for seed in range(50):  # the two seed streams never meet
        assert data.heldout_seed(seed) not in {data.train_seed(s) for s in range(101)}
    assert not torch.equal(x1, data.heldout(128, 10, seed=1)[0])


@pytest.mark.parametrize("length", [1, 0, -4, 2.5, "10", True, None])
def test_bad_length_raises(length):
    with pytest.raises(ValueError, match="length"):
        data.palindromes(4, length, gen())


@pytest.mark.parametrize("encoding", ["binary", None, "one-hot"])
def test_bad_encoding_raises(encoding):
    with pytest.raises(ValueError, match="encoding"):
        data.encode(torch.zeros(2, 3, dtype=torch.long), encoding)


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_counts_raise(n):
    with pytest.raises(ValueError):
        data.palindromes(n, 5, gen())
    with pytest.raises(ValueError):
        data.Batches(n, seed=0)
