"""Natural-language understanding of one customer message: intent (per domain pack), sentiment and emotions,
language, entities. Returns data (NLUResult); decisions are the dialogue policy's.

    nlu = NLU(settings, embedder)          # packs: assets/intents/*.csv, one domain per file
    nlu.start()                            # load cached classifiers or train them (cached by content hash)
    nlu.parse("where is my order #W2611340")   # NLUResult(intent="track_order", entities={"order_id": ...})

Operators' added examples live in <data_dir>/intents/<domain>.csv and are trained together with the shipped pack.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from components.nlu.chinese_script import to_simplified
from components.nlu.embedding_cache import EmbeddingCache
from components.nlu.embedding_pack import EmbeddingPack, pack_paths
from components.nlu.entities import extract_entities
from components.nlu.intent_classifier import FEATURES_VERSION, INTENT_LAYERS, IntentClassifier, intent_embedding
from components.nlu.intent_pack import (MAX_TEXT_CHARS, append_examples, examples_hash, load_pack, normalise_text,
                                        read_examples, validate_examples)
from components.nlu.language import detect_language
from components.nlu.model_cache import load_model, save_model
from components.nlu.result import NLUResult
from components.nlu.sentiment import SentimentAnalyzer
from components.nlu.sentiment_training import load_or_train

log = logging.getLogger(__name__)

OUT_OF_SCOPE_LABEL = "out_of_scope"  # a pack may teach what is out of scope with examples under this label
_DOMAIN_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

__all__ = ["NLU", "NLUResult", "OUT_OF_SCOPE_LABEL", "default_packs"]


def default_packs(settings) -> dict[str, Path]:
    """The shipped packs: every assets/intents/*.csv, named by file stem."""
    directory = Path(settings.assets_dir) / "intents"
    return {p.stem: p for p in sorted(directory.glob("*.csv"))}


class NLU:
    def __init__(self, settings, embedder, packs: dict[str, Path] | None = None, *, use_embedding_pack: bool = True):
        """`use_embedding_pack`: read the shipped vectors of the training sentences (embedding_pack.py) instead of
        embedding them again."""
        self.settings = settings
        self.use_embedding_pack = use_embedding_pack
        self.embedder = embedder
        # what the intent classifier reads: the sentence vector, plus a middle layer when the embedder gives it
        self._intent_embed, self._views = intent_embedding(embedder)
        self._packs = {name: Path(path) for name, path in (packs if packs is not None
                                                           else default_packs(settings)).items()}
        for name in self._packs:
            self._check_domain_name(name)
        self.additions_dir = Path(settings.data_dir) / "intents"
        self.model_dir = Path(settings.cache_dir) / "nlu"
        self.oos_threshold = float(getattr(settings, "nlu_oos_threshold", 0.5))
        self.default_domain = str(getattr(settings, "nlu_default_domain", "ecommerce"))
        self.sentiment = SentimentAnalyzer()
        self.sentiment_mode = str(getattr(settings, "nlu_sentiment", "learned"))
        self.sentiment_metrics: dict = {}
        self._embeddings: EmbeddingCache | None = None
        self._models: dict[str, IntentClassifier] = {}
        self._metrics: dict[str, dict] = {}
        self._train_lock = threading.Lock()

    # ----------------------------------------------------------------- domains and examples
    @staticmethod
    def _check_domain_name(domain: str) -> str:
        if not isinstance(domain, str) or not _DOMAIN_NAME.match(domain):
            raise ValueError(f"Domain name {domain!r} is not usable: use 1-40 letters, digits, '-' or '_'")
        return domain

    def add_pack(self, domain: str, files: list[Path]) -> None:
        """Serve `domain` from these pack files together (a workspace's intent packs, components/workspaces/);
        trained on first use like any domain without a cached model."""
        self._check_domain_name(domain)
        if not files:
            raise ValueError(f"Domain {domain!r} needs at least one intent pack file")
        self._packs[domain] = tuple(Path(f) for f in files) if len(files) > 1 else Path(files[0])

    def _pack_files(self, domain: str) -> tuple[Path, ...]:
        pack = self._packs[domain]
        return pack if isinstance(pack, tuple) else (pack,)

    def _additions_path(self, domain: str) -> Path:
        return self.additions_dir / f"{domain}.csv"

    def domains(self) -> list[str]:
        added = {p.stem for p in self.additions_dir.glob("*.csv")} if self.additions_dir.is_dir() else set()
        return sorted(set(self._packs) | added)

    def examples(self, domain: str, *, with_additions: bool = True) -> list[tuple[str, str]]:
        """The checked training set of a domain: its shipped pack plus the operators' additions."""
        self._check_domain_name(domain)
        rows: list[tuple[str, str]] = []
        if domain in self._packs:
            for path in self._pack_files(domain):
                rows.extend(read_examples(path))
        added = self._additions_path(domain)
        if with_additions and added.exists():
            rows.extend(read_examples(added))
        if not rows:
            raise ValueError(f"Domain {domain!r} has no intent pack and no added examples; "
                             f"known domains: {', '.join(self.domains()) or 'none'}")
        return validate_examples(rows, name=f"domain {domain!r}")

    def add_examples(self, domain: str, examples: list[tuple[str, str]]) -> int:
        """Store (text, label) examples for `domain` (a new domain is created). They count from the next retrain."""
        self._check_domain_name(domain)
        if not examples:
            raise ValueError("No examples given; pass (text, intent) pairs")
        cleaned = []
        for item in examples:
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                raise ValueError(f"Each example must be a (text, intent) pair, got {item!r}")
            text, label = normalise_text(item[0]), str(item[1]).strip()
            if not text:
                raise ValueError("An example has an empty text")
            if not label:
                raise ValueError(f"The example {text!r} has no intent label")
            if len(text) > MAX_TEXT_CHARS:
                raise ValueError(f"The example {text[:40]!r}… is longer than {MAX_TEXT_CHARS} characters")
            if not re.match(r"^[\w\-.:/ ]{1,80}$", label):
                raise ValueError(f"Intent label {label!r} is not usable: use up to 80 letters, digits, _ - . : /")
            cleaned.append((text, label))
        written = append_examples(self._additions_path(domain), cleaned)
        log.info("added %d example(s) to domain %s", written, domain)
        return written

    # ----------------------------------------------------------------- training
    def _embedding_cache(self) -> EmbeddingCache | None:
        if self.embedder is None:
            return None
        if self._embeddings is None:
            identity = self.embedding_identity()
            pack = (EmbeddingPack(pack_paths(self.settings.assets_dir), identity)
                    if identity and self.use_embedding_pack else None)
            self._embeddings = EmbeddingCache(self.embedder, self.model_dir, embed=self._intent_embed,
                                              tag="" if self._views == 1 else f"views{self._views}", pack=pack)
        return self._embeddings

    def embedding_identity(self) -> str | None:
        """What the training vectors are: the embedder's fingerprint and the views the classifier reads (None for
        an embedder without a fingerprint, e.g. a test's fake)."""
        fingerprint = getattr(self.embedder, "fingerprint", None)
        if not isinstance(fingerprint, str):
            return None
        layers = INTENT_LAYERS if self._views > 1 else ()
        return f"{fingerprint}|views={self._views}|layers={','.join(map(str, layers))}"

    def _new_classifier(self) -> IntentClassifier:
        cache = self._embedding_cache()
        return IntentClassifier(None if cache is None else cache.embed, views=self._views)

    def _model_path(self, domain: str, examples: list[tuple[str, str]]) -> Path:
        salt = f"{FEATURES_VERSION}|{getattr(self.embedder, 'model_name', None)}|views={self._views}"
        return self.model_dir / f"{domain}-{examples_hash(examples, salt)[:20]}.pkl"

    def _train(self, domain: str, examples: list[tuple[str, str]], *, use_cache: bool = True
               ) -> tuple[IntentClassifier, dict]:
        path = self._model_path(domain, examples)
        model = load_model(path, f"intent model of {domain}") if use_cache else None
        if model is not None:
            cache = self._embedding_cache()
            model.embed = None if cache is None else cache.embed
            return model, {**model.metrics, "cached": True}
        model = self._new_classifier()
        metrics = model.fit(examples)
        if self._embeddings is not None:
            self._embeddings.save()
        save_model(path, model)
        return model, {**metrics, "cached": False}

    def start(self, *, all_domains: bool = False) -> None:
        """Make the classifiers ready. Cached models of every domain are loaded; the default domain is trained
        (and cached) when it has no cache. Other uncached domains are trained on first use, or here with
        `all_domains=True`, and the learned sentiment model is trained (or loaded) meanwhile on a second thread
        (much of both trainings lets go of the GIL: liblinear, BLAS, the embedder). Safe to call again."""
        self._embedding_cache()  # made once, before the two trainings share it
        with ThreadPoolExecutor(1, thread_name_prefix="kefu-sentiment-training") as pool:
            sentiment = pool.submit(self._start_sentiment)
            self._start_intents(all_domains)
            sentiment.result()
        self.sentiment.warm_up()

    def _start_intents(self, all_domains: bool) -> None:
        for domain in sorted(self.domains(), key=lambda d: d != self.default_domain):
            if domain in self._models:
                continue
            examples = self._startup_examples(domain)
            if examples is None:
                continue
            cached = self._model_path(domain, examples).exists()
            if cached or all_domains or domain == self.default_domain or not self._models:
                self._install(domain, examples)
            else:
                log.info("intent model for %s is not cached; it will be trained on first use", domain)

    def _start_sentiment(self) -> None:
        """Train (or load) the learned sentiment model; without its corpora the lexicon model stays, said loudly."""
        if self.sentiment_mode != "learned" or self.sentiment.model is not None:
            return
        pack = Path(self.settings.assets_dir) / "intents" / "ecommerce.csv"
        corpus = Path(self.settings.assets_dir) / "sentiment" / "tweeteval_sentiment.csv.gz"
        if not (pack.exists() and corpus.exists()):
            log.warning("learned sentiment not trained: %s or %s is missing; using the lexicon model", corpus, pack)
            return
        cache = self._embedding_cache()
        model, metrics = load_or_train(self.settings.assets_dir, pack, self.model_dir,
                                       None if cache is None else cache.embed, self._views,
                                       getattr(self.embedder, "model_name", None))
        if cache is not None:
            cache.save()
        self.sentiment.model = model
        self.sentiment_metrics = metrics

    def _startup_examples(self, domain: str) -> list[tuple[str, str]] | None:
        try:
            return self.examples(domain)
        except ValueError as exc:
            if domain not in self._packs:
                log.error("domain %s not loaded: %s", domain, exc)
                return None
            log.warning("added examples of %s are not usable (%s); training the shipped pack alone", domain, exc)
            return [row for path in self._pack_files(domain) for row in load_pack(path)]

    def _install(self, domain: str, examples: list[tuple[str, str]]) -> dict:
        with self._train_lock:
            model, metrics = self._train(domain, examples)
            self._models[domain] = model  # atomic swap: parse() picks up the new model on its next call
            self._metrics[domain] = {"domain": domain, **metrics}
        return dict(self._metrics[domain])

    @property
    def started(self) -> bool:
        return bool(self._models)

    def retrain(self, domain: str) -> dict:
        """Train `domain` on its pack plus additions and swap the new model in. On any failure the previous
        model keeps serving and the error is raised (ValueError for bad examples)."""
        self._check_domain_name(domain)
        examples = self.examples(domain)  # ValueError says what is wrong with the examples
        return self._install(domain, examples)

    def model_info(self, domain: str) -> dict:
        """Training metrics and labels of the model serving `domain` (empty when none is loaded)."""
        model = self._models.get(domain)
        if model is None:
            return {}
        return {**self._metrics.get(domain, {}), "intents": list(model.labels)}

    # ----------------------------------------------------------------- understanding
    def _resolve_domain(self, domain: str | None) -> str:
        if domain is not None:
            if domain not in self._models:
                if domain not in self.domains():
                    raise ValueError(f"No intent model for domain {domain!r}; known: {self.domains()}")
                log.info("training the intent model of %s on first use", domain)
                examples = self._startup_examples(domain)
                if examples is None:
                    raise ValueError(f"Domain {domain!r} has no usable examples")
                self._install(domain, examples)
            return domain
        if self.default_domain in self._models:
            return self.default_domain
        return sorted(self._models)[0]

    def parse(self, text: str, domain: str | None = None) -> NLUResult:
        started = time.perf_counter()
        text = normalise_text(text or "")[:MAX_TEXT_CHARS]
        timings: dict[str, float] = {}
        language = detect_language(text)
        if language == "zh":
            text = to_simplified(text)  # the packs and corpora are simplified: 訂單 reads as 订单
        result = NLUResult(language=language)
        if not text:
            result.intent, result.out_of_scope = "unknown", True
            return result

        t = time.perf_counter()
        result.entities = extract_entities(text)
        timings["entities"] = _ms(t)

        # the intent model reads the message without names, greetings and fillers (intent_text.py); the sentiment
        # model reads the customer's own words (its cues match them: "never arrived" is not "never arrive"), with
        # the reading's embedding (one forward pass per turn)
        name = self._resolve_domain(domain) if self._models else None
        model = self._models[name] if name is not None else None
        t = time.perf_counter()
        reading = model.reading([text])[0] if model is not None else text
        timings["reading"] = _ms(t)
        embedding = None
        # a Chinese message is read by n-grams alone (intent and sentiment): the packaged embedder is English
        t = time.perf_counter()
        if model is not None and self._intent_embed is not None and language != "zh":
            embedding = self._intent_embed([reading])
        timings["embed"] = _ms(t)

        t = time.perf_counter()
        spelled = model.spelled(text) if model is not None and language != "zh" else None
        sentiment = self.sentiment.analyze(text, language, embedding=embedding, spelled=spelled)
        result.sentiment, result.sentiment_score, result.emotions = (sentiment.label, sentiment.score,
                                                                     sentiment.emotions)
        result.emotion_scores, result.emotion_triggers = sentiment.emotion_scores, sentiment.emotion_triggers
        timings["sentiment"] = _ms(t)

        if model is None:
            log.warning("NLU.parse called before start(): no intent model is loaded")
            result.intent, result.out_of_scope = "unknown", True
        else:
            t = time.perf_counter()
            prediction = model.predict([text], embeddings=embedding, top_k=3, readings=[reading])[0]
            timings["intent"] = _ms(t)
            result.domain = name
            result.intent, result.confidence = prediction.label, round(prediction.confidence, 4)
            result.top_intents = [(label, round(p, 4)) for label, p in prediction.top]
            result.out_of_scope = (prediction.label == OUT_OF_SCOPE_LABEL
                                   or prediction.confidence < self.oos_threshold)
        timings["total"] = _ms(started)
        result.timings_ms = timings
        return result


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
