"""Choose the next token of each request from its logits: greedy, or temperature + nucleus (top-p) sampling."""
from __future__ import annotations

import torch

from .types import GenerationParams


def sample_next(logits: torch.Tensor, params: GenerationParams, generator: torch.Generator | None = None) -> int:
    """Pick one token id from a 1-D logits row."""
    if params.temperature == 0:
        return int(torch.argmax(logits).item())
    probs = torch.softmax(logits.float() / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, sorted_ids = torch.sort(probs, descending=True)
        cumulative = torch.cumsum(sorted_probs, dim=-1)
        # keep the smallest set whose mass reaches top_p (always at least the most likely token)
        drop = cumulative - sorted_probs > params.top_p
        sorted_probs = sorted_probs.masked_fill(drop, 0.0)
        choice = torch.multinomial(sorted_probs / sorted_probs.sum(), 1, generator=generator)
        return int(sorted_ids[choice].item())
    return int(torch.multinomial(probs, 1, generator=generator).item())


def sample_batch(logits: torch.Tensor, params: list[GenerationParams],
                 generator: torch.Generator | None = None) -> list[int | Exception]:
    """Pick the next token for every row of a [batch, vocab] logits tensor. A row that fails yields its exception
    instead of a token, so one bad request never stops the others."""
    greedy = torch.argmax(logits, dim=-1).tolist()
    out: list[int | Exception] = []
    for row, p in enumerate(params):
        try:
            token = greedy[row] if p.temperature == 0 else sample_next(logits[row], p, generator)
            if not torch.isfinite(logits[row, token]):
                raise FloatingPointError("the model produced non-finite logits")
            out.append(token)
        except Exception as exc:  # isolate the failure to this request
            out.append(exc)
    return out
