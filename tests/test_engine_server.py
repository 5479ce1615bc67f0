"""`serve-engine`: kefu's real engine (the session's SmolLM2) behind the OpenAI-compatible API, read by kefu's own
`openai` backend as an app replica would, plus raw HTTP for streaming, cancellation on disconnect and errors."""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from components.engine import GenerationParams
from components.engine.openai_engine import OpenAICompatibleEngine
from components.engine_server.openai_server import build_app
from components.settings import Settings
from tests.conftest import free_port

MESSAGES = [{"role": "system", "content": "You are a helpful shop assistant."},
            {"role": "user", "content": "How long do refunds take?"}]


@pytest.fixture(scope="module")
def engine_server(real_services):
    import uvicorn

    app = build_app(real_services.engine, model_name="smollm2", default_max_tokens=64)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started
    yield app, port
    server.should_exit = True
    thread.join(10)


def post(port: int, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_openai_backend_gets_what_the_engine_says(engine_server, real_services, tmp_path):
    app, port = engine_server
    params = GenerationParams(max_new_tokens=40)
    direct = real_services.engine.generate(MESSAGES, params)
    client = OpenAICompatibleEngine(Settings(data_dir=tmp_path, engine_backend="openai", model="smollm2",
                                             openai_base_url=f"http://127.0.0.1:{port}/v1"))
    client.start()
    try:
        stream = client.stream(MESSAGES, params)
        served = "".join(stream)
    finally:
        client.close()
    assert served.strip() and served == direct  # greedy: the same words through the wire
    status, body = post(port, {"model": "smollm2", "messages": MESSAGES, "max_tokens": 40})
    assert status == 200 and body["choices"][0]["message"]["content"] == direct
    assert body["usage"]["completion_tokens"] > 0 and body["usage"]["prompt_tokens"] > 0
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=10) as response:
        assert json.loads(response.read())["data"][0]["id"] == "smollm2"


def test_a_disconnected_stream_is_cancelled(engine_server):
    app, port = engine_server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(
        {"model": "smollm2", "messages": MESSAGES, "max_tokens": 400, "ignore_eos": True, "stream": True}),
        headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("content-type").startswith("text/event-stream")
    got = b""
    while got.count(b"data:") < 4:  # the role chunk and a few tokens
        got += response.read1(4096)
    first = json.loads(got.split(b"\n\n")[0][len(b"data: "):])
    conn.sock.close()  # the customer's replica went away
    conn.close()
    deadline = time.time() + 60
    while time.time() < deadline:
        done = [f for f in app.state.finished if f[0] == first["id"]]
        if done:
            break
        time.sleep(0.2)
    assert done and done[0][1] == "cancelled" and done[0][2] < 400, done


def test_bad_requests_get_openai_shaped_errors(engine_server):
    _, port = engine_server
    status, body = post(port, {"model": "smollm2", "messages": []})
    assert status == 400 and "messages must be a non-empty list" in body["error"]["message"]
    status, body = post(port, {"messages": [{"role": "wizard", "content": "hi"}]})
    assert status == 400 and body["error"]["type"] == "invalid_request_error"
    status, body = post(port, {"messages": MESSAGES, "max_tokens": -5})
    assert status == 400 and "max_new_tokens must be positive" in body["error"]["message"]
