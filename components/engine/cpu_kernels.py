"""The decode-step kernels of cpu_kernels.c: built with the system's C compiler on first use, loaded with ctypes.

torch's own CPU kernels leave most of a batched decode step on the table: at 8 rows its int4 kernel dequantizes
every weight to float32 and multiplies in float32 (compute-bound, ~21 ms of a 54 ms SmolLM2 step), and its batched
matrix products run the 3-query attention of each key/value head at a third of the memory bandwidth. The C kernels
compute the 4-bit (and the output head's 8-bit) layers as llama.cpp does — int8 activations in blocks of 32, integer
dot products with AVX-512 VNNI — and the decode attention in one pass over each row's keys and values. The small
operations between them (RMSNorm, rotary embedding with the cache write, SiLU, residual additions) are fused too,
because at one thread each torch operation's dispatch costs 3-7 us and a layer had ~40 of them.

Activations are quantized in two passes (x ~= dx * (a + a2 / 256), one integer sum): with llama.cpp's single pass
(Q8_1), teacher-forced next-token agreement with float32 over 1,200 knowledge-base tokens was 0.953, KL divergence
0.0043 (llama.cpp itself: 0.969 / 0.0030; bfloat16 without int8: 0.965 / 0.0012); two passes give 0.970 / 0.0010
and cost ~5 ms per decode step at 8 rows.

They need x86-64 with AVX-512 (F, BW, VL, DQ, VNNI, BF16) and a C compiler (`cc`, or $CC). The shared library is
cached under the model cache directory, keyed by the source's hash, so later starts load it in milliseconds. Where
either is missing (or KEFU_ENGINE_KERNELS=torch), `load` says why and the runner keeps torch's kernels.
"""
from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("cpu_kernels.c")
CPU_FLAGS = ("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx512_bf16", "fma")
COMPILE_FLAGS = ["-O3", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mavx512bf16",
                 "-mfma", "-shared", "-fPIC"]
BLOCK = 32      # inputs per quantization block
TILE = 16       # output columns per packed tile
HEAD_DIM = 64   # the attention kernel's head size
MAX_GROUP = 8   # query heads per key/value head the attention kernel takes


def missing_cpu_flags(cpuinfo: str | None = None) -> list[str]:
    """The CPU features the kernels need that this machine lacks (all of them when it is not Linux/x86)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return list(CPU_FLAGS)
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    return [f for f in CPU_FLAGS if f not in flags]


class Kernels:
    """The loaded library. Every call is single-threaded and releases the GIL (ctypes does)."""

    def __init__(self, library: ctypes.CDLL, path: Path):
        self.path = path
        signatures = {  # name: argument types (i = int, p = pointer, f = float)
            "kefu_qgemm": "iiipiippppippp", "kefu_decode_attention": "iiiippppfpp", "kefu_rms_norm": "iippfp",
            "kefu_rope_store": "iiiippppppp", "kefu_silu_mul": "iipp"}
        kinds = {"i": ctypes.c_int, "p": ctypes.c_void_p, "f": ctypes.c_float}
        for name, args in signatures.items():
            function = getattr(library, name)
            function.restype = None
            function.argtypes = [kinds[a] for a in args]
        self._qgemm, self._attention = library.kefu_qgemm, library.kefu_decode_attention
        self._rms_norm, self._rope_store, self._silu_mul = (library.kefu_rms_norm, library.kefu_rope_store,
                                                            library.kefu_silu_mul)
        self._scratch = threading.local()

    def _scratch_buffer(self, name: str, size: int, dtype: torch.dtype) -> torch.Tensor:
        """This thread's scratch tensor `name` with room for `size` elements (kept and grown, not reallocated)."""
        buffer = getattr(self._scratch, name, None)
        if buffer is None or buffer.numel() < size:
            buffer = torch.empty(size, dtype=dtype)
            setattr(self._scratch, name, buffer)
        return buffer

    def linear(self, x: torch.Tensor, weights: "BlockWeights", add_to: torch.Tensor | None = None) -> torch.Tensor:
        """x [rows, in] bfloat16 (contiguous) times the packed weights -> [rows, out] bfloat16; with `add_to`
        (contiguous [rows, out]), the product is added to it in place and it is returned."""
        rows, inputs = x.shape
        out = add_to if add_to is not None else torch.empty(rows, weights.out_features, dtype=torch.bfloat16)
        blocks = rows * inputs // BLOCK
        codes = self._scratch_buffer("codes", 2 * rows * inputs, torch.int8)  # two passes of int8 activations
        scales = self._scratch_buffer("scales", 2 * blocks, torch.float32)    # each block's scale, then its sum
        self._qgemm(rows, inputs, weights.out_features, x.data_ptr(), weights.bits, weights.passes,
                    weights.codes.data_ptr(), weights.scale.data_ptr(), weights.low.data_ptr(), out.data_ptr(),
                    int(add_to is not None), codes.data_ptr(), scales.data_ptr(), scales.data_ptr() + 4 * blocks)
        return out

    def rms_norm(self, x: torch.Tensor, weight: torch.Tensor, eps: float, out: torch.Tensor) -> torch.Tensor:
        """Llama's RMSNorm of x [rows, n] bfloat16 into `out` (same shape)."""
        self._rms_norm(x.shape[0], x.shape[1], x.data_ptr(), weight.data_ptr(), eps, out.data_ptr())
        return out

    def rope_store(self, qkv: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, positions: torch.Tensor,
                   q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """Rotate the query and key heads of qkv [rows, (heads + 2 kv_heads) * 64] to `positions` (int64), put the
        queries in q [rows, heads, 64] and the keys and values in the pools [slots, kv_heads, capacity, 64] at
        (row, positions[row])."""
        rows, heads = q.shape[0], q.shape[1]
        self._rope_store(rows, heads, keys.shape[1], keys.shape[2], qkv.data_ptr(), cos.data_ptr(), sin.data_ptr(),
                         positions.data_ptr(), q.data_ptr(), keys.data_ptr(), values.data_ptr())
        return q

    def silu_mul(self, gate_up: torch.Tensor) -> torch.Tensor:
        """[rows, 2n] -> silu(first half) * second half, [rows, n]."""
        rows, width = gate_up.shape
        out = torch.empty(rows, width // 2, dtype=gate_up.dtype)
        self._silu_mul(rows, width // 2, gate_up.data_ptr(), out.data_ptr())
        return out

    def decode_attention(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, visible: torch.Tensor,
                         scale: float) -> torch.Tensor:
        """q [rows, heads, 64] bfloat16; keys/values [rows, kv_heads, capacity, 64] bfloat16 (contiguous); row r
        sees positions 0..visible[r]-1 (int64). Returns [rows, heads, 64]."""
        rows, heads, _ = q.shape
        kv_heads, capacity = keys.shape[1], keys.shape[2]
        out = torch.empty_like(q)
        scores = self._scratch_buffer("scores", heads // kv_heads * capacity, torch.float32)
        self._attention(rows, kv_heads, heads // kv_heads, capacity, q.data_ptr(), keys.data_ptr(),
                        values.data_ptr(), visible.data_ptr(), scale, scores.data_ptr(), out.data_ptr())
        return out


class BlockWeights:
    """A weight matrix [out, in] as blocks of 32 inputs w = scale * u + low (u unsigned, 4 or 8 bits), packed in
    tiles of 16 output columns for kefu_qgemm (layout in cpu_kernels.c)."""

    def __init__(self, codes: torch.Tensor, scale: torch.Tensor, low: torch.Tensor, bits: int, passes: int = 2):
        out_features, inputs = codes.shape
        tiles, blocks = out_features // TILE, inputs // BLOCK
        u = codes.to(torch.uint8).view(tiles, TILE, blocks, 8, 4).permute(0, 2, 3, 1, 4)  # [t, g, j, c, b]
        if bits == 4:
            u = u[:, :, :4] | (u[:, :, 4:] << 4)
        self.codes = u.contiguous()
        per_tile = lambda t: t.float().view(tiles, TILE, blocks).permute(0, 2, 1).contiguous()  # noqa: E731
        self.scale, self.low = per_tile(scale), per_tile(low)
        self.bits = bits
        self.passes = passes
        self.out_features = out_features
        self.in_features = inputs

    @classmethod
    def packable(cls, weight: torch.Tensor) -> bool:
        rows, cols = weight.shape
        return weight.dtype == torch.bfloat16 and rows % TILE == 0 and cols % BLOCK == 0


def load(cache_dir: Path, mode: str = "auto") -> tuple[Kernels | None, str]:
    """(Kernels, where they came from) or (None, why not). Never raises: torch's kernels are the fallback."""
    if mode == "torch":
        return None, "KEFU_ENGINE_KERNELS=torch"
    missing = missing_cpu_flags()
    if missing:
        return None, "this CPU lacks " + ", ".join(missing)
    try:
        digest = hashlib.sha256(SOURCE.read_bytes() + " ".join(COMPILE_FLAGS).encode()).hexdigest()[:16]
    except OSError as exc:
        return None, f"their source is missing: {exc}"
    target = Path(cache_dir) / "kernels" / f"cpu_kernels-{digest}.so"
    if not target.is_file():
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not compiler:
            return None, "no C compiler (cc) to build them"
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        logger.info("building kefu's CPU kernels with %s (first start only)", compiler)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([compiler, *COMPILE_FLAGS, "-o", str(partial), str(SOURCE)], check=True,
                           capture_output=True, text=True, timeout=120)
            os.replace(partial, target)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            partial.unlink(missing_ok=True)
            return None, f"building them failed: {detail.strip()[:300]}"
    try:
        return Kernels(ctypes.CDLL(str(target)), target), f"built from {SOURCE.name} ({target.name})"
    except OSError as exc:
        return None, f"loading {target} failed: {exc}"
