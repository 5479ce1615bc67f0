"""The demo shop's database (tau-bench retail: 500 users, 1000 orders, 50 products) in SQLite.

Each user, order and product is stored as its JSON document plus the few columns we look things up by.
Write methods follow the shop policy (assets/shop/wiki.md) and raise ValueError with a message a person can act
on when the policy forbids the change. The database knows nothing about who is asking: the order desk checks
ownership, and every write also accepts `user_id=` so a caller can make the database refuse a foreign order.
"""
from __future__ import annotations

import gzip
import json
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path

from components.storage.thread_connections import ThreadConnections

log = logging.getLogger(__name__)

CANCEL_REASONS = ("no longer needed", "ordered by mistake")
ORDER_ID_PATTERN = re.compile(r"^#W\d{7}$")
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "country", "zip")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shop_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shop_users (
    user_id TEXT PRIMARY KEY, first_name_lc TEXT NOT NULL, last_name_lc TEXT NOT NULL,
    email_lc TEXT NOT NULL, zip TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shop_users_email ON shop_users (email_lc);
CREATE INDEX IF NOT EXISTS shop_users_name_zip ON shop_users (last_name_lc, first_name_lc, zip);
CREATE TABLE IF NOT EXISTS shop_orders (
    order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS shop_orders_user ON shop_orders (user_id);
CREATE TABLE IF NOT EXISTS shop_products (product_id TEXT PRIMARY KEY, name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shop_variants (item_id TEXT PRIMARY KEY, product_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS shop_writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL,
    order_id TEXT NOT NULL, arguments TEXT NOT NULL);
"""


def normalize_order_id(order_id: str) -> str:
    """'w1234567', '#W1234567', ' #w 1234567 ' -> '#W1234567'; ValueError for anything else."""
    text = re.sub(r"\s+", "", str(order_id or "")).upper()
    if not text.startswith("#"):
        text = "#" + text
    if not ORDER_ID_PATTERN.match(text):
        raise ValueError(f"{order_id!r} is not an order number; order numbers look like #W1234567 "
                         "(#W followed by 7 digits)")
    return text


def _load_seed(seed_dir: Path, name: str) -> dict:
    for candidate in (seed_dir / f"{name}.json", seed_dir / f"{name}.json.gz"):
        if candidate.exists():
            opener = gzip.open if candidate.suffix == ".gz" else open
            with opener(candidate, "rt", encoding="utf-8") as handle:
                return json.load(handle)
    raise ValueError(f"The shop seed file {name}.json (or {name}.json.gz) is missing from {seed_dir}")


def _simplify(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


class ShopDatabase:
    """SQLite-backed shop. Thread-safe: one connection per thread, writes serialised by a lock."""

    def __init__(self, path: Path, seed_dir: Path):
        self.path = Path(path)
        self.seed_dir = Path(seed_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path, _shop_connection_setup)
        self._write_lock = threading.Lock()
        self._product_index: list[tuple[str, str]] | None = None
        self._ensure_seeded()

    @classmethod
    def fresh_copy(cls, path: Path, seed_dir: Path) -> "ShopDatabase":
        """A new database at `path` loaded from the seed (any existing file there is replaced)."""
        path = Path(path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return cls(path, seed_dir)

    def clone(self, path: Path) -> "ShopDatabase":
        """A copy of this database (current contents) at `path`: a quick fresh shop from a seeded template."""
        path = Path(path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path)
        try:
            with self._write_lock:
                self._conn().backup(target)
        finally:
            target.close()
        return ShopDatabase(path, self.seed_dir)

    # -- connections -------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def _ensure_seeded(self) -> None:
        conn = self._conn()
        with self._write_lock:
            conn.executescript(_SCHEMA)
            if conn.execute("SELECT 1 FROM shop_meta WHERE key='seeded'").fetchone():
                return
            started = time.perf_counter()
            users = _load_seed(self.seed_dir, "users")
            orders = _load_seed(self.seed_dir, "orders")
            products = _load_seed(self.seed_dir, "products")
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM shop_meta WHERE key='seeded'").fetchone():
                conn.execute("COMMIT")  # another process seeded it meanwhile
                return
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO shop_users VALUES (?,?,?,?,?,?)",
                    [(uid, u["name"]["first_name"].lower(), u["name"]["last_name"].lower(), u["email"].lower(),
                      str(u["address"]["zip"]), json.dumps(u)) for uid, u in users.items()])
                conn.executemany(
                    "INSERT OR REPLACE INTO shop_orders VALUES (?,?,?,?)",
                    [(oid, o["user_id"], o["status"], json.dumps(o)) for oid, o in orders.items()])
                conn.executemany(
                    "INSERT OR REPLACE INTO shop_products VALUES (?,?,?)",
                    [(pid, p["name"], json.dumps(p)) for pid, p in products.items()])
                conn.executemany(
                    "INSERT OR REPLACE INTO shop_variants VALUES (?,?)",
                    [(iid, pid) for pid, p in products.items() for iid in p["variants"]])
                conn.execute("INSERT OR REPLACE INTO shop_meta VALUES ('seeded', ?)", (str(self.seed_dir),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            log.info("shop database seeded from %s in %.0f ms (%d users, %d orders, %d products)",
                     self.seed_dir, (time.perf_counter() - started) * 1000, len(users), len(orders), len(products))

    # -- reads -------------------------------------------------------------------------------------------------
    def find_user_by_email(self, email: str) -> str | None:
        row = self._conn().execute("SELECT user_id FROM shop_users WHERE email_lc=?",
                                   (str(email or "").strip().lower(),)).fetchone()
        return row[0] if row else None

    def find_user_by_name_zip(self, first: str, last: str, zip: str) -> str | None:
        row = self._conn().execute(
            "SELECT user_id FROM shop_users WHERE first_name_lc=? AND last_name_lc=? AND zip=?",
            (str(first or "").strip().lower(), str(last or "").strip().lower(), str(zip or "").strip())).fetchone()
        return row[0] if row else None

    def names_with_zip(self, zip: str) -> list[tuple[str, str]]:
        """(first, last) of the customers living in `zip`; used to spot a name in free text before the lookup."""
        rows = self._conn().execute("SELECT doc FROM shop_users WHERE zip=?", (str(zip).strip(),)).fetchall()
        return [(json.loads(r[0])["name"]["first_name"], json.loads(r[0])["name"]["last_name"]) for r in rows]

    def user_profile(self, user_id: str) -> dict:
        row = self._conn().execute("SELECT doc FROM shop_users WHERE user_id=?", (user_id,)).fetchone()
        if row is None:
            raise ValueError(f"No customer with user id {user_id!r}")
        profile = json.loads(row[0])
        profile["user_id"] = user_id
        return profile

    def orders_of(self, user_id: str) -> list[str]:
        return list(self.user_profile(user_id).get("orders", []))

    def get_order(self, order_id: str) -> dict | None:
        try:
            order_id = normalize_order_id(order_id)
        except ValueError:
            return None
        row = self._conn().execute("SELECT doc FROM shop_orders WHERE order_id=?", (order_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def order_owner(self, order_id: str) -> str | None:
        order = self.get_order(order_id)
        return order["user_id"] if order else None

    def product_names(self) -> list[tuple[str, str]]:
        """(product_id, name) of every product type."""
        if self._product_index is None:
            rows = self._conn().execute("SELECT product_id, name FROM shop_products ORDER BY name").fetchall()
            self._product_index = [(r[0], r[1]) for r in rows]
        return list(self._product_index)

    def _find_product(self, name_or_id: str) -> dict | None:
        query = str(name_or_id or "").strip()
        conn = self._conn()
        row = conn.execute("SELECT doc FROM shop_products WHERE product_id=?", (query,)).fetchone()
        if row is None:
            variant = conn.execute("SELECT product_id FROM shop_variants WHERE item_id=?", (query,)).fetchone()
            if variant:
                row = conn.execute("SELECT doc FROM shop_products WHERE product_id=?", (variant[0],)).fetchone()
        if row is None:
            wanted = _simplify(query)
            if not wanted:
                return None
            names = self.product_names()
            exact = [pid for pid, name in names if _simplify(name) == wanted]
            partial = [pid for pid, name in names if wanted in _simplify(name) or _simplify(name) in wanted]
            chosen = exact or (partial if len(partial) == 1 else [])
            if chosen:
                row = conn.execute("SELECT doc FROM shop_products WHERE product_id=?", (chosen[0],)).fetchone()
        return json.loads(row[0]) if row else None

    def product_availability(self, name_or_id: str, options: dict | None = None) -> dict:
        """Variants of a product (by product id, item id or name) and which are available.

        `options` keeps only variants whose options have these values (case-insensitive), e.g. {"color": "blue"}
        or {"*": ["blue", "M"]} to match the values under any option name.
        """
        product = self._find_product(name_or_id)
        if product is None:
            return {"found": False, "query": str(name_or_id)}
        variants = [dict(v) for v in product["variants"].values()]
        if options:
            variants = [v for v in variants if _options_match(v["options"], options)]
        available = [v for v in variants if v.get("available")]
        return {"found": True, "product_id": product["product_id"], "name": product["name"],
                "filter": options or {}, "total_variants": len(variants), "available_count": len(available),
                "variants": variants}

    def writes(self, order_id: str | None = None) -> list[dict]:
        """The audit trail of changes made through this database (newest last)."""
        sql, args = "SELECT at, action, order_id, arguments FROM shop_writes", ()
        if order_id:
            sql, args = sql + " WHERE order_id=?", (order_id,)
        rows = self._conn().execute(sql + " ORDER BY id", args).fetchall()
        return [{"at": r[0], "action": r[1], "order_id": r[2], "arguments": json.loads(r[3])} for r in rows]

    # -- writes ------------------------------------------------------------------------------------------------
    def _change_order(self, action: str, order_id: str, user_id: str | None, change, arguments: dict) -> dict:
        """Read-modify-write one order (and its owner's profile) in a single immediate transaction."""
        order_id = normalize_order_id(order_id)
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT doc FROM shop_orders WHERE order_id=?", (order_id,)).fetchone()
                order = json.loads(row[0]) if row else None
                if order is None or (user_id is not None and order["user_id"] != user_id):
                    raise ValueError(f"There is no order {order_id} on this account")
                user_row = conn.execute("SELECT doc FROM shop_users WHERE user_id=?",
                                        (order["user_id"],)).fetchone()
                user = json.loads(user_row[0])
                change(order, user)
                conn.execute("UPDATE shop_orders SET status=?, doc=? WHERE order_id=?",
                             (order["status"], json.dumps(order), order_id))
                conn.execute("UPDATE shop_users SET doc=? WHERE user_id=?", (json.dumps(user), order["user_id"]))
                conn.execute("INSERT INTO shop_writes (at, action, order_id, arguments) VALUES (?,?,?,?)",
                             (time.time(), action, order_id, json.dumps(arguments)))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return order

    def cancel_pending_order(self, order_id: str, reason: str, *, user_id: str | None = None) -> dict:
        """Cancel a pending order; every payment is refunded (gift cards at once, others in 5-7 business days)."""
        reason = str(reason or "").strip().lower()
        if reason not in CANCEL_REASONS:
            raise ValueError("The cancellation reason must be 'no longer needed' or 'ordered by mistake'")

        def change(order: dict, user: dict) -> None:
            if order["status"] != "pending":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only pending orders can be "
                                 "cancelled")
            refunds = []
            for payment in order["payment_history"]:
                if payment["transaction_type"] != "payment":
                    continue
                refunds.append({"transaction_type": "refund", "amount": payment["amount"],
                                "payment_method_id": payment["payment_method_id"]})
                method = user["payment_methods"].get(payment["payment_method_id"], {})
                if method.get("source") == "gift_card":
                    method["balance"] = round(float(method.get("balance", 0)) + payment["amount"], 2)
            order["status"] = "cancelled"
            order["cancel_reason"] = reason
            order["payment_history"].extend(refunds)

        return self._change_order("cancel_pending_order", order_id, user_id, change,
                                  {"reason": reason})

    def return_delivered_order_items(self, order_id: str, item_ids: list[str], payment_method_id: str, *,
                                     user_id: str | None = None) -> dict:
        """Request the return of items of a delivered order; the refund goes to the original payment method
        or an existing gift card."""
        item_ids = [str(i).strip() for i in (item_ids or []) if str(i).strip()]
        if not item_ids:
            raise ValueError("Name at least one item to return")

        def change(order: dict, user: dict) -> None:
            if order["status"] != "delivered":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only delivered orders can be "
                                 "returned")
            method = user["payment_methods"].get(payment_method_id)
            if method is None:
                raise ValueError(f"{payment_method_id!r} is not one of the customer's payment methods")
            original = order["payment_history"][0]["payment_method_id"]
            if payment_method_id != original and method.get("source") != "gift_card":
                raise ValueError("The refund must go to the original payment method or an existing gift card")
            remaining = [item["item_id"] for item in order["items"]]
            for item_id in item_ids:
                if item_id not in remaining:
                    raise ValueError(f"Item {item_id} is not in order {order['order_id']} (or is listed twice)")
                remaining.remove(item_id)
            order["status"] = "return requested"
            order["return_items"] = sorted(item_ids)
            order["return_payment_method_id"] = payment_method_id

        return self._change_order("return_delivered_order_items", order_id, user_id, change,
                                  {"item_ids": item_ids, "payment_method_id": payment_method_id})

    def modify_pending_order_address(self, order_id: str, address: dict | None = None, *, address1: str = "",
                                     address2: str = "", city: str = "", state: str = "", country: str = "",
                                     zip: str = "", user_id: str | None = None) -> dict:
        """Change the shipping address of a pending order. The address comes as the tool schema's fields
        (address1, address2 (may be empty), city, state, country (default USA), zip) or as one `address` dict."""
        clean = _clean_address(address or {"address1": address1, "address2": address2, "city": city,
                                           "state": state, "country": country, "zip": zip})

        def change(order: dict, user: dict) -> None:
            if order["status"] != "pending":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only pending orders can be "
                                 "modified")
            order["address"] = clean

        return self._change_order("modify_pending_order_address", order_id, user_id, change, {"address": clean})

    def _price_difference(self, order: dict, item_ids: list[str], new_item_ids: list[str]) -> float:
        """New minus old price of swapping `item_ids` for `new_item_ids` (position by position), after the
        policy's checks: the items are in the order, each new item is an available other variant of the same
        product."""
        if not item_ids:
            raise ValueError("Name at least one item to change")
        if len(item_ids) != len(new_item_ids):
            raise ValueError("Each item to change needs exactly one new item")
        remaining = [item["item_id"] for item in order["items"]]
        for item_id in item_ids:
            if item_id not in remaining:
                raise ValueError(f"Item {item_id} is not in order {order['order_id']} (or is listed twice)")
            remaining.remove(item_id)
        difference = 0.0
        for item_id, new_item_id in zip(item_ids, new_item_ids):
            item = next(i for i in order["items"] if i["item_id"] == item_id)
            product = self._find_product(item["product_id"])
            variant = (product or {}).get("variants", {}).get(new_item_id)
            if variant is None:
                raise ValueError(f"Item {new_item_id} is not a variant of the {item['name']}; an item can only be "
                                 "changed to another option of the same product")
            if not variant.get("available"):
                raise ValueError(f"The {item['name']} variant {new_item_id} is out of stock")
            difference += float(variant["price"]) - float(item["price"])
        return round(difference, 2)

    @staticmethod
    def _settling_method(user: dict, payment_method_id: str, amount: float) -> dict:
        method = user["payment_methods"].get(payment_method_id)
        if method is None:
            raise ValueError(f"{payment_method_id!r} is not one of the customer's payment methods")
        if method.get("source") == "gift_card" and float(method.get("balance", 0)) < amount:
            raise ValueError(f"The gift card's balance (${float(method.get('balance', 0)):,.2f}) does not cover "
                             f"${amount:,.2f}")
        return method

    def exchange_delivered_order_items(self, order_id: str, item_ids: list[str], new_item_ids: list[str],
                                       payment_method_id: str, *, user_id: str | None = None) -> dict:
        """Request the exchange of items of a delivered order for other options of the same products; the price
        difference is paid with (or refunded to) `payment_method_id`. Status becomes 'exchange requested'."""
        item_ids = [str(i).strip() for i in item_ids or []]
        new_item_ids = [str(i).strip() for i in new_item_ids or []]

        def change(order: dict, user: dict) -> None:
            if order["status"] != "delivered":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only delivered orders can be "
                                 "exchanged, and only once")
            difference = self._price_difference(order, item_ids, new_item_ids)
            self._settling_method(user, payment_method_id, difference)
            order["status"] = "exchange requested"
            order["exchange_items"] = sorted(item_ids)
            order["exchange_new_items"] = sorted(new_item_ids)
            order["exchange_payment_method_id"] = payment_method_id
            order["exchange_price_difference"] = difference

        return self._change_order("exchange_delivered_order_items", order_id, user_id, change,
                                  {"item_ids": item_ids, "new_item_ids": new_item_ids,
                                   "payment_method_id": payment_method_id})

    def modify_pending_order_items(self, order_id: str, item_ids: list[str], new_item_ids: list[str],
                                   payment_method_id: str, *, user_id: str | None = None) -> dict:
        """Change items of a pending order to other options of the same products, once: the price difference is
        paid with (or refunded to) `payment_method_id` and the status becomes 'pending (item modified)'."""
        item_ids = [str(i).strip() for i in item_ids or []]
        new_item_ids = [str(i).strip() for i in new_item_ids or []]

        def change(order: dict, user: dict) -> None:
            if order["status"] != "pending":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only a pending order's items "
                                 "can be changed, and only once")
            difference = self._price_difference(order, item_ids, new_item_ids)
            method = self._settling_method(user, payment_method_id, difference)
            order["payment_history"].append({"transaction_type": "payment" if difference > 0 else "refund",
                                             "amount": abs(difference), "payment_method_id": payment_method_id})
            if method.get("source") == "gift_card":
                method["balance"] = round(float(method.get("balance", 0)) - difference, 2)
            for item_id, new_item_id in zip(item_ids, new_item_ids):
                item = next(i for i in order["items"] if i["item_id"] == item_id)
                variant = self._find_product(item["product_id"])["variants"][new_item_id]
                item["item_id"], item["price"], item["options"] = new_item_id, variant["price"], variant["options"]
            order["status"] = "pending (item modified)"

        return self._change_order("modify_pending_order_items", order_id, user_id, change,
                                  {"item_ids": item_ids, "new_item_ids": new_item_ids,
                                   "payment_method_id": payment_method_id})

    def modify_pending_order_payment(self, order_id: str, payment_method_id: str, *,
                                     user_id: str | None = None) -> dict:
        """Pay a pending order with another of the customer's payment methods: the new method is charged the
        order's payment and the original one refunded (a gift card at once). A gift card must cover the total."""

        def change(order: dict, user: dict) -> None:
            if order["status"] != "pending":
                raise ValueError(f"Order {order['order_id']} is {order['status']}; only a pending order's payment "
                                 "method can be changed")
            history = order["payment_history"]
            if len(history) != 1 or history[0]["transaction_type"] != "payment":
                raise ValueError(f"Order {order['order_id']} has had its payment changed already")
            original = history[0]["payment_method_id"]
            if payment_method_id == original:
                raise ValueError("The order is already paid with that payment method")
            amount = history[0]["amount"]
            method = self._settling_method(user, payment_method_id, amount)
            history.append({"transaction_type": "payment", "amount": amount, "payment_method_id": payment_method_id})
            history.append({"transaction_type": "refund", "amount": amount, "payment_method_id": original})
            if method.get("source") == "gift_card":
                method["balance"] = round(float(method.get("balance", 0)) - amount, 2)
            old = user["payment_methods"].get(original, {})
            if old.get("source") == "gift_card":
                old["balance"] = round(float(old.get("balance", 0)) + amount, 2)

        return self._change_order("modify_pending_order_payment", order_id, user_id, change,
                                  {"payment_method_id": payment_method_id})

    def modify_user_address(self, user_id: str, address1: str = "", address2: str = "", city: str = "",
                            state: str = "", country: str = "", zip: str = "") -> dict:
        """Change a customer's default address (the tool schema's fields). Returns the updated profile."""
        clean = _clean_address({"address1": address1, "address2": address2, "city": city, "state": state,
                                "country": country, "zip": zip})
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT doc FROM shop_users WHERE user_id=?", (user_id,)).fetchone()
                if row is None:
                    raise ValueError(f"No customer with user id {user_id!r}")
                user = json.loads(row[0])
                user["address"] = clean
                conn.execute("UPDATE shop_users SET zip=?, doc=? WHERE user_id=?", (clean["zip"], json.dumps(user),
                                                                                 user_id))
                conn.execute("INSERT INTO shop_writes (at, action, order_id, arguments) VALUES (?,?,?,?)",
                             (time.time(), "modify_user_address", "", json.dumps({"user_id": user_id, **clean})))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        user["user_id"] = user_id
        return user

    def reset_from(self, template: "ShopDatabase") -> None:
        """Replace this database's contents with `template`'s (a fresh shop between evaluation tasks)."""
        with self._write_lock:
            template._conn().backup(self._conn())
        self._product_index = None

    def all_documents(self) -> dict:
        """{"users": {user_id: doc}, "orders": {order_id: doc}}: the whole state, for comparing with a reference."""
        conn = self._conn()
        return {"users": {r[0]: json.loads(r[1]) for r in conn.execute("SELECT user_id, doc FROM shop_users")},
                "orders": {r[0]: json.loads(r[1]) for r in conn.execute("SELECT order_id, doc FROM shop_orders")}}


def _clean_address(address: dict) -> dict:
    clean = {key: str((address or {}).get(key) or "").strip() for key in ADDRESS_FIELDS}
    clean["country"] = clean["country"] or "USA"
    missing = [key for key in ("address1", "city", "state", "zip") if not clean[key]]
    if missing:
        raise ValueError("The new address is missing: " + ", ".join(missing))
    return clean


def _options_match(variant_options: dict, wanted: dict) -> bool:
    values = {str(v).lower() for v in variant_options.values()}
    for key, value in wanted.items():
        wanted_values = value if isinstance(value, (list, tuple)) else [value]
        for item in wanted_values:
            if key == "*":
                if str(item).lower() not in values:
                    return False
            elif str(variant_options.get(key, "")).lower() != str(item).lower():
                return False
    return True


def _shop_connection_setup(conn: sqlite3.Connection) -> None:
    _set_wal(conn)
    conn.execute("PRAGMA synchronous=NORMAL")


def _set_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Switch to WAL mode. SQLite answers "database is locked" at once (without its busy handler) when another
    connection is seeding a brand-new file, so wait for that connection here."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
