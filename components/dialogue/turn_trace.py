"""The trace of one turn: everything it decided, as data. `TurnTrace.to_dict()` is the one JSON shape that is stored
with the bot message and read by analytics (components/analytics/kpis.py TRACE_FIELDS), the operator console
(components/ui/formatting.py) and the evaluators (components/dialogue/dialogue_eval.py, components/answers/eval.py).

Keys (absent when the stage did not run):
  conversation_id, language
  input        {chars, control_chars_removed} or {problem, chars}
  redactions   [{kind, token}]
  nlu          NLUResult.to_dict()
  injection    {kind, ...} or null
  message_kind {kind: question|request|stock_question, reason, topic}
  retrieval    {hits: [{doc_id, title, chunk_id, score, dense_score, keyword_score, heading_path}], best_score,
                min_score, nothing_found}
  curated      {doc_id, title, question, answer, score} when a curated FAQ row answered
  answer       {mode: curated|evidence|rephrased|generated|abstain, question, followup, parts: [{question,
                answer_type, answered, best_score, evidence: [...], candidates: [...], unmentioned}], evidence,
                verdict, rejected, min_score, best_score, offer}
  policy       {action, reason, small_talk, handoff_reason}
  tool_calls   [{name, arguments, result}]     desk {flow, action, reason, slots}     handoff {reason, detail}
  generation   {mode, model?, ttft_s?, tokens?, decode_tok_s?}
  sources      [{title, doc_id, score, evidence}]
  timings_ms   {redaction_ms, nlu_ms, retrieval_ms, answer_ms, total_ms, ...}
  and whatever other stages add under their own key (`extra`), e.g. a spoken turn's {"speech": {...}}.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class TurnTrace:
    conversation_id: str = ""
    input: dict = field(default_factory=dict)
    redactions: list = field(default_factory=list)
    nlu: dict | None = None
    injection: dict | None = None
    message_kind: dict | None = None
    retrieval: dict | None = None
    curated: dict | None = None
    answer: dict | None = None
    policy: dict | None = None
    tool_calls: list | None = None
    desk: dict | None = None
    handoff: dict | None = None
    generation: dict | None = None
    sources: list = field(default_factory=list)
    timings_ms: dict = field(default_factory=dict)
    language: str = "en"
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k != "extra" and (v is not None or k == "injection")}
        data.update(self.extra)
        return data
