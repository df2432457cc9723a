"""Fixtures shared by the tests (book, notebook pairs, packaging, lab, thread pinning)."""

from pathlib import Path

import pytest
import torch
import yaml

from lib.core.repro import torch_threads

ROOT = Path(__file__).resolve().parents[1]


def toc_documents(root: Path = ROOT) -> list[str]:
    """The book's pages in reading order, as paths relative to book/ without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    docs = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                docs.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return docs


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def chapter_notebooks() -> list[Path]:
    """notebooks/NN_name.ipynb files, sorted."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def one_thread():
    """Run a test with torch on one thread, then restore the count."""
    with torch_threads(1):
        yield


@pytest.fixture
def quiet_commands(monkeypatch):
    """Commands run in this process as the test-suite runs them: no progress bars, one torch thread
    (``pin_threads`` reads DLBOOK_THREADS); the thread count is restored afterwards."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setenv("DLBOOK_THREADS", "1")
    with torch_threads(torch.get_num_threads()):
        yield


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory) -> Path:
    """A temporary cache folder holding the default MNIST classifier trained on the prepared digits
    (once per session, about 40 s on one thread), so that no test writes into the repository's cache/."""
    from lib.core.paths import data_dir
    from lib.mnist.classifier import get_classifier

    folder = tmp_path_factory.mktemp("classifier_cache")
    with torch_threads(1):
        get_classifier(data_dir(), folder, device="cpu")
    return folder
