"""Scripted conversations with expectations, run through any turn function (the full pipeline or the desk alone).

A scenario is `{name, turns: [{user: TEXT, expect: {...}}]}`. `expect` may hold
  reply_contains      list; each item a string, or a list of alternatives of which one must appear
  reply_not_contains  list of strings that must not appear
  intent, action, tool  the value the turn must report (a list means "any of these"; tool: null means no tool)
  handoff             bool
  abstain             bool: the right reply says it does not know (answer evaluation, components/answers/eval.py)
Text matching is case-insensitive. Every scenario runs in its own conversation (key "<index>:<name>").
"""
from __future__ import annotations

import logging
import time
from typing import Callable

log = logging.getLogger(__name__)

EXPECT_KEYS = {"reply_contains", "reply_not_contains", "intent", "action", "tool", "handoff", "abstain"}


def validate_scenarios(scenarios: list[dict]) -> None:
    """ValueError naming the first malformed scenario or turn."""
    if not isinstance(scenarios, list):
        raise ValueError("Scenarios must be a list of {name, turns: [{user, expect}]}")
    for index, scenario in enumerate(scenarios):
        where = f"scenario {index + 1} ({scenario.get('name', '?') if isinstance(scenario, dict) else '?'})"
        if not isinstance(scenario, dict) or not isinstance(scenario.get("turns"), list) or not scenario["turns"]:
            raise ValueError(f"{where}: needs a non-empty 'turns' list")
        for number, turn in enumerate(scenario["turns"], 1):
            if not isinstance(turn, dict) or not isinstance(turn.get("user"), str) or not turn["user"].strip():
                raise ValueError(f"{where}, turn {number}: needs a 'user' text")
            expect = turn.get("expect") or {}
            if not isinstance(expect, dict):
                raise ValueError(f"{where}, turn {number}: 'expect' must be a mapping")
            unknown = set(expect) - EXPECT_KEYS
            if unknown:
                raise ValueError(f"{where}, turn {number}: unknown expectation(s) {sorted(unknown)}; "
                                 f"use {sorted(EXPECT_KEYS)}")
            for key in ("reply_contains", "reply_not_contains"):
                if key in expect and not isinstance(expect[key], list):
                    raise ValueError(f"{where}, turn {number}: '{key}' must be a list")


def check_turn(expect: dict, got: dict) -> list[str]:
    """The expectations this turn's result breaks (empty when it passes)."""
    problems: list[str] = []
    reply = str(got.get("reply") or "")
    lowered = reply.lower()
    for item in expect.get("reply_contains") or []:
        options = item if isinstance(item, list) else [item]
        if not any(str(option).lower() in lowered for option in options):
            shown = " | ".join(str(o) for o in options)
            problems.append(f"reply lacks {shown!r}")
    for item in expect.get("reply_not_contains") or []:
        if str(item).lower() in lowered:
            problems.append(f"reply contains {str(item)!r}")
    for key in ("intent", "action", "tool"):
        if key not in expect:
            continue
        wanted = expect[key]
        options = wanted if isinstance(wanted, list) else [wanted]
        value = got.get(key)
        normalised = [None if o is None else str(o).lower() for o in options]
        if (None if value is None else str(value).lower()) not in normalised:
            problems.append(f"{key} is {value!r}, expected {wanted!r}")
    if "handoff" in expect and bool(got.get("handoff")) != bool(expect["handoff"]):
        problems.append(f"handoff is {bool(got.get('handoff'))}, expected {bool(expect['handoff'])}")
    return problems


def run_scenarios(turn_fn: Callable[[str, str], dict], scenarios: list[dict]) -> dict:
    """Run every scenario; a scenario passes when all its turns meet their expectations.

    Returns {passed, failed, total, turns, seconds, failures: [{scenario, turn, user, reply, problems, got}]}.
    """
    validate_scenarios(scenarios)
    started = time.perf_counter()
    passed = failed = turns = 0
    failures: list[dict] = []
    for index, scenario in enumerate(scenarios):
        name = str(scenario.get("name") or f"scenario {index + 1}")
        key = f"{index}:{name}"
        ok = True
        for number, turn in enumerate(scenario["turns"], 1):
            turns += 1
            try:
                got = turn_fn(key, turn["user"])
            except Exception as exc:  # a crash fails the scenario; the rest of the suite still runs
                log.exception("scenario %r turn %d crashed", name, number)
                failures.append({"scenario": name, "turn": number, "user": turn["user"], "reply": None,
                                 "problems": [f"turn raised {type(exc).__name__}: {exc}"], "got": None})
                ok = False
                break
            problems = check_turn(turn.get("expect") or {}, got)
            if problems:
                ok = False
                failures.append({"scenario": name, "turn": number, "user": turn["user"],
                                 "reply": got.get("reply"), "problems": problems,
                                 "got": {k: got.get(k) for k in ("intent", "action", "tool", "handoff")}})
        passed += ok
        failed += not ok
    return {"passed": passed, "failed": failed, "total": len(scenarios), "turns": turns,
            "seconds": round(time.perf_counter() - started, 3), "failures": failures}


def desk_turn_function(desk, parse: Callable[[str], object] | None = None) -> Callable[[str, str], dict]:
    """A turn function over the order desk alone (no model, no knowledge base): for tests and quick checks.

    `parse(text) -> NLUResult` supplies the understanding; by default only the language is detected. A turn the
    desk does not take reports action "not_for_desk" and an empty reply.
    """
    from components.nlu.language import detect_language
    from components.nlu.result import NLUResult
    from components.orders.order_desk import DeskState

    states: dict[str, DeskState] = {}

    def turn(key: str, text: str) -> dict:
        nlu = parse(text) if parse is not None else NLUResult(language=detect_language(text))
        state = states.get(key) or DeskState()
        if not desk.wants(text, nlu, state):
            return {"reply": "", "intent": nlu.intent, "action": "not_for_desk", "tool": None, "handoff": False}
        desk_turn, new_state = desk.step(text, nlu, state)
        states[key] = DeskState.from_dict(new_state.to_dict())  # as the pipeline stores it: plain JSON
        calls = desk_turn.tool_calls
        return {"reply": desk_turn.reply, "intent": nlu.intent,
                "action": "tool_flow" if desk_turn.handled else "not_for_desk",
                "desk_action": desk_turn.action, "tool": calls[-1]["name"] if calls else None,
                "tools": [c["name"] for c in calls], "handoff": desk_turn.handoff}

    return turn
