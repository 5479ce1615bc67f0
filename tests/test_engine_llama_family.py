"""The lean runner on the Llama/Qwen2 family: tiny random-weight models built here from transformers' own configs
(no download), every logit of a prefill and of batched decode steps against transformers' forward pass.

The variants cover what differs across the family: Qwen2's query/key/value biases, tied and untied embeddings,
grouped-query head counts, head sizes of 32 and 64, RoPE bases of 1e4 to 1e6, and Llama with biases on every
attention projection. A bfloat16 model whose matrices lie on a 4-bit grid runs the fused kernel decode with
Qwen2's biases.
"""
from __future__ import annotations

import threading
import time

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

from components.engine import cpu_kernels
from components.engine.llama_runner import LlamaSlotRunner, four_bit_grid, supported
from components.omp_threads import OmpThreads

VARIANTS = {
    "qwen2 tied, biases, 4 heads / 2 kv, head 32, rope 1e6": (Qwen2ForCausalLM, Qwen2Config(
        vocab_size=320, hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rope_theta=1e6, tie_word_embeddings=True)),
    "qwen2 untied, 2 heads / 1 kv, head 64": (Qwen2ForCausalLM, Qwen2Config(
        vocab_size=272, hidden_size=128, intermediate_size=192, num_hidden_layers=3, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=256, rope_theta=1e4, tie_word_embeddings=False)),
    "llama untied, attention biases, 3 heads / 1 kv, head 64, rope 5e5": (LlamaForCausalLM, LlamaConfig(
        vocab_size=300, hidden_size=192, intermediate_size=320, num_hidden_layers=2, num_attention_heads=3,
        num_key_value_heads=1, max_position_embeddings=256, rope_theta=5e5, attention_bias=True,
        tie_word_embeddings=False)),
}


def random_model(name: str, seed: int = 0, dtype=torch.float32):
    """The variant with every parameter random (transformers initialises biases to 0 and norms to 1, which would
    hide a bias or norm weight the runner dropped)."""
    cls, config = VARIANTS[name]
    torch.manual_seed(seed)
    model = cls(config).eval()
    with torch.no_grad():
        for parameter_name, parameter in model.named_parameters():
            if parameter_name.endswith("bias"):
                parameter.normal_(0, 0.5)
            elif "norm" in parameter_name:
                parameter.uniform_(0.5, 1.5)
            else:
                parameter.normal_(0, 0.08)
    return model.to(dtype)


def transformers_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.inference_mode():
        return model(torch.tensor([ids])).logits[0].float()


PROMPTS = [[(7 * i + 3) % 250 + 5 for i in range(23)], [(11 * i + 1) % 250 + 5 for i in range(9)]]
FEED = [[17, 40, 201, 99, 3, 64], [250, 8, 77, 120, 33, 6]]


def run_two_rows(runner) -> list[torch.Tensor]:
    """Row 0 is prefilled and decodes one step alone; row 1 joins; both decode together. Each row's logits."""
    out = [[], []]
    logits, row, _ = runner.prefill(PROMPTS[0])
    out[0].append(logits)
    state = runner.merge(None, row)
    out[0].append(runner.decode(state, [FEED[0][0]])[0])
    logits, row, _ = runner.prefill(PROMPTS[1])
    out[1].append(logits)
    state = runner.merge(state, row)
    for step in range(1, len(FEED[0])):
        logits = runner.decode(state, [FEED[0][step], FEED[1][step - 1]])
        out[0].append(logits[0])
        out[1].append(logits[1])
    runner.select(state, [])
    return [torch.stack(rows) for rows in out]


def expected_rows(model) -> list[torch.Tensor]:
    """What transformers gives for the same tokens: the prompt's last position, then each fed token's."""
    rows = []
    for j, prompt in enumerate(PROMPTS):
        fed = FEED[j][:6 if j == 0 else 5]
        rows.append(transformers_logits(model, prompt + fed)[len(prompt) - 1:])
    return rows


@pytest.mark.parametrize("name", list(VARIANTS))
def test_the_family_matches_transformers_logit_for_logit(name):
    model = random_model(name)
    assert supported(model)
    expected = expected_rows(model)  # before the runner fuses the projections (it must not change the model)
    runner = LlamaSlotRunner(model, slots=2, window=128)
    for ours, theirs in zip(run_two_rows(runner), expected):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    for ours, theirs in zip(expected_rows(model), expected):  # transformers' forward still works on fused views
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_what_the_family_does_not_cover_falls_back_to_transformers():
    model = random_model("qwen2 untied, 2 heads / 1 kv, head 64")
    config = model.config
    config.use_sliding_window = True
    assert not supported(model)
    config.use_sliding_window = False
    config.rope_parameters = {"rope_type": "yarn", "rope_theta": 1e4, "factor": 4.0}
    assert not supported(model)
    config.rope_parameters = {"rope_type": "default", "rope_theta": 1e4}
    assert supported(model)
    config.model_type = "mistral"
    assert not supported(model)


def snap_to_4bit_grid(model) -> None:
    """Round every projection to a 4-bit grid per 32 inputs (as a GGUF Q4_1 model is), so the runner decodes
    them with kefu's block kernels."""
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear) and name != "lm_head":
                w = module.weight.float()
                groups = w.view(w.shape[0], -1, 32)
                low, high = groups.amin(-1, keepdim=True), groups.amax(-1, keepdim=True)
                scale = (high - low) / 15
                snapped = ((groups - low) / scale).round() * scale + low
                module.weight.copy_(snapped.view_as(w).to(module.weight.dtype))


def test_qwen2_biases_on_the_fused_kernel_decode(model_cache_dir):
    """bfloat16, matrices on a 4-bit grid: the decode step is the fused kernel path, with Qwen2's QKV biases added
    after the block product; its logits track transformers' float32 forward of the same weights."""
    kernels, why = cpu_kernels.load(model_cache_dir)
    if kernels is None:
        pytest.skip(f"kefu's CPU kernels are not available here: {why}")
    name = "qwen2 untied, 2 heads / 1 kv, head 64"
    model = random_model(name, seed=3, dtype=torch.bfloat16)
    snap_to_4bit_grid(model)
    reference = random_model(name, seed=3).float()
    reference.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
    assert four_bit_grid(model.model.layers[0].self_attn.q_proj.weight) is not None
    expected = expected_rows(reference)
    runner = LlamaSlotRunner(model, slots=2, window=128, kernels=kernels)
    assert runner.fused_decode and runner.layers[0].qkv.bias is not None
    for ours, theirs in zip(run_two_rows(runner), expected):
        error = float((ours - theirs).norm() / theirs.norm())
        assert error < 0.05, error
    without_bias = LlamaSlotRunner(model, slots=2, window=128, kernels=kernels)
    for layer in without_bias.layers:
        layer.qkv.bias = None
    ours = run_two_rows(without_bias)[0]
    assert float((ours - expected[0]).norm() / expected[0].norm()) > 0.1  # the biases matter at this size


@pytest.mark.parametrize("threads", [1, 2])
def test_prompts_prefilled_together_match_transformers_and_a_row_may_stay_out(threads):
    """A burst's prompts in one forward pass (prefill_many): each prompt's logits are transformers' for that prompt
    alone, one of them continuing a cached prefix; the middle row does not join the batch (its request ended at
    its first token), so the last row moves down a slot and still decodes as transformers does. On two threads
    the prompts run as two groups, one per thread (the first prompt alone, the other two together), and come
    back in their own order."""
    omp = OmpThreads()
    if threads > 1 and not omp.available:
        pytest.skip("no per-thread OpenMP count here (threadpoolctl)")
    model = random_model("qwen2 tied, biases, 4 heads / 2 kv, head 32, rope 1e6")
    prompts = [PROMPTS[0], PROMPTS[1], PROMPTS[0][:10] + PROMPTS[1]]
    expected = [transformers_logits(model, ids + FEED[0][:3]) for ids in prompts]
    runner = LlamaSlotRunner(model, slots=3, window=128)
    _, row, _ = runner.prefill(PROMPTS[0][:10] + [5, 6], 10)  # puts the 10-token prefix in the cache
    runner.select(runner.merge(None, row), [])
    groups, forward = [], runner._forward_segments
    runner._forward_segments = lambda segments: groups.append(
        (threading.current_thread().name, [slot for slot, _, _ in segments])) or forward(segments)
    with omp.limited(threads):
        rows = runner.prefill_many([(ids, 10 if j == 2 else 0) for j, ids in enumerate(prompts)])
    assert sorted(slots for _, slots in groups) == ([[0], [1, 2]] if threads > 1 else [[0, 1, 2]])
    assert len({name for name, _ in groups}) == threads
    assert runner.prefill_busiest_cpu_s > 0
    assert [reused for _, _, reused in rows] == [0, 0, 10]
    for (logits, _, _), ids, full in zip(rows, prompts, expected):
        torch.testing.assert_close(logits, full[len(ids) - 1], rtol=1e-4, atol=1e-4)
    state = runner.merge(runner.merge(None, rows[0][1]), rows[2][1])  # row 1 stays out
    for step in range(3):
        logits = runner.decode(state, [FEED[0][step]] * 2)
        for r, j in enumerate((0, 2)):
            torch.testing.assert_close(logits[r], expected[j][len(prompts[j]) + step], rtol=1e-4, atol=1e-4)


def test_a_group_that_fails_fails_the_pass_only_after_every_group_has_ended():
    """On two threads, one group's error is raised once the other group is done with the pool (the scheduler then
    prefills each prompt alone, into the same slots), not while it still writes there."""
    omp = OmpThreads()
    if not omp.available:
        pytest.skip("no per-thread OpenMP count here (threadpoolctl)")
    runner = LlamaSlotRunner(random_model("qwen2 untied, 2 heads / 1 kv, head 64"), slots=2, window=128)
    ended = []

    def forward(segments):
        if segments[0][0] == 0:
            raise RuntimeError("this group cannot run")
        time.sleep(0.2)
        ended.append(segments[0][0])
        return torch.zeros(len(segments), runner.hidden)

    runner._forward_segments = forward
    with omp.limited(2), pytest.raises(RuntimeError, match="cannot run"):
        runner.prefill_many([(PROMPTS[0], 0), (PROMPTS[1], 0)])
    assert ended == [1]
