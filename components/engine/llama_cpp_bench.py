"""llama.cpp's side of `bench engine`, in a child process of its own.

llama-cpp-python is an optional extra that compiles llama.cpp; a crash inside it (a segfault in one of its CPU
kernels, as happened here with 0.3.36's AMX path) must not take the benchmark down with it, and its OpenMP runtime
must not share a process with torch's. So the bench runs `python -m components.engine.llama_cpp_bench` with the
prompts on stdin and reads one JSON line back; if the child dies, the bench says how in its JSON.

The package is looked for in the interpreter's own environment and then in `<cache dir>/llama-cpp-python`, a
separate `pip install --target` directory (see `install_hint`), so it never has to live beside torch in the venv.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)

TARGET_DIR_NAME = "llama-cpp-python"
PINNED = "llama-cpp-python==0.3.36"
REPO_ROOT = Path(__file__).resolve().parents[2]


def target_dir(settings) -> Path:
    return Path(settings.cache_dir) / TARGET_DIR_NAME


def install_hint(settings) -> str:
    return (f"install it outside the app's environment with `{sys.executable} -m pip install --target "
            f"{target_dir(settings)} {PINNED}` (compiles llama.cpp, about 8 minutes)")


def _child_env(settings) -> dict:
    env = dict(os.environ)
    paths = [str(REPO_ROOT)]
    if target_dir(settings).is_dir():
        paths.append(str(target_dir(settings)))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


def run_llama_cpp(settings, conversations: list, *, threads=(1, 2), max_new_tokens: int, runs: int,
                  timeout_s: float) -> dict:
    """llama.cpp's single-stream figures, one per decode thread count, each from a child process of its own (so
    one that crashes or runs out of time leaves the others): {"threads": {"1": {...}, "2": {...}}, "version": ...}
    where an entry that failed is {"decode_tok_s": None, "reason": ...}; or {"reason": ...} when llama-cpp-python
    is not installed. `timeout_s` is shared by the children. Never raises for those."""
    began = time.perf_counter()
    out: dict = {"threads": {}}
    for index, count in enumerate(threads):
        share = (timeout_s - (time.perf_counter() - began)) / (len(threads) - index)
        result = _run_child(settings, conversations, count, max_new_tokens, runs, max(10.0, share))
        if result.get("missing"):
            return {"reason": f"llama-cpp-python is not installed (optional extra): {result['missing']}; "
                              f"{install_hint(settings)}"}
        out.update({k: v for k, v in result.items() if k in ("version", "note")})
        out["threads"][str(count)] = result.get("single") or {"decode_tok_s": None, "reason": result["reason"],
                                                              "threads": count}
    return out


def _run_child(settings, conversations, count: int, max_new_tokens: int, runs: int, timeout_s: float) -> dict:
    request = {"model": settings.model, "context_window": settings.context_window,
               "prefill_threads": settings.engine_prefill_threads, "data_dir": str(settings.data_dir),
               "cache_dir": str(settings.cache_dir), "conversations": conversations, "threads": count,
               "max_new_tokens": max_new_tokens, "runs": runs}
    try:
        done = subprocess.run([sys.executable, "-m", "components.engine.llama_cpp_bench"], input=json.dumps(request),
                              capture_output=True, text=True, timeout=timeout_s, cwd=str(REPO_ROOT),
                              env=_child_env(settings))
    except subprocess.TimeoutExpired:
        return {"reason": f"llama.cpp's child process did not finish within {timeout_s:.0f} s (time budget)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"reason": f"llama.cpp's child process {_describe_exit(done.returncode)}: {' | '.join(tail)}"}
    return json.loads(lines[-1])


def _child_main() -> None:
    from dataclasses import replace

    from components.settings import Settings

    from . import build_engine
    from .bench import _single
    from .types import GenerationParams

    request = json.loads(sys.stdin.read())
    try:
        import llama_cpp
    except ImportError as exc:
        print(json.dumps({"missing": str(exc)}), flush=True)
        return
    settings = Settings(data_dir=Path(request["data_dir"]), cache_dir_override=Path(request["cache_dir"]),
                        model=request["model"], context_window=request["context_window"],
                        engine_prefill_threads=request["prefill_threads"], request_deadline_s=0)
    conversations = request["conversations"]
    params = GenerationParams(max_new_tokens=request["max_new_tokens"], temperature=0.0, ignore_eos=True,
                              deadline_s=None)
    count = request["threads"]
    engine = build_engine(replace(settings, engine_backend="llama_cpp", engine_threads=count))
    engine.start()
    engine.generate(conversations[-1], GenerationParams(max_new_tokens=4))  # warm-up
    single = _single(engine, conversations, params, request["runs"])
    single.pop("prompt_tokens", None)
    engine.close()
    print(json.dumps({"version": llama_cpp.__version__, "note": engine.note, "single": {**single, "threads": count}}),
          flush=True)


if __name__ == "__main__":
    _child_main()
