"""llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) as a second model server for the
`openai` backend, started in a child process of its own.

llama-cpp-python is not installed in the app's environment (its OpenMP runtime segfaults beside torch); like
`bench engine` (components/engine/llama_cpp_bench.py) it is looked for in the interpreter's own environment, then in
`<cache dir>/llama-cpp-python`, a `pip install --target` folder, which also needs the server's extras that the
app's environment lacks (`SERVER_EXTRAS`; fastapi, uvicorn and pydantic-settings come with the app). The child
turns llama.cpp's AMX extra buffers off first where they segfault (llama-cpp-python 0.3.36 on AMX CPUs), then runs
`llama_cpp.server`'s own entry point with the arguments it was given:

    PYTHONPATH=.:<cache>/llama-cpp-python python -m components.engine_server.llama_cpp_server \\
        --model <file>.gguf --port 8001 --n_threads 1 --n_ctx 2048
    KEFU_ENGINE_BACKEND=openai KEFU_OPENAI_BASE_URL=http://127.0.0.1:8001/v1 python app.py
"""
from __future__ import annotations

import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

from components.engine.llama_cpp_bench import PINNED, target_dir

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_EXTRAS = ("sse-starlette==2.1.3", "starlette-context==0.3.6", "diskcache==5.6.3")


def install_hint(target: Path) -> str:
    return (f"`make llama-cpp` installs it (`make test` does too, where a compiler is present): "
            f"`{sys.executable} -m pip install --no-deps --target {target} {PINNED} {' '.join(SERVER_EXTRAS)}` "
            "(compiles llama.cpp once: about 9 CPU-minutes)")


def default_path(settings) -> list[Path]:
    """Where `bench engine` looks for llama-cpp-python too: <cache dir>/llama-cpp-python."""
    return [target_dir(settings)]


def missing_parts(pythonpath: list[Path]) -> str | None:
    """None when a child with `pythonpath` can import llama_cpp.server, else what is missing (from the child)."""
    probe = subprocess.run([sys.executable, "-c", "import llama_cpp.server.app"], env=_child_env(pythonpath),
                           capture_output=True, text=True, timeout=120)
    if probe.returncode == 0:
        return None
    lines = (probe.stderr or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {probe.returncode}"


def _child_env(pythonpath: list[Path]) -> dict:
    env = dict(os.environ)
    parts = [str(REPO_ROOT)] + [str(p) for p in pythonpath if Path(p).is_dir()]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def start(model: Path, port: int, *, pythonpath: list[Path], threads: int = 1, context: int = 2048,
          log_file=None) -> subprocess.Popen:
    """The server for one GGUF file on 127.0.0.1:`port`, in a child process (the caller waits for it and stops it)."""
    command = [sys.executable, "-m", "components.engine_server.llama_cpp_server", "--model", str(model),
               "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_ctx", str(context)]
    return subprocess.Popen(command, env=_child_env(pythonpath), cwd=str(REPO_ROOT), stdout=log_file,
                            stderr=subprocess.STDOUT if log_file is not None else None)


def main() -> None:
    from components.engine.llama_cpp_engine import disable_amx_if_present

    note = disable_amx_if_present()
    if note:
        log.warning("%s", note)
    sys.argv = ["llama_cpp.server"] + sys.argv[1:]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
