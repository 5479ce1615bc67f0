"""Run one desk tool (a database operation) and record it the way every turn trace holds it."""
from __future__ import annotations

import time
from typing import Callable


def record_call(tool_calls: list[dict], name: str, operation: Callable, arguments: dict, extra: dict | None = None):
    """Call `operation(**arguments, **extra)` and append {name, arguments, result | error, ms} to `tool_calls`;
    a ValueError comes back as (None, message). `extra` is passed to the operation but not recorded."""
    started = time.perf_counter()
    entry: dict = {"name": name, "arguments": arguments}
    try:
        result, error = operation(**arguments, **(extra or {})), None
        entry["result"] = result
    except ValueError as exc:
        result, error = None, str(exc)
        entry["error"] = error
    entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
    tool_calls.append(entry)
    return result, error
