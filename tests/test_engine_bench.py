"""The engine benchmark runs end to end on the real model and reports the keys the README table needs."""
from __future__ import annotations

import importlib.util
import json

import pytest

from components.engine import cpu_kernels
from components.engine.bench import bench_ratios, build_bench_conversations, run_engine_bench
from components.engine.llama_cpp_bench import run_llama_cpp
from components.settings import Settings


def test_bench_conversations_are_realistic(tmp_path):
    settings = Settings(data_dir=tmp_path)

    def words(text):
        return len(text.split())

    conversations = build_bench_conversations(3, settings.kb_docs_dir, words, context_tokens=300)
    assert len(conversations) == 3
    assert all(c[0]["role"] == "system" and c[1]["role"] == "user" for c in conversations)
    assert len({c[1]["content"] for c in conversations}) == 3  # each conversation has its own context
    assert all(250 <= words(c[1]["content"]) <= 340 for c in conversations)


# what each ratio key says it is, written out here independently of bench.RATIOS: (numerator, denominator)
RATIO_MEANINGS = {
    "engine_single_vs_llama_cpp_single": (("engine", "single", "decode_tok_s"),
                                          ("llama_cpp", "single", "decode_tok_s")),
    "engine_1_thread_vs_llama_cpp_1_thread": (("engine", "single_threads", "1", "decode_tok_s"),
                                              ("llama_cpp", "threads", "1", "decode_tok_s")),
    "engine_2_threads_vs_llama_cpp_2_threads": (("engine", "single_threads", "2", "decode_tok_s"),
                                                ("llama_cpp", "threads", "2", "decode_tok_s")),
    "engine_c8_aggregate_vs_llama_cpp_single": (("engine", "concurrency", "8", "aggregate_tok_s"),
                                                ("llama_cpp", "single", "decode_tok_s")),
    "engine_c8_decode_aggregate_vs_llama_cpp_single": (("engine", "concurrency", "8", "decode_aggregate_tok_s"),
                                                       ("llama_cpp", "single", "decode_tok_s")),
    "engine_c8_decode_aggregate_vs_llama_cpp_all_cores": (("engine", "concurrency", "8", "decode_aggregate_tok_s"),
                                                          ("llama_cpp", "single_all_cores", "decode_tok_s")),
    "engine_single_vs_plain_generate": (("engine", "single", "decode_tok_s"),
                                        ("plain_generate", "single", "decode_tok_s")),
    "engine_c8_aggregate_vs_plain_generate": (("engine", "concurrency", "8", "aggregate_tok_s"),
                                              ("plain_generate", "single", "decode_tok_s")),
}


def assert_ratios_recompute(result: dict) -> int:
    """Every ratio in the JSON equals its numerator over its denominator, read from the same JSON; returns how
    many ratios had both figures."""
    assert set(result["ratios"]) == set(RATIO_MEANINGS)
    checked = 0
    for key, (top, bottom) in RATIO_MEANINGS.items():
        values = []
        for path in (top, bottom):
            value = result
            for part in path:
                value = value.get(part, {}) if isinstance(value, dict) else None
            values.append(value if isinstance(value, (int, float)) else None)
        if values[0] and values[1]:
            assert result["ratios"][key] == round(values[0] / values[1], 3), key
            checked += 1
        else:
            assert result["ratios"][key] is None, key
    return checked


def test_each_ratio_is_its_own_figures_over_each_other():
    """A result where every figure differs: a ratio that read the wrong figure (as engine_single_vs_llama_cpp_single
    once read llama.cpp's all-cores stream) cannot come out right."""
    result = {"engine": {"single": {"decode_tok_s": 97.0},
                         "single_threads": {"1": {"decode_tok_s": 83.0}, "2": {"decode_tok_s": 127.0}},
                         "concurrency": {"8": {"aggregate_tok_s": 151.0, "decode_aggregate_tok_s": 263.0}}},
              "llama_cpp": {"single": {"decode_tok_s": 61.0}, "single_all_cores": {"decode_tok_s": 79.0},
                            "threads": {"1": {"decode_tok_s": 59.0}, "2": {"decode_tok_s": 71.0}}},
              "plain_generate": {"single": {"decode_tok_s": 13.0}}}
    result["ratios"] = bench_ratios(result)
    assert assert_ratios_recompute(result) == len(RATIO_MEANINGS)
    assert result["ratios"]["engine_single_vs_llama_cpp_single"] == round(97 / 61, 3)
    del result["llama_cpp"]["single_all_cores"]
    result["ratios"] = bench_ratios(result)
    assert result["ratios"]["engine_c8_decode_aggregate_vs_llama_cpp_all_cores"] is None
    assert_ratios_recompute(result)


def test_bench_reports_every_key(tmp_path, model_cache_dir):
    settings = Settings(data_dir=tmp_path, cache_dir_override=model_cache_dir)
    result = run_engine_bench(settings, seconds_budget=300, concurrency=(2,), include_llama_cpp=True,
                              include_plain_generate=True, max_new_tokens=4, single_runs=1,
                              conversation_sizes=(2,), conversation_turns=2, think_s=(0.05, 0.2))
    json.dumps(result)  # JSON-serialisable
    assert result["workload"]["prompt_tokens"] > 400
    single = result["engine"]["single"]
    assert single["ttft_p50_s"] > 0 and single["ttft_p95_s"] >= single["ttft_p50_s"]
    assert single["decode_tok_s"] > 0
    c2 = result["engine"]["concurrency"]["2"]
    assert c2["completed"] == 2 and c2["tokens"] == 8 and c2["aggregate_tok_s"] > 0 and c2["ttft_p95_s"] > 0
    assert 0 < c2["prefill_busiest_thread_cpu_s"] < c2["wall_s"]
    talk = result["engine"]["conversations"]["2"]
    assert talk["messages"] == 4 and talk["tokens"] == 16 and not talk["errors"]
    assert 0 < talk["ttft_p50_s"] <= talk["ttft_p95_s"] <= talk["ttft_max_s"]
    # the defaults: bfloat16, decode with the GGUF's 4-bit blocks (kefu's kernels where this machine can build them)
    best = cpu_kernels.choose_isa(cpu_kernels.cpu_flags())[0]
    if cpu_kernels.load(model_cache_dir)[0] is not None:
        assert result["engine"]["runner"] == "llama-slots, 4-bit blocks x int8 (kefu kernels) for 120/120, 8-bit head"
        assert result["engine"]["isa"] == best.name  # the best build this CPU runs, and where it came from
        assert result["engine"]["kernels"].startswith(f"{best.name}: the best this CPU runs ({best.description}); ")
        assert result["engine"]["kernels"] == result["engine"]["stats"]["kernels"]
        # the stream again on one and on two decode threads, forced; the stats say which ran
        forced = result["engine"]["single_threads"]
        assert forced["1"]["decode_steps_by_threads"]["1"] > 0 == forced["1"]["decode_steps_by_threads"]["2"]
        assert forced["2"]["decode_steps_by_threads"]["2"] > 0 == forced["2"]["decode_steps_by_threads"]["1"]
        assert forced["1"]["decode_tok_s"] > 0 and forced["2"]["decode_tok_s"] > 0
        assert result["engine"]["stats"]["decode_threads_setting"] == "auto"
    else:
        assert result["engine"]["runner"] == "llama-slots, int4 (GGUF 4-bit grid)"
        assert result["engine"]["isa"] is None and result["engine"]["kernels"]
    assert result["engine"]["peak_rss_mb"] > 100
    assert result["plain_generate"]["single"]["decode_tok_s"] > 0
    llama = result["llama_cpp"]["single"]
    assert llama["decode_tok_s"] is None and llama["reason"] or llama["decode_tok_s"] > 0
    assert result["ratios"]["engine_single_vs_plain_generate"] > 0
    assert assert_ratios_recompute(result) >= 1 + (llama["decode_tok_s"] is not None)
    assert len(result["load_average_before"]) == 3 and len(result["load_average_after"]) == 3


def test_bench_parts_are_checked_before_anything_loads(tmp_path):
    with pytest.raises(ValueError, match="unknown part.*bursts.*choose from single"):
        run_engine_bench(Settings(data_dir=tmp_path), only="single,bursts")


CHAT = [[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "How long do refunds take?"}]]


def test_llama_cpp_crash_in_its_child_is_reported_not_raised(tmp_path):
    """llama.cpp runs in a child process: a segfault inside it (as 0.3.36's AMX matmul did beside torch) ends the
    child only, and the bench gets the cause."""
    fake = tmp_path / "cache" / "llama-cpp-python" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    out = run_llama_cpp(Settings(data_dir=tmp_path), CHAT, threads=(1, 2), max_new_tokens=4, runs=1, timeout_s=240)
    for count in ("1", "2"):  # each thread count in a child of its own
        assert out["threads"][count]["decode_tok_s"] is None
        assert out["threads"][count]["reason"].startswith("llama.cpp's child process killed by SIGSEGV"), out


def test_llama_cpp_missing_is_said_with_the_install_command(tmp_path):
    if importlib.util.find_spec("llama_cpp") is not None:
        pytest.skip("llama-cpp-python is installed in this environment: the missing case cannot arise")
    out = run_llama_cpp(Settings(data_dir=tmp_path), CHAT, threads=(1,), max_new_tokens=4, runs=1, timeout_s=120)
    assert out["reason"].startswith("llama-cpp-python is not installed"), out
    assert f"pip install --target {tmp_path / 'cache' / 'llama-cpp-python'} llama-cpp-python==" in out["reason"]
