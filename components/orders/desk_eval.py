"""`python app.py eval desk --tasks FILE --json`: scripted conversations over the demo shop, judged by the
database state they leave behind.

A task file (YAML or JSON) is a list of
    {task: NAME, user_id: ID, turns: [customer message, ...], actions: [{name, kwargs}, ...]}
where `actions` are the gold write actions of a tau-bench retail task (its tool names and arguments). Each task
runs in a new conversation on a fresh copy of the shop; afterwards every order and customer in the database must
equal the *expected state*: the seed data with the gold actions applied by `apply_gold_action` below, a reference
written from the shop policy (assets/shop/wiki.md) and the published tool semantics, independent of the
database's own write code. A task passes when the two are equal (amounts compared to the cent).

By default the turns go through the whole pipeline (guard, redaction, NLU, policy, desk), as in
`eval dialogues`; `desk_only=True` drives the order desk alone with keyword reading (no models; for quick checks).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

WRITE_ACTIONS = ("cancel_pending_order", "return_delivered_order_items", "modify_pending_order_address",
                 "exchange_delivered_order_items", "modify_pending_order_items", "modify_pending_order_payment",
                 "modify_user_address")
_ADDRESS_KEYS = ("address1", "address2", "city", "state", "country", "zip")


def load_tasks(path: str | Path) -> list[dict]:
    """The scripted tasks; ValueError naming the first malformed one."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No task file at {path}")
    text = path.read_text(encoding="utf-8")
    tasks = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(tasks, list) or not tasks:
        raise ValueError(f"{path}: expected a list of tasks {{task, user_id, turns: [...], actions: [...]}}")
    for index, task in enumerate(tasks, 1):
        where = f"{path} task {index} ({task.get('task', '?') if isinstance(task, dict) else '?'})"
        if not isinstance(task, dict) or not isinstance(task.get("turns"), list) or not task["turns"] \
                or not all(isinstance(t, str) and t.strip() for t in task["turns"]):
            raise ValueError(f"{where}: needs a non-empty 'turns' list of customer messages")
        if not isinstance(task.get("actions", []), list):
            raise ValueError(f"{where}: 'actions' must be a list of {{name, kwargs}}")
        for action in task.get("actions", []):
            if not isinstance(action, dict) or action.get("name") not in WRITE_ACTIONS \
                    or not isinstance(action.get("kwargs"), dict):
                raise ValueError(f"{where}: each action needs a name among {list(WRITE_ACTIONS)} and kwargs")
    return tasks


# -- the reference: gold actions applied to plain JSON --------------------------------------------------------------
def apply_gold_action(data: dict, action: dict) -> None:
    """Apply one gold action to {"users", "orders", "products"} (plain dicts), as the shop's published tools
    define it. Raises ValueError, having changed nothing, when the policy refuses it (a few gold lists hold an
    action the shop refuses, e.g. a gift card that cannot cover an order; the conversation must not do it)."""
    name, kw = action["name"], action["kwargs"]
    users, orders, products = data["users"], data["orders"], data["products"]
    order = orders.get(kw.get("order_id", ""))
    if name != "modify_user_address" and order is None:
        raise ValueError(f"{name}: no order {kw.get('order_id')}")
    if name == "cancel_pending_order":
        if order["status"] != "pending":
            raise ValueError("only pending orders can be cancelled")
        refunds = []
        for payment in order["payment_history"]:
            refunds.append({"transaction_type": "refund", "amount": payment["amount"],
                            "payment_method_id": payment["payment_method_id"]})
            if "gift_card" in payment["payment_method_id"]:
                card = users[order["user_id"]]["payment_methods"][payment["payment_method_id"]]
                card["balance"] = round(card["balance"] + payment["amount"], 2)
        order["status"] = "cancelled"
        order["cancel_reason"] = kw["reason"]
        order["payment_history"].extend(refunds)
    elif name == "return_delivered_order_items":
        if order["status"] != "delivered":
            raise ValueError("only delivered orders can be returned")
        order["status"] = "return requested"
        order["return_items"] = sorted(kw["item_ids"])
        order["return_payment_method_id"] = kw["payment_method_id"]
    elif name == "modify_pending_order_address":
        if order["status"] != "pending":
            raise ValueError("only pending orders can be modified")
        order["address"] = {key: kw[key] for key in _ADDRESS_KEYS}
    elif name == "modify_user_address":
        users[kw["user_id"]]["address"] = {key: kw[key] for key in _ADDRESS_KEYS}
    elif name in ("exchange_delivered_order_items", "modify_pending_order_items"):
        wanted = "delivered" if name.startswith("exchange") else "pending"
        if order["status"] != wanted:
            raise ValueError(f"{name}: the order is {order['status']}")
        difference = 0.0
        pairs = []
        for old_id, new_id in zip(kw["item_ids"], kw["new_item_ids"]):
            item = next(i for i in order["items"] if i["item_id"] == old_id)
            variant = products[item["product_id"]]["variants"][new_id]
            if not variant["available"]:
                raise ValueError(f"{new_id} is not available")
            difference += variant["price"] - item["price"]
            pairs.append((item, variant))
        difference = round(difference, 2)
        method = users[order["user_id"]]["payment_methods"][kw["payment_method_id"]]
        if method["source"] == "gift_card" and method["balance"] < difference:
            raise ValueError("insufficient gift card balance")
        if wanted == "delivered":
            order["status"] = "exchange requested"
            order["exchange_items"] = sorted(kw["item_ids"])
            order["exchange_new_items"] = sorted(kw["new_item_ids"])
            order["exchange_payment_method_id"] = kw["payment_method_id"]
            order["exchange_price_difference"] = difference
        else:
            order["payment_history"].append({"transaction_type": "payment" if difference > 0 else "refund",
                                             "amount": abs(difference),
                                             "payment_method_id": kw["payment_method_id"]})
            if method["source"] == "gift_card":
                method["balance"] = round(method["balance"] - difference, 2)
            for item, variant in pairs:
                item["item_id"], item["price"], item["options"] = variant["item_id"], variant["price"], \
                    variant["options"]
            order["status"] = "pending (item modified)"
    elif name == "modify_pending_order_payment":
        if order["status"] != "pending":
            raise ValueError("only pending orders can be modified")
        first = order["payment_history"][0]
        amount, old_id, new_id = first["amount"], first["payment_method_id"], kw["payment_method_id"]
        methods = users[order["user_id"]]["payment_methods"]
        if methods[new_id]["source"] == "gift_card" and methods[new_id]["balance"] < amount:
            raise ValueError("insufficient gift card balance")
        order["payment_history"].extend([
            {"transaction_type": "payment", "amount": amount, "payment_method_id": new_id},
            {"transaction_type": "refund", "amount": amount, "payment_method_id": old_id}])
        if methods[new_id]["source"] == "gift_card":
            methods[new_id]["balance"] = round(methods[new_id]["balance"] - amount, 2)
        if methods[old_id]["source"] == "gift_card":
            methods[old_id]["balance"] = round(methods[old_id]["balance"] + amount, 2)


def _rounded(value):
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def state_differences(actual: dict, expected: dict, limit: int = 6) -> list[str]:
    """What differs between two {"users", "orders"} states: "order #W…: status 'x' != expected 'y'"."""
    problems: list[str] = []
    for kind in ("orders", "users"):
        for key in sorted(set(actual[kind]) | set(expected[kind])):
            got, want = _rounded(actual[kind].get(key)), _rounded(expected[kind].get(key))
            if got == want:
                continue
            if got is None or want is None:
                problems.append(f"{kind[:-1]} {key}: {'missing' if got is None else 'unexpected'}")
                continue
            for field in sorted(set(got) | set(want)):
                if got.get(field) != want.get(field):
                    problems.append(f"{kind[:-1]} {key}: {field} {json.dumps(got.get(field))[:160]} != expected "
                                    f"{json.dumps(want.get(field))[:160]}")
            if len(problems) >= limit:
                return problems[:limit]
    return problems


# -- running ------------------------------------------------------------------------------------------------------
def _seed(settings) -> dict:
    from components.orders.shop_database import _load_seed

    seed_dir = settings.assets_dir / "shop"
    return {name: _load_seed(seed_dir, name) for name in ("users", "orders", "products")}


def run_desk_eval(settings, *, tasks: str, desk_only: bool = False, services=None) -> dict:
    """Replay every task; returns {passed, failed, total, pass_rate, seconds, tasks: [{task, passed, problems,
    writes}]}."""
    from components.orders.shop_database import ShopDatabase

    suite = load_tasks(tasks)
    seed = _seed(settings)
    started = time.perf_counter()
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="kefu-desk-eval-") as tmp:
        template = ShopDatabase.fresh_copy(Path(tmp) / "template.sqlite3", settings.assets_dir / "shop")
        own = services is None and not desk_only
        if desk_only:
            from components.orders.order_desk import OrderDesk
            from components.orders.scenario_runner import desk_turn_function

            shop = template.clone(Path(tmp) / "shop.sqlite3")
            make_turn = lambda: desk_turn_function(OrderDesk(shop))  # noqa: E731 - one desk state per task
        else:
            from components.dialogue.dialogue_eval import turn_function

            if own:
                from components.services import build_services

                eval_settings = dataclasses.replace(settings, data_dir=Path(tmp) / "data",
                                                    cache_dir_override=settings.cache_dir)
                services = build_services(eval_settings)
                status = services.warm_up()
                if not status.ready:
                    raise RuntimeError(f"could not start the pipeline: {status.error}")
            shop = services.shop
            make_turn = lambda: turn_function(services.dialogue)  # noqa: E731
        try:
            for index, task in enumerate(suite):
                name = str(task.get("task") or f"task {index + 1}")
                shop.reset_from(template)
                turn = make_turn()
                transcript, crashed = [], None
                for text in task["turns"]:
                    try:
                        got = turn(f"{index}:{name}", text)
                    except Exception as exc:  # a crash fails this task; the rest still run
                        log.exception("task %s crashed", name)
                        crashed = f"turn raised {type(exc).__name__}: {exc}"
                        break
                    transcript.append({"user": text, "reply": got.get("reply"), "tools": got.get("tools")})
                expected = copy.deepcopy(seed)
                refused = []
                for action in task.get("actions", []):
                    try:
                        apply_gold_action(expected, action)
                    except ValueError as exc:  # as in the shop: a refused action changes nothing
                        refused.append(f"{action['name']}: {exc}")
                problems = [crashed] if crashed else []
                problems += state_differences(shop.all_documents(), expected)
                writes = [{"name": w["action"], "order_id": w["order_id"], "arguments": w["arguments"]}
                          for w in shop.writes()]
                entry = {"task": name, "passed": not problems, "problems": problems, "writes": writes,
                         "gold": task.get("actions", []), "gold_refused": refused}
                if problems:
                    entry["transcript"] = transcript
                results.append(entry)
                log.info("desk eval %s: %s", name, "pass" if not problems else "FAIL " + "; ".join(problems))
        finally:
            if own:
                services.close()
    passed = sum(r["passed"] for r in results)
    return {"passed": passed, "failed": len(results) - passed, "total": len(results),
            "pass_rate": round(passed / len(results), 4) if results else 0.0,
            "pipeline": "desk only" if desk_only else "full", "seconds": round(time.perf_counter() - started, 2),
            "tasks_file": str(tasks), "tasks": results}
