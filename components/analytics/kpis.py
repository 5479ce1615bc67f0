"""Counts and series for the analytics tab, computed with pandas from the conversation store."""
from __future__ import annotations

import pandas as pd

from components.storage.conversation_store import ConversationStore


def load_frames(store: ConversationStore, include_demo: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(conversations, messages) as DataFrames, read through a separate read-only connection."""
    conn = store.connection_for_reading()
    try:
        conversations = pd.read_sql_query("SELECT * FROM conversations", conn)
        messages = pd.read_sql_query(
            "SELECT m.id, m.conversation_id, m.role, m.created_at, m.state, m.rating, length(m.text) AS chars "
            "FROM messages m", conn)
    finally:
        conn.close()
    if not include_demo and not conversations.empty:
        keep = set(conversations.loc[conversations.is_demo == 0, "id"])
        conversations = conversations[conversations.id.isin(keep)]
        messages = messages[messages.conversation_id.isin(keep)]
    return conversations, messages


def summary(store: ConversationStore, include_demo: bool = True) -> dict:
    conversations, messages = load_frames(store, include_demo)
    by_role = messages.role.value_counts().to_dict() if not messages.empty else {}
    return {
        "conversations": int(len(conversations)),
        "messages": int(len(messages)),
        "customer_messages": int(by_role.get("customer", 0)),
        "bot_messages": int(by_role.get("bot", 0)),
        "agent_messages": int(by_role.get("agent", 0)),
        "waiting_for_human": int((conversations.status == "waiting").sum()) if not conversations.empty else 0,
    }


def messages_per_day(store: ConversationStore, include_demo: bool = True) -> pd.DataFrame:
    _, messages = load_frames(store, include_demo)
    if messages.empty:
        return pd.DataFrame(columns=["day", "role", "messages"])
    messages["day"] = pd.to_datetime(messages.created_at, unit="s").dt.floor("D")
    return messages.groupby(["day", "role"]).size().reset_index(name="messages")
