"""A Chinese question's English words (components/answers/cross_language.py): read through CC-CEDICT, kept only where
the knowledge base uses them (issue #15: Chinese questions over English documents)."""
from __future__ import annotations

from components.answers.cross_language import dictionary, gloss
from components.answers.evidence_selection import terms

BANK = set(terms("Gold Rewards card: annual fee $95. Platinum card. Silver card. Travel insurance. "
                 "Lost or stolen card line: call the phone number. Branch opening hours on Saturday."))


def known(term: str) -> bool:
    return term in BANK


def test_the_dictionary_is_shipped_and_read():
    entries = dictionary()
    assert len(entries) > 50_000
    assert "insurance" in " ".join(entries["保险"])


def test_a_chinese_question_glosses_to_the_english_words_the_documents_use():
    g = gloss("银卡有旅行保险吗？", known, terms)
    words = g.text.split()
    assert {"silver", "card", "travel", "insurance"} <= set(words)
    # only words the documents use: no "journey", no "silver-colored"
    assert all(set(terms(w)) <= BANK for w in words)
    assert "annual fee" in gloss("年费", known, terms).text  # a common service word the dictionary lacks


def test_a_word_the_dictionary_lacks_is_read_by_its_longest_pieces():
    # 白金卡 is no dictionary entry: 白金 "platinum" + 卡 "card", not 白 "white" + 金 "gold"
    g = gloss("白金卡", known, terms)
    assert "platinum" in g.text.split() and "card" in g.text.split()
    assert "gold" not in g.text.split()


def test_each_word_is_read_as_the_sense_the_retrieved_evidence_uses_most():
    # the dictionary reads 白金 as "platinum" or "silver", 卡 as "to stop", "to block" or "card": among units about
    # the Platinum card's fees the question is "platinum card annual fee"
    every = lambda t: True  # noqa: E731
    g = gloss("白金卡的年费", every, terms)
    assert {"silver", "stop", "card", "platinum"} <= set(g.text.split())
    counts = {t: 3 for t in terms("platinum card annual fee")} | {"silver": 1, "stop": 1}
    resolved = g.resolved(counts, terms)
    assert resolved.text.split() == ["platinum", "card", "annual", "fee"]
    assert set(resolved.weights(terms)) == set(terms("platinum card annual fee"))


def test_a_thing_is_mentioned_only_when_the_documents_use_all_its_words():
    # 房贷 is "home loan": a bank that never writes about homes does not offer it just because it has loans
    loans = lambda t: t in set(terms("personal loan car loan swimming"))  # noqa: E731
    assert not gloss("房贷", loans, terms, whole=True)
    assert gloss("房贷", lambda t: t in set(terms("home loan")), terms, whole=True).text == "home loan"
    # for finding evidence a sense's known words will do ("swimming pool" where the club writes "pool")
    assert gloss("房贷", loans, terms).text == "loan"


def test_latin_names_are_kept_and_nothing_is_invented():
    assert gloss("Riverside 网点周六营业吗？", known, terms).text.startswith("Riverside")
    # what the documents never mention glosses to nothing they use
    assert not gloss("可以用支付宝吗？", known, terms)
    assert not gloss("How much is the fee?", known, terms)


def test_a_chinese_questions_words_are_read_as_the_knowledge_bases_words():
    from components.answers.cross_language import chinese_weights
    from components.answers.evidence_selection import normalize_term

    shop = set(terms("换货每个订单只能申请一次。取消“待处理”订单后，订单总额会全额退回原支付方式。补办新卡"))
    weigh = lambda q: chinese_weights({t: 1.0 for t in terms(q)}, lambda t: t in shop, normalize_term)  # noqa: E731
    # how the question asks ("几次", "行不行", "的话") is no word the evidence must hold
    assert set(weigh("换货可以换几次？")) == {"换货", "换"}
    assert "行不行" not in weigh("微信支付行不行？") and "不行" not in weigh("微信支付行不行？")
    assert "的话" not in weigh("取消订单的话钱会全部退回来吗？")
    # a word cut together with its neighbour is read as the known word inside it: 退回来 -> 退回 (a synonym of 退货)
    assert normalize_term("退回") in weigh("取消订单的话钱会全部退回来吗？")
    assert "退回来" not in weigh("取消订单的话钱会全部退回来吗？")
    assert "新卡" in weigh("补办新卡要多久才能寄到？") and "新卡要" not in weigh("补办新卡要多久才能寄到？")
    # what the documents never mention stays, so the question still asks about it
    assert "微信" in weigh("微信支付行不行？") and "妈妈" in weigh("我能帮我妈妈取消她的订单吗？")
    # a word of particles and question words only is dropped ("我能"); English terms are left as they are
    assert "我能" not in weigh("我能帮我妈妈取消她的订单吗？")
    assert weigh("PayPal 可以吗") == {"paypal": 1.0}


def test_service_words_read_as_the_words_help_articles_write():
    # the dictionary has 手续费 "processing fee", 刷卡 "to swipe a card", 发货 "to send out goods": phrases an article
    # about "a foreign transaction fee" or "orders that have shipped" never writes
    shop = lambda t: t in set(terms("There is no cancellation fee. Orders that have shipped. Card purchases abroad."))  # noqa: E731
    assert "fee" in gloss("手续费", shop, terms, whole=True).text.split()
    assert "fee" in gloss("收费", shop, terms, whole=True).text.split()
    assert "ship" in gloss("发货", shop, terms, whole=True).text.split()
    assert "card purchase" in gloss("刷卡", shop, terms, whole=True).text
    # still nothing for what the documents never speak of
    assert not gloss("租车", shop, terms, whole=True)


def test_a_sense_is_read_by_its_head_not_by_a_word_beside_it():
    # 过期 is "to exceed the time limit" / "to expire": over documents that speak of times but never of expiring it
    # glosses to nothing (not "time", which would find the time-zone note); 钱 is "money", not the "one" of "unit of
    # weight, one tenth of a tael"
    shop = lambda t: t in set(terms("All times are Eastern Time. Pay with money or one card."))  # noqa: E731
    assert not gloss("过期", shop, terms, whole=False)
    assert gloss("钱", shop, terms).text == "money"
    # a sense whose head the documents use keeps its known words ("swimming pool" is "pool" at a club without
    # "swimming")
    assert "expire" in gloss("过期", lambda t: t in set(terms("gift cards never expire")), terms).text.split()


def test_a_verb_sense_is_read_as_the_noun_the_documents_write():
    # 赔偿 is "to compensate"; the airline writes "compensation"
    airline = lambda t: t in set(terms("Compensation for delays of 3 hours or more."))  # noqa: E731
    assert gloss("赔偿", airline, terms).text == "compensation"
    assert gloss("赔偿", airline, terms, whole=True).text == "compensation"


def test_a_place_name_is_read_as_its_name():
    # CC-CEDICT's 里斯本 is "Lisbon, capital of Portugal": the name is what a document writes
    notes = lambda t: t in set(terms("The Lisbon store is closed on Mondays."))  # noqa: E731
    assert gloss("里斯本门店", notes, terms, whole=True).text.split()[0] == "lisbon"


def test_a_service_word_is_read_whole_where_jieba_cuts_it():
    # jieba cuts "能到账" into 能 / 到 / 账; 到账 is the word asked ("credited")
    bank = lambda t: t in set(terms("Refunds are credited within 5 business days; the account."))  # noqa: E731
    g = gloss("退款多久能到账？", bank, terms)
    assert ("到账", ["credited"]) in g.items


def test_a_sense_not_in_the_evidence_as_a_whole_is_read_by_its_word_that_is():
    # 航班 is "scheduled flight" / "plane": among units that say "flight" but never "scheduled", it is "flight"
    every = lambda t: True  # noqa: E731
    g = gloss("航班", every, terms)
    resolved = g.resolved({t: 2 for t in terms("flight delay compensation")}, terms)
    assert resolved.text == "flight"
    assert not g.resolved({"compensation": 2}, terms)


def test_a_word_the_documents_say_otherwise_weighs_less_than_one_they_never_mention():
    from components.answers.cross_language import mapped_weights

    # the bank's Chinese articles write 境外 and 金额; its English ones "abroad" and "money": 国外 and 钱 are words it
    # says otherwise, 微信 one it never mentions
    written = set(terms("境外 金额 手续费")) | set(terms("Card payments abroad. Money transfers."))
    in_documents = lambda t: t in written  # noqa: E731
    glossed = lambda t, whole: gloss(t, in_documents, terms, whole=whole)  # noqa: E731
    weights = mapped_weights({"国外": 1.0, "钱": 1.0, "微信": 1.0, "手续费": 1.0, "fee": 1.0}, in_documents, glossed)
    assert weights["国外"] == weights["钱"] == 0.5
    assert weights["微信"] == weights["手续费"] == weights["fee"] == 1.0


def test_missing_a_booking_is_read_as_the_no_show_articles_write():
    # the dictionary's 缺席 is "absence"; clubs and clinics write "a no-show" or "missed"
    club = lambda t: t in set(terms("A late cancellation or a no-show costs $5. Missed sessions are charged."))  # noqa: E731
    assert "no-show" in gloss("团课缺席会收费吗？", club, terms).text.split()


def test_a_service_words_own_english_stays_asked_when_the_evidence_lacks_it():
    # 首付 is "deposit" (SUPPLEMENT): evidence that never says "deposit" does not answer whether one is needed, so the
    # word stays in the resolved gloss instead of being left out as a dictionary guess would be
    from components.answers.cross_language import Gloss
    from components.answers.evidence_selection import terms
    resolved = Gloss([("分期付款", ["instalments", "payment plan"]), ("首付", ["deposit"]),
                      ("付", ["pay"])]).resolved({"pay": 5, "plan": 3, "payment": 3}, terms)
    assert "deposit" in resolved.text.split()
    assert resolved.items[1] == ("首付", ["deposit"])
    # a dictionary word none of whose senses the evidence holds is still left out
    assert Gloss([("折", ["turn"])]).resolved({"pay": 5}, terms).items == [("折", [])]
