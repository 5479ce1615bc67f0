"""A lean forward pass for the Llama/Qwen2 family (SmolLM2, Qwen2.5 and kin) over a slot-based key/value cache.

transformers' generic forward spends most of a CPU decode step in Python and cache bookkeeping: measured on
SmolLM2-135M in bfloat16 with one thread, one decode step takes ~74 ms in `model(...)` while its matrix products take
~11 ms. This runner takes the weights out of the loaded transformers model (no second copy of anything but the
fused projections) and runs the same mathematics with few, large operations:

- query/key/value and gate/up projections fused into one matrix product each;
- one key/value pool of `slots` rows ([layers, slots, kv_heads, capacity, head_dim]) whose capacity follows the
  longest conversation in 64-token steps (up to the context window). It is a view of one buffer sized for the whole
  window and committed by the OS only as it is written; a new capacity moves the rows in use within that buffer
  (~10 ms) instead of allocating a new pool (fresh pages cost ~0.6 s to fault in here). The running batch occupies
  slots 0..B-1; a joining request is prefilled straight into slot B, a finished row is replaced by moving the last
  rows down (one row's copy, not the whole cache);
- decode attention is kefu's one-pass kernel (cpu_kernels.c) where it runs: each row's keys and values are read
  once for the query heads that share them (8 rows × 600 tokens, 30 layers: 6.8 ms per step, against 13.8 ms for
  the torch path). The torch path is two batched matrix products over the pool: because the capacity is the pool's
  own width, each layer's keys of every row and key/value head are one contiguous [rows·kv_heads, capacity,
  head_dim] block, the query heads of one key/value head act as its queries (no repeated keys), and each row masks
  the columns past its own length (torch's fused attention kernel took 31 ms on the same data: it is slow for
  3-token queries);
- prompt attention is kefu's AMX kernel where the CPU has AMX (cpu_kernels_amx.h: blocks of 16 queries, each
  against only the keys it may see; ~0.8 ms per layer for a 570-token prompt on one thread), else torch's fused
  kernel with grouped query heads (torch 2.5+; plain causal even after a reused prefix, whose positions ride along
  as zero queries: ~2 ms), the rotary embedding kefu's kernel writing keys and values straight into the pool; else
  blocks of queries, each over only the keys it may see (6.2 ms; next-token agreement with float32 over 200 prompt
  prefixes 0.99); the last layer's attention and MLP run only for each prompt's last token;
- several prompts prefill together (prefill_many): their new tokens share each matrix product;
- decode steps read every weight once, so matrices that lie on a 4-bit grid — all of SmolLM2's, which the GGUF
  stores as Q4_1 — are also kept as their 4-bit blocks (the same information: the grid is recovered from the
  dequantized weights, not re-quantized). kefu's kernels multiply them with int8 activations, as llama.cpp does,
  and take the output head from the GGUF's own Q8_0 blocks; without those kernels, torch's int4 kernel decodes
  the layers and the head stays bfloat16. Prefill is compute-bound and stays on the bfloat16 copy.

`supported(model)` says whether a model can run here; anything else uses `CausalModelRunner`. The logits match
transformers' to bfloat16 rounding (tests compare greedy continuations token for token).
"""
from __future__ import annotations

import collections
import concurrent.futures
import functools
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import cpu_kernels


FAMILY = ("llama", "qwen2")  # the same decoder; Qwen2 adds biases to the query/key/value projections


def supported(model) -> bool:
    """Llama-architecture decoders (Llama, Qwen2): biases on the attention projections or none, tied or untied
    embeddings, any head counts, default RoPE at any base; no MLP biases, RoPE scaling or sliding windows."""
    config = model.config
    if getattr(config, "model_type", None) not in FAMILY or getattr(config, "is_encoder_decoder", False):
        return False
    if getattr(config, "mlp_bias", False):
        return False
    if getattr(config, "use_sliding_window", False) or any(
            kind != "full_attention" for kind in getattr(config, "layer_types", None) or ()):
        return False
    if getattr(config, "hidden_act", "silu") != "silu":
        return False
    rope = getattr(config, "rope_scaling", None) or {}
    rope_type = rope.get("rope_type", rope.get("type", "default")) if isinstance(rope, dict) else "default"
    params = getattr(config, "rope_parameters", None) or {}
    if isinstance(params, dict) and params.get("rope_type", "default") != "default":
        return False
    if rope_type != "default":
        return False
    return model.dtype in (torch.float32, torch.bfloat16) and not _is_quantized(model)


def _is_quantized(model) -> bool:
    return any(type(m).__module__.startswith(("torch.ao", "torch.nn.quantized")) for m in model.modules())


def _rope_theta(config) -> float:
    params = getattr(config, "rope_parameters", None)
    if isinstance(params, dict) and "rope_theta" in params:
        return float(params["rope_theta"])
    return float(getattr(config, "rope_theta", 10000.0))


GROUP = 32  # GGUF Q4_0/Q4_1 block size along the input dimension
# The compact kernels win while a step is memory-bound (decode: a few rows); a prefill of hundreds of tokens is
# compute-bound and runs twice as fast on the bfloat16 copy (measured: 600-token prefill 1.1 s vs 2.1 s with
# torch's int4 kernel).
PACKED_MAX_ROWS = 32


class _Linear:
    """y = x W^T. Many rows (a prefill) multiply the bfloat16/float32 weight; a few rows (a decode step) use
    `small` when there is one: a compact copy of the same weight, read with fewer bytes per weight (a memory-bound
    step reads every weight once) — kefu's int8 x 4-bit/8-bit block kernels (cpu_kernels.py) or torch's int4
    kernel."""

    def __init__(self, weight: torch.Tensor, small=None, blocks=None, bias: torch.Tensor | None = None):
        self.weight = weight
        self.small = small  # callable: contiguous [rows, in] -> [rows, out] (without the bias)
        self.blocks = blocks  # the cpu_kernels.BlockWeights behind `small`, if that is what it is
        self.bias = bias
        self.out_features = weight.shape[0]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        if self.small is None or flat.shape[0] > PACKED_MAX_ROWS:
            return F.linear(x, self.weight, self.bias)
        out = self.small(flat.contiguous()).view(*x.shape[:-1], self.out_features)
        return out if self.bias is None else out.add_(self.bias)

    def add_to(self, residual: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """residual += x W^T (+ bias), in place; residual [rows, out], x [rows, in]. Many rows add in the matrix
        product itself (one rounding to bfloat16 instead of two, and no product tensor: a 1,150-row output
        projection took 0.54 ms instead of 0.77 ms on one thread)."""
        if self.small is not None and x.shape[0] <= PACKED_MAX_ROWS:
            residual += self(x)
            return residual
        residual.addmm_(x, self.weight.t())
        return residual if self.bias is None else residual.add_(self.bias)


def _torch_int4(packed, x: torch.Tensor) -> torch.Tensor:
    return torch._weight_int4pack_mm_for_cpu(x, packed[0], GROUP, packed[1])


@torch.no_grad()
def four_bit_grid(weight: torch.Tensor, tolerance: float = 0.15):
    """If every block of 32 inputs of `weight` lies on a 16-level grid (min + scale * q, q = 0..15) — true of weights
    dequantized from GGUF Q4_1, to the rounding of bfloat16 — return (q as int32 [out, in], scale [out, in/32],
    low [out, in/32]), else None (nothing is approximated: a weight that is not on such a grid stays as it is)."""
    rows, cols = weight.shape
    if weight.dtype != torch.bfloat16 or cols % GROUP:
        return None
    groups = weight.float().view(rows, cols // GROUP, GROUP)
    low, high = groups.amin(-1), groups.amax(-1)
    scale = ((high - low) / 15).clamp(min=1e-12)
    q = ((groups - low[..., None]) / scale[..., None]).round().clamp(0, 15)
    error = ((q * scale[..., None] + low[..., None] - groups).abs() / scale[..., None]).amax()
    if float(error) > tolerance:
        return None
    return q.to(torch.int32).view(rows, cols), scale, low


@torch.no_grad()
def pack_4bit_grid(weight: torch.Tensor, tolerance: float = 0.15):
    """`weight` on a 4-bit grid (see four_bit_grid) packed for torch's CPU int4 kernel, else None."""
    if weight.shape[0] % 64 or not hasattr(torch, "_weight_int4pack_mm_for_cpu"):
        return None
    grid = four_bit_grid(weight, tolerance)
    if grid is None:
        return None
    q, scale, low = grid
    # torch's int4 kernel computes (q - 8) * scale + zero
    scales_zeros = torch.stack([scale.t(), (low + 8 * scale).t()], dim=-1).to(torch.bfloat16).contiguous()
    return torch._convert_weight_to_int4pack_for_cpu(q.contiguous(), 1), scales_zeros


def _sdpa_takes_grouped_heads() -> bool:
    """Whether this torch's fused attention takes fewer key/value heads than query heads (enable_gqa, torch 2.5+)."""
    try:
        q, kv = torch.zeros(1, 2, 1, 8), torch.zeros(1, 1, 1, 8)
        F.scaled_dot_product_attention(q, kv, kv, is_causal=True, enable_gqa=True)
        return True
    except (TypeError, RuntimeError):
        return False


SDPA_GQA = _sdpa_takes_grouped_heads()
# the scheduler prefills a burst's prompts together up to this many new tokens per pass and prefill thread (the rows
# already running decode a token between passes): 8 prompts of ~570 tokens took 3.2 s of CPU one by one, 2.65 s in
# passes of two, 2.6 s in passes of three or four, 2.66 s in one pass (one thread, bfloat16); with the prefix cache
# and the kernels since, 1.55 s one by one and 1.1-1.3 s in passes of two, four or eight (load 4-7)
PREFILL_PASS_TOKENS = 1200
CAPACITY_STEP = 64  # the pool grows (and shrinks) in steps of this many tokens
# prompt attention runs in blocks of this many queries: a 582-token prompt's attention takes 5.7 ms per layer in
# blocks of 64-146 (7.1 ms in blocks of 291) against 12 ms for torch's fused causal kernel (one thread, bfloat16)
PREFILL_BLOCK = 128


def _zeroed_pool(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """A zero-filled tensor whose pages the OS commits only when written (calloc of a large block maps fresh zero
    pages), so a full-window pool costs memory as conversations grow. It must be zeros, not torch.empty: a row's
    masked cache columns still enter attention as 0 * value, and recycled memory may hold NaN."""
    numpy_dtype = {torch.bfloat16: np.int16, torch.float16: np.float16, torch.float32: np.float32}[dtype]
    pool = torch.from_numpy(np.zeros(shape, dtype=numpy_dtype))
    return pool.view(dtype) if dtype == torch.bfloat16 else pool


@torch.no_grad()
def _fuse(*linears) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Stack the weights of `linears` into one matrix and make each module's weight a view of it (no second copy,
    so transformers' own forward keeps working on the same memory); with their biases stacked likewise (zeros for a
    module without one), or None when none has a bias."""
    fused = torch.cat([m.weight for m in linears]).contiguous()
    start = 0
    for m in linears:
        rows = m.weight.shape[0]
        m.weight = torch.nn.Parameter(fused[start:start + rows], requires_grad=False)
        start += rows
    if all(m.bias is None for m in linears):
        return fused, None
    return fused, torch.cat([m.bias if m.bias is not None else torch.zeros(m.weight.shape[0], dtype=fused.dtype)
                             for m in linears]).contiguous()


@dataclass
class _Layer:
    in_norm: torch.Tensor
    qkv: _Linear       # [q_dim + 2 * kv_dim, hidden]
    o: _Linear
    post_norm: torch.Tensor
    gate_up: _Linear   # [2 * intermediate, hidden]
    down: _Linear


@dataclass
class SlotBatch:
    """The running batch as the scheduler sees it: rows 0..size-1 of the pool and each row's cached length."""

    lengths: list[int]
    slot: int | None = None  # a prefilled row not yet merged: the pool slot it was prefilled into

    @property
    def size(self) -> int:
        return len(self.lengths)

    @property
    def length(self) -> int:
        return max(self.lengths, default=0)


class LlamaSlotRunner:
    """Prefill and batched decode for the scheduler (same interface as CausalModelRunner)."""

    supports_batching = True
    prefill_pass_tokens = PREFILL_PASS_TOKENS

    def __init__(self, model, *, slots: int, window: int, max_prefixes: int = 8, four_bit: bool = True,
                 kernels=None, head_blocks=None, decode_threads=None):
        """`four_bit`: decode with the 4-bit copies of the matrices that lie on a 4-bit grid. `kernels`: kefu's
        CPU kernels (cpu_kernels.load), used for bfloat16 models; `head_blocks`: the output head's exact 8-bit
        blocks from the GGUF file (model_loader.gguf_q8_0_head), which those kernels decode with;
        `decode_threads`: asked before each decode step how many threads those kernels' matrix products use
        (cpu_headroom.DecodeThreads; default one)."""
        config = model.config
        self.dtype = model.dtype
        self.hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.kv_heads = getattr(config, "num_key_value_heads", None) or self.heads
        self.head_dim = getattr(config, "head_dim", None) or self.hidden // self.heads
        self.group = self.heads // self.kv_heads
        self.eps = float(config.rms_norm_eps)
        self.slots = slots
        self.window = window
        self.kernels = kernels if self.dtype == torch.bfloat16 else None
        self.decode_threads = decode_threads or (lambda: 1)
        self.decode_thread_steps = collections.Counter()  # decode steps by the threads their products used
        # each prefill pass's busiest thread's CPU time, summed: a pass's wall time on an idle box (on a shared one,
        # steadier than wall time); with OpenMP threads, the calling thread's, barrier waits included
        self.prefill_busiest_cpu_s = 0.0
        # the attention kernel reads keys in blocks of 16 positions, so the pool's width must be a multiple of 16
        self.fast_attention = (self.kernels is not None and self.head_dim == cpu_kernels.HEAD_DIM
                               and self.group <= cpu_kernels.MAX_GROUP and window % 16 == 0)
        inner = model.model
        self.embed = inner.embed_tokens.weight
        self.final_norm = inner.norm.weight
        self.lm_head = _Linear(model.lm_head.weight, self._head_kernel(model.lm_head.weight, head_blocks))
        self.layers = []
        for layer in inner.layers:
            attn, mlp = layer.self_attn, layer.mlp
            qkv = _fuse(attn.q_proj, attn.k_proj, attn.v_proj)
            gate_up, _ = _fuse(mlp.gate_proj, mlp.up_proj)
            self.layers.append(_Layer(
                in_norm=layer.input_layernorm.weight, qkv=self._linear(*qkv, four_bit=four_bit),
                o=self._linear(attn.o_proj.weight, attn.o_proj.bias, four_bit=four_bit),
                post_norm=layer.post_attention_layernorm.weight,
                gate_up=self._linear(gate_up, four_bit=four_bit),
                down=self._linear(mlp.down_proj.weight, four_bit=four_bit)))
        # RMSNorm and SiLU x up as kefu's kernels (one pass each instead of ~6 torch operations; prefill too)
        self.fused_elementwise = (self.kernels is not None and self.hidden % 16 == 0
                                  and config.intermediate_size % 16 == 0)
        # a prompt's rotary embedding as one kernel call per prompt and layer, writing keys and values straight into
        # the pool (torch's five element-wise operations per head kind took ~15% of a burst's prefill)
        self.fast_rope = self.kernels is not None and self.head_dim == cpu_kernels.HEAD_DIM
        # and its attention on AMX tiles where the CPU has them (cpu_kernels_amx.h), each block of 16 queries
        # against only the keys it may see: ~0.85 ms per layer for ~515 new tokens after a 57-token prefix, against
        # 2.0 ms for torch's fused kernel, which computes the masked half too (one thread, bfloat16)
        self.amx_attention = self.fast_rope and self.kernels.has_prompt_attention
        matrices = [m for layer in self.layers for m in (layer.qkv, layer.o, layer.gate_up, layer.down)]
        self.four_bit_matrices = sum(m.small is not None for m in matrices)
        # a decode step as a few kernel calls per layer (see _decode_fused)
        self.fused_decode = (self.fast_attention and all(m.blocks is not None for m in matrices)
                             and self.hidden % 16 == 0 and slots <= PACKED_MAX_ROWS)
        if self.kernels is not None and self.four_bit_matrices:
            self.weights = (f"4-bit blocks x int8 (kefu kernels) for {self.four_bit_matrices}/{len(matrices)}"
                            + (", 8-bit head" if self.lm_head.small is not None else ""))
        elif self.four_bit_matrices == len(matrices):
            self.weights = "int4 (GGUF 4-bit grid)"
        else:
            self.weights = f"{self.dtype}".replace("torch.", "") + (
                f" + int4 for {self.four_bit_matrices}/{len(matrices)}" if self.four_bit_matrices else "")
        size = len(self.layers) * slots * self.kv_heads * window * self.head_dim
        self._k_buffer, self._v_buffer = _zeroed_pool((size,), self.dtype), _zeroed_pool((size,), self.dtype)
        self.capacity = min(window, CAPACITY_STEP)
        self.k, self.v = self._pool(self._k_buffer), self._pool(self._v_buffer)
        inv = 1.0 / (_rope_theta(config) ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim))
        angles = torch.outer(torch.arange(window, dtype=torch.float32), inv)
        angles = torch.cat([angles, angles], dim=-1)
        self.cos, self.sin = angles.cos().to(self.dtype), angles.sin().to(self.dtype)
        self.scale = self.head_dim ** -0.5
        self._diagonal = torch.full((PREFILL_BLOCK, PREFILL_BLOCK), float("-inf")).triu(1)
        self._rows = 0  # rows of the merged running batch (slots 0.._rows-1)
        self._prefixes: OrderedDict[tuple[int, ...], tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._max_prefixes = max_prefixes
        self._lock = threading.Lock()
        self._omp = None  # components.omp_threads.OmpThreads, for a prefill on several threads
        self._workers: concurrent.futures.ThreadPoolExecutor | None = None
        self._workers_size = 0

    def _linear(self, weight: torch.Tensor, bias: torch.Tensor | None = None, *, four_bit: bool) -> _Linear:
        """The decode copy of a matrix on a 4-bit grid: blocks for kefu's kernels, else packed for torch's."""
        if not four_bit:
            return _Linear(weight, bias=bias)
        if self.kernels is not None and cpu_kernels.BlockWeights.packable(weight):
            grid = four_bit_grid(weight)
            if grid is not None and cpu_kernels.BlockWeights.fits_float16(grid[1], grid[2]):
                blocks = cpu_kernels.BlockWeights(*grid, 4)
                return _Linear(weight, functools.partial(self.kernels.linear, weights=blocks), blocks, bias)
        packed = pack_4bit_grid(weight)
        return _Linear(weight, functools.partial(_torch_int4, packed) if packed is not None else None, bias=bias)

    def _head_kernel(self, weight: torch.Tensor, head_blocks):
        """The output head decodes from the GGUF's own Q8_0 blocks when kefu's kernels run and the blocks are this
        head's (they must dequantize to the loaded weight, to bfloat16 rounding); else it stays bfloat16 (8-bit
        blocks cannot be recovered from bfloat16, see model_loader.gguf_q8_0_head, and a torch int8-per-row copy
        changed next-token choices: agreement with float32 0.966 -> 0.960)."""
        if self.kernels is None or head_blocks is None or not cpu_kernels.BlockWeights.packable(weight):
            return None
        codes, scale = head_blocks
        if codes.shape != weight.shape or not cpu_kernels.BlockWeights.fits_float16(scale, -128 * scale):
            return None
        rows = slice(0, weight.shape[0], max(1, weight.shape[0] // 256))  # a sample of rows is enough to tell
        sample = (codes[rows].float() - 128).view(-1, weight.shape[1] // GROUP, GROUP) * scale[rows, :, None]
        if not torch.allclose(sample.view(-1, weight.shape[1]), weight[rows].float(), rtol=1 / 128, atol=1e-6):
            return None
        blocks = cpu_kernels.BlockWeights(codes, scale, -128 * scale, 8)
        return functools.partial(self.kernels.linear, weights=blocks)

    # -- the key/value pool --
    def _pool(self, buffer: torch.Tensor) -> torch.Tensor:
        shape = (len(self.layers), self.slots, self.kv_heads, self.capacity, self.head_dim)
        return buffer[:int(np.prod(shape))].view(shape)

    def _resize(self, capacity: int) -> None:
        """Give the pool room for `capacity` tokens per row, keeping what the rows in use hold. Each (layer, slot,
        head) block moves within the buffer: last block first when growing, first block first when shrinking, so
        no block overwrites one that has not moved yet (a block overlapping its own old place goes via a copy)."""
        capacity = min(self.window, capacity)
        old, rows = self.capacity, self._rows
        width, keep = self.head_dim, min(old, capacity) * self.head_dim
        blocks = [(layer * self.slots + slot) * self.kv_heads + head for layer in range(len(self.layers))
                  for slot in range(rows) for head in range(self.kv_heads)]
        for buffer in (self._k_buffer, self._v_buffer):
            for j in (reversed(blocks) if capacity > old else blocks):
                src, dst = j * old * width, j * capacity * width
                if src == dst:
                    continue
                source = buffer[src:src + keep]
                if abs(src - dst) < keep:
                    source = source.clone()
                buffer[dst:dst + keep].copy_(source)
        self.capacity = capacity
        self.k, self.v = self._pool(self._k_buffer), self._pool(self._v_buffer)

    def _fit(self, needed: int) -> None:
        """Grow to hold `needed` tokens; shrink when the longest row needs less than half of the pool (attention
        reads every column of the pool)."""
        target = -(-needed // CAPACITY_STEP) * CAPACITY_STEP
        if needed > self.capacity or target <= self.capacity // 2:
            self._resize(target)

    # -- building blocks --
    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        if self.fused_elementwise:
            flat = x.reshape(-1, x.shape[-1]).contiguous()
            return self.kernels.rms_norm(flat, weight, self.eps, torch.empty_like(flat),
                                         torch.get_num_threads()).view(x.shape)
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * h.to(x.dtype)

    def _rope(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        half = self.head_dim // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rotated * sin

    def _causal_attention(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                          past: int) -> torch.Tensor:
        """Prompt attention for the new tokens at positions past..total-1: queries [heads, total, d] (rows
        0..past-1 are zeros, the cached prefix's positions), keys/values [kv_heads, total, d] -> [heads, total -
        past, d]. torch's fused attention with grouped query heads where this torch has it, else in blocks
        (_blocked_attention). Where the new tokens are at least half the prompt, the prefix's zero queries ride
        along so that the attention is plain causal, which the fused kernel computes only below the diagonal
        (8 prompts of ~505 new tokens after a 67-token prefix, one thread: 1.97 ms per layer and prompt against
        2.81 ms with a mask, which makes it compute every block); their outputs are dropped."""
        q_len = queries.shape[1] - past
        if not SDPA_GQA:
            return self._blocked_attention(queries[None, :, past:], keys[None], values[None], past)[0]
        if past <= q_len:
            out = F.scaled_dot_product_attention(queries[None], keys[None], values[None], is_causal=True,
                                                 enable_gqa=True)
            return out[0, :, past:]
        mask = torch.ones(q_len, past + q_len, dtype=torch.bool).tril(past)  # query i sees keys 0..past + i
        return F.scaled_dot_product_attention(queries[None, :, past:], keys[None], values[None], attn_mask=mask,
                                              enable_gqa=True)[0]

    def _blocked_attention(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, past: int) -> torch.Tensor:
        """Prompt attention in blocks of PREFILL_BLOCK queries, each over the keys it may see (0..its last position):
        the blocks skip the masked half of the causal square, and the query heads of one key/value head share one
        matrix product. q [1, heads, q_len, d] at positions past.., keys/values [1, kv_heads, past + q_len, d]."""
        q_len, d, kv, g = q.shape[2], self.head_dim, self.kv_heads, self.group
        queries = (q[0] * self.scale).reshape(kv, g, q_len, d)          # head h uses key/value head h // group
        k, v = keys[0], values[0]
        out = torch.empty(kv, g, q_len, d, dtype=q.dtype)
        for start in range(0, q_len, PREFILL_BLOCK):
            stop = min(q_len, start + PREFILL_BLOCK)
            n, end = stop - start, past + stop                        # this block sees keys 0..end-1
            block = queries[:, :, start:stop].reshape(kv, g * n, d)
            scores = torch.bmm(block, k[:, :end].transpose(1, 2)).view(kv, g, n, end).float()
            scores[..., past + start:end] += self._diagonal[:n, :n]   # the block's own tokens: causal
            weights = torch.softmax(scores, dim=-1).to(q.dtype)
            out[:, :, start:stop] = torch.bmm(weights.view(kv, g * n, end), v[:, :end]).view(kv, g, n, d)
        return out.view(1, kv * g, q_len, d)

    def _mlp(self, x: torch.Tensor, layer: _Layer) -> torch.Tensor:
        """x += the MLP of its norm, in place (x [rows, hidden])."""
        h = self._norm(x, layer.post_norm)
        if self.fused_elementwise:
            gate_up = layer.gate_up(h)
            return layer.down.add_to(x, self.kernels.silu_mul(gate_up.view(-1, gate_up.shape[-1]),
                                                              torch.get_num_threads()))
        gate, up = layer.gate_up(h).chunk(2, dim=-1)
        return layer.down.add_to(x, F.silu(gate) * up)

    # -- scheduler interface --
    def prefill(self, ids: list[int], prefix_len: int = 0):
        """Run the prompt into the next free slot; return (last logits [vocab], SlotBatch of that row, reused)."""
        return self.prefill_many([(ids, prefix_len)])[0]

    @torch.inference_mode()
    def prefill_many(self, prompts: list[tuple[list[int], int]]):
        """Run several prompts ((ids, shared prefix length) each) into the next free slots, one after another in
        slot order, as one forward pass: their new tokens go through each matrix product together (a burst's
        prompts cost one pass over the weights per layer, and large products run closer to the CPU's peak), each
        prompt attending only to itself. Returns, per prompt, (last logits [vocab], SlotBatch of its row, tokens
        reused from the prefix cache); the scheduler merges the rows in the same order."""
        if self._rows + len(prompts) > self.slots:
            raise RuntimeError("no free cache slot")
        for ids, _ in prompts:
            if len(ids) > self.window:
                raise ValueError(f"prompt of {len(ids)} tokens exceeds the engine window of {self.window}")
        longest = max(len(ids) for ids, _ in prompts)
        if longest > self.capacity:
            self._fit(longest)
        segments, keys = [], []
        for n, (ids, prefix_len) in enumerate(prompts):
            slot, total = self._rows + n, len(ids)
            key = tuple(ids[:prefix_len]) if prefix_len and prefix_len < total else None
            with self._lock:
                entry = self._prefixes.get(key) if key else None
                if entry is not None:
                    self._prefixes.move_to_end(key)
            past = 0
            if entry is not None:
                past = prefix_len
                self.k[:, slot, :, :past] = entry[0]
                self.v[:, slot, :, :past] = entry[1]
            segments.append((slot, ids[past:], past))
            keys.append(key if entry is None else None)
        hidden = self._forward_on_threads(segments)
        logits = self.lm_head(self._norm(hidden, self.final_norm)).float()
        for (slot, _, _), key in zip(segments, keys):
            if key:
                snapshot = (self.k[:, slot, :, :len(key)].clone(), self.v[:, slot, :, :len(key)].clone())
                with self._lock:
                    self._prefixes[key] = snapshot
                    while len(self._prefixes) > self._max_prefixes:
                        self._prefixes.popitem(last=False)
        return [(logits[n], SlotBatch([len(ids)], self._rows + n), past) for n, ((ids, _), (_, _, past))
                in enumerate(zip(prompts, segments))]

    def _forward_on_threads(self, segments: list[tuple[int, list[int], int]]) -> torch.Tensor:
        """_forward_segments of every segment; with more than one segment and more than one thread for this
        prefill (torch.get_num_threads(), which the scheduler sets), the segments are dealt out to one group per
        thread (the longest first, each to the group with the fewest tokens so far) and each group runs its own
        forward pass on its own thread, with one OpenMP thread each (or an equal share of them). Two threads
        sharing each matrix product bought a burst almost nothing here: oneDNN runs the products with 576
        outputs (the output and down projections) on one thread for 600-1,100 rows — a pass of two prompts —
        however many it is given. Each group only writes its own slots; the prefix cache has its lock."""
        threads = torch.get_num_threads()
        groups = min(threads, len(segments))
        omp = self._omp_threads() if groups > 1 else None
        if omp is None or not omp.available:
            began = time.thread_time()
            hidden = self._forward_segments(segments)
            self.prefill_busiest_cpu_s += time.thread_time() - began
            return hidden
        members, tokens = [[] for _ in range(groups)], [0] * groups
        for n in sorted(range(len(segments)), key=lambda n: -len(segments[n][1])):
            g = tokens.index(min(tokens))
            members[g].append(n)
            tokens[g] += len(segments[n][1])
        each = threads // groups

        cpu = [0.0] * groups

        def run(g: int) -> torch.Tensor:
            began = time.thread_time()
            try:
                with torch.inference_mode(), omp.limited(each):
                    return self._forward_segments([segments[n] for n in members[g]])
            finally:
                cpu[g] = time.thread_time() - began

        pool = self._prefill_pool(groups - 1)
        futures = [pool.submit(run, g) for g in range(1, groups)]
        try:
            results = [run(0)]
        finally:  # every group ends before this returns or raises: none may still write the pool
            concurrent.futures.wait(futures)
        self.prefill_busiest_cpu_s += max(cpu)
        results += [future.result() for future in futures]
        hidden = torch.empty(len(segments), self.hidden, dtype=results[0].dtype)
        for group, out in zip(members, results):
            hidden[group] = out
        return hidden

    def _omp_threads(self):
        """The per-thread OpenMP count (components/omp_threads.py), made on first use."""
        if self._omp is None:
            from components.omp_threads import OmpThreads

            self._omp = OmpThreads()
        return self._omp

    def _prefill_pool(self, workers: int) -> concurrent.futures.ThreadPoolExecutor:
        """The threads that run a prefill's other groups (made on first use; grown if a prefill needs more)."""
        if self._workers is None or self._workers_size < workers:
            if self._workers is not None:
                self._workers.shutdown(wait=False)
            self._workers = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="kefu-prefill")
            self._workers_size = workers
        return self._workers

    def _forward_segments(self, segments: list[tuple[int, list[int], int]]) -> torch.Tensor:
        """Each segment (slot, new tokens, past) continues the sequence cached in its slot's first `past`
        positions: its keys and values go into the pool and it attends to 0..past + len(tokens) - 1 of its own
        slot. The matrix products take every segment's tokens at once. Returns the last layer's output at each
        segment's last token [segments, hidden] (before the final norm and the output head)."""
        ids = [token for _, tokens, _ in segments for token in tokens]
        spans = list(itertools.accumulate((len(tokens) for _, tokens, _ in segments), initial=0))
        positions = [torch.arange(past, past + len(tokens)) for _, tokens, past in segments]
        x = self.embed[torch.tensor(ids, dtype=torch.long)]  # [T, hidden], a fresh residual stream
        count = len(ids)
        qd, kd = self.heads * self.head_dim, self.kv_heads * self.head_dim
        amx = self.amx_attention
        if amx:  # every new token's query heads, [T, heads, head_dim], as the AMX kernel reads them
            rotated = torch.empty(count, self.heads, self.head_dim, dtype=x.dtype)
        else:  # each segment's queries as torch's attention takes them, [heads, past + new, head_dim], prefix rows 0
            queries = [torch.zeros(self.heads, past + len(tokens), self.head_dim, dtype=x.dtype)
                       for _, tokens, past in segments]
        threads = torch.get_num_threads()  # this prefill's (the element-wise kernels split their rows by it)
        if not self.fast_rope:
            where = torch.cat(positions)
            cos, sin = self.cos[where].unsqueeze(1), self.sin[where].unsqueeze(1)  # [T, 1, head_dim]
        last = torch.tensor(spans[1:]) - 1  # each segment's last token
        for i, layer in enumerate(self.layers):
            qkv = layer.qkv(self._norm(x, layer.in_norm))
            if not self.fast_rope:
                q, k, v = qkv.split([qd, kd, kd], dim=-1)
                q = self._rope(q.view(count, self.heads, self.head_dim), cos, sin)
                k = self._rope(k.view(count, self.kv_heads, self.head_dim), cos, sin)
                v = v.view(count, self.kv_heads, self.head_dim)
            # every token's keys and values go into the pool, but past them, the last layer's attention, output
            # projection and MLP matter only at each segment's last token (its logits): 1/30 of the products
            trim = i == len(self.layers) - 1
            attn = torch.empty(len(segments) if trim else count, self.heads, self.head_dim, dtype=x.dtype)
            for n, (slot, tokens, past) in enumerate(segments):
                span, total = slice(spans[n], spans[n + 1]), past + len(tokens)
                into = slice(n, n + 1) if trim else span
                new_queries = rotated[span] if amx else queries[n][:, past:].transpose(0, 1)  # [new, heads, d]
                if self.fast_rope:  # rotate, and write the keys and values straight into the pool
                    self.kernels.rope_store(qkv[span], self.cos, self.sin, positions[n], new_queries,
                                            self.k[i, slot], self.v[i, slot], threads)
                else:
                    self.k[i, slot, :, past:total] = k[span].transpose(0, 1)
                    self.v[i, slot, :, past:total] = v[span].transpose(0, 1)
                    new_queries.copy_(q[span])
                if amx:
                    self.kernels.prompt_attention(new_queries[-1:] if trim else new_queries, self.k[i, slot],
                                                  self.v[i, slot], total - 1 if trim else past, self.scale,
                                                  attn[into], threads)
                    continue
                out = self._causal_attention(queries[n], self.k[i, slot, :, :total], self.v[i, slot, :, :total], past)
                attn[into] = out[:, -1:].transpose(0, 1) if trim else out.transpose(0, 1)
            if trim:
                x = x[last]
            layer.o.add_to(x, attn.view(x.shape[0], qd))
            self._mlp(x, layer)
        return x

    def merge(self, state: SlotBatch | None, joining: SlotBatch) -> SlotBatch:
        """The joining row was prefilled into slot `state.size` (or, when a row prefilled before it in the same
        prefill_many did not join, a later slot, from which it moves down); it becomes the batch's last row."""
        rows = state.size if state is not None else 0
        if rows != self._rows:
            raise RuntimeError(f"the batch has {rows} rows but the runner holds {self._rows}")
        if joining.slot is not None and joining.slot != rows:  # a row prefilled with it did not join: move down
            n = joining.lengths[0]
            self.k[:, rows, :, :n] = self.k[:, joining.slot, :, :n]
            self.v[:, rows, :, :n] = self.v[:, joining.slot, :, :n]
        lengths = (state.lengths if state is not None else []) + joining.lengths
        self._rows = len(lengths)
        return SlotBatch(lengths)

    @torch.inference_mode()
    def select(self, state: SlotBatch | None, keep: list[int]) -> SlotBatch | None:
        """Keep the rows in `keep` (ascending), moving each kept row down into the lowest free slot."""
        if state is None or not keep:
            self._rows = 0
            return None
        for new, old in enumerate(keep):
            if new != old:
                n = state.lengths[old]
                self.k[:, new, :, :n] = self.k[:, old, :, :n]
                self.v[:, new, :, :n] = self.v[:, old, :, :n]
        self._rows = len(keep)
        return SlotBatch([state.lengths[i] for i in keep]) if keep else None

    @torch.inference_mode()
    def decode(self, state: SlotBatch, last_tokens: list[int]) -> torch.Tensor:
        """One decode step for every row; returns next-token logits [batch, vocab]."""
        rows = state.size
        lengths = torch.tensor(state.lengths, dtype=torch.long)
        if int(lengths.max()) >= self.window:
            raise RuntimeError("a conversation reached the end of the engine window")
        self._fit(int(lengths.max()) + 1)
        if self.kernels is not None:
            self.kernels.threads = self.decode_threads()
            self.decode_thread_steps[self.kernels.threads] += 1
        if self.fused_decode:
            logits = self._decode_fused(lengths, last_tokens)
            state.lengths = [n + 1 for n in state.lengths]
            return logits
        width = self.capacity
        row_index = torch.arange(rows)
        if self.fast_attention:
            visible = lengths + 1  # row r sees pool columns 0..lengths[r]: its history plus the new token
        else:
            # [rows·kv_heads, 1, width]: the same, as an additive mask
            seen = torch.arange(width).unsqueeze(0) <= lengths.unsqueeze(1)
            mask = torch.zeros(rows, width).masked_fill_(~seen, float("-inf"))
            mask = mask.repeat_interleave(self.kv_heads, dim=0).unsqueeze(1)
        batch = rows * self.kv_heads
        cos, sin = self.cos[lengths].unsqueeze(1), self.sin[lengths].unsqueeze(1)  # [rows, 1, head_dim]
        x = self.embed[torch.tensor(last_tokens, dtype=torch.long)]  # [rows, hidden]
        qd, kd = self.heads * self.head_dim, self.kv_heads * self.head_dim
        for i, layer in enumerate(self.layers):
            h = self._norm(x, layer.in_norm)
            q, k, v = layer.qkv(h).split([qd, kd, kd], dim=-1)
            q = self._rope(q.view(rows, self.heads, self.head_dim), cos, sin)
            k = self._rope(k.view(rows, self.kv_heads, self.head_dim), cos, sin)
            self.k[i, row_index, :, lengths] = k
            self.v[i, row_index, :, lengths] = v.view(rows, self.kv_heads, self.head_dim)
            if self.fast_attention:
                attn = self.kernels.decode_attention(q, self.k[i, :rows], self.v[i, :rows], visible, self.scale)
            else:
                keys = self.k[i, :rows].view(batch, width, self.head_dim)    # contiguous: the pool's whole width
                values = self.v[i, :rows].view(batch, width, self.head_dim)
                # the `group` query heads of one key/value head act as that head's queries: no repeated keys
                grouped = (q * self.scale).reshape(batch, self.group, self.head_dim)
                scores = torch.bmm(grouped, keys.transpose(1, 2)).float() + mask
                weights = torch.softmax(scores, dim=-1).to(self.dtype)
                attn = torch.bmm(weights, values)                             # [rows·kv_heads, group, head_dim]
            layer.o.add_to(x, attn.reshape(rows, qd))
            self._mlp(x, layer)
        state.lengths = [n + 1 for n in state.lengths]
        return self.lm_head(self._norm(x, self.final_norm)).float()

    def _decode_fused(self, lengths: torch.Tensor, last_tokens: list[int]) -> torch.Tensor:
        """The decode step with kefu's kernels: per layer, norm / QKV / rotate and store / attend / output
        projection added to the residual / norm / gate-up / SiLU / down projection added to the residual, nine
        calls instead of ~40 torch operations (at one thread their dispatch was half of a single-stream step)."""
        kernels, rows = self.kernels, len(last_tokens)
        visible = lengths + 1  # row r sees pool columns 0..lengths[r]: its history plus the new token
        x = self.embed[torch.tensor(last_tokens, dtype=torch.long)]  # [rows, hidden], a fresh residual stream
        h = torch.empty_like(x)
        q = torch.empty(rows, self.heads, self.head_dim, dtype=self.dtype)
        for i, layer in enumerate(self.layers):
            qkv = layer.qkv.small(kernels.rms_norm(x, layer.in_norm, self.eps, h))
            if layer.qkv.bias is not None:  # Qwen2's query/key/value biases
                qkv += layer.qkv.bias
            kernels.rope_store(qkv, self.cos, self.sin, lengths, q, self.k[i], self.v[i])
            attn = kernels.decode_attention(q, self.k[i, :rows], self.v[i, :rows], visible, self.scale)
            kernels.linear(attn.view(rows, -1), layer.o.blocks, add_to=x)
            if layer.o.bias is not None:
                x += layer.o.bias
            gate_up = layer.gate_up.small(kernels.rms_norm(x, layer.post_norm, self.eps, h))
            kernels.linear(kernels.silu_mul(gate_up), layer.down.blocks, add_to=x)
        return self.lm_head(kernels.rms_norm(x, self.final_norm, self.eps, h)).float()
