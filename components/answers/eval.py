"""`python app.py eval answers --scenarios F.yaml [--ingest FILES…] --json`: free-form answers through the full
pipeline, scored as a customer would judge them.

Every customer turn of every scenario (the scenario format of components/orders/scenario_runner.py) is one of
- `correct`: the reply has every expected fact (`reply_contains`, alternatives allowed) and nothing of
  `reply_not_contains`, or, for a question the documents do not answer (`abstain: true`), the bot said so;
- `abstained`: the bot said it does not know (and offered a person) where an answer was expected;
- `wrong`: an answer was given without the expected fact, or with a forbidden one, or where the bot should have
  abstained: the confidently wrong answers a business cannot afford.
A multi-part question may list its parts' expectations in order (`expect: {parts: [{reply_contains: …}, {abstain:
true}, …]}`): each part is judged on what the reply states for it (its evidence and cited title), the same three
ways, and the turn is `correct` only when every part is, `wrong` when any part is, else `abstained` (a part said to
be unknown is never a correct part). The part counts are reported too (`parts`).
With `perturb` (`--perturb typo,lower,…`, components/answers/wording_perturbations.py) every turn is asked as a
customer might type it, once per kind, over the same knowledge base; each kind reports its counts, those of the
turns the kind changed, and how many turns the spelling corrector rewrote.
Runs on a temporary data directory (fresh shop database and knowledge base, plus the `--ingest` documents), so an
evaluation never changes the real data.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from components.orders.scenario_runner import check_turn, validate_scenarios

log = logging.getLogger(__name__)

ABSTAIN_ACTIONS = ("clarify", "decline_out_of_scope", "handoff")


def judge_turn(expect: dict, got: dict) -> tuple[str, list[str]]:
    """(verdict, problems): verdict is correct | abstained | wrong."""
    if expect.get("parts"):
        verdict, problems, _ = judge_parts(expect, got)
        return verdict, problems
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


def judge_parts(expect: dict, got: dict) -> tuple[str, list[str], list[str]]:
    """(turn verdict, problems, one verdict per expected part) for a turn whose expectation lists its parts.

    Part i is judged on the composer's part i: what its evidence states (with the title it cites). When the reply
    was not answered part by part (a desk turn, a curated row, a different number of parts), every part is judged
    on the whole reply, so nothing is credited that the reply does not say."""
    expected = expect["parts"]
    forbidden = [p for p in check_turn({"reply_not_contains": expect.get("reply_not_contains") or []}, got)]
    answer_parts = (got.get("answer") or {}).get("parts") or []
    per_part = len(answer_parts) == len(expected) and got.get("mode") in ("evidence", "rephrased", "generated")
    verdicts, problems = [], list(forbidden)
    for i, part_expect in enumerate(expected):
        if per_part:
            part = answer_parts[i]
            # a part whose evidence was already stated for an earlier part is answered by that evidence
            earlier = answer_parts[:i] if (part.get("curated") or {}).get("same_as_earlier_part") else []
            said = " ".join(f"{e.get('source', '')} {e.get('text', '')}"
                            for p in [part] + earlier for e in p.get("evidence") or [])
            view = {"reply": said, "abstained": not (part.get("answered") or earlier)}
        else:
            view = {"reply": got["reply"], "abstained": got["abstained"]}
        verdict, why = judge_turn({k: v for k, v in part_expect.items() if k != "parts"}, view)
        verdicts.append(verdict)
        problems += [f"part {i + 1}: {w}" for w in why]
    if forbidden or "wrong" in verdicts:
        return "wrong", problems, verdicts
    return ("correct" if all(v == "correct" for v in verdicts) else "abstained"), problems, verdicts


def _without_parts(scenarios):
    """The scenarios as the shared validator knows them (`parts` is this evaluator's own expectation; each part is
    checked like a turn's expectation)."""
    if not isinstance(scenarios, list):
        return scenarios
    out = []
    for s in scenarios:
        if isinstance(s, dict) and isinstance(s.get("turns"), list):
            turns = []
            for t in s["turns"]:
                expect = t.get("expect") if isinstance(t, dict) else None
                if isinstance(expect, dict) and "parts" in expect:
                    parts = expect["parts"]
                    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
                        raise ValueError(f"scenario {s.get('name', '?')}: 'parts' must be a list of expectations")
                    validate_scenarios([{"turns": [{"user": "part", "expect": p} for p in parts]}])
                    t = {**t, "expect": {k: v for k, v in expect.items() if k != "parts"}}
                turns.append(t)
            s = {**s, "turns": turns}
        out.append(s)
    return out


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
    validate_scenarios(_without_parts(scenarios))
    counts = {"correct": 0, "abstained": 0, "wrong": 0}
    part_counts = {"correct": 0, "abstained": 0, "wrong": 0}
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
            expect = turn.get("expect") or {}
            if expect.get("parts"):
                verdict, problems, part_verdicts = judge_parts(expect, got)
            else:
                verdict, problems = judge_turn(expect, got)
                part_verdicts = [verdict]
            counts[verdict] += 1
            for v in part_verdicts:
                part_counts[v] += 1
            row = {"turn": number, "user": turn["user"], "verdict": verdict, "reply": got["reply"],
                   "action": got["action"], "mode": got["mode"], "best_score": got["best_score"],
                   "problems": problems, **({"parts": part_verdicts} if expect.get("parts") else {})}
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
            "parts": part_counts,
            "latency_p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
            "seconds": round(time.perf_counter() - started, 2), "scenarios": details}


def perturbed_scenarios(scenarios: list[dict], kind: str, seed: int = 0) -> tuple[list[dict], set[tuple[int, int]]]:
    """The scenarios with every customer turn rewritten by `kind`, and the (scenario, turn) indexes it changed."""
    from components.answers.wording_perturbations import perturb

    out, changed = [], set()
    for i, scenario in enumerate(scenarios):
        turns = []
        for j, turn in enumerate(scenario["turns"]):
            text = perturb(turn["user"], kind, seed)
            if text != turn["user"]:
                changed.add((i, j))
            turns.append({**turn, "user": text})
        out.append({**scenario, "turns": turns})
    return out, changed


def run_perturbed(dialogue, scenarios: list[dict], kinds: list[str], *, seed: int = 0,
                  workspace: str | None = None) -> dict:
    """correct / abstained / wrong per kind of rewording (`none`: as written), over all turns and over the turns the
    kind changed."""
    out = {}
    for kind in kinds:
        suite, changed = (scenarios, set()) if kind == "none" else perturbed_scenarios(scenarios, kind, seed)
        result = run_answer_scenarios(dialogue, suite, keep_answers=True, workspace=workspace)
        on_changed = {"correct": 0, "abstained": 0, "wrong": 0}
        corrected = 0
        for i, scenario in enumerate(result["scenarios"]):
            for j, turn in enumerate(scenario["turns"]):
                corrected += bool((turn.get("answer") or {}).get("corrections"))
                if (i, j) in changed:
                    on_changed[turn["verdict"]] += 1
                turn.pop("answer", None)
                turn.pop("expect", None)
        out[kind] = {**{k: result[k] for k in ("correct", "abstained", "wrong", "total", "latency_p50_s")},
                     "changed": len(changed), "on_changed": on_changed, "corrected_turns": corrected,
                     "scenarios": result["scenarios"]}
    return out


def run_answer_eval(settings, *, scenarios: str | None = None, ingest: list[str] | tuple = (), services=None,
                    keep_answers: bool = False, workspace: str | None = None, perturb: list[str] | tuple = (),
                    seed: int = 0) -> dict:
    """`workspace`: answer in that workspace (components/workspaces/), by default from its own scenarios/*.yaml.
    `perturb`: kinds of customers' wording to ask every turn in (see `run_perturbed`), instead of as written."""
    from components.answers.wording_perturbations import KINDS

    unknown = [k for k in perturb if k not in KINDS and k != "none"]
    if unknown:
        raise ValueError(f"unknown perturbation {', '.join(unknown)}: choose from none, {', '.join(KINDS)}")
    from components.workspaces.workspace_eval import choose_scenarios, evaluation_services, run_facts

    suite, files = choose_scenarios(settings, scenarios, workspace)
    started = time.perf_counter()
    with evaluation_services(settings, services, workspace, prefix="kefu-answers-") as services:
        ingest_documents(services.workspaces.get(workspace).knowledge if workspace else services.knowledge, ingest)
        if perturb:
            result = {"perturbations": run_perturbed(services.dialogue, suite, list(perturb), seed=seed,
                                                     workspace=workspace), "seed": seed}
        else:
            result = run_answer_scenarios(services.dialogue, suite, keep_answers=keep_answers, workspace=workspace)
    result = run_facts(result, started, files, workspace)
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
