"""Arrays for the page's JavaScript (chapters 02 and 04): base64 in a script that sets a global.

A page cannot fetch() a file when it is opened from file://, but it can load a script. Each model
is one script, ``window.DLBOOK_MODELS[name] = {...}``, whose arrays are base64 strings of
little-endian float32 (exact for weights trained in float32) or int8 (one scale per row).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lib.core.files import atomic_file

PREFIX = "window.DLBOOK_MODELS = window.DLBOOK_MODELS || {};\n"
LINE = re.compile(r"^window\.DLBOOK_MODELS\[(\"\w+\")\] = (.*);$", re.M)


def f32(t: torch.Tensor) -> str:
    """A tensor's values, row-major, as base64 of little-endian float32."""
    data = t.detach().cpu().to(torch.float32).contiguous().numpy().astype("<f4")
    return base64.b64encode(data.tobytes()).decode("ascii")


def int8_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric 8-bit weights, one scale per row: w ≈ q · scale[:, None], |q| ≤ 127."""
    w = w.detach().to(torch.float32)  # (O, I)
    scale = w.abs().amax(dim=1).clamp_min(1e-12) / 127  # (O,)
    scale = scale.to(torch.float32)
    q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)  # (O, I)
    return q, scale


def i8(q: torch.Tensor) -> str:
    """An int8 tensor, row-major, as base64."""
    return base64.b64encode(q.contiguous().numpy().tobytes()).decode("ascii")


def decode(text: str, dtype: str, shape: tuple[int, ...]) -> torch.Tensor:
    """The inverse of ``f32`` (dtype "float32") and ``i8`` (dtype "int8")."""
    kind = {"float32": "<f4", "int8": "i1"}[dtype]
    data = np.frombuffer(base64.b64decode(text), dtype=kind).copy()
    return torch.from_numpy(data).reshape(shape)


def write_script(path: str | Path, name: str, payload: dict[str, Any]) -> Path:
    """Write the script that hands ``payload`` to the page as ``DLBOOK_MODELS[name]``."""
    body = json.dumps(payload, separators=(",", ":"))
    with atomic_file(path, "w") as file:
        file.write(PREFIX + f"window.DLBOOK_MODELS[{json.dumps(name)}] = {body};\n")
    return Path(path)


def read_script(path: str | Path) -> dict[str, Any]:
    """The payload of a script written by ``write_script`` (for tests and the chapters)."""
    text = Path(path).read_text()
    match = LINE.search(text)
    if not text.startswith(PREFIX) or match is None:
        raise ValueError(f"{path} is not a model script written by lib.web.encode")
    return json.loads(match.group(2))
