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

They come in four builds for the x86-64 levels (ISAS, best first): AVX-512 VNNI with BF16, AVX-512 VNNI without
BF16 (cpu_kernels.c with or without -mavx512bf16), AVX2 with AVX-VNNI and plain AVX2 + FMA (cpu_kernels_avx2.c, the
same functions on 256-bit vectors). The best one this CPU runs is chosen from its flags (/proc/cpuinfo, the kernel's
reading of CPUID) at start-up; KEFU_ENGINE_ISA forces one. A build is looked for, in order, in the model cache
(keyed by the source's and flags' hash), among the builds made ahead of time by `make install` (`python -m
components.engine.cpu_kernels build`, into the virtual environment's share/kefu-kernels), and else built with the
machine's C compiler (`cc`, or $CC) into the cache. Where none can be had (or KEFU_ENGINE_KERNELS=torch), `load`
says why and the runner keeps torch's kernels.

The AVX-512 BF16 build also holds a prompt's attention on AMX tiles (cpu_kernels_amx.h), which the prefill uses
where the CPU has AMX-TILE and AMX-BF16 and Linux grants the tile state (Kernels.enable_amx; else torch's).
"""
from __future__ import annotations

import concurrent.futures
import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
# included by each source: the entry points every build shares, and the element-wise kernels for either width
HEADERS = ("cpu_kernels_entry.h", "cpu_kernels_vector.h", "cpu_kernels_amx.h")


@dataclass(frozen=True)
class Isa:
    """One build of the kernels: the CPU flags it needs (as /proc/cpuinfo names them) and how it is compiled."""

    name: str
    source: str
    cpu_flags: tuple[str, ...]
    compile_flags: tuple[str, ...]
    description: str

    def digest(self) -> str:
        """The build's identity: its source and compile flags."""
        sources = (HERE / self.source).read_bytes() + b"".join((HERE / h).read_bytes() for h in HEADERS)
        return hashlib.sha256(sources + " ".join(self.compile_flags).encode()).hexdigest()[:16]

    def file_name(self) -> str:
        return f"cpu_kernels-{self.name}-{self.digest()}.so"


_AVX512 = ("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni")
_AVX512_FLAGS = ("-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni")
ISAS = (  # best first
    Isa("avx512bf16", "cpu_kernels.c", (*_AVX512, "avx512_bf16", "fma"), (*_AVX512_FLAGS, "-mavx512bf16", "-mfma"),
        "AVX-512 VNNI + BF16"),
    Isa("avx512", "cpu_kernels.c", (*_AVX512, "fma"), (*_AVX512_FLAGS, "-mfma"), "AVX-512 VNNI"),
    Isa("avxvnni", "cpu_kernels_avx2.c", ("avx2", "fma", "f16c", "avx_vnni"), ("-mavx2", "-mfma", "-mf16c", "-mavxvnni"),
        "AVX2 + FMA + AVX-VNNI"),
    Isa("avx2", "cpu_kernels_avx2.c", ("avx2", "fma", "f16c"), ("-mavx2", "-mfma", "-mf16c"), "AVX2 + FMA"),
)
ISA_NAMES = tuple(isa.name for isa in ISAS)
COMMON_FLAGS = ("-O3", "-shared", "-fPIC")
# kernels built ahead of time (make install) live here, inside the virtual environment
PREBUILT_DIR = Path(sys.prefix) / "share" / "kefu-kernels"
BLOCK = 32      # inputs per quantization block
TILE = 16       # output columns per packed tile
HEAD_DIM = 64   # the attention kernel's head size
MAX_GROUP = 8   # query heads per key/value head the attention kernel takes
# a prefill's element-wise kernels run by halves on two threads from this many rows (when it has two threads): they
# were ~0.15 s of a burst's eight prefills on one thread, where the matrix products and attention use both cores
SPLIT_ROWS = 256
# a prompt's attention on AMX tiles splits its query blocks between two threads from this many new tokens
SPLIT_QUERIES = 64
AMX_FLAGS = ("amx_tile", "amx_bf16")  # what the AMX prompt attention needs besides the AVX-512 BF16 build


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """This CPU's feature flags (from /proc/cpuinfo, or the given text); empty where there is none (not Linux)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def missing_cpu_flags(isa: Isa, flags: set[str]) -> list[str]:
    """The CPU features `isa` needs that `flags` lack."""
    return [f for f in isa.cpu_flags if f not in flags]


def choose_isa(flags: set[str], forced: str = "auto") -> tuple[Isa | None, str]:
    """(the build to run, why) — the best this CPU runs, or the forced one if it runs it; (None, why not)."""
    if forced != "auto":
        isa = next((i for i in ISAS if i.name == forced), None)
        if isa is None:
            return None, f"KEFU_ENGINE_ISA={forced} is not one of {', '.join(ISA_NAMES)}"
        missing = missing_cpu_flags(isa, flags)
        if missing:
            return None, f"KEFU_ENGINE_ISA={forced}, but this CPU lacks " + ", ".join(missing)
        return isa, f"KEFU_ENGINE_ISA={forced}"
    for isa in ISAS:
        if not missing_cpu_flags(isa, flags):
            return isa, f"the best this CPU runs ({isa.description})"
    return None, "this CPU lacks AVX2/FMA/F16C (" + ", ".join(missing_cpu_flags(ISAS[-1], flags)) + ")"


class Kernels:
    """The loaded library. Every call releases the GIL (ctypes does). `linear` runs on `threads` threads (1 or 2:
    with 2, the C side's persistent helper thread shares the output columns, bit-for-bit the same result);
    the others are single-threaded."""

    def __init__(self, library: ctypes.CDLL, path: Path, isa: Isa):
        self.path = path
        self.isa = isa
        signatures = {  # name: argument types (i = int, p = pointer, f = float)
            "kefu_qgemm": "iiipiippppipppi", "kefu_decode_attention": "iiiippppfpp", "kefu_rms_norm": "iippfp",
            "kefu_rope_strided": "iiiipppppllppl", "kefu_silu_mul": "iipp"}
        kinds = {"i": ctypes.c_int, "l": ctypes.c_long, "p": ctypes.c_void_p, "f": ctypes.c_float}
        for name, args in signatures.items():
            function = getattr(library, name)
            function.restype = None
            function.argtypes = [kinds[a] for a in args]
        self._qgemm, self._attention = library.kefu_qgemm, library.kefu_decode_attention
        self._rms_norm, self._rope, self._silu_mul = (library.kefu_rms_norm, library.kefu_rope_strided,
                                                      library.kefu_silu_mul)
        self._scratch = threading.local()
        self._second: concurrent.futures.ThreadPoolExecutor | None = None  # the other half of a split call
        self.threads = 1  # for linear; the runner sets it before each decode step
        library.kefu_helper_awake.restype = ctypes.c_int
        library.kefu_helper_awake.argtypes = []
        self.helper_awake = library.kefu_helper_awake  # 1 while the helper thread spins or works, else 0
        self._library = library
        self._prompt_attention = None  # kefu_prompt_attention, once enable_amx has found AMX usable
        self.amx = "not checked"  # why the prompt attention does or does not run on AMX tiles

    def enable_amx(self, flags: set[str]) -> bool:
        """Use the AMX prompt attention if this build has it (AVX-512 BF16), the CPU has AMX-TILE and AMX-BF16
        (`flags`, as cpu_flags reads them) and Linux grants this process the tile state; `amx` says which."""
        self._prompt_attention = None
        function = getattr(self._library, "kefu_prompt_attention", None)
        missing = [f for f in AMX_FLAGS if f not in flags]
        if function is None:
            self.amx = f"not in the {self.isa.name} build"
        elif missing:
            self.amx = "this CPU lacks " + ", ".join(missing)
        elif self._library.kefu_amx_enable() != 0:
            self.amx = "Linux did not grant the AMX tile state (arch_prctl)"
        else:
            function.restype = None
            function.argtypes = [ctypes.c_int] * 4 + [ctypes.c_void_p, ctypes.c_long, ctypes.c_long] + [
                ctypes.c_void_p] * 2 + [ctypes.c_long, ctypes.c_float, ctypes.c_void_p, ctypes.c_long,
                                        ctypes.c_long, ctypes.c_int, ctypes.c_int]
            self._prompt_attention = function
            self.amx = "AMX prompt attention"
        return self._prompt_attention is not None

    @property
    def has_prompt_attention(self) -> bool:
        return self._prompt_attention is not None

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
                    int(add_to is not None), codes.data_ptr(), scales.data_ptr(), scales.data_ptr() + 4 * blocks,
                    self.threads)
        return out

    def _by_halves(self, rows: int, threads: int, call) -> None:
        """call(first_row, end_row) over rows 0..rows-1: with threads > 1 and enough rows (a prefill), the second
        half runs on a worker thread meanwhile (ctypes releases the GIL), else all on this one."""
        if threads < 2 or rows < SPLIT_ROWS:
            call(0, rows)
            return
        half = rows // 2
        self._both(lambda: call(0, half), lambda: call(half, rows))

    def _both(self, here, there) -> None:
        """here() on this thread while there() runs on the worker thread (ctypes releases the GIL)."""
        if self._second is None:
            self._second = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kefu-kernels-half")
        second = self._second.submit(there)
        try:
            here()
        finally:
            second.result()

    def rms_norm(self, x: torch.Tensor, weight: torch.Tensor, eps: float, out: torch.Tensor,
                 threads: int = 1) -> torch.Tensor:
        """Llama's RMSNorm of x [rows, n] bfloat16 into `out` (same shape); by halves on two threads with
        threads > 1 (see _by_halves)."""
        rows, n = x.shape
        self._by_halves(rows, threads, lambda r0, r1: self._rms_norm(
            r1 - r0, n, x.data_ptr() + 2 * r0 * n, weight.data_ptr(), eps, out.data_ptr() + 2 * r0 * n))
        return out

    def rope_store(self, qkv: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, positions: torch.Tensor,
                   q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, threads: int = 1) -> torch.Tensor:
        """Rotate the query and key heads of qkv [rows, (heads + 2 kv_heads) * 64] to `positions` (int64), put the
        queries in q [rows, heads, 64] (any strides with unit last one) and the keys and values in the pools: either
        [slots, kv_heads, capacity, 64], row r into slot r (a decode step), or one slot's [kv_heads, capacity, 64],
        every row into it (a prompt); each at (its slot, positions[row])."""
        rows, heads = q.shape[0], q.shape[1]
        one_slot = keys.dim() == 3
        kv_heads, capacity = keys.shape[-3], keys.shape[-2]
        if (keys.stride()[-3:] != (capacity * 64, 64, 1) or values.stride() != keys.stride() or q.stride(2) != 1
                or not qkv.is_contiguous() or positions.dtype != torch.int64 or len(positions) != rows):
            raise ValueError("rope_store: tensors not laid out as the kernel reads them")
        width = qkv.shape[1]
        self._by_halves(rows, threads if one_slot else 1, lambda r0, r1: self._rope(
            r1 - r0, heads, kv_heads, capacity, qkv.data_ptr() + 2 * r0 * width, cos.data_ptr(), sin.data_ptr(),
            positions.data_ptr() + 8 * r0, q.data_ptr() + 2 * r0 * q.stride(0), q.stride(0), q.stride(1),
            keys.data_ptr(), values.data_ptr(), 0 if one_slot else keys.stride(0)))
        return q

    def silu_mul(self, gate_up: torch.Tensor, threads: int = 1) -> torch.Tensor:
        """[rows, 2n] -> silu(first half) * second half, [rows, n]."""
        rows, width = gate_up.shape
        out = torch.empty(rows, width // 2, dtype=gate_up.dtype)
        self._by_halves(rows, threads, lambda r0, r1: self._silu_mul(
            r1 - r0, width // 2, gate_up.data_ptr() + 2 * r0 * width, out.data_ptr() + r0 * width))
        return out

    def prompt_attention(self, q: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, past: int, scale: float,
                         out: torch.Tensor, threads: int = 1) -> torch.Tensor:
        """A prompt's causal attention on AMX tiles (only where enable_amx said yes): new token t of q [new, heads,
        64] bfloat16 (any strides with a unit last one) sees positions 0..past + t of one slot's keys/values
        [kv_heads, capacity, 64] (the pool's layout); the result goes into out [new, heads, 64] (likewise). With
        threads > 1 and at least SPLIT_QUERIES new tokens, two threads take alternate blocks of 16 queries."""
        count, heads = q.shape[0], q.shape[1]
        kv_heads, capacity = keys.shape[0], keys.shape[1]
        if (self._prompt_attention is None or q.dtype != torch.bfloat16 or keys.stride() != (capacity * 64, 64, 1)
                or values.stride() != keys.stride() or q.stride(2) != 1 or out.stride(2) != 1
                or past + count > capacity or heads % kv_heads or out.shape != q.shape):
            raise ValueError("prompt_attention: not available, or tensors not laid out as the kernel reads them")

        def part(index: int, parts: int) -> None:
            self._prompt_attention(heads, kv_heads, count, past, q.data_ptr(), q.stride(0), q.stride(1),
                                   keys.data_ptr(), values.data_ptr(), keys.stride(0), scale, out.data_ptr(),
                                   out.stride(0), out.stride(1), index, parts)

        if threads < 2 or count < SPLIT_QUERIES:
            part(0, 1)
        else:
            self._both(lambda: part(0, 2), lambda: part(1, 2))
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
        # float16, as GGUF stores a block's scale and minimum: a decode step reads every weight's share of them
        # (4-bit blocks: 0.5625 bytes per weight instead of 0.75 with float32)
        per_tile = lambda t: t.float().view(tiles, TILE, blocks).permute(0, 2, 1).to(torch.float16).contiguous()  # noqa: E731
        self.scale, self.low = per_tile(scale), per_tile(low)
        self.bits = bits
        self.passes = passes
        self.out_features = out_features
        self.in_features = inputs

    @classmethod
    def packable(cls, weight: torch.Tensor) -> bool:
        rows, cols = weight.shape
        return weight.dtype == torch.bfloat16 and rows % TILE == 0 and cols % BLOCK == 0

    @staticmethod
    def fits_float16(scale: torch.Tensor, low: torch.Tensor) -> bool:
        """Whether float16 holds these block scales to 11 bits (normal range) and the minimums without overflow."""
        magnitude = scale.float().abs()
        normal = (magnitude == 0) | ((magnitude >= 2 ** -14) & (magnitude < 65504))
        return bool(normal.all()) and bool((low.float().abs() < 65504).all())


def build(isa: Isa, directory: Path) -> Path:
    """Compile `isa`'s build into `directory` (the CPU need not run it); its path. Raises OSError or
    subprocess.SubprocessError (with the compiler's message) when it cannot; never leaves a half-written file."""
    target = Path(directory) / isa.file_name()
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise FileNotFoundError("no C compiler (cc)")
    partial = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([compiler, *COMMON_FLAGS, *isa.compile_flags, "-o", str(partial), str(HERE / isa.source)],
                       check=True, capture_output=True, text=True, timeout=120)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def load(cache_dir: Path, mode: str = "auto", isa: str = "auto", cpuinfo: str | None = None,
         prebuilt_dir: Path | None = None) -> tuple[Kernels | None, str]:
    """(Kernels, which build and where it came from) or (None, why not). Never raises: torch's kernels are the
    fallback. `cpuinfo` and `prebuilt_dir` stand in for /proc/cpuinfo and PREBUILT_DIR (tests)."""
    if mode == "torch":
        return None, "KEFU_ENGINE_KERNELS=torch"
    chosen, why = choose_isa(cpu_flags(cpuinfo), isa)
    if chosen is None:
        return None, why
    try:
        name = chosen.file_name()
    except OSError as exc:
        return None, f"their source is missing: {exc}"
    cached = Path(cache_dir) / "kernels" / name
    prebuilt = Path(prebuilt_dir if prebuilt_dir is not None else PREBUILT_DIR) / name
    if cached.is_file():
        target, origin = cached, "built on an earlier start"
    elif prebuilt.is_file():
        target, origin = prebuilt, "built at install time"
    else:
        logger.info("building kefu's %s CPU kernels (first start only)", chosen.name)
        try:
            target, origin = build(chosen, cached.parent), "built on this start"
        except (OSError, subprocess.SubprocessError) as exc:
            detail = (getattr(exc, "stderr", "") or str(exc)).strip()[:300]
            return None, (f"{chosen.name}: none built at install time (make install) and building them failed: "
                          f"{detail}")
    try:
        kernels = Kernels(ctypes.CDLL(str(target)), target, chosen)
    except OSError as exc:
        return None, f"loading {target} failed: {exc}"
    kernels.enable_amx(cpu_flags(cpuinfo))
    return kernels, f"{chosen.name}: {why}; {origin} from {chosen.source} ({target}); prompt attention: {kernels.amx}"


def build_all(directory: Path) -> dict[str, str]:
    """Build every ISA's kernels into `directory` (for `make install`); what happened to each."""
    done = {}
    for isa in ISAS:
        try:
            done[isa.name] = str(build(isa, directory))
        except (OSError, subprocess.SubprocessError) as exc:
            done[isa.name] = "failed: " + (getattr(exc, "stderr", "") or str(exc)).strip()[:300]
    return done


def main(argv: list[str] | None = None) -> int:
    """`python -m components.engine.cpu_kernels build [DIR]`: build every ISA's kernels ahead of time (default
    DIR: PREBUILT_DIR), so a start needs no compiler. Prints what happened to each as JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m components.engine.cpu_kernels")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("directory", nargs="?", type=Path, default=PREBUILT_DIR)
    args = parser.parse_args(argv)
    done = build_all(args.directory)
    sys.stdout.write(json.dumps(done, indent=2) + "\n")
    return 0 if not any(v.startswith("failed") for v in done.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
