"""kefu's own engine behind an OpenAI-compatible HTTP API, so one model box serves many app replicas.

    python app.py serve-engine --port 8001          # the app replicas then use
    KEFU_ENGINE_BACKEND=openai KEFU_OPENAI_BASE_URL=http://model-box:8001/v1 python app.py

Endpoints: GET /v1/models, POST /v1/chat/completions (stream true or false; max_tokens, temperature, top_p, stop,
and vLLM's ignore_eos), GET /health. Every request goes into the same continuously batching engine as in-process
chat, so concurrent replicas' customers share one batch. A client that disconnects mid-stream cancels its request
(its slot in the batch is freed at the next step); a full queue answers 429, malformed input 400, both in OpenAI's
error shape. The engine package is used only through its public surface (build_engine, stream, GenerationParams).
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections import deque

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

log = logging.getLogger(__name__)

_END = object()


def _error(status: int, message: str, kind: str):
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


def _params(body: dict, default_max: int):
    from components.engine import GenerationParams

    stop = body.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    return GenerationParams(max_new_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens")
                                               or default_max),
                            temperature=float(body.get("temperature", 0.0) or 0.0),
                            top_p=float(body.get("top_p", 1.0) or 1.0), stop=list(stop),
                            ignore_eos=bool(body.get("ignore_eos", False)))


def _messages(body: dict) -> list[dict]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {role, content}")
    out = []
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise ValueError("each message needs a role: system, user or assistant")
        content = m.get("content")
        if isinstance(content, list):  # OpenAI content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise ValueError("each message needs text content")
        out.append({"role": m["role"], "content": content})
    return out


def build_app(engine, *, model_name: str, default_max_tokens: int = 160):
    """The FastAPI app around a started engine. `app.state.finished` keeps the last requests' finish reasons."""
    from components.engine import EngineBusy, EngineError

    app = FastAPI(title="kefu engine", docs_url=None, redoc_url=None)
    app.state.finished = deque(maxlen=256)  # (request id, finish_reason, tokens)

    @app.get("/health")
    def health():
        return {"ok": True, "model": model_name}

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": model_name, "object": "model", "owned_by": "kefu"}]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        try:
            body = await request.json()
            messages = _messages(body)
            params = _params(body, default_max_tokens)
        except (ValueError, TypeError) as exc:
            return _error(400, f"Bad request: {exc}", "invalid_request_error")
        request_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        cancel = threading.Event()
        try:
            stream = engine.stream(messages, params, cancel=cancel)
        except EngineBusy as exc:
            return _error(429, f"The model is busy: {exc}", "rate_limit_error")
        except ValueError as exc:
            return _error(400, f"Bad request: {exc}", "invalid_request_error")

        def record():
            app.state.finished.append((request_id, stream.stats.get("finish_reason"), stream.stats.get("tokens")))

        if not body.get("stream"):
            try:
                text = await asyncio.to_thread(lambda: "".join(stream))
            except EngineError as exc:
                record()
                return _error(500, f"Generation failed: {exc}", "server_error")
            record()
            return JSONResponse({
                "id": request_id, "object": "chat.completion", "created": created, "model": model_name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": _finish(stream.stats)}],
                "usage": _usage(stream.stats)})

        loop = asyncio.get_running_loop()
        deltas: asyncio.Queue = asyncio.Queue()

        def pump():  # the engine's blocking stream -> the event loop
            try:
                for delta in stream:
                    loop.call_soon_threadsafe(deltas.put_nowait, delta)
                loop.call_soon_threadsafe(deltas.put_nowait, _END)
            except Exception as exc:  # EngineError: reported in the stream
                loop.call_soon_threadsafe(deltas.put_nowait, exc)
            finally:
                record()

        threading.Thread(target=pump, name=f"serve-{request_id[-6:]}", daemon=True).start()

        def chunk(delta: dict, finish=None) -> str:
            return "data: " + json.dumps({"id": request_id, "object": "chat.completion.chunk", "created": created,
                                          "model": model_name, "choices": [{"index": 0, "delta": delta,
                                                                            "finish_reason": finish}]},
                                         ensure_ascii=False) + "\n\n"

        async def events():
            try:
                yield chunk({"role": "assistant"})
                while True:
                    item = await deltas.get()
                    if item is _END:
                        break
                    if isinstance(item, Exception):
                        yield "data: " + json.dumps({"error": {"message": str(item), "type": "server_error"}}) + "\n\n"
                        return
                    yield chunk({"content": item})
                yield chunk({}, _finish(stream.stats))
                yield "data: [DONE]\n\n"
            finally:  # the client went away (or we finished): free the slot in the batch
                cancel.set()

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app


def _finish(stats: dict) -> str:
    return "length" if stats.get("finish_reason") in ("length", "deadline") else "stop"


def _usage(stats: dict) -> dict:
    prompt, completion = int(stats.get("prompt_tokens") or 0), int(stats.get("tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def run_engine_server(settings, *, host: str, port: int) -> int:
    """CLI: `python app.py serve-engine [--host H] [--port P]`: load the engine, serve until interrupted."""
    import uvicorn

    from components.engine import build_engine

    if settings.engine_backend == "openai":
        raise ValueError("serve-engine serves kefu's own engine: set KEFU_ENGINE_BACKEND to transformers or "
                         "llama_cpp (openai would only forward to another server)")
    engine = build_engine(settings)
    log.info("loading the model for serve-engine ...")
    engine.start()
    model_name = engine.stats().get("model") or settings.model
    app = build_app(engine, model_name=str(model_name), default_max_tokens=settings.max_new_tokens)
    log.info("serving %s on http://%s:%d/v1", model_name, host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        engine.close()
    return 0
