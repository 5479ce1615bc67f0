"""kefu's lean slot-cache runner against transformers' own forward pass on the real SmolLM2 weights.

Rows join the batch at different steps, leave it (so the pool compacts), and reuse a cached prefix; every logit
vector must equal what transformers computes for the same tokens in one full forward pass.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from components.engine import cpu_kernels
from components.engine.llama_runner import LlamaSlotRunner, pack_4bit_grid, supported
from components.engine.model_loader import gguf_q8_0_head, load_model_and_tokenizer
from components.omp_threads import OmpThreads


@pytest.fixture(scope="module")
def model(model_cache_dir):
    loaded, tokenizer, _ = load_model_and_tokenizer("packaged:smollm2", model_cache_dir, "float32")
    return loaded, tokenizer


def prompt(tokenizer, question: str) -> list[int]:
    messages = [{"role": "system", "content": "You are the support assistant of an online shop."},
                {"role": "user", "content": question}]
    ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=False)
    return list(ids)


def reference_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model(torch.tensor([ids])).logits[0].float()


def test_smollm2_is_supported_other_architectures_are_not(model):
    loaded, _ = model
    assert supported(loaded)
    loaded.config.model_type = "gpt_neox"
    try:
        assert not supported(loaded)
    finally:
        loaded.config.model_type = "llama"


QUESTIONS = ["How do I return shoes?", "Where is my parcel?", "Can I pay with a gift card?"]
STEPS = [6, 3, 7]  # tokens each row decodes; row 1 leaves first, so row 2 moves down a slot
FEED = [[(i * 37 + 11) % 30000 + 100 for i in range(n)] for n in STEPS]  # fixed continuation tokens


def run_staggered(runner, prompts: list[list[int]]) -> list[torch.Tensor]:
    """One row joins at each of the first steps and each leaves after decoding its FEED: every row's logits
    (prefill, then one per decode step)."""
    produced: list[list[torch.Tensor]] = [[] for _ in prompts]
    state, active, cursor = None, [], [0] * len(prompts)
    for step in range(12):
        if step < len(prompts):
            logits, row, reused = runner.prefill(prompts[step])
            assert reused == 0
            produced[step].append(logits)
            state = runner.merge(state, row)
            active.append(step)
        if not active:
            break
        logits = runner.decode(state, [FEED[j][cursor[j]] for j in active])
        keep = []
        for r, j in enumerate(active):
            produced[j].append(logits[r])
            cursor[j] += 1
            if cursor[j] < STEPS[j]:
                keep.append(r)
        state = runner.select(state, keep)
        active = [active[r] for r in keep]
    return [torch.stack(rows) for rows in produced]


def test_staggered_batch_with_compaction_matches_transformers(model):
    loaded, tokenizer = model
    runner = LlamaSlotRunner(loaded, slots=4, window=512)
    prompts = [prompt(tokenizer, q) for q in QUESTIONS]
    for j, (ours, ids) in enumerate(zip(run_staggered(runner, prompts), prompts)):
        full = reference_logits(loaded, ids + FEED[j])[len(ids) - 1:]
        assert ours.shape == full.shape
        assert torch.allclose(ours, full, atol=2e-3), (j, (ours - full).abs().max())


def test_prefix_reuse_gives_the_same_logits(model):
    loaded, tokenizer = model
    runner = LlamaSlotRunner(loaded, slots=2, window=512)
    ids = prompt(tokenizer, "Can I change the address of a pending order?")
    prefix = len(prompt(tokenizer, "x")) - 8  # well inside the shared system part
    first, row, reused_first = runner.prefill(ids, prefix)
    runner.select(runner.merge(None, row), [])
    again, _, reused_again = runner.prefill(ids, prefix)
    assert (reused_first, reused_again) == (0, prefix)
    assert torch.allclose(first, again, atol=2e-3)
    assert torch.allclose(first, reference_logits(loaded, ids)[-1], atol=2e-3)


def test_cache_pool_never_starts_with_recycled_garbage(model, monkeypatch):
    """Masked cache columns still enter attention as 0 * value, so the pool must not take whatever the allocator
    hands back (which may hold NaN: uninitialised memory is simulated here as NaN) and must start finite."""
    loaded, _ = model
    real_empty, real_empty_like = torch.empty, torch.empty_like

    def nan_filled(tensor):
        return tensor.fill_(float("nan")) if tensor.is_floating_point() else tensor

    monkeypatch.setattr(torch, "empty", lambda *a, **k: nan_filled(real_empty(*a, **k)))
    monkeypatch.setattr(torch, "empty_like", lambda *a, **k: nan_filled(real_empty_like(*a, **k)))
    runner = LlamaSlotRunner(loaded, slots=2, window=64)
    assert torch.isfinite(runner.k).all() and torch.isfinite(runner.v).all()


def test_prompt_longer_than_the_window_is_refused(model):
    loaded, _ = model
    runner = LlamaSlotRunner(loaded, slots=1, window=16)
    with pytest.raises(ValueError, match="exceeds the engine window"):
        runner.prefill(list(range(100, 120)))


def test_4bit_packing_takes_only_weights_on_a_4bit_grid():
    torch.manual_seed(0)
    scale = 0.005 + torch.rand(64, 4, 1) * 0.02
    low = -scale * 15 * torch.rand(64, 4, 1)  # like Q4_1: the block minimum, within the block's range
    levels = torch.randint(0, 16, (64, 4, 32)).float()
    levels[..., 0], levels[..., 1] = 0, 15
    on_grid = (levels * scale + low).view(64, 128).to(torch.bfloat16)
    packed = pack_4bit_grid(on_grid)
    assert packed is not None
    x = torch.randn(3, 128, dtype=torch.bfloat16)
    out = torch._weight_int4pack_mm_for_cpu(x, packed[0], 32, packed[1]).float()
    exact = x.float() @ on_grid.float().t()
    assert (out - exact).norm() / exact.norm() < 0.01
    assert pack_4bit_grid(torch.randn(64, 128, dtype=torch.bfloat16)) is None  # not a 4-bit grid: left alone
    assert pack_4bit_grid(on_grid.float()) is None  # only bfloat16 models are packed


@pytest.fixture(scope="module")
def faithful(model_cache_dir, model):
    """The bfloat16 model, a prompt and 240 knowledge-base tokens to feed, float32's next-token choices for them,
    and plain bfloat16's agreement with those choices."""
    reference, tokenizer = model
    bf16, _, _ = load_model_and_tokenizer("packaged:smollm2", model_cache_dir, "bfloat16")
    ids = prompt(tokenizer, "How do returns and refunds work?")
    articles = sorted((Path(__file__).parents[1] / "kb").rglob("*.md"))
    feed = tokenizer("\n\n".join(a.read_text(encoding="utf-8") for a in articles[:3])).input_ids[:240]
    full = reference_logits(reference, ids + feed)[len(ids) - 1:].argmax(-1)
    plain = LlamaSlotRunner(bf16, slots=1, window=512, four_bit=False)
    assert plain.four_bit_matrices == 0
    setup = {"model": bf16, "ids": ids, "feed": feed, "full": full}
    setup["bf16"] = teacher_forced_agreement(plain, setup)
    assert setup["bf16"] >= 0.9
    return setup


def teacher_forced_agreement(runner, setup) -> float:
    """How often the runner's next-token choice equals float32's, fed the same tokens."""
    logits, row, _ = runner.prefill(setup["ids"])
    state, rows = runner.merge(None, row), [logits]
    for token in setup["feed"]:
        rows.append(runner.decode(state, [token])[0])
    runner.select(state, [])
    return float((torch.stack(rows).argmax(-1) == setup["full"]).float().mean())


def test_gguf_4bit_decode_is_as_faithful_as_bfloat16(faithful):
    """SmolLM2's linear layers come from GGUF Q4_1, so decoding them with the int4 kernel (the default without
    kefu's kernels) loses nothing against bfloat16: teacher-forced next-token agreement with float32 stays the
    same."""
    four = LlamaSlotRunner(faithful["model"], slots=1, window=512, four_bit=True)
    assert four.four_bit_matrices == 4 * len(four.layers) and four.weights.startswith("int4")
    agreement = teacher_forced_agreement(four, faithful)
    assert agreement >= faithful["bf16"] - 0.03, (agreement, faithful["bf16"])


@pytest.mark.parametrize("isa", cpu_kernels.ISA_NAMES)
def test_each_kernel_build_decodes_as_faithfully_as_bfloat16(faithful, model_cache_dir, isa):
    """kefu's kernels (int8 activations in two passes x the same 4-bit blocks, the GGUF's Q8_0 head), each build
    forced in turn (AVX-512 with and without BF16, AVX2 with and without AVX-VNNI): agreement with float32 within
    0.03 of bfloat16's, as for the 4-bit path above (the kernels also round the activations to 8 bits: on an AMD EPYC
    without AMX they agree on 227 and 225 of the 241 tokens where plain bfloat16 agrees on 230; a broken build falls
    far below)."""
    kernels, why = cpu_kernels.load(model_cache_dir, isa=isa)
    if kernels is None:
        assert cpu_kernels.choose_isa(cpu_kernels.cpu_flags(), isa)[0] is None, why  # only a CPU without it skips
        pytest.skip(f"this CPU does not run the {isa} build: {why}")
    kefu = LlamaSlotRunner(faithful["model"], slots=1, window=512, kernels=kernels,
                           head_blocks=gguf_q8_0_head("packaged:smollm2", model_cache_dir))
    assert kefu.weights.startswith("4-bit blocks") and kefu.weights.endswith("8-bit head"), kefu.weights
    assert kefu.fast_attention and kefu.fused_decode
    agreement = teacher_forced_agreement(kefu, faithful)
    assert agreement >= faithful["bf16"] - 0.03, (agreement, faithful["bf16"])


def test_two_decode_threads_decode_as_one_does(faithful, model_cache_dir):
    """The decode step's products split over two threads (the helper thread shares the output columns): the
    same logits as one thread to the last bit, so the same agreement with float32; the runner counts the steps."""
    kernels, why = cpu_kernels.load(model_cache_dir)
    if kernels is None:
        pytest.skip(f"kefu's CPU kernels are not available here: {why}")
    head = gguf_q8_0_head("packaged:smollm2", model_cache_dir)
    logits = {}
    for threads in (1, 2):
        runner = LlamaSlotRunner(faithful["model"], slots=1, window=512, kernels=kernels, head_blocks=head,
                                 decode_threads=lambda: threads)
        first, row, _ = runner.prefill(faithful["ids"])
        state = runner.merge(None, row)
        logits[threads] = torch.stack([runner.decode(state, [token])[0] for token in faithful["feed"][:24]])
        runner.select(state, [])
        assert runner.decode_thread_steps == {threads: 24}
    kernels.threads = 1
    assert torch.equal(logits[1], logits[2])
    runner.decode_threads = lambda: 2
    agreement = teacher_forced_agreement(runner, faithful)
    assert agreement >= faithful["bf16"] - 0.03, (agreement, faithful["bf16"])


def test_kernel_batches_give_each_row_what_it_gets_alone(model_cache_dir, model):
    """With kefu's kernels every row is computed on its own (activations are quantized per row and block), so rows
    that join and leave a batch get the same logits as when decoded alone — the slots, lengths and pool moves
    line up with the kernels' view of the cache."""
    _, tokenizer = model
    kernels, why = cpu_kernels.load(model_cache_dir)
    if kernels is None:
        pytest.skip(f"kefu's CPU kernels are not available here: {why}")
    bf16, _, _ = load_model_and_tokenizer("packaged:smollm2", model_cache_dir, "bfloat16")
    runner = LlamaSlotRunner(bf16, slots=4, window=512, kernels=kernels,
                             head_blocks=gguf_q8_0_head("packaged:smollm2", model_cache_dir))
    prompts = [prompt(tokenizer, q) for q in QUESTIONS]

    def alone(j):
        logits, row, _ = runner.prefill(prompts[j])
        state, out = runner.merge(None, row), [logits]
        for token in FEED[j]:
            out.append(runner.decode(state, [token])[0])
        runner.select(state, [])
        return torch.stack(out)

    expected = [alone(j) for j in range(len(prompts))]
    for ours, alone_logits in zip(run_staggered(runner, prompts), expected):
        torch.testing.assert_close(ours, alone_logits, rtol=0, atol=1e-4)


def test_the_pool_grows_and_shrinks_in_place_keeping_every_row(model):
    loaded, _ = model
    runner = LlamaSlotRunner(loaded, slots=3, window=512)
    runner._rows = 2  # two rows in use; slot 2 is free
    torch.manual_seed(0)
    for cache in (runner.k, runner.v):
        cache[:, :2].copy_(torch.randn_like(cache[:, :2]))
    kept = (runner.k[:, :2].clone(), runner.v[:, :2].clone())
    start = runner.capacity
    buffer = runner._k_buffer.data_ptr()
    for capacity in (start * 3, start * 8, start * 2, start):   # grow twice, then shrink twice
        runner._resize(capacity)
        assert runner.k.shape[3] == capacity and runner._k_buffer.data_ptr() == buffer  # no new pool
        n = min(start, capacity)
        torch.testing.assert_close(runner.k[:, :2, :, :n], kept[0][:, :, :, :n], rtol=0, atol=0)
        torch.testing.assert_close(runner.v[:, :2, :, :n], kept[1][:, :, :, :n], rtol=0, atol=0)
    # decode attention reads each layer's rows as one contiguous block of the pool's whole width
    assert runner.k[0, :2].is_contiguous()
    # _fit grows to the next 64-token step past what is needed, and shrinks only below half
    runner._fit(start + 1)
    assert runner.capacity == start + 64
    runner._fit(10)
    assert runner.capacity == 64


@pytest.mark.parametrize("fused", [True, False], ids=["torch's fused attention", "blocks"])
def test_long_prompts_attend_causally_like_transformers(model, monkeypatch, fused):
    """Prompts longer than one attention block (PREFILL_BLOCK queries), from scratch and after a reused prefix, with
    torch's fused attention (grouped query heads) and with the blocked fallback for a torch without it."""
    from components.engine import llama_runner
    from components.engine.llama_runner import PREFILL_BLOCK

    if fused and not llama_runner.SDPA_GQA:
        pytest.skip("this torch's fused attention does not take grouped query heads")
    monkeypatch.setattr(llama_runner, "SDPA_GQA", fused)
    loaded, tokenizer = model
    runner = LlamaSlotRunner(loaded, slots=2, window=1024)
    policies = Path(__file__).resolve().parent.parent / "kb" / "policies"
    policy = "\n\n".join((policies / name).read_text(encoding="utf-8") for name in ("refunds.md", "returns.md"))
    ids = prompt(tokenizer, "Summarise this policy:\n" + policy)[: 2 * PREFILL_BLOCK + 57]
    assert len(ids) == 2 * PREFILL_BLOCK + 57   # three blocks, the last one partial
    reference = reference_logits(loaded, ids)[-1]
    first, row, _ = runner.prefill(ids, PREFILL_BLOCK + 10)
    runner.select(runner.merge(None, row), [])
    again, _, reused = runner.prefill(ids, PREFILL_BLOCK + 10)   # past = 138: blocks start mid-sequence
    assert reused == PREFILL_BLOCK + 10
    assert torch.allclose(first, reference, atol=2e-3) and torch.allclose(again, reference, atol=2e-3)


def prompt_errors(runner, setup, reference_model, switch: str) -> dict[bool, list[float]]:
    """Each prompt's logits with the runner's `switch` on and off, as relative distances from float32's: from
    scratch, after a short reused prefix (plain causal attention, the prefix's queries zeros on torch's path), after
    a long one (masked attention), and three prompts prefilled together."""
    ids = setup["ids"] + setup["feed"][:200]
    short, long = 40, len(ids) - 30
    prompts = [(ids, short), (ids[:150], 0), (ids, long)]
    reference = reference_logits(reference_model, ids)
    expected = [reference[-1]] * 3 + [reference[-1], reference[149], reference[-1]]

    def prefills(on):
        setattr(runner, switch, on)
        out = []
        for prefix in (0, short, long):
            runner.prefill(ids[:prefix] + [5], prefix)  # caches the prefix
            logits, row, reused = runner.prefill(ids, prefix)
            assert reused == prefix
            runner.select(runner.merge(None, row), [])
            out.append(logits)
        return out + [logits for logits, _, _ in runner.prefill_many(prompts)]

    errors = {True: [], False: []}
    for ours, theirs, full in zip(prefills(True), prefills(False), expected):
        for on, logits in ((True, ours), (False, theirs)):
            errors[on].append(float((logits - full).norm() / full.norm()))
    return errors


def test_prompt_rotation_on_kefus_kernels_is_as_faithful_as_torchs(faithful, model, model_cache_dir):
    """A prompt's rotary embedding on kefu's kernels (queries into attention's layout, keys and values straight into
    the pool; float32 arithmetic, one rounding) against torch's bfloat16 operations, in the same runner (see
    prompt_errors). Each prompt's logits are as close to float32's as torch's rotation gets them, within
    bfloat16's spread."""
    kernels, why = cpu_kernels.load(model_cache_dir)
    if kernels is None:
        pytest.skip(f"kefu's CPU kernels are not available here: {why}")
    runner = LlamaSlotRunner(faithful["model"], slots=3, window=512, kernels=kernels)
    assert runner.fast_rope
    runner.amx_attention = False  # torch's attention on both sides: only the rotation differs
    errors = prompt_errors(runner, faithful, model[0], "fast_rope")
    # bfloat16 rounding alone moves either path's logits by 0.4-3% of their norm here (measured: kernels 0.5-3.1%,
    # torch 0.4-1.7%); a wrong position or slot would not stay within that
    assert max(errors[True]) < 0.05 and max(errors[False]) < 0.05, errors


def test_prompt_attention_on_amx_is_as_faithful_as_torchs(faithful, model, model_cache_dir):
    """A prompt's attention on AMX tiles against torch's fused attention (the fallback on a CPU without AMX), in the
    same runner and the same prompts (see prompt_errors): as close to float32's logits as torch's, and the AVX-512
    build without BF16 (what a CPU without AMX gets here) keeps torch's attention."""
    kernels, why = cpu_kernels.load(model_cache_dir)
    if kernels is None or not kernels.has_prompt_attention:
        pytest.skip(f"no AMX prompt attention here: {why}")
    runner = LlamaSlotRunner(faithful["model"], slots=3, window=512, kernels=kernels)
    assert runner.amx_attention
    errors = prompt_errors(runner, faithful, model[0], "amx_attention")
    # measured: AMX 0.6-1.9%, torch 0.4-4.0% of the logits' norm
    assert max(errors[True]) < 0.05 and max(errors[False]) < 0.05, errors
    assert max(errors[True]) < max(errors[False]) + 0.01, errors
    lesser, why = cpu_kernels.load(model_cache_dir, isa="avx512")
    if lesser is not None:
        assert not LlamaSlotRunner(faithful["model"], slots=1, window=512, kernels=lesser).amx_attention


def test_a_pass_on_two_threads_gives_each_prompt_what_one_thread_gives(faithful, model, model_cache_dir):
    """prefill_many on two threads — the prompts dealt out to one group per thread, each its own forward pass on one
    OpenMP thread, with kefu's kernels where they load (rotation into the pool, AMX attention where there is AMX) —
    against the same pass on one thread: each prompt's logits within bfloat16's spread of one thread's, and as close
    to float32's."""
    omp = OmpThreads()
    if not omp.available:
        pytest.skip("no per-thread OpenMP count here (threadpoolctl)")
    kernels, _ = cpu_kernels.load(model_cache_dir)
    runner = LlamaSlotRunner(faithful["model"], slots=3, window=512, kernels=kernels)
    ids = faithful["ids"] + faithful["feed"][:200]
    prompts = [(ids, 0), (ids[:150], 0), (ids[:180], 0)]
    reference = reference_logits(model[0], ids)
    expected = [reference[len(p) - 1] for p, _ in prompts]
    results = {}
    for threads in (1, 2):
        with omp.limited(threads):
            results[threads] = [logits for logits, _, _ in runner.prefill_many(prompts)]
    for one, two, full in zip(results[1], results[2], expected):
        apart = float((two - one).norm() / one.norm())  # measured here: 0 (bit for bit)
        errors = [float((x - full).norm() / full.norm()) for x in (one, two)]
        assert apart < 0.02, apart
        assert errors[1] < 0.05 and errors[1] < errors[0] + 0.01, errors
