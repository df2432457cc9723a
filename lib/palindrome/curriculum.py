"""A length curriculum: learn to remember over short palindromes first, then over longer ones.

At T=100 a freshly initialised LSTM sees no useful gradient: the first digit's influence on the loss
has to cross 99 forget gates, and at the start of training they let only part of it through at every
step. The same recurrence trained at T=10 learns to write the first digit into its cell and hold it.
Each longer stage then starts from a network that already does the right thing and only has to keep
it for longer, so the weights carry over from stage to stage (the model's size does not depend on T).
"""

from __future__ import annotations

AUTO_ABOVE = (
    30  # with ``curriculum=None`` the curriculum is switched on for lengths above this
)


def uses_curriculum(length: int, curriculum: bool | None) -> bool:
    """Whether a run at ``length`` trains through a curriculum (``None`` decides from the length)."""
    return length > AUTO_ABOVE if curriculum is None else curriculum


def stages(target: int, start: int, growth: float) -> list[int]:
    """The lengths trained in turn: ``start``, then ×``growth`` each stage (at least +1), ending at ``target``.

    >>> stages(100, 10, 1.5)
    [10, 15, 22, 33, 49, 73, 100]
    """
    if growth <= 1.0:
        raise ValueError(f"curriculum growth must be above 1, got {growth!r}")
    if start >= target:
        return [target]
    out = [start]
    while out[-1] < target:
        nxt = max(out[-1] + 1, int(out[-1] * growth))
        out.append(min(nxt, target))
    return out
