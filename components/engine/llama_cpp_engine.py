"""The llama.cpp backend (llama-cpp-python), an optional extra: `pip install llama-cpp-python` (compiles ~8 min).

It runs the same GGUF file as the default engine, one request at a time (llama.cpp's Python binding is a single
sequence), with llama.cpp's own reuse of the longest common prompt prefix between consecutive requests.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

from .chat_prompt import ChatPromptBuilder
from .engine import engine_threads
from .model_loader import resolve_model_source
from .worker_pool_engine import Job, WorkerPoolEngine

INSTALL_HINT = ("KEFU_ENGINE_BACKEND=llama_cpp needs the optional package llama-cpp-python: "
                "`pip install llama-cpp-python` (it compiles llama.cpp, about 8 minutes)")


def import_llama():
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise RuntimeError(INSTALL_HINT) from exc
    return Llama


AMX_NOTE = "AMX extra buffers off (llama-cpp-python 0.3.36's AMX matmul segfaults on this CPU)"


def disable_amx_if_present() -> str | None:
    """llama.cpp's AMX matmul (used through its "extra buffer types" on CPUs with AMX) segfaults on this box in
    llama-cpp-python 0.3.36; turn extra buffer types off on such CPUs so llama.cpp runs its AVX-512 kernels, the
    same instruction family as kefu's. Returns a note when it did."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "amx_int8" not in flags:
        return None
    import llama_cpp.llama_cpp as bindings

    defaults = bindings.llama_model_default_params
    if getattr(defaults, "kefu_no_extra_bufts", False):
        return AMX_NOTE

    def without_extra_buffers():
        params = defaults()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    without_extra_buffers.kefu_no_extra_bufts = True
    bindings.llama_model_default_params = without_extra_buffers
    return AMX_NOTE


class LlamaTokenizerAdapter:
    """Just enough of a transformers tokenizer (template, encode, decode) over a llama_cpp.Llama."""

    def __init__(self, llama):
        self.llama = llama
        self.chat_template = llama.metadata.get("tokenizer.chat_template")
        self._template = None

    def _token_text(self, token_id: int) -> str:
        return self.llama.detokenize([token_id], special=True).decode("utf-8", "replace") if token_id >= 0 else ""

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        if self._template is None:
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            self._template = env.from_string(self.chat_template)
        return self._template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                     bos_token=self._token_text(self.llama.token_bos()),
                                     eos_token=self._token_text(self.llama.token_eos()))

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        ids = self.llama.tokenize(text.encode("utf-8"), add_bos=add_special_tokens, special=True) if text else []
        return {"input_ids": ids}

    def decode(self, ids, **_: object) -> str:
        return self.llama.detokenize(list(ids)).decode("utf-8", "replace")


class LlamaCppEngine(WorkerPoolEngine):
    workers = 1

    def __init__(self, settings):
        super().__init__(settings)
        self.model_name = settings.model
        self.llama = None
        self._builder: ChatPromptBuilder | None = None
        self._llama_lock = threading.Lock()
        self.note: str | None = None

    def _load(self) -> None:
        Llama = import_llama()
        source = resolve_model_source(self.settings.model)
        if source.gguf_path is None:
            raise ValueError("the llama_cpp backend needs a GGUF model (KEFU_MODEL=packaged:smollm2 or a .gguf path)")
        self.note = disable_amx_if_present()
        threads = engine_threads(self.settings)
        # prompt processing gets what the transformers engine's prefill may borrow (KEFU_ENGINE_PREFILL_THREADS;
        # 0 = every core: llama.cpp cannot choose per prompt), so benchmarks compare like with like
        batch_threads = self.settings.engine_prefill_threads or max(threads, os.cpu_count() or 1)
        self.llama = Llama(model_path=str(source.gguf_path), n_ctx=self.settings.context_window,
                           n_threads=threads, n_threads_batch=batch_threads, verbose=False)
        self._builder = ChatPromptBuilder(LlamaTokenizerAdapter(self.llama))
        self.model_name = source.gguf_path.stem

    def count_tokens(self, text: str) -> int:
        self.start()
        return self._builder.count(text)

    def _prepare(self, messages, params, stream):
        plan = self._builder.build(messages, context_window=self.settings.context_window,
                                   max_new_tokens=params.max_new_tokens)
        stream.stats.update(prompt_tokens=len(plan.ids), truncated=plan.truncated, truncation_note=plan.note)
        return plan

    def _produce(self, plan, job: Job) -> Iterator[tuple[str, int]]:
        params = job.params
        with self._llama_lock:
            chunks = self.llama.create_completion(
                prompt=plan.ids, max_tokens=plan.max_new_tokens, temperature=params.temperature,
                top_p=params.top_p, stop=params.stop or None, stream=True,
                logit_bias={self.llama.token_eos(): -1e9} if params.ignore_eos else None)
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    yield choice.get("text") or "", 1
                    if job.should_stop():
                        return
            finally:
                chunks.close()
