"""JSON for the analytics hot paths: orjson when installed (several times faster), else the standard library."""
from __future__ import annotations

import json

try:
    import orjson
except ImportError:  # pragma: no cover - orjson ships with gradio and is pinned in requirements.txt
    orjson = None


def parse_json(text):
    return orjson.loads(text) if orjson is not None else json.loads(text)


def encode_json(value) -> str:
    if orjson is not None:
        return orjson.dumps(value, default=str).decode("utf-8")
    return json.dumps(value, ensure_ascii=False, default=str)
