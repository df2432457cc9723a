"""JupyterLab, as `make lab` starts it, pairs notebooks and runs the project's Python.

Starts `jupyter lab` from this environment on 127.0.0.1 in a scratch folder holding a copy of
jupytext.toml, then talks to it through its REST API the way the JupyterLab frontend does: saving a
notebook must write both twins, and the kernel it starts must be this environment's Python, able
to import `lib` and to run ipywidgets.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from jupyter_client import BlockingKernelClient

BIN = Path(sys.executable).parent
VENV = Path(sys.prefix).resolve()
STARTUP_SECONDS = 90


def _jupyter() -> str:
    found = BIN / "jupyter"
    if not found.exists():
        pytest.fail("jupyter is not installed in this environment: run `make venv`")
    return str(found)


class Lab:
    """A running `jupyter lab` and a small client for its REST API."""

    def __init__(self, root: Path, runtime: Path):
        self.root, self.runtime = root, runtime
        env = dict(
            os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_PORT_RETRIES="0"
        )
        # CI and containers run as root, where JupyterLab refuses to start without this flag.
        as_root = ["--allow-root"] if os.geteuid() == 0 else []
        self.log = open(runtime / "lab.log", "w")
        self.proc = subprocess.Popen(
            [
                _jupyter(),
                "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                "--ServerApp.port=0",
                f"--ServerApp.root_dir={root}",
                *as_root,
            ],
            cwd=root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        info = self._wait_for_server_info()
        self.url, self.token = info["url"].rstrip("/"), info["token"]

    def _wait_for_server_info(self) -> dict:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            for path in self.runtime.glob(f"jpserver-{self.proc.pid}.json"):
                try:
                    return json.loads(path.read_text())
                except json.JSONDecodeError:
                    pass  # written but not complete yet
            time.sleep(0.3)
        self.stop()
        pytest.fail(
            "jupyter lab did not start:\n"
            + (self.runtime / "lab.log").read_text()[-4000:]
        )

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"token {self.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    runtime = tmp_path_factory.mktemp("runtime")
    shutil.copy(ROOT / "jupytext.toml", root / "jupytext.toml")
    (root / "notebooks").mkdir()
    server = Lab(root, runtime)
    yield server
    server.stop()


def _demo_notebook(code: str) -> dict:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code, execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="stored output\n")
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Demo"), cell]
    return nb


def _save(lab: Lab, path: str, nb: dict):
    lab.api(
        "PUT", f"contents/{path}", {"type": "notebook", "format": "json", "content": nb}
    )


def _make_lab_command() -> list[str]:
    """The `jupyter lab ...` command that `make lab` would run (make -n prints without running)."""
    proc = subprocess.run(
        ["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    lines = [
        ln
        for ln in proc.stdout.splitlines()
        if "jupyter lab" in ln or "jupyter-lab" in ln
    ]
    assert lines, f"`make lab` does not start JupyterLab:\n{proc.stdout}"
    return shlex.split(lines[-1])


def test_make_lab_serves_the_folder_holding_jupytext_toml():
    # JupyterLab looks for jupytext.toml only from a notebook's folder up to its root folder, so a
    # root of notebooks/ would silently turn pairing off.
    args = _make_lab_command()
    args = args[args.index("lab") + 1 :] if "lab" in args else args[1:]
    roots = [
        a.split("=", 1)[1]
        for a in args
        if a.startswith(("--ServerApp.root_dir=", "--notebook-dir="))
    ]
    roots += [a for a in args if not a.startswith("-")]
    root = (ROOT / roots[-1]).resolve() if roots else ROOT
    assert (root / "jupytext.toml").is_file(), (
        f"`make lab` serves {root}, which has no jupytext.toml: saving would not update the twins"
    )
    if os.geteuid() == 0:
        assert "--allow-root" in args, (
            "`make lab` runs as root here and needs --allow-root"
        )


def test_jupytext_config_pairs_ipynb_with_percent_scripts():
    text = (ROOT / "jupytext.toml").read_text()
    assert 'formats = "ipynb,py:percent"' in text, (
        "jupytext.toml must pair ipynb with py:percent"
    )


def test_saving_the_ipynb_writes_the_py_twin(lab):
    _save(lab, "notebooks/98_demo.ipynb", _demo_notebook("x = 1"))
    py = lab.root / "notebooks" / "98_demo.py"
    assert py.is_file(), "saving 98_demo.ipynb in JupyterLab did not write 98_demo.py"
    text = py.read_text()
    assert "# %%" in text and "x = 1" in text, (
        f"98_demo.py is not the percent twin:\n{text}"
    )


def test_saving_the_py_updates_the_ipynb_and_keeps_outputs(lab):
    _save(lab, "notebooks/99_demo.ipynb", _demo_notebook("y = 1"))
    model = lab.api("GET", "contents/notebooks/99_demo.py?type=notebook&content=1")
    nb = model["content"]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"][0]
    assert code["outputs"], (
        "opening the .py twin did not bring the outputs stored in the .ipynb"
    )
    code["source"] = "y = 2"
    _save(lab, "notebooks/99_demo.py", nb)
    stored = nbformat.read(lab.root / "notebooks" / "99_demo.ipynb", as_version=4)
    sources = [c.source for c in stored.cells if c.cell_type == "code"]
    assert sources == ["y = 2"], f"saving the .py twin left the .ipynb at {sources}"
    assert stored.cells[1].outputs, "saving the .py twin dropped the stored outputs"


def test_labextensions_for_widgets_and_jupytext_are_enabled():
    proc = subprocess.run(
        [_jupyter(), "labextension", "list"], capture_output=True, text=True
    )
    listing = proc.stdout + proc.stderr
    for name in ("@jupyter-widgets/jupyterlab-manager", "jupyterlab-jupytext"):
        line = next((ln for ln in listing.splitlines() if name in ln), "")
        assert "enabled" in line and "OK" in line, (
            f"{name} is not enabled in JupyterLab:\n{listing}"
        )


@pytest.fixture(scope="module")
def lab_kernel(lab):
    spec_name = lab.api("GET", "kernelspecs")["default"]
    kernel = lab.api("POST", "kernels", {"name": spec_name})
    client = BlockingKernelClient(
        connection_file=str(lab.runtime / f"kernel-{kernel['id']}.json")
    )
    client.load_connection_file()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    lab.api("DELETE", f"kernels/{kernel['id']}")


def _run(client: BlockingKernelClient, code: str) -> str:
    out = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=keep, timeout=60)
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out)


def test_lab_kernel_is_the_project_python(lab_kernel):
    prefix = _run(lab_kernel, "import sys, lib; print(sys.prefix)").strip()
    assert Path(prefix).resolve() == VENV, (
        f"JupyterLab's kernel runs {prefix}, not {VENV}"
    )


def test_widget_slider_reaches_the_kernel(lab_kernel):
    """Move an ipywidgets slider the way JupyterLab's widget manager does: a comm update."""
    code = (
        "import ipywidgets\n"
        "slider = ipywidgets.IntSlider(min=0, max=8)\n"
        "slider.observe(lambda change: print('moved to', change['new']), names='value')\n"
        "print(slider.comm.comm_id)"
    )
    comm_id = _run(lab_kernel, code).strip()
    update = {
        "comm_id": comm_id,
        "data": {"method": "update", "state": {"value": 5}, "buffer_paths": []},
    }
    lab_kernel.shell_channel.send(lab_kernel.session.msg("comm_msg", update))
    assert _run(lab_kernel, "print(slider.value)").strip().endswith("5")


@pytest.mark.browser
@pytest.mark.parametrize(
    "stem", [p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
)
def test_opening_a_chapter_in_jupyterlab_leaves_it_unmodified(lab, stem):
    # A notebook JupyterLab has to complete on opening (no kernelspec, an old nbformat, cells
    # without ids) is marked as modified before the reader has typed anything.
    from playwright.sync_api import sync_playwright

    for suffix in (".ipynb", ".py"):
        shutil.copy(ROOT / "notebooks" / f"{stem}{suffix}", lab.root / "notebooks")
    stored = (lab.root / "notebooks" / f"{stem}.ipynb").read_bytes()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{lab.url}/lab/tree/notebooks/{stem}.ipynb?token={lab.token}")
        page.wait_for_selector(
            ".jp-NotebookPanel .jp-Cell", state="attached", timeout=90_000
        )
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator", timeout=30_000)
        page.wait_for_timeout(5000)  # let the kernel start and any completion happen
        dirty = page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count()
        dialogs = page.locator(".jp-Dialog").count()
        browser.close()
    assert not dialogs, f"opening {stem} asked the reader something (no kernelspec?)"
    assert not dirty, f"JupyterLab marked {stem} as modified on opening"
    assert (lab.root / "notebooks" / f"{stem}.ipynb").read_bytes() == stored
