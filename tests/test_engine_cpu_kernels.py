"""kefu's C decode kernels (components/engine/cpu_kernels*.c) against float32 references, and how they are found.

Every arithmetic test runs on each build of the kernels this CPU can run (AVX-512 VNNI with and without BF16,
AVX2 with and without AVX-VNNI: all four on this project's machines), forced as KEFU_ENGINE_ISA forces them; the
others are skipped. The tests of the choice of build and of the fallback run everywhere, on simulated CPUs.
"""
from __future__ import annotations

import time

import pytest
import torch

from components.engine import cpu_kernels
from components.engine.cpu_kernels import ISA_NAMES, BlockWeights, choose_isa, cpu_flags

AVX512_BF16_CPU = "flags\t\t: fpu sse avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512_vnni avx512_bf16\n"
AVX2_CPU = "flags\t\t: fpu sse avx avx2 fma f16c\n"


@pytest.fixture(scope="module")
def kernel_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("kernels")


@pytest.fixture(scope="module", params=ISA_NAMES)
def kernels(request, kernel_cache):
    loaded, why = cpu_kernels.load(kernel_cache, isa=request.param)
    if loaded is None:
        pytest.skip(f"kefu's {request.param} CPU kernels are not available here: {why}")
    assert loaded.isa.name == request.param
    return loaded


def test_the_best_build_the_cpu_runs_is_chosen():
    assert choose_isa(cpu_flags(AVX512_BF16_CPU))[0].name == "avx512bf16"
    assert choose_isa(cpu_flags(AVX512_BF16_CPU.replace(" avx512_bf16", "")))[0].name == "avx512"
    assert choose_isa(cpu_flags(AVX2_CPU + "avx_vnni"))[0].name == "avx2"  # a flags line of its own is not read
    assert choose_isa(cpu_flags(AVX2_CPU.replace("f16c", "f16c avx_vnni")))[0].name == "avxvnni"
    assert choose_isa(cpu_flags(AVX2_CPU))[0].name == "avx2"
    # AVX-512 without VNNI (Skylake-X) runs the AVX2 build
    assert choose_isa(cpu_flags(AVX512_BF16_CPU.replace(" avx512_vnni", "")))[0].name == "avx2"
    isa, why = choose_isa(cpu_flags("flags\t\t: fpu sse sse2 avx\n"))
    assert isa is None and why == "this CPU lacks AVX2/FMA/F16C (avx2, fma, f16c)"
    assert choose_isa(cpu_flags("processor : 0\n"))[0] is None  # not x86, or no /proc/cpuinfo


def test_a_forced_build_runs_only_where_the_cpu_has_it():
    isa, why = choose_isa(cpu_flags(AVX512_BF16_CPU), "avx2")
    assert isa.name == "avx2" and why == "KEFU_ENGINE_ISA=avx2"
    isa, why = choose_isa(cpu_flags(AVX2_CPU), "avx512bf16")
    assert isa is None and why.startswith("KEFU_ENGINE_ISA=avx512bf16, but this CPU lacks avx512f")
    assert choose_isa(cpu_flags(AVX2_CPU), "avx1")[0] is None


def test_a_lesser_cpu_loads_its_own_build_or_says_why(tmp_path):
    """What CI on a CPU without AVX-512 (or without AVX2) gets, simulated by its flags."""
    if choose_isa(cpu_flags(), "avx2")[0] is None:
        pytest.skip("this CPU cannot run even the AVX2 build")
    loaded, why = cpu_kernels.load(tmp_path, cpuinfo=AVX2_CPU)
    assert loaded is not None and loaded.isa.name == "avx2", why
    # built now, or found among the builds `make install` made (CI runs after it)
    assert why.startswith(("avx2: the best this CPU runs (AVX2 + FMA); built on this start from cpu_kernels_avx2.c",
                           "avx2: the best this CPU runs (AVX2 + FMA); built at install time from cpu_kernels_avx2.c"))
    loaded, why = cpu_kernels.load(tmp_path, cpuinfo="flags\t\t: fpu sse sse2\n")
    assert loaded is None and why.startswith("this CPU lacks AVX2/FMA/F16C")


def test_without_kernels_the_reason_is_given_and_nothing_is_raised(tmp_path, monkeypatch):
    assert cpu_kernels.load(tmp_path, "torch") == (None, "KEFU_ENGINE_KERNELS=torch")
    if choose_isa(cpu_flags())[0] is None:
        kernels, why = cpu_kernels.load(tmp_path)
        assert kernels is None and "lacks" in why
        return
    monkeypatch.setenv("CC", "/bin/false")  # a compiler that fails, and nothing built at install time
    kernels, why = cpu_kernels.load(tmp_path, prebuilt_dir=tmp_path / "none")
    assert kernels is None and "none built at install time (make install) and building them failed" in why
    assert not list((tmp_path / "kernels").glob("*"))  # no half-built library is left to be loaded later


def test_without_a_compiler_the_builds_made_at_install_time_are_used(tmp_path, monkeypatch):
    """`make install` builds every ISA's kernels ahead of time; a start without cc then loads them."""
    isa = choose_isa(cpu_flags())[0]
    if isa is None:
        pytest.skip("this CPU cannot run the kernels")
    prebuilt = tmp_path / "venv-share"
    assert cpu_kernels.main(["build", str(prebuilt)]) == 0
    assert sorted(p.name.split("-")[1] for p in prebuilt.glob("*.so")) == sorted(ISA_NAMES)
    monkeypatch.setenv("CC", "/nonexistent/cc")
    loaded, why = cpu_kernels.load(tmp_path / "cache", prebuilt_dir=prebuilt)
    assert loaded is not None and loaded.path.parent == prebuilt and "built at install time" in why, why
    assert not (tmp_path / "cache" / "kernels").exists()


def test_the_library_is_built_once_and_reused(tmp_path):
    if choose_isa(cpu_flags())[0] is None:
        pytest.skip("this CPU cannot run the kernels")
    first, why = cpu_kernels.load(tmp_path, prebuilt_dir=tmp_path / "none")
    assert first is not None, why
    built = first.path.stat().st_mtime_ns
    second, why = cpu_kernels.load(tmp_path, prebuilt_dir=tmp_path / "none")
    assert second.path == first.path and second.path.stat().st_mtime_ns == built
    assert "built on an earlier start" in why


def block_weight(out_features: int, inputs: int, bits: int, generator: torch.Generator):
    """A random weight on a block grid: (codes, scale, low, dequantized float32 weight)."""
    levels = 16 if bits == 4 else 255
    codes = torch.randint(0, levels, (out_features, inputs), generator=generator) + (0 if bits == 4 else 1)
    scale = torch.rand(out_features, inputs // 32, generator=generator) * 0.01 + 0.001
    low = -8 * scale if bits == 4 else -128 * scale
    weight = (codes.view(out_features, -1, 32) * scale[..., None] + low[..., None]).view(out_features, inputs)
    return codes, scale, low, weight


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("rows", [1, 3, 8, 11])
def test_block_matmul_matches_float32(kernels, bits, rows):
    generator = torch.Generator().manual_seed(rows * 10 + bits)
    codes, scale, low, weight = block_weight(96, 192, bits, generator)
    x = (torch.randn(rows, 192, generator=generator) * 2).to(torch.bfloat16)
    x[:, 5] = 40.0  # an outlier channel, as real activations have: its block must not lose the others
    reference = x.float() @ weight.t()
    for passes, tolerance in ((2, 0.005), (1, 0.02)):
        out = kernels.linear(x, BlockWeights(codes, scale, low, bits, passes=passes))
        assert out.shape == (rows, 96) and out.dtype == torch.bfloat16
        error = float((out.float() - reference).norm() / reference.norm())
        assert error < tolerance, (passes, error)


def test_block_weights_are_packed_by_tiles_of_16_outputs(kernels):
    """Each output column must come from its own weights: a one-hot weight row picks one input."""
    codes = torch.zeros(32, 64, dtype=torch.int32)
    for column in range(32):
        codes[column, (7 * column) % 64] = 15
    scale = torch.ones(32, 2)
    x = torch.arange(64, dtype=torch.float32).view(1, 64).to(torch.bfloat16)
    out = kernels.linear(x, BlockWeights(codes, scale, torch.zeros(32, 2), 4))
    expected = torch.tensor([15.0 * ((7 * c) % 64) for c in range(32)])
    torch.testing.assert_close(out[0].float(), expected, rtol=0.01, atol=0.2)


def reference_attention(q, keys, values, visible, scale):
    rows, heads, dim = q.shape
    kv_heads, capacity = keys.shape[1], keys.shape[2]
    group = heads // kv_heads
    out = torch.empty(rows, heads, dim)
    for r in range(rows):
        n = int(visible[r])
        for h in range(heads):
            k, v = keys[r, h // group, :n].float(), values[r, h // group, :n].float()
            weights = torch.softmax(q[r, h].float() @ k.t() * scale, dim=-1)
            out[r, h] = weights @ v
    return out


@pytest.mark.parametrize("group", [1, 3])
def test_decode_attention_matches_float32(kernels, group):
    generator = torch.Generator().manual_seed(group)
    rows, kv_heads, capacity = 4, 2, 128
    q = torch.randn(rows, kv_heads * group, 64, generator=generator).to(torch.bfloat16)
    keys = torch.randn(rows, kv_heads, capacity, 64, generator=generator).to(torch.bfloat16)
    values = torch.randn(rows, kv_heads, capacity, 64, generator=generator).to(torch.bfloat16)
    keys[:, :, 100:] = 1e4  # columns past every row's length: must not count
    visible = torch.tensor([1, 17, 100, 64], dtype=torch.int64)
    out = kernels.decode_attention(q, keys, values, visible, 0.125)
    reference = reference_attention(q, keys, values, visible, 0.125)
    assert torch.isfinite(out.float()).all()
    error = float((out.float() - reference).norm() / reference.norm())
    assert error < 0.01, error
    torch.testing.assert_close(out[0].float(), values[0, :, 0].float().repeat_interleave(group, 0), rtol=0.01,
                               atol=0.01)  # one visible position: its value, exactly


def test_the_fused_step_operations_match_torch(kernels):
    generator = torch.Generator().manual_seed(7)
    x = (torch.randn(3, 96, generator=generator) * 3).to(torch.bfloat16)
    weight = torch.rand(96, generator=generator).to(torch.bfloat16)
    normed = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-5)
    expected = weight.float() * normed.to(torch.bfloat16).float()
    out = kernels.rms_norm(x, weight, 1e-5, torch.empty_like(x))
    torch.testing.assert_close(out.float(), expected, rtol=0.01, atol=1e-3)

    gate_up = (torch.randn(3, 2 * 48, generator=generator) * 4).to(torch.bfloat16)
    gate, up = gate_up.float().chunk(2, dim=-1)
    torch.testing.assert_close(kernels.silu_mul(gate_up).float(), torch.nn.functional.silu(gate) * up, rtol=0.01,
                               atol=1e-2)

    heads, kv_heads, capacity, rows = 3, 1, 32, 2
    qkv = torch.randn(rows, (heads + 2 * kv_heads) * 64, generator=generator).to(torch.bfloat16)
    angles = torch.outer(torch.arange(capacity).float(), 1.0 / 10000 ** (torch.arange(0, 64, 2).float() / 64))
    angles = torch.cat([angles, angles], dim=-1)
    cos, sin = angles.cos().to(torch.bfloat16), angles.sin().to(torch.bfloat16)
    positions = torch.tensor([5, 17])
    keys = torch.zeros(rows, kv_heads, capacity, 64, dtype=torch.bfloat16)
    values = torch.zeros_like(keys)
    q = kernels.rope_store(qkv, cos, sin, positions, torch.empty(rows, heads, 64, dtype=torch.bfloat16), keys, values)

    def rotate(t, pos):  # transformers' rotate-half RoPE
        t = t.float()
        return t * cos[pos].float() + torch.cat([-t[..., 32:], t[..., :32]], dim=-1) * sin[pos].float()

    heads_in = qkv.view(rows, heads + 2 * kv_heads, 64)
    for r, pos in enumerate(positions.tolist()):
        torch.testing.assert_close(q[r].float(), rotate(heads_in[r, :heads], pos), rtol=0.01, atol=0.02)
        torch.testing.assert_close(keys[r, 0, pos].float(), rotate(heads_in[r, heads], pos), rtol=0.01, atol=0.02)
        assert torch.equal(values[r, 0, pos], heads_in[r, heads + 1])
        assert not keys[r, 0, :pos].any() and not values[r, 0, pos + 1:].any()  # nothing else is written


@pytest.mark.parametrize("out_features", [96, 48, 16])
def test_two_threads_give_the_one_thread_product_bit_for_bit(kernels, out_features):
    """With threads=2 the helper thread and the caller share the output tiles in chunks (an odd count of tiles,
    and a single tile, which stays on one thread, included); each column's arithmetic is unchanged, so the
    products are equal to the last bit, with and without accumulation, for 4-bit and 8-bit blocks and batches."""
    generator = torch.Generator().manual_seed(out_features)
    try:
        for bits in (4, 8):
            codes, scale, low, _ = block_weight(out_features, 192, bits, generator)
            weights = BlockWeights(codes, scale, low, bits)
            for rows in (1, 8, 11):
                x = torch.randn(rows, 192, generator=generator).to(torch.bfloat16)
                base = torch.randn(rows, out_features, generator=generator).to(torch.bfloat16)
                results = {}
                for threads in (1, 2):
                    kernels.threads = threads
                    results[threads] = (kernels.linear(x, weights), kernels.linear(x, weights, add_to=base.clone()))
                assert torch.equal(results[1][0], results[2][0]) and torch.equal(results[1][1], results[2][1])
    finally:
        kernels.threads = 1
    time.sleep(0.05)  # idle: the helper stops spinning and sleeps (it spins 0.2 ms after a product)
    assert kernels.helper_awake() == 0


def test_block_scales_that_float16_cannot_hold_are_refused():
    """The kernels read block scales and minimums as float16 (as GGUF stores them); a matrix whose scales fall
    below float16's normal range or whose minimums overflow it is not packed (the runner keeps torch's kernel)."""
    scale = torch.full((16, 2), 0.004)
    assert BlockWeights.fits_float16(scale, -8 * scale)
    assert BlockWeights.fits_float16(torch.zeros(16, 2), torch.zeros(16, 2))
    assert not BlockWeights.fits_float16(torch.full((16, 2), 1e-6), torch.zeros(16, 2))
    assert not BlockWeights.fits_float16(scale, torch.full((16, 2), -1e5))


def test_a_prefills_elementwise_kernels_by_halves_give_the_one_thread_result(kernels):
    """A prefill's RMSNorm, SiLU x up and rotary embedding (a prompt's rows into one slot of the pool) split their
    rows over two threads from SPLIT_ROWS rows on (an odd count here): bit for bit what one thread computes."""
    generator = torch.Generator().manual_seed(7)
    rows, heads, kv_heads, capacity = cpu_kernels.SPLIT_ROWS + 45, 3, 1, 512
    x = torch.randn(rows, 96, generator=generator).to(torch.bfloat16)
    weight = torch.randn(96, generator=generator).to(torch.bfloat16)
    gate_up = torch.randn(rows, 2 * 48, generator=generator).to(torch.bfloat16)
    qkv = torch.randn(rows, (heads + 2 * kv_heads) * 64, generator=generator).to(torch.bfloat16)
    angles = torch.randn(capacity, 64, generator=generator)
    cos, sin = angles.cos().to(torch.bfloat16), angles.sin().to(torch.bfloat16)
    positions = torch.arange(capacity - rows, capacity)
    results = {}
    for threads in (1, 2):
        queries = torch.zeros(heads, capacity, 64, dtype=torch.bfloat16)
        keys = torch.zeros(kv_heads, capacity, 64, dtype=torch.bfloat16)
        values = torch.zeros_like(keys)
        kernels.rope_store(qkv, cos, sin, positions, queries[:, capacity - rows:].transpose(0, 1), keys, values,
                           threads)
        results[threads] = (kernels.rms_norm(x, weight, 1e-5, torch.empty_like(x), threads),
                            kernels.silu_mul(gate_up, threads), queries, keys, values)
    for one, two in zip(results[1], results[2]):
        assert torch.equal(one, two)
    assert results[2][3][:, capacity - rows:].abs().sum(-1).all()  # every position's key was written


def prompt_reference(q, keys, values, past):
    """float32 causal attention of new tokens q [new, heads, 64] at positions past.. over [kv_heads, capacity, 64]."""
    count, heads, _ = q.shape
    group = heads // keys.shape[0]
    total = past + count
    k = keys[:, :total].float().repeat_interleave(group, 0)
    v = values[:, :total].float().repeat_interleave(group, 0)
    mask = torch.ones(count, total, dtype=torch.bool).tril(past)  # token t sees positions 0..past + t
    return torch.nn.functional.scaled_dot_product_attention(q.float().transpose(0, 1), k, v,
                                                            attn_mask=mask).transpose(0, 1)


@pytest.mark.parametrize("past,count", [(0, 1), (0, 16), (3, 17), (57, 300), (200, 40)])
def test_amx_prompt_attention_matches_float32(kernel_cache, past, count):
    """The AMX prompt attention (16 queries x 32-key blocks, only the blocks a query may see) against float32, from
    scratch and after a cached prefix (shorter and longer than the new tokens), partial blocks included, on one
    and on two threads (alternate query blocks): as close as torch's bfloat16 attention gets, and the keys past
    the prompt, even huge ones, do not count."""
    loaded, why = cpu_kernels.load(kernel_cache, isa="avx512bf16")
    if loaded is None or not loaded.has_prompt_attention:
        assert not set(cpu_kernels.AMX_FLAGS) <= cpu_flags() or loaded is None, why  # only a CPU without AMX skips
        pytest.skip(f"no AMX prompt attention here: {why}")
    generator = torch.Generator().manual_seed(past + count)
    heads, kv_heads, capacity = 9, 3, -(-(past + count + 1) // 64) * 64
    q = torch.randn(count, heads, 64, generator=generator).to(torch.bfloat16)
    keys = torch.randn(kv_heads, capacity, 64, generator=generator).to(torch.bfloat16)
    values = torch.randn(kv_heads, capacity, 64, generator=generator).to(torch.bfloat16)
    keys[:, past + count:] = 1e4  # positions past the prompt: must not count
    reference = prompt_reference(q, keys, values, past)
    for threads in (1, 2):
        out = loaded.prompt_attention(q, keys, values, past, 0.125, torch.empty_like(q), threads)
        assert torch.isfinite(out.float()).all()
        error = float((out.float() - reference).norm() / reference.norm())
        assert error < 0.005, (threads, error)  # bfloat16 rounding: torch's own kernel is at ~0.002 here


def test_the_amx_prompt_attention_runs_only_where_it_can(kernel_cache):
    """A CPU without AMX (simulated by its flags) or a build without it (AVX-512 without BF16, AVX2) keeps torch's
    prompt attention and says why; calling the kernel then is refused, not attempted."""
    loaded, why = cpu_kernels.load(kernel_cache, isa="avx512bf16")
    if loaded is None:
        pytest.skip(f"the avx512bf16 build does not run here: {why}")
    assert not loaded.enable_amx(cpu_flags(AVX512_BF16_CPU))
    assert loaded.amx == "this CPU lacks amx_tile, amx_bf16" and not loaded.has_prompt_attention
    q = torch.zeros(4, 3, 64, dtype=torch.bfloat16)
    with pytest.raises(ValueError):
        loaded.prompt_attention(q, torch.zeros(1, 64, 64, dtype=torch.bfloat16),
                                torch.zeros(1, 64, 64, dtype=torch.bfloat16), 0, 0.125, torch.empty_like(q))
    for isa in ("avx512", "avx2"):
        lesser, why = cpu_kernels.load(kernel_cache, isa=isa)
        if lesser is not None:
            assert not lesser.has_prompt_attention and lesser.amx == f"not in the {isa} build", why
            assert why.endswith(f"prompt attention: not in the {isa} build")
