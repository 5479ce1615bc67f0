"""The Engine every backend presents, and the in-process transformers + torch engine."""
from __future__ import annotations

import concurrent.futures
import itertools
from abc import ABC, abstractmethod
import os
import logging
import threading
import time

from .types import EngineError, GenerationParams

logger = logging.getLogger(__name__)


def engine_threads(settings) -> int:
    """KEFU_ENGINE_THREADS, or by default half the cores (at least one). Measured on the 2-core box: one torch
    thread decodes ~6x faster than two once anything else runs (OpenMP threads wait on a descheduled sibling), and
    it leaves a core for retrieval, embeddings and the UI."""
    if settings.engine_threads > 0:
        return settings.engine_threads
    return max(1, (os.cpu_count() or 2) // 2)


class Engine(ABC):
    """What the rest of kefu sees of a language model. Subclasses implement `start`, `stream`, `count_tokens`."""

    model_name: str = ""

    def __init__(self, settings):
        self.settings = settings
        self._ids = itertools.count(1)
        self._started = False
        self._start_lock = threading.Lock()

    def default_params(self) -> GenerationParams:
        return GenerationParams(max_new_tokens=self.settings.max_new_tokens,
                                deadline_s=self.settings.request_deadline_s)

    @abstractmethod
    def start(self) -> None:
        """Load the model (heavy); idempotent."""

    @abstractmethod
    def stream(self, messages, params: GenerationParams | None = None, cancel: threading.Event | None = None):
        """A GenerationStream of text deltas for one chat."""

    def generate(self, messages, params: GenerationParams | None = None) -> str:
        """The whole reply at once (raises EngineError when generation fails)."""
        return "".join(self.stream(messages, params))

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's tokenizer (or an estimate)."""

    def stats(self) -> dict:
        return {"backend": self.settings.engine_backend, "model": self.model_name, "started": self._started}

    def close(self) -> None:
        self._started = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class TransformersEngine(Engine):
    """transformers + torch in this process, with continuous batching across every conversation."""

    def __init__(self, settings):
        super().__init__(settings)
        self.model_name = settings.model
        self.model = None
        self.tokenizer = None
        self._builder = None
        self._scheduler = None
        self._eos_ids: frozenset[int] = frozenset()
        self.context_window = settings.context_window
        self.load_s: float | None = None
        self.runner_name = ""
        self.kernels_note = "not used"
        self.isa: str | None = None  # the build of kefu's kernels that runs (cpu_kernels.ISAS), None without them
        self.decode_policy = None  # cpu_headroom.DecodeThreads, when kefu's kernels decode (its `fixed` may be set)
        self._runner_obj = None

    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            import torch

            from .chat_prompt import ChatPromptBuilder
            from .cpu_headroom import DecodeThreads, prefill_threads
            from .model_loader import load_model_and_tokenizer
            from .scheduler import Scheduler

            began = time.perf_counter()
            # transformers' classes before the second thread starts: that thread imports transformers too (the GGUF
            # cache folder's name), and the two imports at once failed one start in three with "cannot import name
            # 'AutoConfig' from 'transformers'" (transformers 5's lazy module)
            from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer  # noqa: F401
            # the decode kernels build (first start only: C compiler, GGUF head) while the model loads
            preparing = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kefu-kernels")
            kernels = preparing.submit(self._decode_kernels)
            preparing.shutdown(wait=False)
            torch.set_num_threads(engine_threads(self.settings))
            # int8 dynamic quantization works from float32 weights
            dtype = "float32" if self.settings.engine_quantize == "int8" else self.settings.engine_dtype
            self.model, self.tokenizer, self.model_name = load_model_and_tokenizer(
                self.settings.model, self.settings.cache_dir, dtype)
            self.model = apply_cpu_options(self.model, self.settings)
            config = self.model.config
            self._builder = ChatPromptBuilder(self.tokenizer)
            self._eos_ids = _eos_ids(self.model, self.tokenizer)
            limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
            self.context_window = min(self.settings.context_window, limit) if limit else self.settings.context_window
            decode_kernels, head = kernels.result()
            if decode_kernels is not None:
                self.decode_policy = DecodeThreads(self.settings.engine_decode_threads, decode_kernels.helper_awake)
            runner = self._runner_obj = self._runner(config, decode_kernels, head)
            base = engine_threads(self.settings)
            self._scheduler = Scheduler(
                runner, max_batch=self.settings.engine_max_batch, queue_limit=self.settings.engine_queue_limit,
                prefill_threads=lambda: prefill_threads(base, self.settings.engine_prefill_threads))
            self._scheduler.start()
            self.load_s = time.perf_counter() - began
            self._started = True
            logger.info("engine ready: %s in %.1f s", self.model_name, self.load_s)

    def _decode_kernels(self):
        """(kefu's CPU kernels, the GGUF's 8-bit output head) for the lean runner, or Nones; why goes to
        kernels_note (and to the engine's stats)."""
        from . import cpu_kernels
        from .model_loader import gguf_q8_0_head

        settings = self.settings
        if (settings.engine_runner, settings.engine_quantize, settings.engine_dtype) != ("auto", "auto", "bfloat16"):
            self.kernels_note = "not used: they serve the lean runner's 4-bit bfloat16 decode"
            return None, None
        kernels, self.kernels_note = cpu_kernels.load(settings.cache_dir, settings.engine_kernels, settings.engine_isa)
        self.isa = kernels.isa.name if kernels is not None else None
        if kernels is None:
            logger.info("decoding with torch's kernels: %s", self.kernels_note)
            return None, None
        try:
            return kernels, gguf_q8_0_head(settings.model, settings.cache_dir)
        except Exception as exc:  # an unreadable GGUF head costs speed, not the engine
            logger.warning("the output head stays bfloat16: reading its Q8_0 blocks failed: %s", exc)
            return kernels, None

    def _runner(self, config, kernels=None, head=None):
        """The lean slot-cache runner where the model allows it, else transformers' generic forward."""
        from . import llama_runner
        from .model_runner import CausalModelRunner
        from .seq2seq_runner import Seq2SeqModelRunner

        if getattr(config, "is_encoder_decoder", False):
            self.runner_name = "seq2seq"
            return Seq2SeqModelRunner(self.model)
        if self.settings.engine_runner == "auto" and llama_runner.supported(self.model):
            runner = llama_runner.LlamaSlotRunner(self.model, slots=self.settings.engine_max_batch,
                                                  window=self.context_window,
                                                  four_bit=self.settings.engine_quantize == "auto",
                                                  kernels=kernels, head_blocks=head,
                                                  decode_threads=self.decode_policy)
            self.runner_name = f"llama-slots, {runner.weights}"
            return runner
        self.runner_name = "transformers"
        return CausalModelRunner(self.model)

    def stream(self, messages, params: GenerationParams | None = None, cancel: threading.Event | None = None):
        from .detokenizer import IncrementalDetokenizer
        from .request import GenerationStream, Request

        self.start()
        params = params or self.default_params()
        plan = self._builder.build(messages, context_window=self.context_window,
                                   max_new_tokens=params.max_new_tokens)
        if plan.max_new_tokens != params.max_new_tokens:
            params = GenerationParams(**{**params.__dict__, "max_new_tokens": plan.max_new_tokens})
        stream = GenerationStream(cancel)
        stream.stats.update(prompt_tokens=len(plan.ids), truncated=plan.truncated, truncation_note=plan.note)
        deadline_s = params.deadline_s if params.deadline_s is not None else self.settings.request_deadline_s
        request = Request(id=next(self._ids), prompt_ids=plan.ids, params=params, stream=stream,
                          detokenizer=IncrementalDetokenizer(self.tokenizer), eos_ids=self._eos_ids,
                          prefix_len=plan.prefix_len)
        if deadline_s:
            request.deadline = request.submitted_at + deadline_s
        self._scheduler.submit(request)  # raises EngineBusy when the queue is full
        return stream

    def count_tokens(self, text: str) -> int:
        self.start()
        return self._builder.count(text)

    def stats(self) -> dict:
        out = super().stats()
        out.update(dtype=self.settings.engine_dtype, runner=self.runner_name, kernels=self.kernels_note, isa=self.isa,
                   context_window=self.context_window, load_s=self.load_s)
        steps = getattr(self._runner_obj, "decode_thread_steps", None)
        if self.decode_policy is not None and steps is not None:  # how many threads the decode steps used
            out.update(decode_threads_setting=self.decode_policy.fixed or "auto",
                       decode_steps_1_thread=steps[1], decode_steps_2_threads=steps[2])
        busiest = getattr(self._runner_obj, "prefill_busiest_cpu_s", None)
        if busiest is not None:
            out["prefill_busiest_thread_cpu_s"] = busiest
        if self._scheduler is not None:
            out.update(self._scheduler.snapshot())
        return out

    def close(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
        super().close()


def apply_cpu_options(model, settings):
    """int8 dynamic quantization of Linear layers and/or torch.compile, as the settings ask."""
    import torch

    quantize = getattr(settings, "engine_quantize", "none") or "none"  # validated by Settings
    if quantize == "int8":
        from torch.ao.quantization import quantize_dynamic

        if model.dtype != torch.float32:
            model = model.float()  # dynamic int8 kernels take float32 activations
        model = quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    if getattr(settings, "engine_compile", False):
        model.forward = torch.compile(model.forward, dynamic=True)
    return model


def _eos_ids(model, tokenizer) -> frozenset[int]:
    ids = set()
    for source in (getattr(model, "generation_config", None), model.config):
        value = getattr(source, "eos_token_id", None) if source is not None else None
        if isinstance(value, int):
            ids.add(value)
        elif value:
            ids.update(v for v in value if isinstance(v, int))
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    for token in ("<|im_end|>", "<|eot_id|>", "<|endoftext|>"):
        token_id = tokenizer.convert_tokens_to_ids(token) if token in tokenizer.get_vocab() else None
        if isinstance(token_id, int):
            ids.add(token_id)
    if not ids:
        raise EngineError("the model defines no end-of-sequence token")
    return frozenset(ids)
