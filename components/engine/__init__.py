"""kefu's inference engine: one shared, batching, streaming engine behind every conversation.

    engine = build_engine(settings)      # backend from KEFU_ENGINE_BACKEND: transformers | llama_cpp | openai
    engine.start()                       # loads the model once (GGUF converted on first start, then cached)
    stream = engine.stream(messages, GenerationParams(max_new_tokens=160), cancel=threading.Event())
    for delta in stream: ...             # text deltas; raises EngineError if this request fails
    stream.stats                         # ttft_s, tokens, decode_tok_s, prompt_tokens, truncated, truncation_note,
                                         # finish_reason (stop|length|deadline|cancelled|error), error, ...

`stream()` raises EngineBusy at once when the queue is full and ValueError for malformed messages. Leaving the
loop early cancels the request. Files, one role each: request.py (a request and its stream), scheduler.py
(continuous batching), model_runner.py (batched forward passes and KV cache), sampling.py, chat_prompt.py
(chat template + truncation rule), detokenizer.py, model_loader.py (packaged GGUF + weight cache), seq2seq_runner.py
(FLAN-T5 style models), llama_cpp_engine.py / openai_engine.py (other backends), bench.py.
"""
from __future__ import annotations

from .engine import Engine
from .request import GenerationStream
from .types import EngineBusy, EngineError, GenerationParams

BACKENDS = ("transformers", "llama_cpp", "openai")


def build_engine(settings) -> Engine:
    """The engine for `settings.engine_backend` (not started: call `start()`, which loads the model)."""
    backend = settings.engine_backend
    if backend == "transformers":
        from .engine import TransformersEngine
        return TransformersEngine(settings)
    if backend == "llama_cpp":
        from .llama_cpp_engine import LlamaCppEngine
        return LlamaCppEngine(settings)
    if backend == "openai":
        from .openai_engine import OpenAICompatibleEngine
        return OpenAICompatibleEngine(settings)
    raise ValueError(f"KEFU_ENGINE_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")


__all__ = ["Engine", "EngineBusy", "EngineError", "GenerationParams", "GenerationStream", "build_engine"]
