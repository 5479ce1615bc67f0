"""Data rights: forget a customer on request, and delete conversations past the retention period.

    python app.py forget --customer EMAIL      -> run_forget(settings, customer=EMAIL)
    python app.py retention --days N           -> run_retention(settings, days=N)

A customer's conversations are found three ways: conversations.customer holds the shop user id the order desk
set after authenticating them (looked up by email in the shop database); the redaction vault knows every
conversation in which the email was typed (by keyed hash, the email itself is not stored); and, as a safety net
for data stored before redaction was on, messages, notes and events that contain the email verbatim. Deleting a
conversation deletes its messages (with their traces), events and notes (foreign keys cascade), and its vault
entries. Afterwards both SQLite files are compacted so no deleted row survives in free pages or the write-ahead
log. A conversation of ANOTHER verified customer in which this email was typed is kept; only the email's vault
entry goes (its token stays unresolved), and such conversations are listed for review. The audit log records the
deletion with counts and a keyed fingerprint of the email, never the email.
Audit rows of agent actions on a deleted conversation stay (they hold ids and actions, no customer content).
"""
from __future__ import annotations

import logging
import re
import sqlite3
import time
from pathlib import Path

from components.speech.audio_archive import SpokenAudioArchive

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def _shop_user_id(shop_path: Path, email: str) -> str | None:
    if not shop_path.exists():
        return None
    conn = sqlite3.connect(f"file:{shop_path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT user_id FROM shop_users WHERE email_lc = ?", (email.lower(),)).fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError:  # a shop database without users: nothing to match
        return None
    finally:
        conn.close()


def compact_store(store) -> None:
    """Give the space of deleted rows back (SQLite: empty the write-ahead log and rewrite the file) so deleted rows
    leave no bytes behind."""
    store.compact()


def _delete_conversations(store, vault, conversation_ids: list[str], audio_dir=None) -> dict:
    counts = store.count_rows(conversation_ids)
    vault_entries = recordings = 0
    # spoken turns' recordings live in the data directory (beside the SQLite file when no folder is given)
    audio = SpokenAudioArchive(audio_dir) if audio_dir else \
        SpokenAudioArchive.beside(store.path) if store.path else None
    for cid in conversation_ids:
        store.delete_conversation(cid)
        if vault is not None:
            vault_entries += vault.forget_conversation(cid)
        if audio is not None:
            recordings += audio.delete_conversation(cid)
    counts["vault_entries"] = vault_entries
    counts["recordings"] = recordings
    return counts


def forget_customer(settings, store, vault, *, email: str, agent: str = "cli") -> dict:
    """Delete everything kefu keeps about the customer with this email. Returns what was deleted."""
    email = str(email or "").strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{email!r} is not an email address; give the email the customer uses with the shop, "
                         "e.g. noah.brown7922@example.com")
    user_id = _shop_user_id(Path(settings.data_dir) / "shop.sqlite3", email)
    matched: dict[str, set[str]] = {"shop_user": set(), "vault_email": set(), "text_mentions": set()}
    for who in filter(None, (user_id, email)):
        matched["shop_user"].update(store.conversations_of_customer(who))
    matched["text_mentions"].update(store.conversations_mentioning(email))
    if vault is not None:
        matched["vault_email"].update(vault.conversations_with_value("EMAIL", email))
    # a conversation that belongs to ANOTHER verified customer and merely mentions this email (someone typed it)
    # is not this customer's: it stays, only the email goes from the vault; verbatim mentions there are reported
    mine = {user_id.lower(), email} if user_id else {email}
    others: set[str] = set()
    for cid in set().union(*matched.values()):
        owner = (store.get_conversation(cid) or {}).get("customer")
        if owner and owner.lower() not in mine and cid not in matched["shop_user"]:
            others.add(cid)
    vault_only = 0
    if vault is not None:
        for cid in others:
            vault_only += vault.forget_value(cid, "EMAIL", email)
    conversation_ids = sorted(set().union(*matched.values()) - others)
    counts = _delete_conversations(store, vault, conversation_ids,
                                   audio_dir=getattr(settings, "speech_audio_dir", None))
    counts["vault_entries"] += vault_only
    compact_store(store)
    if vault is not None:
        vault.compact()
    fingerprint = vault.fingerprint("EMAIL", email) if vault is not None else None
    result = {"customer_fingerprint": fingerprint, "shop_user_id": user_id,
              "conversations": len(conversation_ids), "conversation_ids": conversation_ids, **counts,
              "matched_by": {k: len(v) for k, v in matched.items()},
              "other_customers_conversations_mentioning_the_email": sorted(others)}
    store.audit(agent, "forget", None, {k: v for k, v in result.items() if k not in ("conversation_ids",
                                                                                       "shop_user_id")})
    log.info("forgot customer %s: %d conversation(s), %d message(s), %d vault entr(ies)", fingerprint,
             len(conversation_ids), counts["messages"], counts["vault_entries"])
    return result


def apply_retention(store, vault, *, days: int, agent: str = "retention", audio_dir=None) -> dict:
    """Delete conversations whose last activity is older than `days` days (and vault entries left without one),
    with their spoken turns' recordings in `audio_dir` (the data directory's speech_audio: on PostgreSQL there is
    no SQLite file to find it beside)."""
    try:
        days = int(days)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The retention period must be a whole number of days, not {days!r}") from exc
    if days < 1:
        raise ValueError("The retention period must be at least 1 day (0 means keep forever: do not run retention)")
    cutoff = time.time() - days * 86400
    old = store.conversation_ids(updated_before=cutoff)
    existing = set(store.conversation_ids())
    counts = _delete_conversations(store, vault, old, audio_dir=audio_dir)
    orphans = 0
    if vault is not None:
        for cid in set(vault.conversation_ids()) - existing:
            orphans += vault.forget_conversation(cid)
    counts["vault_entries"] += orphans
    if old or orphans:
        compact_store(store)
        if vault is not None:
            vault.compact()
    result = {"days": days, "cutoff": round(cutoff, 3), "conversations": len(old), **counts,
              "orphan_vault_entries": orphans}
    store.audit(agent, "retention", None, result)
    return result


def run_forget(settings, *, customer: str) -> dict:
    """CLI: `python app.py forget --customer EMAIL`."""
    from components.privacy.redaction_vault import RedactionVault
    from components.storage.conversation_store import ConversationStore

    store = ConversationStore(settings.database)
    try:
        vault = RedactionVault.from_settings(settings, store.db)
        try:
            return forget_customer(settings, store, vault, email=customer)
        finally:
            vault.close()
    finally:
        store.close()


def run_retention(settings, *, days: int) -> dict:
    """CLI: `python app.py retention --days N` (the app itself runs it with KEFU_RETENTION_DAYS)."""
    from components.privacy.redaction_vault import RedactionVault
    from components.storage.conversation_store import ConversationStore

    store = ConversationStore(settings.database)
    try:
        vault = RedactionVault.from_settings(settings, store.db)
        try:
            return apply_retention(store, vault, days=days, audio_dir=settings.speech_audio_dir)
        finally:
            vault.close()
    finally:
        store.close()
