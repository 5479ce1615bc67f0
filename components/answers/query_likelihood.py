"""How likely the packaged language model finds the customer's question after a candidate unit: a confidence signal.

UPR (Sachan et al. 2022, "Improving Passage Retrieval with Zero-Shot Question Generation"): each of a part's best
ranked units is scored by the mean log-probability of the question's tokens, teacher-forced, after
"Passage: <the unit's heading and text>\\nPlease write a question based on this passage.\\nQuestion:". The same question
after an empty passage gives the baseline; their difference (`upr - upr_null`, the pointwise gain) says how much the
unit makes the question expected. The evidence selection's confidence reads it for the best unit and against the
others scored (`SelectionModel.part_features`); it is fitted with the rest by components/answers/calibration.py.

One batched forward pass per part (the best `K` units and the empty passage, right-padded), on the app's own
SmolLM2-135M (the engine's loaded model when it runs transformers in bfloat16, else one copy loaded here). English
parts only: the 135M model reads little Chinese, and leave-one-business-out the signal helped on English parts only.
"""
from __future__ import annotations

import logging
import threading

from components.nlu.cjk_characters import has_cjk

log = logging.getLogger(__name__)

K = 3                     # units scored per part (the best ranked)
PASSAGE_TOKENS = 64       # of the unit's heading and text
QUESTION_TOKENS = 48
CONTEXT_CHARS = 120       # of the unit's context (its FAQ question, the headings over it)
PROMPT_TAIL = "\nPlease write a question based on this passage.\nQuestion:"
EMPTY_PASSAGE = "(none)"


def passage_text(title: str, context: str, text: str) -> str:
    """What the model reads of a unit: its own section heading, the end of its context, its text."""
    title = (title or "").split("›")[-1].strip()
    context = (context or "")[-CONTEXT_CHARS:]
    head = title if not context or context in title else f"{title}. {context}" if title else context
    return f"{head}\n{text}".strip()


def scored_here(question: str) -> bool:
    """English parts only (a part with Chinese characters is not scored)."""
    return bool(question and question.strip()) and not has_cjk(question)


class QueryLikelihood:
    """`score(question, passages)` -> (the question's mean log-probability after each passage, after none)."""

    def __init__(self, settings=None, engine=None, *, model=None, tokenizer=None):
        self.settings = settings
        self.engine = engine
        self._model, self._tokenizer = model, tokenizer
        self._lock = threading.Lock()

    def _loaded(self):
        if self._model is not None:
            return self._model, self._tokenizer
        with self._lock:
            if self._model is None:
                import torch

                shared = getattr(self.engine, "model", None)
                if shared is not None and getattr(self.engine, "tokenizer", None) is not None \
                        and getattr(shared, "dtype", None) == torch.bfloat16 and hasattr(shared, "model") \
                        and hasattr(shared, "lm_head"):
                    self._model, self._tokenizer = shared, self.engine.tokenizer
                else:
                    from components.engine.model_loader import load_model_and_tokenizer

                    self._model, self._tokenizer, name = load_model_and_tokenizer(
                        "packaged:smollm2", self.settings.cache_dir, "bfloat16")
                    log.info("query likelihood: loaded its own %s", name)
        return self._model, self._tokenizer

    def score(self, question: str, passages: list[str]) -> tuple[list[float], float]:
        import torch

        model, tokenizer = self._loaded()

        def ids(text: str) -> list[int]:
            return tokenizer(text, add_special_tokens=False)["input_ids"]

        asked = ids(" " + question.strip())[:QUESTION_TOKENS]
        if not asked:
            return [0.0] * len(passages), 0.0
        tail = ids(PROMPT_TAIL)
        prompts = [ids("Passage: " + p)[:PASSAGE_TOKENS] + tail for p in [*passages, EMPTY_PASSAGE]]
        length = max(len(p) for p in prompts) + len(asked)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        batch = torch.full((len(prompts), length), pad, dtype=torch.long)
        mask = torch.zeros((len(prompts), length), dtype=torch.long)
        for i, p in enumerate(prompts):
            batch[i, :len(p) + len(asked)] = torch.tensor(p + asked)
            mask[i, :len(p) + len(asked)] = 1
        target = torch.tensor(asked)
        out = []
        with torch.inference_mode():
            hidden = model.model(input_ids=batch, attention_mask=mask).last_hidden_state
            for i, p in enumerate(prompts):
                at = torch.arange(len(p) - 1, len(p) + len(asked) - 1)
                logp = torch.log_softmax(model.lm_head(hidden[i, at]).float(), -1)
                out.append(float(logp[torch.arange(len(asked)), target].mean()))
        return out[:-1], out[-1]
