"""The shop database on real SQLite: seeding, lookups, policy-checked writes, persistence, threads."""
from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import pytest

from components.orders.shop_database import ShopDatabase, normalize_order_id

SEED = Path(__file__).resolve().parent.parent / "assets" / "shop"


def _seed(name: str) -> dict:
    with gzip.open(SEED / f"{name}.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def seed_orders() -> dict:
    return _seed("orders")


@pytest.fixture(scope="module")
def seed_users() -> dict:
    return _seed("users")



def test_seed_is_loaded_completely_into_sqlite(shop, seed_orders, seed_users):
    conn = sqlite3.connect(shop.path)
    assert conn.execute("SELECT COUNT(*) FROM shop_users").fetchone()[0] == len(seed_users) == 500
    assert conn.execute("SELECT COUNT(*) FROM shop_orders").fetchone()[0] == len(seed_orders) == 1000
    assert conn.execute("SELECT COUNT(*) FROM shop_products").fetchone()[0] == 50
    statuses = dict(conn.execute("SELECT status, COUNT(*) FROM shop_orders GROUP BY status").fetchall())
    assert statuses == dict(Counter(o["status"] for o in seed_orders.values()))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_user_lookups_are_case_insensitive_and_exact(shop, seed_users):
    user_id, user = next(iter(seed_users.items()))
    assert shop.find_user_by_email(user["email"].upper()) == user_id
    assert shop.find_user_by_email("  " + user["email"] + " ") == user_id
    assert shop.find_user_by_email("nobody@example.com") is None
    first, last, zip_code = user["name"]["first_name"], user["name"]["last_name"], user["address"]["zip"]
    assert shop.find_user_by_name_zip(first.lower(), last.upper(), zip_code) == user_id
    assert shop.find_user_by_name_zip(first, last, "00000") is None
    assert shop.find_user_by_name_zip(last, first, zip_code) is None


def test_profile_orders_and_order_lookup(shop, seed_users, seed_orders):
    profile = shop.user_profile("raj_sanchez_2970")
    assert profile["user_id"] == "raj_sanchez_2970"
    assert shop.orders_of("raj_sanchez_2970") == seed_users["raj_sanchez_2970"]["orders"]
    assert shop.get_order("w4566809") == seed_orders["#W4566809"]
    assert shop.get_order("#W0000000") is None
    assert shop.get_order("#W12") is None
    assert shop.order_owner("#W4566809") == "raj_sanchez_2970"
    with pytest.raises(ValueError, match="No customer"):
        shop.user_profile("nobody_0000")


@pytest.mark.parametrize("raw, expected", [("#W1234567", "#W1234567"), ("w1234567", "#W1234567"),
                                           (" #w 1234567 ", "#W1234567")])
def test_order_ids_are_normalised(raw, expected):
    assert normalize_order_id(raw) == expected


@pytest.mark.parametrize("raw", ["#W123456", "#W12345678", "1234567x", "", "#X1234567"])
def test_malformed_order_ids_are_rejected(raw):
    with pytest.raises(ValueError, match="#W followed by 7 digits"):
        normalize_order_id(raw)


def test_cancel_refunds_a_gift_card_at_once_and_persists(shop, tmp_path):
    order = shop.get_order("#W1130240")
    method = order["payment_history"][0]["payment_method_id"]
    before = shop.user_profile("liam_li_8526")["payment_methods"][method]["balance"]
    result = shop.cancel_pending_order("#W1130240", "no longer needed", user_id="liam_li_8526")
    assert result["status"] == "cancelled"
    assert result["cancel_reason"] == "no longer needed"
    assert result["payment_history"][-1] == {"transaction_type": "refund", "amount": order["payment_history"][0]["amount"],
                                             "payment_method_id": method}
    after = shop.user_profile("liam_li_8526")["payment_methods"][method]["balance"]
    assert after == pytest.approx(before + order["payment_history"][0]["amount"])
    shop.close()
    reopened = ShopDatabase(shop.path, SEED)  # no reseed: the change is still there
    assert reopened.get_order("#W1130240")["status"] == "cancelled"
    assert [w["action"] for w in reopened.writes("#W1130240")] == ["cancel_pending_order"]
    reopened.close()


def test_cancel_with_a_card_keeps_balances(shop):
    before = shop.user_profile("raj_sanchez_2970")["payment_methods"]
    shop.cancel_pending_order("#W4566809", "ordered by mistake")
    assert shop.user_profile("raj_sanchez_2970")["payment_methods"] == before


@pytest.mark.parametrize("order_id, reason, user_id, message", [
    ("#W4566809", "too expensive", None, "no longer needed"),
    ("#W7736708", "no longer needed", None, "only pending orders can be cancelled"),
    ("#W0000001", "no longer needed", None, "no order"),
    ("#W4566809", "no longer needed", "noah_brown_6181", "no order"),
    ("#W45", "no longer needed", None, "7 digits"),
])
def test_cancel_policy_violations(shop, order_id, reason, user_id, message):
    before = shop.get_order(order_id)
    with pytest.raises(ValueError, match=message):
        shop.cancel_pending_order(order_id, reason, user_id=user_id)
    assert shop.get_order(order_id) == before
    assert shop.writes() == []


def test_return_to_a_gift_card(shop):
    result = shop.return_delivered_order_items("#W7736708", ["3104857380", "6574183535"], "gift_card_2259499",
                                               user_id="raj_sanchez_2970")
    assert result["status"] == "return requested"
    assert result["return_items"] == ["3104857380", "6574183535"]
    assert shop.get_order("#W7736708")["return_payment_method_id"] == "gift_card_2259499"


@pytest.mark.parametrize("order_id, items, method, message", [
    ("#W4566809", ["1569829406"], "credit_card_3362387", "only delivered orders"),
    ("#W7736708", ["0000000000"], "credit_card_3362387", "not in order"),
    ("#W7736708", ["3104857380", "3104857380"], "credit_card_3362387", "listed twice"),
    ("#W7736708", [], "credit_card_3362387", "at least one item"),
    ("#W7736708", ["3104857380"], "paypal_5727330", "not one of the customer's payment methods"),
])
def test_return_policy_violations(shop, order_id, items, method, message):
    with pytest.raises(ValueError, match=message):
        shop.return_delivered_order_items(order_id, items, method)
    assert shop.writes() == []


def test_return_refund_must_go_to_the_original_method_or_a_gift_card(shop):
    # mia_moore_8366 paid #W5544629 with PayPal and also has a credit card: the card is not allowed
    with pytest.raises(ValueError, match="original payment method or an existing gift card"):
        shop.return_delivered_order_items("#W5544629", ["6735339143"], "credit_card_2641784")
    assert shop.return_delivered_order_items("#W5544629", ["6735339143"], "paypal_5181300")["status"] == \
        "return requested"


def test_address_change_of_a_pending_order(shop):
    new = {"address1": "742 Evergreen Terrace", "address2": "", "city": "Springfield", "state": "IL",
           "zip": "62704"}
    result = shop.modify_pending_order_address("#W1436802", new, user_id="daiki_johnson_9523")
    assert result["address"] == {**new, "country": "USA"}
    assert shop.get_order("#W1436802")["status"] == "pending"
    with pytest.raises(ValueError, match="missing: city, zip"):
        shop.modify_pending_order_address("#W1436802", {"address1": "1 A St", "state": "IL"})
    with pytest.raises(ValueError, match="only pending orders can be modified"):
        shop.modify_pending_order_address("#W7736708", new)


def test_product_availability_by_name_id_item_and_options(shop):
    products = _seed("products")
    shirt_id, shirt = next((pid, p) for pid, p in products.items() if p["name"] == "T-Shirt")
    by_name = shop.product_availability("t shirt")
    assert by_name["product_id"] == shirt_id
    assert by_name["total_variants"] == len(shirt["variants"])
    assert by_name["available_count"] == sum(v["available"] for v in shirt["variants"].values())
    assert shop.product_availability(shirt_id)["name"] == "T-Shirt"
    some_item = next(iter(shirt["variants"]))
    assert shop.product_availability(some_item)["product_id"] == shirt_id
    blue = shop.product_availability("T-Shirt", {"color": "blue"})
    assert blue["total_variants"] == sum(v["options"]["color"] == "blue" for v in shirt["variants"].values())
    assert all(v["options"]["color"] == "blue" for v in blue["variants"])
    assert shop.product_availability("T-Shirt", {"*": ["blue", "M"]})["total_variants"] == sum(
        {"blue", "M"} <= set(v["options"].values()) for v in shirt["variants"].values())
    assert shop.product_availability("flux capacitor") == {"found": False, "query": "flux capacitor"}
    assert shop.product_availability("kettle")["found"] is False  # Electric Kettle or Tea Kettle


def test_fresh_copy_forgets_earlier_writes(shop):
    shop.cancel_pending_order("#W4566809", "no longer needed")
    shop.close()
    again = ShopDatabase.fresh_copy(shop.path, SEED)
    assert again.get_order("#W4566809")["status"] == "pending"
    assert again.writes() == []
    again.close()


def test_clone_is_an_independent_copy(shop, tmp_path):
    shop.cancel_pending_order("#W4566809", "no longer needed")
    copy = shop.clone(tmp_path / "copy.sqlite3")
    assert copy.get_order("#W4566809")["status"] == "cancelled"
    copy.modify_pending_order_address("#W1436802", {"address1": "1 A St", "city": "B", "state": "CA", "zip": "90001"})
    assert shop.get_order("#W1436802")["address"]["address1"] != "1 A St"
    copy.close()


def test_missing_seed_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="users.json"):
        ShopDatabase(tmp_path / "x.sqlite3", tmp_path)


def test_threads_read_and_write_safely(shop):
    pending = [oid for oid in shop.orders_of("amelia_patel_7834") if shop.get_order(oid)["status"] == "pending"]
    pending += [oid for oid in shop.orders_of("daiki_johnson_9523") if shop.get_order(oid)["status"] == "pending"]
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(order_id: str) -> None:
        try:
            for _ in range(20):
                shop.find_user_by_email("raj.sanchez2046@example.com")
                shop.get_order("#W7736708")
            try:
                shop.cancel_pending_order(order_id, "no longer needed")
                result = "cancelled"
            except ValueError:
                result = "refused"
            with lock:
                outcomes.append(result)
        except BaseException as exc:  # any sqlite error fails the test
            errors.append(exc)

    # every pending order is cancelled by two threads at once: exactly one of them wins
    threads = [threading.Thread(target=worker, args=(oid,)) for oid in pending for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(outcomes) == {"cancelled": len(pending), "refused": len(pending)}
    assert all(shop.get_order(oid)["status"] == "cancelled" for oid in pending)
    assert len(shop.writes()) == len(pending)


def test_two_openers_of_a_new_database_seed_it_once(tmp_path):
    path = tmp_path / "race.sqlite3"
    opened: list[ShopDatabase] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            opened.append(ShopDatabase(path, SEED))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM shop_orders").fetchone()[0] == 1000
    conn.close()
    for db in opened:
        db.close()
