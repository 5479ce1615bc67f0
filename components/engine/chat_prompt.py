"""Chat messages -> prompt token ids, with the context-window truncation rule.

Rule: the leading system message(s) and the current (last) user message are always kept; when the prompt plus the
reply budget does not fit the context window, the oldest history messages are dropped first. If the kept parts alone
still do not fit, the reply budget shrinks (down to a floor), then the current question is shortened from its middle,
and only as the very last resort the system prompt is cut from its end. Every step is reported in `note`.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("system", "user", "assistant")
MIN_REPLY_TOKENS = 32


@dataclass
class PromptPlan:
    ids: list[int]
    prefix_len: int  # leading tokens shared by every prompt with the same system message (0 = none)
    max_new_tokens: int
    truncated: bool = False
    note: str = ""


def validate_messages(messages) -> list[dict]:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    clean = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ValueError(f"message {i} needs a role among {ROLES}")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"message {i} needs text content (a str)")
        clean.append({"role": message["role"], "content": message["content"]})
    if clean[-1]["role"] != "user":
        raise ValueError("the last message must be the customer's (role 'user') current question")
    return clean


class ChatPromptBuilder:
    """Applies the tokenizer's chat template (or a plain-text layout for models without one, such as FLAN-T5)."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.has_template = bool(getattr(tokenizer, "chat_template", None))

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> str:
        if self.has_template:
            return self.tokenizer.apply_chat_template(messages, tokenize=False,
                                                      add_generation_prompt=add_generation_prompt)
        parts = []
        for m in messages:
            parts.append(m["content"] if m["role"] == "system" else f"{m['role'].capitalize()}: {m['content']}")
        if add_generation_prompt:
            parts.append("Assistant:")
        return "\n\n".join(parts)

    def encode(self, text: str) -> list[int]:
        # chat templates already contain the special tokens; plain layouts let the tokenizer add its own (T5's </s>)
        return list(self.tokenizer(text, add_special_tokens=not self.has_template)["input_ids"])

    def count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def build(self, messages, *, context_window: int, max_new_tokens: int) -> PromptPlan:
        messages = validate_messages(messages)
        n_system = 0
        while n_system < len(messages) and messages[n_system]["role"] == "system":
            n_system += 1
        system, history, question = messages[:n_system], messages[n_system:-1], messages[-1]
        notes: list[str] = []
        dropped = 0

        def ids_for(history_part, question_msg, system_part=system):
            return self.encode(self.render(system_part + history_part + [question_msg]))

        ids = ids_for(history, question)
        while len(ids) + max_new_tokens > context_window and history:
            history = history[1:]
            dropped += 1
            ids = ids_for(history, question)
        if dropped:
            notes.append(f"dropped the {dropped} oldest history message(s) to fit the {context_window}-token window")
        if len(ids) + max_new_tokens > context_window:
            new_budget = max(MIN_REPLY_TOKENS, context_window - len(ids))
            if new_budget < max_new_tokens:
                notes.append(f"reply budget cut from {max_new_tokens} to {new_budget} tokens")
                max_new_tokens = new_budget
        overflow = len(ids) + max_new_tokens - context_window
        if overflow > 0:
            question = dict(question, content=_shorten_middle(self, question["content"], overflow))
            notes.append("the current question was shortened in the middle")
            ids = ids_for(history, question)
            overflow = len(ids) + max_new_tokens - context_window
        if overflow > 0 and system:
            last = dict(system[-1], content=_cut_end(self, system[-1]["content"], overflow))
            system = system[:-1] + [last]
            notes.append("the system prompt was cut at its end")
            ids = ids_for(history, question, system)
        if len(ids) + max_new_tokens > context_window:
            ids = ids[-(context_window - max_new_tokens):]
            notes.append("the prompt was cut to its last tokens")
        prefix_len = self._prefix_len(system, ids)
        return PromptPlan(ids=ids, prefix_len=prefix_len, max_new_tokens=max_new_tokens,
                          truncated=bool(notes), note="; ".join(notes))

    def _prefix_len(self, system: list[dict], ids: list[int]) -> int:
        if not system or not self.has_template:
            return 0
        prefix = self.encode(self.render(system, add_generation_prompt=False))
        return len(prefix) if len(prefix) < len(ids) and ids[:len(prefix)] == prefix else 0


def _shorten_middle(builder: ChatPromptBuilder, text: str, remove_tokens: int) -> str:
    ids = builder.tokenizer(text, add_special_tokens=False)["input_ids"]
    keep = max(len(ids) - remove_tokens - 8, 8)
    head, tail = ids[: keep // 2], ids[len(ids) - (keep - keep // 2):]
    return builder.tokenizer.decode(head) + " … " + builder.tokenizer.decode(tail)


def _cut_end(builder: ChatPromptBuilder, text: str, remove_tokens: int) -> str:
    ids = builder.tokenizer(text, add_special_tokens=False)["input_ids"]
    keep = max(len(ids) - remove_tokens - 8, 0)
    return builder.tokenizer.decode(ids[:keep])
