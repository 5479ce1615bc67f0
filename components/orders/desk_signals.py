"""What one customer message says to the order desk: order ids, emails, names, yes/no, reasons, items, addresses,
products, and which flow it asks for. Pure text reading (English and Chinese); no database access."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# -- identifiers -----------------------------------------------------------------------------------------------
_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])#?\s?[Ww]\s?(\d{7})(?!\d)|#\s?(\d{7})(?!\d)")
_BAD_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])(?:#\s?[Ww]?\s?|[Ww])(\d{1,6}|\d{8,})(?!\d)")
_ORDER_WORD_NUMBER = re.compile(r"(?:order|purchase|订单|订单号)\s*(?:number|no\.?|id|#|号|编号)?\s*(?:is|是)?\s*[:：]?\s*#?(\d{3,})",
                                re.IGNORECASE)
_BARE_SEVEN = re.compile(r"(?<![\d#A-Za-z])(\d{7})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ZIP = re.compile(r"(?<![\d#A-Za-z])(\d{5})(?!\d)")
_USER_ID = re.compile(r"\b([a-z]+_[a-z]+_\d{3,5})\b")
_ITEM_ID = re.compile(r"(?<!\d)(\d{10})(?!\d)")
_PAYMENT_ID = re.compile(r"\b((?:credit_card|gift_card|paypal)_\d+)\b")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")

_NAME_PATTERNS = [
    re.compile(r"(?:my name is|my name's|name is|name's|i am|i'm|im|this is|it's|call me|name\s*[:：])\s+"
               r"([A-Za-z][A-Za-z'\-]+)\s+([A-Za-z][A-Za-z'\-]+)", re.IGNORECASE),
    re.compile(r"(?:我叫|我是|名字是|名字叫|姓名是|姓名[:：]?)\s*([A-Za-z][A-Za-z'\-]+)\s+([A-Za-z][A-Za-z'\-]+)"),
]
_NOT_NAMES = set("""
a an the i im i'm my me you your we our it its is am are was be been to of for in on at by and or but not no yes
please pls thanks thank hello hi hey dear sir madam zip zipcode code postal email mail name first last user id
order orders number want would like need help can could check status where what when which how why cancel return
refund address change update track tracking package parcel item items with from this that these those here there
just also still sorry meant actually okay ok sure live lives living postcode is's full verify verified account
""".split())

# -- yes / no / abandon / reasons ------------------------------------------------------------------------------
_YES_EN = re.compile(r"\b(yes|yeah|yep|yup|yes please|confirm|confirmed|i confirm|go ahead|proceed|please do|do it|"
                     r"that's right|that is right|correct|affirmative)\b|^\s*(sure|ok|okay|alright|y)\b",
                     re.IGNORECASE)
_NO_EN = re.compile(r"\b(no|nope|nah|don't|do not|dont|not|wait|hold on|negative|wrong|incorrect)\b", re.IGNORECASE)
_YES_ZH = re.compile(r"是的|是|对的|对|确认|确定|好的|好|可以|没问题|行|嗯|同意")
_NO_ZH = re.compile(r"不|别|否|先别|暂时不")
_ABANDON = re.compile(
    r"never\s?mind|forget (it|about it|that)|don'?t bother|changed my mind|change of plans?|drop it|let it go|"
    r"no longer want to|i'll do it later|leave it|skip it|stop (this|that|it)|not anymore|"
    r"算了|不用了|没事了|先不(用|弄|办|改|退)?了|不改了|不退了|不取消了|不换了|别管了|改主意|不想(取消|退|改)了",
    re.IGNORECASE)
_REASON_NO_LONGER = re.compile(
    r"no longer need|don'?t need|do not need|not needed|no need for|no longer want|don'?t want (it|them)|"
    r"do not want (it|them)|not needed anymore|不需要|不想要|用不上|不要了|没用了|用不到",
    re.IGNORECASE)
_REASON_MISTAKE = re.compile(r"mistake|by accident|accidental|accidentally|wrong order|ordered wrong|"
                             r"买错|下错|拍错|订错|误购|点错|搞错|误下单|不小心", re.IGNORECASE)

# -- flows -----------------------------------------------------------------------------------------------------
_PERSONAL = re.compile(r"\b(my|mine|i want|i'd like|i would like|i need|i wanna|i wish|help me|for me)\b|"
                       r"我的|我想|我要|帮我|我需要|请帮|给我", re.IGNORECASE)
# general questions about how the shop works: the knowledge base answers these, not the desk
_POLICY_QUESTION = re.compile(
    r"polic(y|ies)|how long|how many days|how do (returns|refunds)|in general|\bfees?\b|penalt(y|ies)|"
    r"(delivery|shipping|shipment|payment) (options|methods|modalities)|methods (for|of) (delivery|payment)|"
    r"in (which|what) (situations?|cases?)|under what|conditions|"
    r"政策|规定|多久|几天|一般|费用|手续费|违约金|配送方式|支付方式|付款方式", re.IGNORECASE)
_NOT_ORDER_TOPIC = re.compile(r"\b(account|subscription|newsletter|membership|password|profile)\b|账户|账号|订阅|会员|密码",
                              re.IGNORECASE)
_ORDER_WORD = re.compile(r"\b(orders?|package|parcel|purchases?|shipments?|delivery|stuff|refunds?|compensation|"
                         r"reimbursement|rebate|money back)\b|"
                         r"订单|包裹|快递|货|买的|退款",
                         re.IGNORECASE)
# a tax return or refund, a return flight or ticket: no order's return, whatever the intent classifier reads. Written
# once: OTHER_RETURNS finds them; an order's return or refund (_ORDERS_RETURN, _ORDERS_REFUND) is one that is not
_OTHER_RETURN_OWNERS = ("tax", "income")
_RETURN_TRIP = r"\s+(flights?|tickets?|trips?|journeys?|fares?)\b"
_NOT_AN_ORDERS_RETURN = "".join(rf"(?<!{owner} )" for owner in _OTHER_RETURN_OWNERS)
_ORDERS_RETURN = rf"{_NOT_AN_ORDERS_RETURN}\breturn(?!{_RETURN_TRIP})"
_ORDERS_REFUND = rf"{_NOT_AN_ORDERS_RETURN}refund"
OTHER_RETURNS = re.compile(rf"\b({'|'.join(_OTHER_RETURN_OWNERS)}) (returns?|refunds?)\b|\breturn{_RETURN_TRIP}",
                           re.IGNORECASE)
_FLOW_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("change_user_address", re.compile(
        r"(change|update|modify|correct|edit|fix|set)\b.{0,30}\b(default|home|profile|account|user|primary)\s+"
        r"(shipping )?address|(default|profile|account|user|primary) address.{0,25}\b(change|update|modify|wrong|to)\b|"
        r"(change|update|modify|correct|edit|fix|set)\b.{0,30}\baddress (on file|in my (profile|account)|on my account|"
        r"of my account|for my account)|\bi('ve| have)? moved\b.{0,60}\baddress|"
        r"(改|换|更改|修改|变更|更新).{0,6}(默认|账户|个人)(收货)?地址|(默认|账户|个人)(收货)?地址.{0,6}(改|换|更新|变更)",
        re.IGNORECASE)),
    ("exchange", re.compile(r"\bexchange|\bswap\b|change (the |my )?(size|colou?r|item|items|product|option)|"
                            r"different (size|colou?r|option|model|version)|modify (the |my )?(items?|options?)|"
                            r"\bchange\b.{0,12}\bitems?\b|\b(make|making) (some )?changes? to\b|"
                            r"\b(modify|change|update) (my |the |this )?(pending )?order\b(?! ?(address|status))|"
                            r"换货|换成|换一个|调换|换个|改成|换为|改为|(修改|更改|更换|改一下|换一下).{0,12}(商品|款式|颜色|尺码|型号|规格)",
                            re.IGNORECASE)),
    ("change_payment", re.compile(
        r"(change|update|switch|modify|use)\b.{0,30}\b(payment method|payment|pay(ing)? (with|by|for it))|"
        r"\bpay\b.{0,30}\b(with|by|using|via) (a |my |the )?(different|another|other|gift|paypal|credit|card|visa|"
        r"master)|"
        r"payment method.{0,25}\b(change|to)\b|"
        r"\b(change|switch|put|move)\b.{0,20}\b(to|back to|onto) (the |my )?(credit card|card|paypal|gift card|visa|"
        r"mastercard)\b|"
        r"(改|换|更改|修改|变更).{0,16}(付款|支付)方式|(付款|支付)方式.{0,6}(改|换)|改用.{0,8}(支付|付款)",
        re.IGNORECASE)),
    ("order_status", re.compile(rf"(where|status|track|when|waiting for).{{0,30}}{_ORDERS_REFUND}|"
                                rf"{_ORDERS_REFUND}.{{0,15}}(status|arrive|yet|where)|"
                                r"退款.{0,6}(到|哪|状态|进度)|(查|到).{0,4}退款", re.IGNORECASE)),
    ("cancel_order", re.compile(r"\bcancel|取消|撤销订单|不要这个订单", re.IGNORECASE)),
    ("return_items", re.compile(rf"{_ORDERS_RETURN}|send (it|them|this|these|back)|"
                                rf"\b{_ORDERS_REFUND}|退货|退回|退款|退掉|退了|想退|要退", re.IGNORECASE)),
    ("change_address", re.compile(
        r"(change|update|modify|correct|wrong|new|different|edit|fix|move)\b.{0,40}\baddress|"
        r"address.{0,30}\b(change|update|modify|wrong|incorrect|new|different|edit|fix)|"
        r"ship (it |them |this )?to (a |another |my new )|"
        r"(改|换|更改|修改|变更|更新|错).{0,8}地址|地址.{0,8}(改|换|错|变)|新地址", re.IGNORECASE)),
    ("list_orders", re.compile(
        r"\b(all|list|show)\b.{0,15}\borders\b|\b(which|what|my)\s+orders\b|order history|orders do i have|"
        r"how many orders|(看看|查看|列出|显示)(一下)?我的(所有|全部)?订单(?!状态|详情|的状态)|所有订单|哪些订单|订单列表|全部订单|历史订单|几个订单|我的订单有|列出.{0,4}订单", re.IGNORECASE)),
    ("order_status", re.compile(
        r"status|\btrack|\bcheck (on )?(my|the|an|this|that) (order|package|parcel|purchase)|where('s| is| are)\b.{0,20}\b(order|package|parcel|stuff|items?|purchase)|shipped|"
        r"\bdeliver|arriv|details?|what('s| is) in|"
        r"状态|查询|查一下|查下|物流|快递|到哪|发货|详情|详细|跟踪|追踪|单号|到了吗|什么时候到|送到",
        re.IGNORECASE)),
    ("profile", re.compile(r"\bmy (profile|account details|account info\w*|payment methods?|saved cards?|"
                           r"gift ?cards?( balance)?|default (shipping )?address|details on file)\b|"
                           r"gift ?card balance|我的(账户|账号)(信息|资料)|我的(个人)?资料|我的(支付|付款)方式|礼品卡余额|我的默认地址",
                           re.IGNORECASE)),
    ("availability", re.compile(r"in stock|\bavailab|\bstock\b|do you (have|sell|carry)|sold out|out of stock|"
                                r"有货|有没有|库存|现货|还有吗|缺货|有卖|能买|卖完", re.IGNORECASE)),
]
_RETURN_STRONG = re.compile(rf"{_ORDERS_RETURN}|send (it|them|this|these) back|退货|退回",
                            re.IGNORECASE)
_CHANGE_TO = re.compile(r"\bmodify\b|\bprefer\b|\bmake (it|them|the|my|this)\b|\b(change|switch|swap|replace|update|make|upgrade|downgrade)\b.{0,60}\b(to|for|with|into)\b|"
                        r"\binstead\b|\b(to|into) (a|an|the)\b|\bto be\b|\bshould be\b|"
                        r"\b(want|like|need|prefer)\b.{0,50}\b(in|with|as)\b", re.IGNORECASE)
_INSTEAD = re.compile(r"\b(instead|rather|prefer)\b|换成|改成|改为", re.IGNORECASE)
_ALSO = re.compile(r"\b(also|too|as well|in addition|plus|another one)\b|还有|也|另外|再加", re.IGNORECASE)
_CHEAPEST = re.compile(r"cheap|lowest price|least expensive|whichever costs less|便宜|最低价", re.IGNORECASE)
# Bitext intents that point at a desk flow (used beside the keywords, never alone for writes without context)
INTENT_FLOWS = {
    "track_order": "order_status", "track_refund": "order_status", "cancel_order": "cancel_order",
    "get_refund": "return_items", "change_shipping_address": "change_address", "change_order": "exchange",
}
_INVOICE_INTENTS = {"check_invoice", "get_invoice"}
_ALL_WORDS = re.compile(r"\b(all|everything|every item|all of them|all items|the whole order|entire order)\b|"
                        r"全部|所有|都退|全退|整个订单|整单", re.IGNORECASE)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "1st": 0, "2nd": 1, "3rd": 2,
             "4th": 3, "5th": 4}
_ORDINAL_EN = re.compile(r"\b(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)\b|\b(?:item|number|no\.?|#)\s*([1-9])\b",
                         re.IGNORECASE)
_ORDINAL_ZH = re.compile(r"第\s*([一二三四五12345])\s*(?:个|件|项|样)?")
_ZH_DIGITS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4}
_ORIGINAL_PAYMENT = re.compile(r"original|same (card|method|payment|account|way)|\bback to (my )?(card|paypal)|"
                               r"原路|原支付|原来的|原付款|原账户|原卡", re.IGNORECASE)
_GIFT_CARD = re.compile(r"gift\s?card|礼品卡", re.IGNORECASE)
_NOT_THIS_METHOD = re.compile(r"\b(instead of|rather than|not|than|from) (the |my |a |your )?(gift\s?card|paypal|"
                              r"credit\s?card|card|visa|mastercard)\b|不用(礼品卡|信用卡|PayPal)", re.IGNORECASE)
_PAYPAL = re.compile(r"paypal", re.IGNORECASE)
_CREDIT_CARD = re.compile(r"credit|card|visa|mastercard|amex|american express|discover|信用卡|银行卡", re.IGNORECASE)
_DEFAULT_ADDRESS = re.compile(r"default address|my (profile|account|usual|home) address|address on (file|my account)|"
                              r"默认地址|账户地址|常用地址", re.IGNORECASE)
_ADDRESS = re.compile(
    r"(?P<address1>\d+[A-Za-z]?\s+[^,，\n]+?)\s*[,，]\s*"
    r"(?:(?P<address2>[^,，\n]+?)\s*[,，]\s*)?"
    r"(?P<city>[A-Za-z][A-Za-z .'\-]*?)\s*[,，]\s*"
    r"(?P<state>[A-Za-z]{2})\s*[,，]?\s*(?P<zip>\d{5})"
    r"(?:\s*[,，]\s*(?P<country>USA|US|United States))?", re.IGNORECASE)
_DONT_KNOW_EMAIL = re.compile(r"(don'?t|do not|can'?t|cannot) (remember|recall|know|find).{0,20}email|forgot.{0,20}email|"
                              r"no email|忘了.{0,6}邮箱|不记得.{0,6}邮箱|没有邮箱|忘记.{0,6}邮箱", re.IGNORECASE)
_QUESTION = re.compile(r"\?|？|吗|么|呢|\b(what|how|why|when|who|do you|can you|could you|is there)\b", re.IGNORECASE)

# Chinese names of the 50 product types (product names in the data are English)
PRODUCT_ALIASES_ZH = {
    "Action Camera": ["运动相机"], "Air Purifier": ["空气净化器", "净化器"], "Backpack": ["背包", "双肩包"],
    "Bicycle": ["自行车", "单车"], "Bluetooth Speaker": ["蓝牙音箱", "蓝牙音响", "音箱"], "Bookshelf": ["书架"],
    "Coffee Maker": ["咖啡机"], "Cycling Helmet": ["骑行头盔", "头盔"], "Desk Lamp": ["台灯"],
    "Digital Camera": ["数码相机", "相机"], "Dumbbell Set": ["哑铃"], "E-Reader": ["电子阅读器", "电纸书"],
    "Electric Kettle": ["电水壶", "电热水壶"], "Electric Toothbrush": ["电动牙刷", "牙刷"],
    "Espresso Machine": ["意式咖啡机", "浓缩咖啡机"], "Fleece Jacket": ["抓绒夹克", "抓绒外套", "夹克"],
    "Gaming Mouse": ["游戏鼠标", "鼠标"], "Garden Hose": ["花园水管", "水管"], "Grill": ["烤架", "烧烤炉"],
    "Headphones": ["头戴式耳机", "耳机"], "Hiking Boots": ["登山靴", "徒步靴"],
    "Indoor Security Camera": ["室内监控摄像头", "监控摄像头", "摄像头"], "Jigsaw Puzzle": ["拼图"],
    "LED Light Bulb": ["LED灯泡", "灯泡"], "Laptop": ["笔记本电脑", "手提电脑"], "Luggage Set": ["行李箱", "箱包"],
    "Makeup Kit": ["化妆套装", "化妆品"], "Mechanical Keyboard": ["机械键盘", "键盘"], "Notebook": ["笔记本", "本子"],
    "Office Chair": ["办公椅", "椅子"], "Patio Umbrella": ["庭院伞", "遮阳伞"], "Perfume": ["香水"],
    "Pet Bed": ["宠物床", "宠物窝"], "Portable Charger": ["充电宝", "移动电源"], "Running Shoes": ["跑鞋", "跑步鞋"],
    "Skateboard": ["滑板"], "Smart Thermostat": ["智能温控器", "温控器"], "Smart Watch": ["智能手表"],
    "Smartphone": ["智能手机", "手机"], "Sneakers": ["运动鞋"], "Sunglasses": ["太阳镜", "墨镜"],
    "T-Shirt": ["T恤", "t恤", "体恤"], "Tablet": ["平板电脑", "平板"], "Tea Kettle": ["茶壶", "烧水壶"],
    "Vacuum Cleaner": ["吸尘器"], "Wall Clock": ["挂钟", "时钟"], "Water Bottle": ["水瓶", "水杯"],
    "Wireless Earbuds": ["无线耳机", "蓝牙耳机"], "Wristwatch": ["腕表", "手表"], "Yoga Mat": ["瑜伽垫"],
}
_EXTRA_ALIASES_EN = {"T-Shirt": ["tshirt", "tee shirt", "tee"], "Smartphone": ["phone", "smart phone"],
                     "Wireless Earbuds": ["earbuds", "earphones"], "Laptop": ["notebook computer"],
                     "E-Reader": ["ereader", "e reader", "kindle"], "Bicycle": ["bike"],
                     "LED Light Bulb": ["light bulb", "bulb"], "Luggage Set": ["luggage", "suitcase"],
                     "Dumbbell Set": ["dumbbells", "dumbbell"], "Portable Charger": ["power bank"],
                     "Jigsaw Puzzle": ["puzzle"], "Makeup Kit": ["makeup"], "Vacuum Cleaner": ["vacuum", "vacuums"],
                     "Espresso Machine": ["espresso", "espresso maker"], "Coffee Maker": ["coffee machine"],
                     "Smart Watch": ["smartwatch"], "Smart Thermostat": ["thermostat"],
                     "Electric Toothbrush": ["toothbrush"]}
_COLORS_ZH = {"红": "red", "蓝": "blue", "黑": "black", "白": "white", "绿": "green", "黄": "yellow",
              "灰": "gray", "紫": "purple", "粉": "pink", "银": "silver", "金": "gold", "棕": "brown", "橙": "orange",
              "米": "beige"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[-_/]", " ", text.lower())).strip()


@dataclass
class Signals:
    order_ids: list[str] = field(default_factory=list)     # valid, normalised "#W1234567", in text order
    bad_order_ids: list[str] = field(default_factory=list)  # things written like an order id but malformed
    bare_seven: list[str] = field(default_factory=list)     # 7 digits alone: an order id when one is awaited
    emails: list[str] = field(default_factory=list)
    bad_email: str | None = None
    zip: str | None = None
    name: tuple[str, str] | None = None                     # from an explicit "my name is X Y"
    name_words: list[str] = field(default_factory=list)     # Latin words that may be a name
    user_ids: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)
    payment_ids: list[str] = field(default_factory=list)
    yes: bool = False
    no: bool = False
    abandon: bool = False
    reason: str | None = None
    flows: list[str] = field(default_factory=list)          # flows named by keywords, strongest first
    personal: bool = False
    policy_question: bool = False
    question: bool = False
    order_topic: bool = False
    not_order_topic: bool = False
    dont_know_email: bool = False
    all_items: bool = False
    ordinals: list[int] = field(default_factory=list)       # 0-based positions ("the second one")
    wants_original_payment: bool = False
    wants_gift_card: bool = False
    wants_paypal: bool = False
    wants_credit_card: bool = False
    default_address: bool = False
    address: dict | None = None
    raw_text: str = ""
    weak_exchange: bool = False     # "exchange" read from loose wording ("X to the blue one"): needs a product
    also: bool = False              # "also the desk lamp": adds to what was already chosen
    cheapest: bool = False          # "whichever is cheaper"
    only_reference: bool = False    # nothing but order ids and filler: "what about #W4277243?", "那 #W… 呢？"


# what a follow-up says around an order number without naming a request
_FILLER_EN = re.compile(r"\b(what|about|how|and|or|also|too|then|the|this|that|one|order|orders|please|pls|for|of|"
                        r"is|it|with|same|here|ok|okay|now)\b|'s", re.IGNORECASE)
_FILLER_ZH = re.compile(r"[那这还有个吗的订单和呀啊吧呢请也是一样跟再看下么]")
_PUNCTUATION = re.compile(r"[\s\W_]+")


def _only_reference(text_wo_ids: str) -> bool:
    rest = _FILLER_ZH.sub(" ", _FILLER_EN.sub(" ", text_wo_ids))
    return not _PUNCTUATION.sub("", rest)


def read_signals(text: str, entities: dict | None = None) -> Signals:
    """Everything the desk can read from `text` (plus the NLU's entities, which win when they are well formed)."""
    text = text or ""
    entities = entities or {}
    s = Signals(raw_text=text)
    for match in _ORDER_ID.finditer(text):
        s.order_ids.append("#W" + (match.group(1) or match.group(2)))
    entity_order = str(entities.get("order_id") or "")
    found = _ORDER_ID.search(entity_order)
    if found and ("#W" + (found.group(1) or found.group(2))) not in s.order_ids:
        s.order_ids.append("#W" + (found.group(1) or found.group(2)))
    for match in _ORDER_WORD_NUMBER.finditer(text):  # "order 1234567" without the #W
        if len(match.group(1)) == 7 and "#W" + match.group(1) not in s.order_ids:
            s.order_ids.append("#W" + match.group(1))
        elif len(match.group(1)) != 7:
            s.bad_order_ids.append(match.group(1))
    s.bad_order_ids += [m.group(0).strip() for m in _BAD_ORDER_ID.finditer(text)]
    s.bare_seven = [m for m in _BARE_SEVEN.findall(text) if "#W" + m not in s.order_ids]
    text_wo_ids = _ORDER_ID.sub(" ", text)
    s.only_reference = bool(s.order_ids) and _only_reference(text_wo_ids)

    s.emails = [e.rstrip(".") for e in _EMAIL.findall(text)]
    if entities.get("email") and _EMAIL.fullmatch(str(entities["email"]).strip()) and \
            str(entities["email"]).strip() not in s.emails:
        s.emails.append(str(entities["email"]).strip())
    if not s.emails and "@" in text:
        at = text.index("@")  # the whitespace-delimited token around the first "@"
        start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at)) + 1
        end = min([i for i in (text.find(" ", at), text.find("\n", at)) if i != -1] or [len(text)])
        s.bad_email = text[start:end]
    text_wo_email = _EMAIL.sub(" ", text_wo_ids)
    address = _ADDRESS.search(text_wo_email)
    if address:
        s.address = {"address1": address.group("address1").strip(),
                     "address2": (address.group("address2") or "").strip(), "city": address.group("city").strip(),
                     "state": address.group("state").upper(), "country": "USA", "zip": address.group("zip")}
    # a zip code inside a new shipping address is not the customer's zip code
    zips = _ZIP.findall(_ADDRESS.sub(" ", text_wo_email))
    if zips:
        s.zip = zips[-1]
    elif entities.get("zip") and re.fullmatch(r"\d{5}", str(entities["zip"]).strip()) \
            and not (s.address and s.address["zip"] == str(entities["zip"]).strip()):
        s.zip = str(entities["zip"]).strip()
    s.user_ids = _USER_ID.findall(text_wo_email)
    s.item_ids = _ITEM_ID.findall(text_wo_email)
    s.payment_ids = _PAYMENT_ID.findall(text)
    plain = _USER_ID.sub(" ", _PAYMENT_ID.sub(" ", text_wo_email))
    capitalised = plain != plain.lower()  # when the customer uses capitals, names are capitalised too
    for pattern in _NAME_PATTERNS:
        match = pattern.search(plain)
        if match and match.group(1).lower() not in _NOT_NAMES and match.group(2).lower() not in _NOT_NAMES \
                and (not capitalised or (match.group(1)[0].isupper() and match.group(2)[0].isupper())):
            s.name = (match.group(1), match.group(2))
            break
    if s.name is None and entities.get("first_name") and entities.get("last_name"):
        s.name = (str(entities["first_name"]), str(entities["last_name"]))
    s.name_words = [w for w in _LATIN_WORD.findall(plain) if w.lower() not in _NOT_NAMES and len(w) > 1]

    lowered = text.lower()
    lowered = re.sub(r"\b(not|isn't|is not|that's not) (correct|right|ok|okay|it)\b", " wrong ", lowered)
    without_no_longer = re.sub(r"no longer|no need", " ", lowered)
    # "I changed my mind, I'd rather have the glass one instead" goes on with something else; it does not stop
    s.abandon = bool(_ABANDON.search(text)) and not _INSTEAD.search(text)
    if _REASON_NO_LONGER.search(text):
        s.reason = "no longer needed"
    elif _REASON_MISTAKE.search(text):
        s.reason = "ordered by mistake"
    zh_no = bool(_NO_ZH.search(re.sub(r"不需要|不想要|不要了|用不上|不小心|没问题|不错", "", text)))
    s.no = bool(_NO_EN.search(without_no_longer)) or zh_no
    s.yes = bool(_YES_EN.search(lowered)) or (not zh_no and bool(_YES_ZH.search(text)))
    if s.no and s.yes:
        s.yes = s.no = False  # "yes... no wait" is not an answer; ask again

    for flow, pattern in _FLOW_PATTERNS:
        if pattern.search(text_wo_email) and flow not in s.flows:
            s.flows.append(flow)
    if "change_user_address" in s.flows and "change_address" in s.flows and not _ORDER_ID.search(text):
        s.flows.remove("change_address")  # "update my default address": the profile, not an order's address
    if s.address and not {"change_address", "change_user_address"} & set(s.flows):
        s.flows = ["change_address"] + [f for f in s.flows if f != "order_status"]  # "ship it to 12 Oak Rd, ..."
    if "return_items" in s.flows and not _RETURN_STRONG.search(text_wo_email) and _CHANGE_TO.search(text_wo_email):
        s.flows.remove("return_items")  # "change the backpack to ..., refund the difference to my gift card"
    if set(s.flows) <= {"order_status", "availability", "change_payment", "profile"} \
            and _CHANGE_TO.search(text_wo_email):
        # "change it to the bamboo deck", "I want the camera in 4K": an item change if the message names a product
        s.flows.insert(0, "exchange")
        s.weak_exchange = True
    s.also = bool(_ALSO.search(text))
    s.cheapest = bool(_CHEAPEST.search(text))
    s.personal = bool(_PERSONAL.search(text))
    s.policy_question = bool(_POLICY_QUESTION.search(text))
    s.question = bool(_QUESTION.search(text))
    s.order_topic = bool(_ORDER_WORD.search(text))
    s.not_order_topic = bool(_NOT_ORDER_TOPIC.search(text))
    s.dont_know_email = bool(_DONT_KNOW_EMAIL.search(text))
    s.all_items = bool(_ALL_WORDS.search(text))
    for match in _ORDINAL_EN.finditer(text):
        s.ordinals.append(_ORDINALS[match.group(1).lower()] if match.group(1) else int(match.group(2)) - 1)
    for match in _ORDINAL_ZH.finditer(text):
        s.ordinals.append(_ZH_DIGITS[match.group(1)])
    s.wants_original_payment = bool(_ORIGINAL_PAYMENT.search(text))
    wanted = _NOT_THIS_METHOD.sub(" ", text)  # "with my credit card instead of the gift card" wants the card
    s.wants_gift_card = bool(_GIFT_CARD.search(wanted))
    s.wants_paypal = bool(_PAYPAL.search(wanted))
    s.wants_credit_card = bool(_CREDIT_CARD.search(_GIFT_CARD.sub(" ", wanted)))
    s.default_address = bool(_DEFAULT_ADDRESS.search(text))
    return s


class ProductMatcher:
    """Finds product types (and option values) named in a message, in English or Chinese."""

    def __init__(self, product_names: list[str]):
        self.names = list(product_names)
        aliases: dict[str, list[str]] = {}  # normalised alias -> product names (several for "kettle")

        def add(alias: str, name: str) -> None:
            if alias and name not in aliases.setdefault(alias, []):
                aliases[alias].append(name)

        heads: dict[str, list[str]] = {}
        for name in self.names:
            base = _norm(name)
            for alias in (base, base.replace(" ", ""), base + "s", base + "es"):
                add(alias, name)
            for alias in _EXTRA_ALIASES_EN.get(name, []):
                add(_norm(alias), name)
            for alias in PRODUCT_ALIASES_ZH.get(name, []):
                add(alias.lower(), name)
            heads.setdefault(base.split(" ")[-1], []).append(name)
        for head, names in heads.items():
            for alias in (head, head + "s", head + "es"):
                if alias not in aliases:
                    for name in names:
                        add(alias, name)
        self._aliases = aliases
        ordered = sorted(aliases, key=len, reverse=True)  # longest first: "笔记本电脑" before "笔记本"
        self._pattern = re.compile("|".join(
            (r"(?<![a-z0-9])" + re.escape(a) + r"(?![a-z0-9])") if re.search(r"[a-z]", a) else re.escape(a)
            for a in ordered))

    def find(self, text: str) -> list[str]:
        """Product names mentioned; several when the words are ambiguous ("kettle"), empty when none."""
        found: list[str] = []
        for match in self._pattern.finditer(_norm(text)):
            for name in self._aliases[match.group(0)]:
                if name not in found:
                    found.append(name)
        return found

    @staticmethod
    def option_values(text: str, variants: list[dict]) -> list[str]:
        """Option values of these variants that the message names ("blue", "XL", "蓝色", "5 feet" for "5 ft")."""
        return [value for _, value in named_option_values(text, variants)]


def _norm_units(text: str) -> str:
    text = _norm(text)
    text = re.sub(r"(\d)\s*(feet|foot|ft)\b", r"\1 ft", text)
    text = re.sub(r"(\d)\s*(inches|inch|in\b|\")", r"\1 inch", text)
    text = re.sub(r"(\d)\s*(liters?|litres?|l)\b", r"\1l", text)
    return text


def named_option_values(text: str, variants: list[dict]) -> list[tuple[int, str]]:
    """(position, value) of every option value of these variants that the message names, in text order;
    a longer value wins over one inside it ("rose gold" over "gold"). A bare number counts only next to its
    option's name ("size 9", "500 pieces")."""
    keys_of: dict[str, set[str]] = {}
    for variant in variants:
        for key, value in variant.get("options", {}).items():
            keys_of.setdefault(str(value), set()).add(key.lower())
    values = sorted(keys_of, key=len, reverse=True)
    lowered = _norm_units(text)
    colours = {en: zh for zh, en in _COLORS_ZH.items() if zh + "色" in text or zh + "的" in text}
    found: list[tuple[int, int, str]] = []
    for value in values:
        if value.lower() in ("yes", "no", "none"):
            continue  # "waterproof: yes", "backlight: none": see yes_no_options
        if len(value) <= 2 and not value.isdigit():
            hits = list(re.finditer(r"(?<![A-Za-z0-9'])" + re.escape(value) + r"(?![A-Za-z0-9'])", text))
            spans = [(h.start(), h.end()) for h in hits]
        else:
            pattern = r"(?<![a-z0-9.])" + re.escape(_norm_units(value)) + r"(?![a-z0-9%]|\.\d)"
            if value.isdigit():
                names = sorted({w for key in keys_of[value] for w in (key, key.rstrip("s"))} | {"size"}, key=len,
                               reverse=True)
                words = "|".join(re.escape(w) for w in names)
                pattern = (r"(?:(?:" + words + r"|码|号)\s*" + re.escape(value) + r"(?!\d|\.\d))|(?:(?<![\d.])"
                           + re.escape(value) + r"\s*(?:" + words + r")\b)")
            spans = [(h.start(), h.end()) for h in re.finditer(pattern, lowered)]
            if not spans and value.lower() in colours:
                at = text.find(colours[value.lower()])
                spans = [(at, at + 1)]
        for start, stop in spans:
            if not any(a <= start and stop <= b for a, b, _ in found):
                found.append((start, stop, value))
    return [(start, value) for start, _, value in sorted(found)]


_NEGATED = re.compile(r"\b(not|non|no|without|isn'?t)\b[\s-]*$|不|非|无$", re.IGNORECASE)


def none_options(text: str, variants: list[dict]) -> list[tuple[int, str, str]]:
    """(position, option, "none") for options that can be "none", named with a negation: "no backlight",
    "without armrests"."""
    keys = sorted({k for v in variants for k, x in v.get("options", {}).items() if str(x).lower() == "none"})
    lowered = _norm(text)
    found = []
    for key in keys:
        word = re.escape(_norm(key))
        for hit in re.finditer(r"\b(no|without|none|zero)\s+" + word + r"s?\b|\b" + word + r"s?\s*[:=]?\s*(none|off)\b|"
                               r"(没有|无|不要)" + word, lowered):
            found.append((hit.start(), key, "none"))
    return found


def yes_no_options(text: str, variants: list[dict]) -> list[tuple[int, str, str]]:
    """(position, option, "yes"/"no") for yes/no options named by their name: "waterproof" -> yes,
    "not waterproof" / "non-waterproof" -> no."""
    keys = sorted({k for v in variants for k, x in v.get("options", {}).items() if str(x).lower() in ("yes", "no")})
    lowered = _norm(text)
    found = []
    for key in keys:
        names = {_norm(key), _norm(key).replace("resistance", "resistant"), _norm(key).replace(" ", "")}
        pattern = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        for hit in re.finditer(r"(?<![a-z])(?:" + pattern + r")(?![a-z])", lowered):
            negated = bool(_NEGATED.search(lowered[max(0, hit.start() - 12):hit.start()]))
            found.append((hit.start(), key, "no" if negated else "yes"))
    return sorted(found)


_BOTH = re.compile(r"\b(both|all|each|two)\b|两个|都", re.IGNORECASE)
PIVOT = re.compile(r"\b(to|for|into|with|instead)\b|换成|改成|换为|改为|换到", re.IGNORECASE)


def match_items(text: str, signals: Signals, items: list[dict]) -> tuple[list[str], list[list[int]]]:
    """Item ids of an order that the message selects ("all", item ids, product names narrowed by the option
    words the customer gave, positions), and the groups of positions it leaves ambiguous (the customer named a
    product the order holds in several variants without saying which)."""
    matcher = ProductMatcher(sorted({item["name"] for item in items}))
    if signals.all_items and not matcher.find(text):  # "the keyboard, everything else the same" is not "all"
        return [item["item_id"] for item in items], []
    chosen: list[int] = []
    ambiguous: list[list[int]] = []
    for item_id in signals.item_ids:
        for index, item in enumerate(items):
            if item["item_id"] == item_id and index not in chosen:
                chosen.append(index)
                break
    pivot = PIVOT.search(text)
    before = text[:pivot.start()] if pivot else text
    for name in matcher.find(text):
        group = [i for i, item in enumerate(items) if item["name"] == name and i not in chosen]
        distinct = {items[i]["item_id"] for i in group}
        if len(distinct) <= 1:  # one variant, maybe bought twice: one unit unless the customer says both
            chosen.extend(group if _BOTH.search(text) else group[:1])
            continue
        picked = None
        for part in (before, text):
            scores = {i: len({v for _, v in named_option_values(part, [items[i]])}) for i in group}
            best = max(scores.values())
            top = [i for i in group if scores[i] == best]
            if best > 0 and len({items[i]["item_id"] for i in top}) == 1:
                picked = top[:1]
                break
            if best > 0 and len(top) < len(group):
                group = top
        if picked is not None:
            chosen.extend(picked)
        elif _BOTH.search(text):
            chosen.extend(group)
        else:
            ambiguous.append(group)
    for position in signals.ordinals:
        if 0 <= position < len(items) and position not in chosen:
            chosen.append(position)
    return [items[i]["item_id"] for i in sorted(chosen)], ambiguous


def pick_items(text: str, signals: Signals, items: list[dict]) -> list[str]:
    """Item ids of an order that the message selects without doubt (see match_items for the ambiguous ones)."""
    return match_items(text, signals, items)[0]
