"""What the operator console shows of one conversation, as plain data (no gradio): the queue rows, the bubbles of
the transcript (messages and internal notes in time order, each bot turn with its trace), and the customer panel.
components/ui/console_tab.py turns these into HTML."""
from __future__ import annotations

import time

STATUS_RANK = {"waiting": 0, "human": 1, "bot": 2, "resolved": 3}


def waiting_words(seconds: float) -> str:
    """'45 s', '3 min', '2 h 05 min'."""
    seconds = int(seconds or 0)
    if seconds <= 0:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def queue_rows(operators, store, status: str | None, workspace: str | None = None) -> list[dict]:
    """One workspace's queue (None: every workspace), urgent first, with the latest *customer* message of each
    conversation."""
    rows = operators.queue(status, workspace=workspace)
    last_customer = store.last_customer_texts([r["conversation_id"] for r in rows])
    for r in rows:
        r["last_customer_message"] = (last_customer.get(r["conversation_id"]) or "").replace("\n", " ")
        r["waiting"] = waiting_words(r["waiting_s"])
    return rows


def timeline(transcript: dict) -> list[dict]:
    """Messages and internal notes in time order: {kind: customer|bot|agent|system|note, ...}."""
    items = [{**m, "kind": m["role"]} for m in transcript["messages"]]
    items += [{"kind": "note", "text": n["text"], "agent": n["agent"], "created_at": n["created_at"], "id": None}
              for n in transcript["notes"]]
    return sorted(items, key=lambda i: (i["created_at"], i["id"] or 0))


def signature(transcript: dict) -> str:
    """Changes whenever anything shown of the conversation changes (a new message, a finished answer, a note,
    a rating, the status): the console redraws the open conversation only then."""
    c = transcript["conversation"]
    last = transcript["messages"][-1] if transcript["messages"] else {}
    ratings = sum((m.get("rating") or 0) * m["id"] for m in transcript["messages"])
    return (f"{c['id']}|{c['status']}|{c.get('assigned_agent')}|{c.get('csat')}|{len(transcript['messages'])}|"
            f"{last.get('id')}|{last.get('state')}|{len(last.get('text') or '')}|{len(transcript['notes'])}|{ratings}")


def customer_records(desk, customer: str | None, language: str = "en") -> tuple[tuple[str, str] | None, list[dict]]:
    """(title (en, zh) or None for the shop's "Orders", [{id, status}]) of a verified customer in the desk of the
    conversation's workspace: the shop's orders, or what a workspace desk shows (customer_records)."""
    if not customer or desk is None:
        return None, []
    try:
        if hasattr(desk, "customer_records"):
            return (getattr(desk, "RECORDS_TITLE", None),
                    [dict(r) for r in desk.customer_records(customer, language)][:8])
        shop = getattr(desk, "shop", None)
        if shop is None:
            return None, []
        records = []
        for order_id in shop.orders_of(customer)[:8]:
            order = shop.get_order(order_id) or {}
            records.append({"id": order_id, "status": order.get("status", "?")})
        return None, records
    except ValueError:  # not a customer of this desk
        return None, []


def customer_facts(transcript: dict, store, desk=None, language: str = "en") -> dict:
    """The customer panel: verified identity, their records in the desk of the conversation's workspace (the shop's
    orders, the clinic's appointments, ...), past conversations in that workspace, CSAT, tags (intents, handoff
    reason)."""
    c = transcript["conversation"]
    customer = c.get("customer")
    records_title, records = customer_records(desk, customer, language)
    past = []
    if customer:
        past = [{"id": r["id"], "status": r["status"], "updated_at": r["updated_at"]}
                for r in store.list_conversations(limit=500, workspace=c.get("workspace_id"))
                if r.get("customer") == customer and r["id"] != c["id"]]
    intents = []
    for m in transcript["messages"]:
        intent = ((m.get("trace") or {}).get("nlu") or {}).get("intent")
        if intent and intent not in intents:
            intents.append(intent)
    tags = [*intents[-5:], *([c["handoff_reason"]] if c.get("handoff_reason") else [])]
    return {"customer": customer, "language": c.get("language") or "", "records": records,
            "records_title": records_title, "past": past[:5],
            "csat": c.get("csat"), "tags": tags, "status": c["status"], "agent": c.get("assigned_agent"),
            "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(c.get("created_at") or 0))}
