"""`python app.py demo-history --conversations N`: fill the database with clearly marked demo conversations.

Every turn runs through the real pipeline (guard, NLU, policy, knowledge base or order desk, the model), so the
charts show what kefu really does. Customer turns are scripted archetypes filled with generated details: policy
questions the knowledge base answers, order lookups with real customers' emails from the demo shop, questions the
shop's documents do not cover (they become knowledge gaps), requests for a person and angry customers (handoffs),
some agent takeovers, thumbs and CSAT ratings. Order lookups only read: no demo turn confirms a change to an order.

Conversations are created with `is_demo=1` and afterwards spread over the past `days` days (each conversation is
moved as a whole, so its internal timings stay real). The analytics tab can include or exclude them.
"""
from __future__ import annotations

import gzip
import json
import logging
import random
import time
from collections import Counter
from pathlib import Path

log = logging.getLogger(__name__)

DEMO_AGENT = "demo-agent"

POLICY_QUESTIONS = [
    "How long does a refund take?", "Can I return an item I bought last week?", "Is there a cancellation fee?",
    "Can I exchange a product for a different colour?", "Which payment methods do you accept?",
    "Can I change the shipping address of my order?", "How do I cancel my order?",
    "Do refunds go back to my credit card?", "Can I pay with a gift card?", "How do I track my order?",
    "What happens after I ask for a return?", "Can I modify the items in a pending order?",
]
POLICY_FOLLOW_UPS = ["And how long does that take?", "What if I paid with PayPal?", "Is that free?",
                     "Can I do it for a delivered order?"]
ZH_QUESTIONS = ["退款需要多长时间？", "怎么取消订单？", "可以换货吗？", "支持哪些付款方式？"]
# questions the demo shop's documents do not answer: they show up as knowledge gaps, in paraphrase groups
GAP_TOPICS = [
    ["Do you offer a student discount?", "Is there a discount for students?", "student discount available?"],
    ["Can I pay with bitcoin?", "Do you accept cryptocurrency?", "can I pay in crypto"],
    ["Do you have a loyalty program?", "Do I earn reward points when I shop?", "is there a membership rewards scheme"],
    ["Do you offer gift wrapping?", "Can you wrap my order as a present?", "gift wrap option?"],
    ["Do you have a physical store I can visit?", "Where is your shop located?", "can I pick up in a store"],
    ["Do you price match other shops?", "Will you match a lower price from another store?"],
]
HUMAN_REQUESTS = ["I want to talk to a person", "Can I speak to a human agent please?", "转人工",
                  "real person please"]
COMPLAINTS = ["This is terrible, my package arrived broken and nobody helps me!",
              "I'm really angry, this is the worst service ever.", "Still broken, this is awful and useless!"]
OPENERS = ["", "", "Hi, ", "Hello! ", "Quick question: ", "Hey, "]
THANKS = ["thanks", "thank you", "Thanks!", "谢谢"]
AGENT_REPLIES = ["Hi, I'm a person from the support team. I'm looking into this for you now.",
                 "Thanks for waiting. I've checked your account and sorted this out.",
                 "Sorry about that. I've passed this on and we'll email you today."]
# (archetype, weight)
ARCHETYPES = [("policy", 0.30), ("order_lookup", 0.20), ("knowledge_gap", 0.18), ("human_request", 0.12),
              ("complaint", 0.08), ("chinese", 0.07), ("small_talk", 0.05)]


def load_demo_customers(assets_dir: Path, limit: int = 60, seed: int = 11) -> list[dict]:
    """Real customers of the demo shop: [{email, order_id}] (read from assets/shop/users.json.gz)."""
    path = Path(assets_dir) / "shop" / "users.json.gz"
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        users = json.load(fh)
    rng = random.Random(seed)
    customers = [{"email": u["email"], "order_id": u["orders"][0]} for u in users.values()
                 if u.get("email") and u.get("orders")]
    rng.shuffle(customers)
    return customers[:limit]


def script_conversation(archetype: str, rng: random.Random, customers: list[dict]) -> dict:
    """One conversation plan: customer turns and what happens around them."""
    opener = rng.choice(OPENERS)
    plan = {"archetype": archetype, "turns": [], "thumbs": None, "csat": None, "takeover": False}
    if archetype == "policy":
        first = rng.choice(POLICY_QUESTIONS)
        plan["turns"] = [opener + (first[0].lower() + first[1:] if opener else first)]
        if rng.random() < 0.5:
            plan["turns"].append(rng.choice(POLICY_FOLLOW_UPS))
        if rng.random() < 0.6:
            plan["turns"].append(rng.choice(THANKS))
        plan["thumbs"] = rng.choices([1, -1, None], [0.55, 0.1, 0.35])[0]
        plan["csat"] = rng.choices([5, 4, 3, None], [0.35, 0.3, 0.1, 0.25])[0]
    elif archetype == "order_lookup" and customers:
        customer = rng.choice(customers)
        if rng.random() < 0.5:
            plan["turns"] = [f"{opener}where is my order {customer['order_id']}?", customer["email"]]
        else:
            plan["turns"] = [f"{opener}I'd like to check the status of order {customer['order_id']}, "
                             f"my email is {customer['email']}"]
        plan["turns"].append(rng.choice(THANKS))
        plan["thumbs"] = rng.choices([1, None], [0.5, 0.5])[0]
        plan["csat"] = rng.choices([5, 4, None], [0.4, 0.3, 0.3])[0]
    elif archetype == "knowledge_gap":
        topic = rng.choice(GAP_TOPICS)
        plan["turns"] = rng.sample(topic, k=min(len(topic), rng.choice([1, 2, 3])))
        plan["turns"][0] = opener + plan["turns"][0]
        plan["thumbs"] = rng.choices([-1, None], [0.5, 0.5])[0]
        plan["csat"] = rng.choices([1, 2, 3, None], [0.2, 0.3, 0.1, 0.4])[0]
        plan["takeover"] = rng.random() < 0.5
    elif archetype == "human_request":
        plan["turns"] = [rng.choice(POLICY_QUESTIONS), rng.choice(HUMAN_REQUESTS)]
        plan["takeover"] = rng.random() < 0.7
        plan["csat"] = rng.choices([5, 4, 2, None], [0.3, 0.3, 0.1, 0.3])[0]
    elif archetype == "complaint":
        plan["turns"] = rng.sample(COMPLAINTS, k=2)
        plan["takeover"] = rng.random() < 0.6
        plan["csat"] = rng.choices([1, 2, 3, None], [0.3, 0.3, 0.2, 0.2])[0]
    elif archetype == "chinese":
        plan["turns"] = [rng.choice(ZH_QUESTIONS)]
        plan["csat"] = rng.choices([5, 4, None], [0.4, 0.3, 0.3])[0]
    else:  # small talk, or an order lookup when the shop data is missing
        plan["archetype"] = "small_talk"
        plan["turns"] = ["hello", rng.choice(POLICY_QUESTIONS), "bye"]
    return plan


def generate_demo_history(services, *, conversations: int, days: int = 14, seed: int | None = None,
                          progress=None) -> dict:
    """Play `conversations` demo conversations through `services` (already warmed up) and spread them in time."""
    if conversations <= 0:
        raise ValueError("--conversations must be a positive number")
    if days <= 0:
        raise ValueError("days must be positive")
    rng = random.Random(seed)
    customers = load_demo_customers(services.settings.assets_dir)
    names, weights = zip(*ARCHETYPES)
    started = time.perf_counter()
    now = time.time()
    counts: Counter = Counter()      # turns, handoffs, takeovers, thumbs, csat
    archetypes: Counter = Counter()
    actions: Counter = Counter()     # bot turns by policy action
    ids = []
    for i in range(conversations):
        plan = script_conversation(rng.choices(names, weights)[0], rng, customers)
        cid = _play(services, plan, rng, actions, counts)
        if cid is None:
            continue
        ids.append(cid)
        archetypes[plan["archetype"]] += 1
        # spread: a random moment in the past `days` days, a bit more during the day (UTC 07-22)
        day = rng.randrange(days)
        hour = rng.choices(range(24), [1 if h < 7 or h > 22 else 4 for h in range(24)])[0]
        target = now - (day + 1) * 86400 + hour * 3600 + rng.uniform(0, 3600)
        target = min(target, now - 600)
        conversation = services.store.get_conversation(cid)
        services.store.shift_demo_conversation(cid, target - conversation["created_at"])
        if progress is not None:
            progress((i + 1) / conversations, f"{i + 1}/{conversations} demo conversations")
    return {"conversations": len(ids), "archetypes": dict(archetypes.most_common()), "bot_actions": dict(actions),
            "turns": counts["turns"], "handoffs": counts["handoffs"], "takeovers": counts["takeovers"],
            "thumbs": counts["thumbs"], "csat_ratings": counts["csat"], "days": days,
            "seconds": round(time.perf_counter() - started, 1), "conversation_ids": ids}


def _play(services, plan: dict, rng: random.Random, actions: Counter, counts: Counter) -> str | None:
    dialogue, operators = services.dialogue, services.operators
    cid = None
    last_bot = None
    for text in plan["turns"]:
        result = dialogue.chat(cid, text, is_demo=True)
        if not result.conversation_id:
            log.warning("demo turn %r was refused: %s", text, result.error)
            continue
        cid = result.conversation_id
        counts["turns"] += 1
        action = (result.trace.get("policy") or {}).get("action")
        actions[action or "none"] += 1
        if result.bot_message_id and action not in ("small_talk", "handoff"):
            last_bot = result.bot_message_id  # thumbs go on the last real answer, not on "you're welcome"
        if result.status in ("waiting", "human"):
            counts["handoffs"] += 1
            break
    if cid is None:
        return None
    if plan["thumbs"] and last_bot:
        operators.feedback(cid, last_bot, plan["thumbs"])
        counts["thumbs"] += 1
    status = services.store.get_conversation(cid)["status"]
    if plan["takeover"]:
        if status == "bot":  # the agent steps in although the bot did not hand over
            operators.request_human(cid)
            counts["handoffs"] += 1
        operators.claim(cid, DEMO_AGENT)
        operators.agent_reply(cid, DEMO_AGENT, rng.choice(AGENT_REPLIES))
        if rng.random() < 0.85:
            operators.resolve(cid, DEMO_AGENT)
        counts["takeovers"] += 1
    if plan["csat"]:
        operators.rate_conversation(cid, plan["csat"])
        counts["csat"] += 1
    return cid


def run_demo_history(settings, *, conversations: int, days: int = 14, seed: int | None = None) -> dict:
    """CLI: build and warm up the services, then play `conversations` demo conversations into the app's database."""
    from components.services import build_services

    if conversations <= 0:
        raise ValueError("--conversations must be a positive number")
    services = build_services(settings)
    try:
        status = services.warm_up()
        if not status.ready:
            raise RuntimeError(f"start-up failed: {status.error}")
        result = generate_demo_history(services, conversations=conversations, days=days, seed=seed,
                                       progress=lambda f, msg: log.info("demo history: %s", msg))
    finally:
        services.close()
    result.pop("conversation_ids", None)
    from components.storage.database import describe_url

    result["database"] = describe_url(settings.database)
    return result
