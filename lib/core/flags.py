"""Command-line flags made from a config dataclass (chapters 02-03's commands).

A config's docstring says what each field means, in an ``Attributes:`` section; its instance
holds the defaults. ``add_config_flags`` turns the fields it is given into ``--field-name`` flags
whose help is that sentence and whose default is the instance's value, so a flag cannot drift
from the field it sets. The parsed namespace then builds the config again by field name.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from typing import Any, Callable, Iterable

from lib.core.cli import positive_float, positive_int

# The argparse type of a field, by its annotation, when the caller names none.
BY_ANNOTATION: dict[str, Callable[[str], Any]] = {
    "int": positive_int,
    "float": positive_float,
}


def field_docs(config_class: type) -> dict[str, str]:
    """Each field's sentence from the ``Attributes:`` section of ``config_class``'s docstring.

    A field's entry is ``name: text`` indented one level; deeper lines continue it.
    """
    _, _, section = inspect.cleandoc(config_class.__doc__ or "").partition(
        "Attributes:\n"
    )
    docs: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        if not line.strip():
            break
        head, colon, text = line.strip().partition(": ")
        if colon and not line.startswith(" " * 8):
            name, docs[head] = head, text
        elif name is not None:
            docs[name] += " " + line.strip()
    return docs


def add_config_flags(
    parser: argparse.ArgumentParser,
    config: Any,
    names: Iterable[str],
    types: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
) -> None:
    """Add ``--name`` (underscores as dashes) for each field ``names`` of the dataclass ``config``.

    ``types`` maps a field to its argparse type, or to a tuple of choices; otherwise the
    annotation decides (``int`` above zero, ``float`` above zero, ``bool | None`` an on/off
    flag). ``defaults`` replaces the instance's value where a command wants another.
    """
    types, defaults = types or {}, defaults or {}
    docs = field_docs(type(config))
    annotations = {f.name: f.type for f in dataclasses.fields(config)}
    for name in names:
        if name not in docs:
            raise ValueError(
                f"{type(config).__name__}'s docstring does not describe {name}"
            )
        default = defaults.get(name, getattr(config, name))
        kind = types.get(name, annotations[name])
        help = docs[name].replace("%", "%%")  # argparse formats help with %
        options: dict[str, Any] = {"default": default, "help": help}
        if default is not None:
            options["help"] += f" (default {default})"
        if isinstance(kind, tuple):
            options["choices"] = kind
        elif kind == "bool | None":
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = BY_ANNOTATION.get(kind, kind)
        parser.add_argument("--" + name.replace("_", "-"), **options)
