"""Build the demo shop's help-center FAQ articles (kb/help-center/) and the retrieval evaluation set (assets/eval/).

Source: the Bitext customer-support training set (CDLA-Sharing-1.0, see kb/SOURCES.md). One article per Bitext
intent: a representative customer question, an answer adapted from Bitext's responses with the {{placeholders}}
replaced by the kefu Demo Shop's facts (which follow the store policy in tau-bench's wiki.md), and a short list of
other ways customers phrase the question, taken from Bitext's training utterances.

The evaluation set uses the *other* Bitext data set (intent_detection_splits/test.csv, a different repository) as
queries, so no query is copied into an article; queries that equal an article phrasing are dropped.

Run from the repository root:  python assets/eval/build_bitext_kb.py /path/to/shared/data/bitext_customer_support
"""
from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KB_DIR = ROOT / "kb" / "help-center"
EVAL_DIR = ROOT / "assets" / "eval"
PHRASINGS_PER_ARTICLE = 8
QUERIES_PER_INTENT = 30  # the shipped test split has ~30 per intent; keep them all

CONTACT = ("chat with our assistant at any time, or reach a human agent Monday to Friday, 9:00 to 18:00 EST, "
           "by phone at +1 (800) 555-0134 or by email at support@kefu-demo-shop.example")

# intent -> (title, representative question, answer). Answers adapted from Bitext responses; facts follow wiki.md.
ARTICLES: dict[str, tuple[str, str, str]] = {
    "cancel_order": (
        "How do I cancel my order?",
        "How can I cancel my purchase?",
        "I can help you cancel your order. An order can be cancelled only while its status is pending. "
        "Please verify your identity (your email, or your name and zip code), then tell me the order id and the "
        "reason: either \"no longer needed\" or \"ordered by mistake\". I will list the order details and ask you "
        "to confirm with \"yes\". After that the order is cancelled and the full total is refunded to the original "
        "payment method: immediately for a gift card, otherwise in 5 to 7 business days. Orders that are already "
        "processed or delivered cannot be cancelled; a delivered order can be returned instead."),
    "change_order": (
        "How do I change or edit my order?",
        "I want to change something in my order",
        "A pending order can be changed in three ways: its shipping address, its payment method, or the options "
        "of its items (for example size or color). Each item can only be changed to an available item of the same "
        "product; a shirt cannot become a shoe. Item changes can be made only once per order, so please list every "
        "item you want to change, and give a payment method for the price difference. After the item change the "
        "order can no longer be modified or cancelled. Orders that are processed or delivered cannot be edited; "
        "for a delivered order you can ask for an exchange."),
    "change_shipping_address": (
        "How do I change the shipping address of an order?",
        "I need to change my delivery address",
        "If your order is still pending, I can change its shipping address: verify your identity, tell me the "
        "order id and the new address, and confirm with \"yes\". The order stays pending with the new address. "
        "I can also update the default address on your profile, which is used for future orders. Once an order "
        "is processed or delivered, its address can no longer be changed."),
    "check_cancellation_fee": (
        "Is there a cancellation fee?",
        "How much is the cancellation fee?",
        "There is no cancellation fee at the kefu Demo Shop. When a pending order is cancelled, its full total is "
        "refunded to the original payment method: immediately for a gift card, otherwise in 5 to 7 business days. "
        "Only pending orders can be cancelled."),
    "check_invoice": (
        "How can I see my invoice or bill for an order?",
        "Where can I check my invoice?",
        "After verifying your identity (your email, or your name and zip code), I can show you the details of any "
        "of your orders: the items, their prices, and the payment history with every payment and refund. Just "
        "tell me the order id, or I can help you look it up. If you need a formal invoice document, ask me to "
        f"transfer you to a human agent; you can also {CONTACT}."),
    "check_payment_methods": (
        "Which payment methods do you accept?",
        "What payment methods can I use?",
        "The kefu Demo Shop accepts three kinds of payment methods: credit cards (for example Visa or Mastercard), "
        "PayPal, and kefu Demo Shop gift cards. An order is paid with one payment method. A gift card must have "
        "enough balance to cover the full amount. For a pending order you can switch to another payment method "
        "saved on your profile."),
    "check_refund_policy": (
        "What is your refund policy?",
        "In which cases can I get a refund?",
        "You receive a refund when you cancel a pending order (the full total goes back to the original payment "
        "method), when you return items from a delivered order (to the original payment method or an existing "
        "gift card), when you change the payment method of a pending order (the original method is refunded), and "
        "when an item change or exchange costs less. Refunds to a gift card are immediate; refunds to a credit "
        "card or PayPal take 5 to 7 business days."),
    "complaint": (
        "How do I file a complaint?",
        "I want to make a complaint about your service",
        "I'm sorry to hear that you are not satisfied. Please tell me what happened, with the order id if it is "
        "about an order. If I can fix it within my actions (a cancellation, an order change, a return or an "
        "exchange), I will do it right away; otherwise I will transfer you to a human agent who will take up "
        f"your complaint. You can also {CONTACT}."),
    "contact_customer_service": (
        "How can I contact customer service and when are you available?",
        "What are your customer service hours?",
        "Our chat assistant is available 24 hours a day. Human agents work Monday to Friday, 9:00 to 18:00 EST: "
        "call +1 (800) 555-0134 during those hours, or write to support@kefu-demo-shop.example at any time and "
        "we reply within one business day."),
    "contact_human_agent": (
        "How can I talk to a human agent?",
        "I want to speak with a real person",
        "I can handle cancellations, order changes, returns, exchanges, address updates and questions about your "
        "orders, products and profile. If your request is outside those actions, I will transfer you to a human "
        "agent. Human agents work Monday to Friday, 9:00 to 18:00 EST; you can also call +1 (800) 555-0134 in "
        "those hours."),
    "create_account": (
        "How do I create an account?",
        "I want to open an account",
        "To create an account, go to the kefu Demo Shop website and choose \"Sign up\". Enter your name, your "
        "email address, a password and your default address, then confirm. Your email, or your name and zip "
        "code, is what we use to verify your identity when you contact support. If something goes wrong during "
        f"sign-up, {CONTACT}."),
    "delete_account": (
        "How do I delete my account?",
        "I want to close my account",
        "Deleting an account is handled by our human agents, because the chat assistant can only update your "
        "default address and give information about your profile. Ask me to transfer you to a human agent, call "
        "+1 (800) 555-0134 (Monday to Friday, 9:00 to 18:00 EST), or write to support@kefu-demo-shop.example. "
        "Pending orders can be cancelled first if you no longer need them."),
    "delivery_options": (
        "What shipping and delivery options do you offer?",
        "What are the shipping options?",
        "Orders are shipped to the shipping address given on the order. While an order is pending, you can still "
        "change its shipping address. Shipped orders have tracking numbers that I can look up for you once you are "
        "verified. For a question about shipping to a specific place, ask me to transfer you to a human agent."),
    "delivery_period": (
        "When will my order arrive?",
        "How long does delivery take?",
        "Delivery time depends on the order. Please verify your identity and give me your order id: I will tell "
        "you its status (pending, processed or delivered) and its tracking numbers, so you can follow the "
        "parcel. A pending order has not been processed for shipping yet."),
    "edit_account": (
        "How do I update my account details?",
        "I need to edit my profile information",
        "I can update the default address on your profile right here, after verifying your identity (your email, "
        "or your name and zip code), and I can tell you what is on your profile. Other profile changes, such as "
        f"your name or email, are made by a human agent: ask me to transfer you, or {CONTACT}."),
    "get_invoice": (
        "How do I get an invoice for my purchase?",
        "Can I get a copy of my invoice?",
        "I can give you the details of any of your orders after verifying your identity: items, prices, and every "
        "payment and refund in the payment history. For a formal invoice document, ask me to transfer you to a "
        "human agent, or write to support@kefu-demo-shop.example with your order id."),
    "get_refund": (
        "How do I get a refund?",
        "I want my money back",
        "You can get your money back by cancelling a pending order (full total refunded to the original payment "
        "method) or by returning items from a delivered order (refund to the original payment method or an "
        "existing gift card). Verify your identity and give me the order id, and I will guide you. Refunds to a "
        "gift card are immediate; to a credit card or PayPal they take 5 to 7 business days."),
    "newsletter_subscription": (
        "How do I subscribe to or unsubscribe from the newsletter?",
        "I want to subscribe to your newsletter",
        "You can subscribe to the kefu Demo Shop newsletter on our website by entering your email address in the "
        "newsletter box. To unsubscribe, use the \"unsubscribe\" link at the bottom of any newsletter email. If it "
        "does not work, write to support@kefu-demo-shop.example and we will remove your address."),
    "payment_issue": (
        "I have a problem with a payment",
        "My payment failed, what should I do?",
        "I'm sorry about the trouble with your payment. Please check that the payment method is valid and, for a "
        "gift card, that its balance covers the full amount. For a pending order I can switch the payment to another "
        "method saved on your profile. If a charge looks wrong, give me the order id so I can check its payment "
        f"history, or ask for a human agent; you can also {CONTACT}."),
    "place_order": (
        "How do I place an order?",
        "I want to buy some products",
        "To place an order, choose the products and their options (for example size and color) on the kefu Demo "
        "Shop website, add them to your cart, and check out with a shipping address and one payment method: a "
        "credit card, PayPal or a gift card. I can tell you which options of a product are available and their "
        "prices."),
    "recover_password": (
        "I forgot my password, how do I recover it?",
        "How do I reset my password?",
        "On the kefu Demo Shop sign-in page, choose \"Forgot password\" and enter the email address of your "
        "account; you will receive an email with a link to set a new password. If you no longer have access to "
        f"that email, ask me to transfer you to a human agent, or {CONTACT}."),
    "registration_problems": (
        "I have a problem signing up",
        "I can't register an account",
        "I'm sorry that sign-up is not working. Please check that your email address is typed correctly and is not "
        "already used by another account (if it is, use \"Forgot password\"). If the problem continues, tell us "
        f"what error you see: ask me to transfer you to a human agent, or {CONTACT}."),
    "review": (
        "How can I leave a review or feedback?",
        "I want to leave feedback about a product",
        "Thank you for wanting to share your opinion. You can leave a review on the product's page of the kefu "
        "Demo Shop website, or send feedback about our service to support@kefu-demo-shop.example. Your feedback "
        "helps us improve."),
    "set_up_shipping_address": (
        "How do I set up a shipping address?",
        "I want to add a new shipping address",
        "Your profile has one default address. After verifying your identity, I can update it for you: tell me "
        "the new address and confirm with \"yes\". For a pending order you can also change the shipping address "
        "of that order only."),
    "switch_account": (
        "How do I switch to another account?",
        "I want to switch accounts",
        "To use another account, sign out of the kefu Demo Shop website and sign in with the email and password of "
        "the other account. In support conversations we help one customer per conversation, so to ask about the "
        "other account, start a new conversation and verify with that account's email, or name and zip code."),
    "track_order": (
        "How do I track my order?",
        "Where is my order?",
        "I can check that for you. Please verify your identity (your email, or your name and zip code) and tell "
        "me the order id, for example #W2611340; if you do not know it, I can help you look it up. I will tell "
        "you the order status (pending, processed, delivered or cancelled) and its tracking numbers."),
    "track_refund": (
        "How do I check the status of my refund?",
        "When will I receive my refund?",
        "Refunds to a gift card are immediate; refunds to a credit card or PayPal take 5 to 7 business days. If "
        "that time has passed, give me the order id after verifying your identity, and I will check the order's "
        "payment history, which lists every payment and refund."),
}

_PROFANITY = re.compile(r"\b(f\w*ck\w*|damn\w*|bloody|shit\w*|goddamn\w*|hell|crap\w*|\w*fucking\w*)\b", re.I)


def _clean_phrasing(row: dict) -> str | None:
    text = row["instruction"].strip()
    if row.get("entity_value") or "W" in row.get("tags", "") or "Z" in row.get("tags", ""):
        return None
    if _PROFANITY.search(text) or "{{" in text or len(text) < 12:
        return None
    return text[0].upper() + text[1:]


def build(bitext_dir: Path) -> None:
    rows = list(csv.DictReader(open(bitext_dir / "bitext_customer_support_training.csv", encoding="utf-8")))
    rng = random.Random(20240501)
    KB_DIR.mkdir(parents=True, exist_ok=True)
    docs, used = [], set()
    for intent, (title, question, answer) in ARTICLES.items():
        seen = {question.lower()}
        candidates = [p for p in (_clean_phrasing(r) for r in rows if r["intent"] == intent) if p]
        rng.shuffle(candidates)
        phrasings = []
        for p in candidates:
            if p.lower() not in seen:
                seen.add(p.lower())
                phrasings.append(p)
            if len(phrasings) == PHRASINGS_PER_ARTICLE:
                break
        used |= seen
        body = (f"# {title}\n\n**Question:** {question}\n\n**Answer:** {answer}\n\n"
                "## Other ways customers ask this\n\n" + "".join(f"- {p}\n" for p in phrasings))
        name = intent.replace("_", "-") + ".md"
        (KB_DIR / name).write_text(body, encoding="utf-8")
        docs.append({"id": f"help-{intent}", "title": title, "content": body})

    with open(EVAL_DIR / "bitext_docs.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    per_intent: dict[str, int] = {}
    n = 0
    with open(EVAL_DIR / "bitext_queries.jsonl", "w", encoding="utf-8") as f:
        for r in csv.DictReader(open(bitext_dir / "intent_detection_splits" / "test.csv", encoding="utf-8")):
            q = r["utterance"].strip()
            if q.lower() in used or r["intent"] not in ARTICLES:
                continue
            if per_intent.get(r["intent"], 0) >= QUERIES_PER_INTENT:
                continue
            per_intent[r["intent"]] = per_intent.get(r["intent"], 0) + 1
            f.write(json.dumps({"query": q, "relevant": [f"help-{r['intent']}"]}, ensure_ascii=False) + "\n")
            n += 1
    print(f"wrote {len(docs)} articles to {KB_DIR} and {n} queries to {EVAL_DIR}")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "bitext_customer_support"))
