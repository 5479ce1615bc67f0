"""An OpenAI-compatible HTTP backend (vLLM, TGI, llama-server, …): streams /v1/chat/completions.

Set KEFU_ENGINE_BACKEND=openai, KEFU_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1) and, if the server needs
one, KEFU_OPENAI_API_KEY. KEFU_MODEL is sent as the model id. Token counts are estimated (4 characters per token)
because the server's tokenizer is not available here.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator

from .worker_pool_engine import Job, WorkerPoolEngine

CHARS_PER_TOKEN = 4


class OpenAICompatibleEngine(WorkerPoolEngine):
    def __init__(self, settings):
        super().__init__(settings)
        if not settings.openai_base_url:
            raise ValueError("KEFU_ENGINE_BACKEND=openai needs KEFU_OPENAI_BASE_URL, e.g. http://127.0.0.1:8000/v1")
        self.base_url = settings.openai_base_url.rstrip("/")
        self.model_name = settings.model.split(":", 1)[1] if settings.model.startswith("packaged:") else settings.model
        self.workers = settings.engine_max_batch

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.settings.openai_api_key:
            headers["Authorization"] = f"Bearer {self.settings.openai_api_key}"
        return headers

    def count_tokens(self, text: str) -> int:
        return -(-len(text) // CHARS_PER_TOKEN)

    def _prepare(self, messages, params, stream):
        budget = self.settings.context_window - params.max_new_tokens
        system = [m for m in messages[:-1] if m["role"] == "system"]
        history = [m for m in messages[:-1] if m["role"] != "system"]
        question = messages[-1]

        def size(ms):
            return sum(self.count_tokens(m["content"]) + 4 for m in ms)

        dropped = 0
        while history and size(system + history + [question]) > budget:
            history = history[1:]
            dropped += 1
        kept = system + history + [question]
        stream.stats.update(prompt_tokens=size(kept), truncated=bool(dropped),
                            truncation_note=f"dropped the {dropped} oldest history message(s) (estimated tokens)"
                            if dropped else "")
        return kept

    def _produce(self, messages, job: Job) -> Iterator[tuple[str, int]]:
        body = {"model": self.model_name, "messages": messages, "stream": True,
                "max_tokens": job.params.max_new_tokens, "temperature": job.params.temperature,
                "top_p": job.params.top_p}
        if job.params.ignore_eos:
            body["ignore_eos"] = True  # vLLM / llama-server extension
        if job.params.stop:
            body["stop"] = job.params.stop
        timeout = max(1.0, job.deadline - job.submitted_at) if job.deadline else 300.0
        request = urllib.request.Request(self.base_url + "/chat/completions", data=json.dumps(body).encode(),
                                         headers=self._headers(), method="POST")
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise RuntimeError(f"the model server answered HTTP {exc.code}: {detail}") from exc
        except urllib.error.URLError as exc:
            raise RuntimeError(f"cannot reach the model server at {self.base_url}: {exc.reason}") from exc
        with response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                chunk = json.loads(data)
                if chunk.get("error"):
                    raise RuntimeError(f"the model server reported: {chunk['error']}")
                for choice in chunk.get("choices", []):
                    delta = (choice.get("delta") or {}).get("content") or ""
                    if delta:
                        yield delta, 1
                    if choice.get("finish_reason"):
                        return
                if job.should_stop():
                    return
