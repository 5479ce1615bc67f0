"""The bank workspace's records (Harbor Credit Union, written for kefu): members, cards, accounts, transactions
and disputes in the workspace's own SQLite file, seeded from assets/workspaces/bank/data/seed.json.

Every method that reads or changes personal data takes the member's id and only touches that member's rows: a
card or transaction of another member is reported exactly like one that does not exist. Writes raise ValueError
with a message a person can act on when the bank's rules forbid them.
"""
from __future__ import annotations

import time

from components.workspaces.desks.seeded_database import SeededDatabase

DISPUTE_REASONS = ("not recognised", "charged twice", "wrong amount", "not received")


class BankDatabase(SeededDatabase):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS members (
        member_id TEXT PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, birth_date TEXT NOT NULL,
        email TEXT NOT NULL, phone TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS cards (
        card_id TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(member_id), last4 TEXT NOT NULL,
        kind TEXT NOT NULL, status TEXT NOT NULL, daily_limit REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS cards_member ON cards (member_id);
    CREATE TABLE IF NOT EXISTS accounts (
        account_id TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(member_id), kind TEXT NOT NULL,
        balance REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS accounts_member ON accounts (member_id);
    CREATE TABLE IF NOT EXISTS transactions (
        txn_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(account_id), card_id TEXT,
        posted TEXT NOT NULL, description TEXT NOT NULL, amount REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS transactions_account ON transactions (account_id);
    CREATE TABLE IF NOT EXISTS disputes (
        dispute_id INTEGER PRIMARY KEY AUTOINCREMENT, txn_id TEXT NOT NULL REFERENCES transactions(txn_id),
        member_id TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL);
    """

    # -- identity ----------------------------------------------------------------------------------------------
    def verify_member(self, member_id: str, birth_date: str, card_last4: str) -> dict | None:
        """The member whose number, birth date and one card's last four digits all match; else None."""
        member = self.row("SELECT member_id, first_name, last_name FROM members WHERE member_id = ? AND birth_date = ?",
                          member_id, birth_date)
        if member is None:
            return None
        card = self.row("SELECT 1 FROM cards WHERE member_id = ? AND last4 = ?", member_id, card_last4)
        return member if card else None

    # -- reads -------------------------------------------------------------------------------------------------
    def accounts_of(self, member_id: str) -> list[dict]:
        return self.rows("SELECT account_id, kind, balance FROM accounts WHERE member_id = ? ORDER BY account_id",
                         member_id)

    def cards_of(self, member_id: str) -> list[dict]:
        return self.rows("SELECT card_id, last4, kind, status, daily_limit FROM cards WHERE member_id = ? "
                         "ORDER BY card_id", member_id)

    def recent_transactions(self, member_id: str, limit: int = 5) -> list[dict]:
        return self.rows(
            "SELECT t.txn_id, t.posted, t.description, t.amount, a.kind AS account, c.last4 AS card_last4 "
            "FROM transactions t JOIN accounts a ON a.account_id = t.account_id LEFT JOIN cards c ON c.card_id = "
            "t.card_id WHERE a.member_id = ? ORDER BY t.posted DESC, t.txn_id DESC LIMIT ?", member_id, int(limit))

    def transaction_of(self, member_id: str, txn_id: str) -> dict | None:
        return self.row(
            "SELECT t.txn_id, t.posted, t.description, t.amount, c.last4 AS card_last4 FROM transactions t "
            "JOIN accounts a ON a.account_id = t.account_id LEFT JOIN cards c ON c.card_id = t.card_id "
            "WHERE a.member_id = ? AND t.txn_id = ?", member_id, txn_id.upper())

    def disputes_of(self, member_id: str) -> list[dict]:
        return self.rows("SELECT dispute_id, txn_id, reason, status FROM disputes WHERE member_id = ? "
                         "ORDER BY dispute_id", member_id)

    # -- writes ------------------------------------------------------------------------------------------------
    def set_card_status(self, member_id: str, card_last4: str, status: str) -> dict:
        if status not in ("frozen", "active"):
            raise ValueError(f"unknown card status {status!r}")
        card = self.row("SELECT card_id, last4, kind, status FROM cards WHERE member_id = ? AND last4 = ?",
                        member_id, card_last4)
        if card is None:
            raise ValueError(f"there is no card ending {card_last4} on your membership.")
        if card["status"] == status:
            raise ValueError(f"the {card['kind']} card ending {card_last4} is already {status}.")
        self.write("freeze_card" if status == "frozen" else "unfreeze_card",
                   {"member_id": member_id, "card_last4": card_last4},
                   [("UPDATE cards SET status = ? WHERE card_id = ?", (status, card["card_id"]))])
        return {**card, "status": status}

    def open_dispute(self, member_id: str, txn_id: str, reason: str) -> dict:
        txn = self.transaction_of(member_id, txn_id)
        if txn is None:
            raise ValueError(f"there is no transaction {txn_id} on your accounts.")
        if txn["amount"] >= 0:
            raise ValueError(f"{txn_id} is a deposit, not a charge, so it can't be disputed.")
        if self.row("SELECT 1 FROM disputes WHERE txn_id = ? AND status = 'open'", txn["txn_id"]):
            raise ValueError(f"there is already an open dispute for {txn['txn_id']}.")
        dispute_id = self.write("open_dispute", {"member_id": member_id, "txn_id": txn["txn_id"], "reason": reason},
                                [("INSERT INTO disputes (txn_id, member_id, reason, status, created_at) "
                                  "VALUES (?, ?, ?, 'open', ?)", (txn["txn_id"], member_id, reason, time.time()))])
        return {"dispute_id": dispute_id, "txn_id": txn["txn_id"], "reason": reason, "status": "open"}
