"""`make test` installs llama-cpp-python's server where the tests and `bench engine` look for it:
`<cache dir>/llama-cpp-python` (default data/cache/llama-cpp-python), a `pip install --no-deps --target` folder
outside the app's environment (its OpenMP runtime segfaults beside torch; components/engine_server/llama_cpp_server.py).

    python -m components.engine_server.llama_cpp_install

Does nothing when it is there already. Without a C/C++ compiler it says so and stops (tests/test_llama_cpp_server.py
then skips with the same reason). Otherwise it compiles llama.cpp once (about 9 CPU-minutes; pip keeps the
built wheel in its cache, so a later fresh clone on the same machine installs it in seconds) into a sibling folder
and renames that into place only when the server imports from it, so an interrupted build leaves nothing half-made.
Its dependencies (numpy, jinja2, fastapi, uvicorn, pydantic-settings) come from the app's environment (diskcache,
which the app does not need, is installed beside it with the server's other extras),
hence --no-deps. Always exits 0: the tests that need it skip with the reason when it could not be installed.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

from components.engine.llama_cpp_bench import PINNED
from components.engine_server.llama_cpp_server import SERVER_EXTRAS, default_path, missing_parts

log = logging.getLogger(__name__)

COMPILERS = (("cc", "gcc", "clang"), ("c++", "g++", "clang++"))


def missing_compiler() -> str | None:
    """None when a C and a C++ compiler are on PATH, else which is missing."""
    for kind, names in zip(("C", "C++"), COMPILERS):
        if not any(shutil.which(name) for name in names):
            return f"no {kind} compiler on PATH (looked for {', '.join(names)})"
    return None


def install(target: Path, *, timeout_s: float = 3600) -> dict:
    """Install llama-cpp-python's server into `target` unless it imports from there already. Returns what happened:
    {"status": "present" | "installed" | "skipped" | "failed", "seconds", "reason"?}."""
    started = time.perf_counter()
    if missing_parts([target]) is None:
        return {"status": "present", "target": str(target), "seconds": round(time.perf_counter() - started, 1)}
    reason = missing_compiler()
    if reason:
        return {"status": "skipped", "target": str(target), "reason": f"{reason}: llama-cpp-python compiles "
                "llama.cpp when installed; its server test skips"}
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "--disable-pip-version-check",
               "--target", str(partial), PINNED, *SERVER_EXTRAS]
    log.info("installing llama-cpp-python's server into %s (compiles llama.cpp once: about 9 CPU-minutes): %s", target,
             " ".join(command))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        shutil.rmtree(partial, ignore_errors=True)
        return {"status": "failed", "target": str(target), "reason": f"pip did not finish within {timeout_s:.0f} s"}
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        tail = " | ".join((done.stderr or done.stdout or "").strip().splitlines()[-3:])
        return {"status": "failed", "target": str(target), "reason": f"pip exited {done.returncode}: {tail}",
                "seconds": round(time.perf_counter() - started, 1)}
    still_missing = missing_parts([partial])
    if still_missing:
        shutil.rmtree(partial, ignore_errors=True)
        return {"status": "failed", "target": str(target), "reason": f"installed, but the server does not import: "
                f"{still_missing}"}
    if target.exists():
        shutil.rmtree(target)  # an older or broken install that did not import
    partial.rename(target)
    return {"status": "installed", "target": str(target), "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    from components.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    result = install(default_path(Settings.from_env())[-1])
    if result["status"] == "present":
        log.info("llama-cpp-python's server is installed in %s", result["target"])
    elif result["status"] == "installed":
        log.info("llama-cpp-python's server installed in %s in %.0f s", result["target"], result["seconds"])
    else:
        log.warning("llama-cpp-python's server is not installed (%s); tests/test_llama_cpp_server.py will skip",
                    result["reason"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
