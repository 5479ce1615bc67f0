"""Run the transformers model for the scheduler: prefill one prompt, decode one token for a whole batch.

The batch keeps one key/value cache per layer, shaped [batch, kv_heads, length, head_dim], in buffers with spare
room at the end so a decode step writes in place instead of copying the whole cache. Rows have different real
lengths; a [batch, length] validity mask marks each row's padding (left padding, and holes when a row joined with a
shared system-prompt prefix), and every row carries its own position ids. We pass a ready 4-D boolean mask to the
model, so transformers does no mask inference of its own.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers.cache_utils import Cache, DynamicLayer

SPARE_SLOTS = 64  # cache room allocated ahead of need, in tokens


class BufferedKVLayer(DynamicLayer):
    """A cache layer whose keys/values are views into a larger buffer; appending writes in place."""

    def __init__(self):
        super().__init__()
        self._k: torch.Tensor | None = None
        self._v: torch.Tensor | None = None
        self.length = 0

    def fill(self, keys: torch.Tensor, values: torch.Tensor, spare: int = SPARE_SLOTS) -> None:
        batch, heads, length, dim = keys.shape
        self._k = keys.new_empty(batch, heads, length + spare, dim)
        self._v = values.new_empty(batch, heads, length + spare, dim)
        self._k[:, :, :length] = keys
        self._v[:, :, :length] = values
        self.length = length
        self.dtype, self.device = keys.dtype, keys.device
        self.is_initialized = True
        self._expose()

    def _expose(self) -> None:
        self.keys = self._k[:, :, : self.length]
        self.values = self._v[:, :, : self.length]

    def update(self, key_states, value_states, *args, **kwargs):
        if self._k is None:
            self.fill(key_states, value_states)
            return self.keys, self.values
        n = key_states.shape[-2]
        if self.length + n > self._k.shape[-2]:
            self.fill(self.keys, self.values, spare=max(SPARE_SLOTS, self.length // 2 + n))
        self._k[:, :, self.length:self.length + n] = key_states
        self._v[:, :, self.length:self.length + n] = value_states
        self.length += n
        self._expose()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length


def _new_cache(num_layers: int) -> Cache:
    return Cache(layers=[BufferedKVLayer() for _ in range(num_layers)])


def _filled_cache(pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> Cache:
    cache = _new_cache(len(pairs))
    for layer, (k, v) in zip(cache.layers, pairs):
        layer.fill(k, v)
    return cache


@dataclass
class BatchState:
    """The running batch: its cache, which cache slots are real for each row, and each row's next position."""

    cache: Cache
    valid: torch.Tensor      # [batch, length] bool
    next_pos: torch.Tensor   # [batch] long

    @property
    def size(self) -> int:
        return int(self.valid.shape[0])

    @property
    def length(self) -> int:
        return int(self.valid.shape[1])


class CausalModelRunner:
    """Forward passes of a decoder-only model with batched decoding and a small shared-prefix cache."""

    supports_batching = True

    def __init__(self, model, max_prefixes: int = 8):
        self.model = model
        self.num_layers = model.config.get_text_config(decoder=True).num_hidden_layers
        self._prefixes: OrderedDict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = OrderedDict()
        self._max_prefixes = max_prefixes
        self._lock = threading.Lock()

    @torch.inference_mode()
    def prefill(self, ids: list[int], prefix_len: int = 0) -> tuple[torch.Tensor, BatchState, int]:
        """Run the prompt; return (last-position logits [vocab], a one-row BatchState, reused prefix tokens)."""
        key = tuple(ids[:prefix_len]) if prefix_len else None
        with self._lock:
            entry = self._prefixes.get(key) if key else None
            if entry is not None:
                self._prefixes.move_to_end(key)
        if entry is not None:
            cache, past = _filled_cache(entry), prefix_len
        else:
            cache, past = _new_cache(self.num_layers), 0
        new = ids[past:]
        q = len(new)
        input_ids = torch.tensor([new], dtype=torch.long)
        positions = torch.arange(past, past + q).unsqueeze(0)
        if past:
            kv_index = torch.arange(past + q)
            mask = (kv_index.unsqueeze(0) <= (past + torch.arange(q)).unsqueeze(1))[None, None]
        else:
            mask = None  # plain causal prefill: let SDPA use its is_causal kernel
        out = self.model(input_ids=input_ids, attention_mask=mask, position_ids=positions,
                         past_key_values=cache, use_cache=True, logits_to_keep=1)
        if key and entry is None:
            snapshot = [(layer.keys[:, :, :prefix_len].clone(), layer.values[:, :, :prefix_len].clone())
                        for layer in cache.layers]
            with self._lock:
                self._prefixes[key] = snapshot
                while len(self._prefixes) > self._max_prefixes:
                    self._prefixes.popitem(last=False)
        state = BatchState(cache=cache, valid=torch.ones(1, len(ids), dtype=torch.bool),
                           next_pos=torch.tensor([len(ids)], dtype=torch.long))
        return out.logits[0, -1].float(), state, past

    @torch.inference_mode()
    def merge(self, state: BatchState | None, joining: BatchState) -> BatchState:
        """Add the rows of `joining` to the running batch, left-padding whichever cache is shorter."""
        if state is None or state.size == 0:
            return joining
        length = max(state.length, joining.length)
        pairs = []
        for a, b in zip(state.cache.layers, joining.cache.layers):
            pairs.append((torch.cat([_pad_left(a.keys, length), _pad_left(b.keys, length)]),
                          torch.cat([_pad_left(a.values, length), _pad_left(b.values, length)])))
        valid = torch.cat([F.pad(state.valid, (length - state.length, 0)),
                           F.pad(joining.valid, (length - joining.length, 0))])
        return BatchState(_filled_cache(pairs), valid, torch.cat([state.next_pos, joining.next_pos]))

    @torch.inference_mode()
    def select(self, state: BatchState, keep: list[int]) -> BatchState | None:
        """Keep only the rows in `keep` and drop leading cache columns that no remaining row uses."""
        if not keep:
            return None
        rows = torch.tensor(keep, dtype=torch.long)
        valid = state.valid.index_select(0, rows)
        used = valid.any(dim=0).nonzero()
        start = int(used[0]) if len(used) else 0
        pairs = [(layer.keys.index_select(0, rows)[:, :, start:], layer.values.index_select(0, rows)[:, :, start:])
                 for layer in state.cache.layers]
        return BatchState(_filled_cache(pairs), valid[:, start:], state.next_pos.index_select(0, rows))

    @torch.inference_mode()
    def decode(self, state: BatchState, last_tokens: list[int]) -> torch.Tensor:
        """One decode step for every row; returns next-token logits [batch, vocab]."""
        valid = torch.cat([state.valid, torch.ones(state.size, 1, dtype=torch.bool)], dim=1)
        out = self.model(input_ids=torch.tensor(last_tokens, dtype=torch.long).unsqueeze(1),
                         attention_mask=valid[:, None, None, :], position_ids=state.next_pos.unsqueeze(1),
                         past_key_values=state.cache, use_cache=True)
        state.valid = valid
        state.next_pos = state.next_pos + 1
        return out.logits[:, -1].float()


def _pad_left(t: torch.Tensor, length: int) -> torch.Tensor:
    return F.pad(t, (0, 0, length - t.shape[-2], 0)) if t.shape[-2] < length else t
