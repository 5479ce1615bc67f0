"""The engine's public data: what a caller asks for and what it gets back."""
from __future__ import annotations

from dataclasses import dataclass, field


class EngineBusy(RuntimeError):
    """The request queue is full; the caller should tell the customer to try again shortly."""


class EngineError(RuntimeError):
    """Generation failed for this request (others keep running)."""


@dataclass
class GenerationParams:
    max_new_tokens: int = 160
    temperature: float = 0.0   # 0 = greedy
    top_p: float = 1.0
    deadline_s: float | None = None  # wall-clock budget for the whole request
    stop: list[str] = field(default_factory=list)
    ignore_eos: bool = False  # keep generating past end-of-sequence (benchmarks that need fixed lengths)

    def __post_init__(self) -> None:
        if self.max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be positive")
        if self.temperature < 0:
            raise ValueError("temperature must be >= 0")
        if not 0 < self.top_p <= 1:
            raise ValueError("top_p must be in (0, 1]")
