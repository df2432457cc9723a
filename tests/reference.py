"""Helpers shared by the tests that hold a from-scratch recurrent model against PyTorch's in float64."""
import torch


def inputs(B, T, D=3, seed=1):
    """A seeded float64 batch x of shape (B, T, D)."""
    return torch.randn(B, T, D, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def torch_logits(recurrent, head, x):
    """Logits of a batch_first torch.nn recurrent module and its Linear head, read at the last step."""
    out, _ = recurrent(x)        # (B, T, H)
    return head(out[:, -1])      # (B, O)
