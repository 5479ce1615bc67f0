"""The bank desk (Harbor Credit Union): balance, recent transactions, card status, freeze/unfreeze a card, dispute a
charge.

Strong verification before anything personal: member number + date of birth + the last four digits of one of the
member's cards; three failed attempts hand the conversation to a person. Freezing, unfreezing and disputing list
the details and wait for an explicit yes. Fees and limits are the knowledge base's (the desk leaves general
questions alone).
"""
from __future__ import annotations

import re
from pathlib import Path

from components.workspaces.desks.bank_database import BankDatabase
from components.workspaces.desks.desk_dates import strip_dates
from components.workspaces.desks.identity_readers import id_reader, last4_reader, read_birth_date
from components.workspaces.desks.verified_desk import Flow, IdentityField, VerifiedDesk

_MEMBER_ID = r"(?<![\d-])(\d{8})(?![\d-])"
_read_member = id_reader(_MEMBER_ID, str)
_TXN_ID = re.compile(r"\b(T\d{4})\b", re.I)
_AMOUNT = re.compile(r"[$￥¥]\s?(\d+(?:,\d{3})*(?:\.\d{1,2})?)|(\d+(?:\.\d{1,2})?)\s*(?:dollars|美元|元|块)", re.I)
_REASONS = [
    ("charged twice", re.compile(r"twice|double|duplicate|two times|重复|扣了两次|两次", re.I)),
    ("wrong amount", re.compile(r"wrong amount|overcharged|too much|more than|金额不对|金额错|多扣|多收", re.I)),
    ("not received", re.compile(r"never (got|received|arrived)|not (received|delivered)|didn'?t (get|receive)|"
                                r"没收到|未收到|没有收到", re.I)),
    ("not recognised", re.compile(r"recogni[sz]e|didn'?t make|did not make|not mine|fraud|unauthori[sz]ed|stolen|"
                                  r"不认识|不是我|没有消费|盗刷|没消费过|陌生", re.I)),
]
_REASON_ZH = {"charged twice": "重复扣款", "wrong amount": "金额不对", "not received": "未收到商品或服务",
              "not recognised": "不认识这笔交易"}
_KIND_ZH = {"debit": "借记卡", "credit": "信用卡", "checking": "支票账户", "savings": "储蓄账户"}
_STATUS_ZH = {"active": "正常", "frozen": "已冻结"}


# "is my card frozen?", "what's the status of my cards", "我的卡被冻结了吗？", "卡的状态": a question about the card,
# not a request to change it ("please freeze my card", "我的卡冻结了，帮我解冻" stay requests)
_CARD_STATUS = re.compile(
    r"\b(is|are|was|were)\s+(my|the|both)\b.{0,25}\bcards?\b.{0,15}\b(still\s+)?(frozen|locked|blocked|active|"
    r"working|suspended|usable)\b|\b(status|state)\s+of\s+(my|the)\b.{0,20}\bcards?\b|"
    r"\bcards?'?s?\s+status\b|\bwhich\s+(of\s+my\s+)?cards?\s+(is|are)\s+(frozen|locked|blocked|active)\b|"
    r"卡.{0,8}(被)?(冻结|锁定|锁住|停用|激活|正常|能用|可以用|能不能用).{0,3}(吗|么|没有?|没)[？?。]?\s*$|"
    r"卡.{0,6}(是不是|是否|有没有).{0,4}(冻结|锁|停用|正常|能用)|卡.{0,4}的?状态", re.I)


class BankDesk(VerifiedDesk):
    FLOWS = [
        Flow("card_status", _CARD_STATUS, True, ("checking your cards' status", "您的银行卡状态查询"), general_ok=True),
        Flow("unfreeze_card", re.compile(r"\b(unfreeze|unlock|unblock|reactivate|re-activate|thaw)\b|解冻|解除冻结|解锁|"
                                         r"恢复.{0,4}卡", re.I),
             True, ("unfreezing a card", "解冻银行卡")),
        Flow("freeze_card", re.compile(r"\b(freeze|lock|block|suspend)\b|\b(lost|stolen)\b.{0,20}\bcard|冻结|锁定|锁卡|挂失|"
                                       r"卡.{0,4}(丢了|被偷|丢失)", re.I),
             True, ("freezing a card", "冻结银行卡"), intents=("lost_or_stolen_card", "compromised_card")),
        Flow("dispute", re.compile(r"\bdisput|don'?t recogni[sz]e|do not recogni[sz]e|didn'?t make|unauthori[sz]ed|"
                                   r"fraudulent|charged twice|double charged|争议|申诉|不认识.{0,8}(交易|消费|扣款)|"
                                   r"盗刷|重复扣款|扣了两次|没有消费过", re.I),
             True, ("disputing a charge", "交易争议"),
             intents=("card_payment_not_recognised", "transaction_charged_twice", "direct_debit_payment_not_recognised")),
        Flow("transactions", re.compile(r"\btransactions?\b|\bstatement\b|recent (charges|payments|activity|purchases)|"
                                        r"account activity|what did i (spend|buy|pay)|how much (have|did) i spen[dt]|"
                                        r"交易记录|消费记录|流水|明细|最近.{0,6}(交易|消费)|我.{0,6}花了(多少|什么|哪些)", re.I),
             True, ("showing your recent transactions", "查询交易记录")),
        Flow("balance", re.compile(r"\bbalances?\b|how much (money )?(do i have|is (there )?in)|余额|还有多少钱", re.I),
             True, ("checking your balance", "查询余额"), general_ok=True),
    ]
    RECORDS_TITLE = ("Cards and disputes", "银行卡和争议")

    IDENTITY = [
        IdentityField("member_id", ("your 8-digit member number", "8 位会员号"), _read_member),
        IdentityField("birth_date", ("your date of birth", "出生日期"),
                      lambda text, awaiting: read_birth_date(text, awaiting, lambda s: bool(_read_member(s, False)))),
        IdentityField("card_last4", ("the last four digits of one of your cards", "任一银行卡的卡号后四位"),
                      last4_reader(_MEMBER_ID)),
    ]
    TEMPLATES = {
        "card_status": ("Your cards: {cards}.", "您的银行卡：{cards}。"),
        "card_status_frozen": (" A frozen card declines card payments and ATM withdrawals; I can unfreeze it here "
                               "if you ask.", "已冻结的卡无法刷卡消费和 ATM 取款；如需解冻，告诉我即可。"),
        "balances": ("Your balances: {lines}.", "您的账户余额：{lines}。"),
        "transactions": ("Your {count} most recent transactions:\n{lines}", "您最近的 {count} 笔交易：\n{lines}"),
        "no_transactions": ("There are no transactions on your accounts yet.", "您的账户还没有交易记录。"),
        "ask_card": ("Which card do you mean? {cards}", "请问是哪张卡？{cards}"),
        "no_card_to": ("You have no {status} card, so there is nothing to {verb}. Your cards: {cards}.",
                       "您没有{status}的银行卡，因此无法{verb}。您的银行卡：{cards}。"),
        "card_not_yours": ("I can't find a card ending {last4} on your membership. Your cards: {cards}.",
                           "在您的会员名下找不到尾号 {last4} 的银行卡。您的银行卡：{cards}。"),
        "already": ("Your {card} is already {status}; nothing to change.", "您的{card}已经是{status}状态，无需更改。"),
        "confirm_freeze": ("Please confirm: freeze your {card}. Card payments and ATM withdrawals with it will be "
                           "declined until you unfreeze it; direct debits keep working. Shall I go ahead? (yes/no)",
                           "请确认：冻结您的{card}。冻结后该卡的刷卡消费和 ATM 取款都会被拒绝，直到您解冻为止；"
                           "自动扣款不受影响。确认冻结吗？（是/否）"),
        "frozen": ("Done: your {card} is now frozen. You can unfreeze it here at any time. If it was lost or "
                   "stolen, call us on +1 (800) 555-0199 to order a replacement.",
                   "已完成：您的{card}已冻结，您可以随时在这里解冻。如果卡片丢失或被盗，请致电 +1 (800) 555-0199 补办新卡。"),
        "confirm_unfreeze": ("Please confirm: unfreeze your {card} so it can be used again. Shall I go ahead? (yes/no)",
                             "请确认：解冻您的{card}，解冻后即可恢复使用。确认解冻吗？（是/否）"),
        "unfrozen": ("Done: your {card} is active again.", "已完成：您的{card}已恢复正常使用。"),
        "ask_txn": ("Which charge would you like to dispute? Your recent charges:\n{lines}\nTell me the "
                    "transaction id (like T1001) or the merchant.",
                    "您要对哪笔扣款提出争议？您最近的扣款：\n{lines}\n请告诉我交易编号（例如 T1001）或商户名称。"),
        "txn_not_found": ("I can't find {given} among the charges on your accounts. Your recent charges:\n{lines}",
                          "在您账户的扣款中找不到 {given}。您最近的扣款：\n{lines}"),
        "ask_reason": ("What is wrong with {txn}? For example: you don't recognise it, you were charged twice, the "
                       "amount is wrong, or you never received what you paid for.",
                       "{txn} 有什么问题？例如：不认识这笔交易、重复扣款、金额不对，或者付款后没有收到商品或服务。"),
        "already_disputed": ("There is already an open dispute for {txn}; we'll write to you when it is reviewed "
                             "(within 10 business days of opening it).",
                             "{txn} 已有一个处理中的争议；审核完成后（提交后 10 个工作日内）我们会通知您。"),
        "confirm_dispute": ("Please confirm: open a dispute for {txn}, reason \"{reason}\". We review disputes within "
                            "10 business days and may ask you for receipts. Shall I go ahead? (yes/no)",
                            "请确认：对 {txn} 提出争议，原因“{reason}”。我们会在 10 个工作日内审核，可能需要您提供凭证。"
                            "确认提交吗？（是/否）"),
        "disputed": ("Done: dispute #{dispute_id} is open for {txn}. We'll review it within 10 business days and "
                     "write to the email on your membership.",
                     "已完成：已为 {txn} 提交争议，编号 #{dispute_id}。我们会在 10 个工作日内审核，并通过您会员资料中的邮箱通知您。"),
    }

    def customer_records(self, customer_id: str, language: str = "en") -> list[dict]:
        rows = [{"id": ("卡 " if language == "zh" else "card ") + f"…{c['last4']}", "status": f"{c['kind']} · {c['status']}"}
                for c in self.db.cards_of(customer_id)]
        rows += [{"id": ("争议 " if language == "zh" else "dispute ") + str(d["dispute_id"]),
                  "status": f"{d['txn_id']} · {d['status']}"} for d in self.db.disputes_of(customer_id)]
        return rows

    def verify(self, t, identity):
        member, _ = self.call(t, "verify_member", member_id=identity["member_id"],
                              birth_date=identity["birth_date"], card_last4=identity["card_last4"])
        return (member["member_id"], member["first_name"]) if member else None

    def fills(self, awaiting, text, sig, state):
        if awaiting == "card":
            return bool(re.search(r"(?<!\d)\d{4}(?!\d)", text)) or bool(re.search(r"debit|credit|借记|信用", text, re.I))
        if awaiting == "txn":
            return bool(_TXN_ID.search(text) or _AMOUNT.search(text) or not sig.question)
        if awaiting == "reason":
            return True
        return False

    # -- wording -----------------------------------------------------------------------------------------------
    @staticmethod
    def _card_text(card: dict, lang: str, with_status: bool = False) -> str:
        if lang == "zh":
            text = f"尾号 {card['last4']} 的{_KIND_ZH.get(card['kind'], card['kind'])}"
            return text + (f"（{_STATUS_ZH.get(card['status'], card['status'])}）" if with_status else "")
        text = f"{card['kind']} card ending {card['last4']}"
        return text + (f" ({card['status']})" if with_status else "")

    @staticmethod
    def _money(amount: float) -> str:
        return ("-" if amount < 0 else "") + f"${abs(amount):,.2f}"

    def _txn_text(self, txn: dict, lang: str) -> str:
        card = ""
        if txn.get("card_last4"):
            card = f"，尾号 {txn['card_last4']} 的卡" if lang == "zh" else f", card ending {txn['card_last4']}"
        sep = "，" if lang == "zh" else ", "
        return f"{txn['txn_id']} {txn['posted']} {txn['description']}{sep}{self._money(txn['amount'])}{card}"

    # -- flows -------------------------------------------------------------------------------------------------
    def flow_balance(self, text, sig, st, t):
        accounts, _ = self.call(t, "accounts_of", member_id=st.user_id)
        lang = t.language
        lines = [f"{_KIND_ZH.get(a['kind'], a['kind'])} {a['account_id']}：{self._money(a['balance'])}" if lang == "zh"
                 else f"{a['kind']} {a['account_id']}: {self._money(a['balance'])}" for a in accounts]
        st.end_flow()
        return t.done(st, "balance", self.say("balances", lang, lines=("；" if lang == "zh" else "; ").join(lines)),
                      f"showed {len(accounts)} balance(s) to their owner")

    def flow_card_status(self, text, sig, st, t):
        cards, _ = self.call(t, "cards_of", member_id=st.user_id)
        lang = t.language
        listing = ("；" if lang == "zh" else "; ").join(self._card_text(c, lang, True) for c in cards)
        reply = self.say("card_status", lang, cards=listing)
        if any(c["status"] == "frozen" for c in cards):
            reply += self.say("card_status_frozen", lang)
        st.end_flow()
        frozen = sum(c["status"] == "frozen" for c in cards)
        return t.done(st, "card_status", reply, f"showed {len(cards)} card(s), {frozen} frozen, to their owner")

    def flow_transactions(self, text, sig, st, t):
        txns, _ = self.call(t, "recent_transactions", member_id=st.user_id, limit=5)
        st.end_flow()
        if not txns:
            return t.done(st, "transactions", self.say("no_transactions", t.language), "no transactions")
        lines = "\n".join("- " + self._txn_text(x, t.language) for x in txns)
        return t.done(st, "transactions", self.say("transactions", t.language, count=len(txns), lines=lines),
                      f"showed {len(txns)} transactions to their owner")

    def _card_flow(self, text, sig, st, t, to_status: str):
        lang = t.language
        flow = st.flow
        cards, _ = self.call(t, "cards_of", member_id=st.user_id)
        listing = "; ".join(self._card_text(c, lang, True) for c in cards) if lang != "zh" else \
            "；".join(self._card_text(c, lang, True) for c in cards)
        from_status = "active" if to_status == "frozen" else "frozen"
        # the digits of a message that verified the customer are the identity, not a choice of card
        said = "" if t.prefix else strip_dates(text)
        named = [c for c in cards if re.search(r"(?<!\d)" + c["last4"] + r"(?!\d)", said)]
        digits = re.findall(r"(?<![\d-])(\d{4})(?![\d-])", said)
        if not named and digits and st.slots.get("card") is None:
            return t.done(st, flow, self.say("card_not_yours", lang, last4=digits[-1], cards=listing),
                          "card is not on the verified member's account")
        if not named:
            words = st.slots.get("said", "") if t.prefix else text  # "unfreeze my credit card", then the identity
            kind = "debit" if re.search(r"debit|借记", words, re.I) else "credit" if re.search(r"credit|信用", words, re.I) \
                else None
            if kind:
                named = [c for c in cards if c["kind"] == kind]
        if len(named) == 1 and named[0]["last4"] != st.slots.get("card"):
            self.set_slot(st, t, "card", named[0]["last4"])
        card = next((c for c in cards if c["last4"] == st.slots.get("card")), None)
        if card is None:
            eligible = [c for c in cards if c["status"] == from_status]
            if not eligible:
                st.end_flow()
                status = (_STATUS_ZH["active"] if from_status == "active" else _STATUS_ZH["frozen"]) if lang == "zh" \
                    else from_status
                verb = ("冻结" if to_status == "frozen" else "解冻") if lang == "zh" else \
                    ("freeze" if to_status == "frozen" else "unfreeze")
                return t.done(st, flow, self.say("no_card_to", lang, status=status, verb=verb, cards=listing),
                              f"no {from_status} card")
            if len(eligible) == 1:
                card = eligible[0]
                self.set_slot(st, t, "card", card["last4"])
            else:
                st.awaiting = "card"
                return t.done(st, flow, self.say("ask_card", lang, cards=listing), "need the card")
        if card["status"] == to_status:
            st.end_flow()
            status = _STATUS_ZH.get(to_status, to_status) if lang == "zh" else to_status
            return t.done(st, flow, self.say("already", lang, card=self._card_text(card, lang), status=status),
                          f"card already {to_status}")
        key = "confirm_freeze" if to_status == "frozen" else "confirm_unfreeze"
        stop = self.confirm(st, sig, t, [flow, card["last4"]],
                            self.say(key, lang, card=self._card_text(card, lang)))
        if stop is not None:
            return stop
        tool = "freeze" if to_status == "frozen" else "unfreeze"
        result, error = self.call(t, "set_card_status", member_id=st.user_id, card_last4=card["last4"],
                                  status=to_status)
        done = "frozen" if to_status == "frozen" else "unfrozen"
        return self.finish_write(st, t, result, error, self.say(done, lang, card=self._card_text(card, lang)),
                                 f"{tool} card ending {card['last4']}")

    def flow_freeze_card(self, text, sig, st, t):
        return self._card_flow(text, sig, st, t, "frozen")

    def flow_unfreeze_card(self, text, sig, st, t):
        return self._card_flow(text, sig, st, t, "active")

    def flow_dispute(self, text, sig, st, t):
        lang = t.language
        txns, _ = self.call(t, "recent_transactions", member_id=st.user_id, limit=20)
        charges = [x for x in txns if x["amount"] < 0]
        lines = "\n".join("- " + self._txn_text(x, lang) for x in charges[:8])
        said = st.slots.get("said", "") if t.prefix else text  # the identity turn names no charge
        if not st.slots.get("txn_id"):
            picked, given = self._pick_charge(said, charges)
            if picked:
                self.set_slot(st, t, "txn_id", picked["txn_id"])
            elif given:
                st.awaiting = "txn"
                return t.done(st, "dispute", self.say("txn_not_found", lang, given=given, lines=lines),
                              "transaction is not on the verified member's accounts")
            else:
                st.awaiting = "txn"
                return t.done(st, "dispute", self.say("ask_txn", lang, lines=lines), "need the transaction")
        txn = next(x for x in charges if x["txn_id"] == st.slots["txn_id"])
        txn_text = self._txn_text(txn, lang)
        disputes, _ = self.call(t, "disputes_of", member_id=st.user_id)
        if any(d["txn_id"] == txn["txn_id"] and d["status"] == "open" for d in disputes):
            st.end_flow()
            return t.done(st, "dispute", self.say("already_disputed", lang, txn=txn_text),
                          f"{txn['txn_id']} already has an open dispute")
        if not st.slots.get("reason"):
            reason = next((code for code, pattern in _REASONS
                           if pattern.search(text) or pattern.search(st.slots.get("said", ""))), None)
            if reason is None and st.awaiting == "reason" and text.strip() and not (sig.yes or sig.no):
                reason = text.strip()[:200]
            if reason is None:
                st.awaiting = "reason"
                return t.done(st, "dispute", self.say("ask_reason", lang, txn=txn_text), "need the reason")
            self.set_slot(st, t, "reason", reason)
        reason = st.slots["reason"]
        shown = _REASON_ZH.get(reason, reason) if lang == "zh" else reason
        stop = self.confirm(st, sig, t, ["dispute", txn["txn_id"], reason],
                            self.say("confirm_dispute", lang, txn=txn_text, reason=shown))
        if stop is not None:
            return stop
        result, error = self.call(t, "open_dispute", member_id=st.user_id, txn_id=txn["txn_id"], reason=reason)
        reply = self.say("disputed", lang, txn=txn_text, dispute_id=(result or {}).get("dispute_id"))
        return self.finish_write(st, t, result, error, reply, f"opened a dispute for {txn['txn_id']}")

    @staticmethod
    def _pick_charge(text: str, charges: list[dict]) -> tuple[dict | None, str | None]:
        """The charge the text names (id, merchant word or amount), and what it named if nothing fits."""
        ids = [m.upper() for m in _TXN_ID.findall(text)]
        if ids:
            return next((c for c in charges if c["txn_id"] == ids[0]), None), ids[0]
        lowered = text.lower()
        by_name = [c for c in charges if any(len(w) >= 4 and w in lowered
                                             for w in re.findall(r"[a-z]+", c["description"].lower()))]
        amounts = [float((a or b).replace(",", "")) for a, b in _AMOUNT.findall(text)]
        if amounts:
            by_amount = [c for c in charges if abs(abs(c["amount"]) - amounts[0]) < 0.005]
            by_name = [c for c in by_name if c in by_amount] or by_amount
            if not by_name:
                return None, f"${amounts[0]:,.2f}"
        if len(by_name) == 1:
            return by_name[0], None
        return None, None


def build_desk(workspace_dir: Path, data_dir: Path) -> BankDesk:
    """The desk on its own SQLite file in the data dir (<workspace id>_desk.sqlite3: a copy of this workspace imported
    under another id keeps its own records), seeded from the workspace's data/ on first use."""
    return BankDesk(BankDatabase(Path(data_dir) / f"{Path(workspace_dir).name}_desk.sqlite3", Path(workspace_dir) / "data"))
