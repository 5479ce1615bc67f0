"""Run an encoder-decoder model (the FLAN-T5 family) behind the same prefill/merge/select/decode calls as the
causal runner. The encoder runs once per request; decode steps run row by row (each row keeps its own
encoder output and decoder cache), so these models stream and cancel like the others but do not batch."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class _Row:
    encoder_outputs: object
    encoder_mask: torch.Tensor
    cache: object = None


@dataclass
class Seq2SeqBatch:
    rows: list[_Row] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def length(self) -> int:
        return 0


class Seq2SeqModelRunner:
    supports_batching = False

    def __init__(self, model):
        self.model = model
        start = model.config.decoder_start_token_id
        self.start_token = start if start is not None else model.config.pad_token_id

    @torch.inference_mode()
    def prefill(self, ids: list[int], prefix_len: int = 0):
        input_ids = torch.tensor([ids], dtype=torch.long)
        mask = torch.ones_like(input_ids)
        encoded = self.model.get_encoder()(input_ids=input_ids, attention_mask=mask)
        row = _Row(encoder_outputs=encoded, encoder_mask=mask)
        logits = self._step(row, self.start_token)
        return logits, Seq2SeqBatch([row]), 0

    def _step(self, row: _Row, token: int) -> torch.Tensor:
        out = self.model(encoder_outputs=row.encoder_outputs, attention_mask=row.encoder_mask,
                         decoder_input_ids=torch.tensor([[token]], dtype=torch.long),
                         past_key_values=row.cache, use_cache=True)
        row.cache = out.past_key_values
        return out.logits[0, -1].float()

    def merge(self, state: Seq2SeqBatch | None, joining: Seq2SeqBatch) -> Seq2SeqBatch:
        return Seq2SeqBatch((state.rows if state else []) + joining.rows)

    def select(self, state: Seq2SeqBatch, keep: list[int]) -> Seq2SeqBatch | None:
        return Seq2SeqBatch([state.rows[i] for i in keep]) if keep else None

    @torch.inference_mode()
    def decode(self, state: Seq2SeqBatch, last_tokens: list[int]) -> torch.Tensor:
        return torch.stack([self._step(row, token) for row, token in zip(state.rows, last_tokens)])
