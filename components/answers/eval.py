"""`python app.py eval answers --scenarios F.yaml [--ingest FILES…] --json`: free-form answers through the full
pipeline, scored as a customer would judge them.

Every customer turn of every scenario (the scenario format of components/orders/scenario_runner.py) is one of
- `correct`: the reply has every expected fact (`reply_contains`, alternatives allowed) and nothing of
  `reply_not_contains`, or, for a question the documents do not answer (`abstain: true`), the bot said so;
- `abstained`: the bot said it does not know (and offered a person) where an answer was expected;
- `wrong`: an answer was given without the expected fact, or with a forbidden one, or where the bot should have
  abstained: the confidently wrong answers a business cannot afford.
Runs on a temporary data directory (fresh shop database and knowledge base, plus the `--ingest` documents), so an
evaluation never changes the real data.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from components.orders.scenario_runner import check_turn, validate_scenarios

log = logging.getLogger(__name__)

ABSTAIN_ACTIONS = ("clarify", "decline_out_of_scope", "handoff")


def judge_turn(expect: dict, got: dict) -> tuple[str, list[str]]:
    """(verdict, problems): verdict is correct | abstained | wrong."""
    if expect.get("abstain"):
        if got["abstained"]:
            return "correct", []
        return "wrong", ["answered a question the documents do not answer"]
    content = {k: v for k, v in expect.items() if k in ("reply_contains", "reply_not_contains")}
    problems = check_turn(content, got)
    forbidden = [p for p in problems if p.startswith("reply contains")]
    if got["abstained"] and not forbidden:
        return "abstained", ["said it does not know"]
    return ("correct", []) if not problems else ("wrong", problems)


def turn_result(result) -> dict:
    trace = result.trace or {}
    policy = trace.get("policy") or {}
    answer = trace.get("answer") or {}
    return {"reply": result.reply, "action": policy.get("action"), "mode": answer.get("mode"),
            "abstained": policy.get("action") in ABSTAIN_ACTIONS or answer.get("mode") == "abstain",
            "best_score": answer.get("best_score"), "answer": answer,
            "intent": (trace.get("nlu") or {}).get("intent")}


def run_answer_scenarios(dialogue, scenarios: list[dict], *, keep_answers: bool = False,
                         workspace: str | None = None) -> dict:
    validate_scenarios(scenarios)
    counts = {"correct": 0, "abstained": 0, "wrong": 0}
    details = []
    started = time.perf_counter()
    latencies = []
    for index, scenario in enumerate(scenarios):
        name = str(scenario.get("name") or f"scenario {index + 1}")
        cid = None
        turns = []
        for number, turn in enumerate(scenario["turns"], 1):
            t = time.perf_counter()
            result = dialogue.chat(cid, turn["user"], **({"workspace": workspace} if workspace else {}))
            latencies.append(time.perf_counter() - t)
            cid = result.conversation_id or cid
            got = turn_result(result)
            verdict, problems = judge_turn(turn.get("expect") or {}, got)
            counts[verdict] += 1
            row = {"turn": number, "user": turn["user"], "verdict": verdict, "reply": got["reply"],
                   "action": got["action"], "mode": got["mode"], "best_score": got["best_score"],
                   "problems": problems}
            if keep_answers:
                row["answer"] = got["answer"]
                row["expect"] = turn.get("expect") or {}
            turns.append(row)
        details.append({"scenario": name, "turns": turns,
                        "verdicts": [t["verdict"] for t in turns]})
    total = sum(counts.values())
    latencies.sort()
    return {**counts, "total": total,
            "correct_rate": round(counts["correct"] / total, 4) if total else 0.0,
            "wrong_rate": round(counts["wrong"] / total, 4) if total else 0.0,
            "abstained_rate": round(counts["abstained"] / total, 4) if total else 0.0,
            "latency_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
            "seconds": round(time.perf_counter() - started, 2), "scenarios": details}


def run_answer_eval(settings, *, scenarios: str | None = None, ingest: list[str] | tuple = (), services=None,
                    keep_answers: bool = False, workspace: str | None = None) -> dict:
    """`workspace`: answer in that workspace (components/workspaces/), by default from its own scenarios/*.yaml."""
    from components.services import build_services
    from components.workspaces.workspace_eval import choose_scenarios, eval_settings

    suite, files = choose_scenarios(settings, scenarios, workspace)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kefu-answers-") as tmp:
        own = services is None
        if own:
            services = build_services(eval_settings(settings, Path(tmp), workspace))
            status = services.warm_up()
            if not status.ready:
                raise RuntimeError(f"could not start the pipeline: {status.error}")
        try:
            ingest_documents(services.workspaces.get(workspace).knowledge if workspace else services.knowledge, ingest)
            result = run_answer_scenarios(services.dialogue, suite, keep_answers=keep_answers, workspace=workspace)
        finally:
            if own:
                services.close()
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["scenarios_file"] = ", ".join(files)
    if workspace:
        result["workspace"] = workspace
    result["ingested"] = [str(p) for p in ingest]
    return result


def ingest_documents(knowledge, paths) -> int:
    """Add files (or every file of a folder) to the knowledge base; ValueError naming the first that fails."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"No file or folder at {path}")
    for path in files:
        added = knowledge.ingest_file(path)
        if added.status == "error":
            raise ValueError(f"could not ingest {path}: {added.message}")
    return len(files)
