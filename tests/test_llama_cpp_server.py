"""kefu's `openai` backend against a second real OpenAI-compatible server: llama-cpp-python's
(`python -m llama_cpp.server`) on the packaged SmolLM2 GGUF, started in a child process from a separate
environment. Skipped, saying how to install it, where llama-cpp-python's server is not installed."""
from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pytest

from components.engine import GenerationParams
from components.engine.model_loader import resolve_model_source
from components.engine.openai_engine import OpenAICompatibleEngine
from components.engine_server import llama_cpp_server
from components.settings import Settings
from tests.conftest import free_port

MESSAGES = [{"role": "system", "content": "You are a helpful shop assistant."},
            {"role": "user", "content": "How long do refunds take?"}]


def _search_path() -> list[Path]:
    """Where llama-cpp-python and the server's extras may be: <cache dir>/llama-cpp-python (as `bench engine`), plus
    the folders in KEFU_TEST_LLAMA_CPP_PATH (os.pathsep-separated) for an install kept elsewhere."""
    extra = [Path(p) for p in os.environ.get("KEFU_TEST_LLAMA_CPP_PATH", "").split(os.pathsep) if p]
    return extra + llama_cpp_server.default_path(Settings.from_env())


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    path = _search_path()
    missing = llama_cpp_server.missing_parts(path)
    if missing:
        from components.engine_server.llama_cpp_install import missing_compiler

        if os.environ.get("CI") and missing_compiler() is None:
            pytest.fail(f"llama-cpp-python's server is missing on CI ({missing}), where `make test` installs it: "
                        "see the output of its `python -m components.engine_server.llama_cpp_install` step")
        pytest.skip(f"llama-cpp-python's server is not installed ({missing}); "
                    f"{llama_cpp_server.install_hint(path[-1])}")
    model = resolve_model_source("packaged:smollm2").gguf_path  # the GGUF file kefu's own engine runs
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    with open(log_path, "wb") as log_file:
        proc = llama_cpp_server.start(model, port, pythonpath=path, log_file=log_file)
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, f"llama.cpp's server exited: {log_path.read_text(errors='replace')[-2000:]}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama.cpp's server did not answer within 120 s")
    yield port, log_path
    proc.terminate()
    try:
        proc.wait(15)
    except Exception:
        proc.kill()


def test_the_openai_backend_streams_from_llama_cpp_server(llama_server, tmp_path):
    port, log_path = llama_server
    client = OpenAICompatibleEngine(Settings(data_dir=tmp_path, engine_backend="openai", model="smollm2",
                                             openai_base_url=f"http://127.0.0.1:{port}/v1"))
    client.start()
    try:
        params = GenerationParams(max_new_tokens=24)
        pieces = list(client.stream(MESSAGES, params))
        answer = client.generate(MESSAGES, params)
    finally:
        client.close()
    assert len(pieces) > 3, "streamed token by token"
    assert "".join(pieces).strip() and answer.strip()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
                                     data=json.dumps({"messages": MESSAGES, "max_tokens": 8}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.loads(response.read())
    assert 0 < body["usage"]["completion_tokens"] <= 8


def test_the_installer_says_why_and_goes_on_without_a_compiler(tmp_path):
    """`make test` runs the installer first; on a machine without a compiler it must not fail the run but say why
    (and leave no half-made folder), so this file's server test skips with that reason."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    bare = tmp_path / "bin"  # a PATH with no compiler on it
    bare.mkdir()
    env = {**os.environ, "PATH": str(bare), "KEFU_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "components.engine_server.llama_cpp_install"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "no C compiler on PATH" in out.stdout and "will skip" in out.stdout
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
