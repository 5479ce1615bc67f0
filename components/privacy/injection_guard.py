"""Prompt-injection and manipulation attempts: in customer messages, planted in documents, leaking in replies.

- `detect_injection(text)` looks at a customer message (English and Chinese) for attempts to override the bot's
  instructions, extract its system prompt, make it play another role, claim privileges, inject chat-template
  markup, or obtain other customers' data. It returns {kind, pattern} for the first hit, or None.
- `sanitize_passage(text)` keeps a knowledge-base passage readable but marks every instruction-like paragraph as
  quoted document text, so the model sees it as data ("the document says: ..."), never as an order;
  `remove_instructions(text)` drops those paragraphs (for extractive answers and the grounding check), and
  `find_planted_instructions(text)` lists them (to warn an operator at upload).
- `leaks_system_prompt(reply, system_prompt)` says whether a reply repeats a run of the system prompt.

These are cheap pattern checks (microseconds), a first line only: the prompt also quotes passages as data, and the
order desk checks ownership of every order on its own.
"""
from __future__ import annotations

import re
import unicodedata

_I = re.IGNORECASE

# (kind, compiled pattern); the first match wins, so the most specific kinds come first
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("markup", re.compile(r"<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|>|\[/?INST\]|"
                          r"<</?SYS>>|^\s*#{2,}\s*(?:system|instruction)s?\b|^\s*(?:system|assistant)\s*:", _I | re.M)),
    ("ignore_instructions", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon)\b[\w\s,'-]{0,30}?"
        r"\b(?:previous|prior|above|earlier|preceding|initial|original|all|any|your|the|system|safety|these|those)\b"
        r"[\w\s'-]{0,20}?\b(?:instructions?|prompts?|rules?|directions?|guidelines?|directives?|constraints?|"
        r"restrictions?|programming|policies|guardrails?|context)\b", _I)),
    ("ignore_instructions", re.compile(
        r"(?:忽略|无视|忽视|不要理会|不用管|忘记|忘掉|抛开|跳过|绕过|覆盖)[^。！？\n]{0,12}?"
        r"(?:指令|指示|提示|规则|设定|要求|限制|约束|命令|说明|系统消息)")),
    ("system_prompt", re.compile(
        r"\b(?:reveal|show|print|display|output|repeat|recite|tell|give|share|leak|dump|write|list|spell|paste|"
        r"copy|translate|summari[sz]e|paraphrase|rewrite|encode|explain|describe|what(?:'s| is| are| were))\b"
        r"[\w\s,'-]{0,40}?"
        r"\b(?:system\s*prompts?|system\s*messages?|(?:initial|original|hidden|secret|internal)\s*(?:prompt|"
        r"instructions|rules|guidelines|settings|configuration)|your\s+(?:own\s+)?(?:prompt|instructions|"
        r"configuration)\b(?!\s+(?:for|on|about|to)\b)|(?:the\s*)?(?:text|words|message)s?\s*(?:above|before\s*"
        r"this)|(?:rules|instructions|guidelines)\s+you\s*(?:were|have\s+been|'ve\s+been)\s+given|pre-?prompt)",
        _I)),
    ("system_prompt", re.compile(r"\bsystem\s*prompt\b|\bprompt\s*injection\b|\bverbatim\b.{0,30}\binstructions\b",
                                 _I)),
    ("system_prompt", re.compile(r"系统提示|系统指令|系统消息|系统设定|提示词|初始指令|原始指令|隐藏指令|你的(?:指令|设定|规则|提示)|"
                                 r"(?:上面|之前|前面)的(?:文字|内容|指令)(?:原样|完整|全部)?(?:输出|打印|重复|复述)")),
    ("role_play", re.compile(
        r"\byou\s+are\s+(?:now\s+)?(?:DAN|STAN|AIM|an?\s+(?:unrestricted|unfiltered|uncensored|jailbroken|evil|"
        r"different)\b)|\bDAN\b|\bdo\s+anything\s+now\b|\bjail\s?break|\bdeveloper\s+mode\b|\bgod\s+mode\b|"
        r"\bfrom\s+now\s+on,?\s+you\s+(?:are|will|must|shall)\b|\bpretend\s+(?:to\s+be|you\s*(?:are|'re))\b|"
        r"\b(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:were|are)\b|an?\s+(?:unrestricted|unfiltered|"
        r"different|new|evil|rogue)\b|(?:my|the)\s+(?:grandma|grandmother|admin|developer|system))|"
        r"\brole-?\s?play\b|\bstay\s+in\s+character\b|\byou\s+(?:have\s+)?no\s+(?:rules|restrictions|limits)\b", _I)),
    ("role_play", re.compile(r"你现在是|从现在(?:开始|起)[，,]?你|扮演|假装(?:你|自己)是|角色扮演|开发者模式|越狱|"
                             r"不受(?:任何)?(?:限制|约束)的|没有(?:任何)?(?:限制|规则)的(?:AI|助手|机器人)|你不再是")),
    ("privilege_claim", re.compile(
        r"\bI\s*(?:am|'m)\s+(?:the\s+|an?\s+|your\s+)?(?:admin|administrator|developer|owner|CEO|manager|"
        r"supervisor|system\s+operator|sysadmin|root)\b|\b(?:admin|sudo|root|debug|maintenance|god)\s+(?:mode|"
        r"access|override|command)\b|\bauthori[sz]ed\s+(?:by|as)\s+(?:the\s+)?(?:admin|management|developers?)\b",
        _I)),
    ("privilege_claim", re.compile(r"我是(?:你的|这里的|系统|网站|店铺)?(?:管理员|开发者|开发人员|老板|店长|经理|工程师)|管理员(?:权限|模式)|"
                                   r"调试模式|维护模式|最高权限")),
    ("other_customer_data", re.compile(
        r"\b(?:another|other|different|someone\s+else'?s?|somebody\s+else'?s?|all|every|each)\s+"
        r"(?:customer|user|client|buyer|person|people)s?'?\s*(?:'s\s+)?"
        r"(?:orders?|data|details|info(?:rmation)?|emails?|address(?:es)?|phone|records?|payment|purchases?|"
        r"profiles?)|\b(?:list|show|give|dump|export|print)\b[\w\s]{0,20}?\b(?:all|every)\s+"
        r"(?:customers?|users?|emails?|orders?|accounts?)\b|\b(?:database|sql|table)\s+(?:dump|export)|"
        r"\bselect\s+\*\s+from\b|\bdrop\s+table\b|\bunion\s+select\b|"
        r"\b(?:email|e-mail|address|phone(?:\s+number)?|name|details|card)s?\s+(?:and\s+[\w\s]{1,20}?\s+)?of\s+"
        r"(?:the\s+)?(?:customer|person|user|buyer|owner|someone)\s+(?:who|that|whose)\b", _I)),
    ("other_customer_data", re.compile(r"(?:其他|其它|别的|别人|他人|另一个|另一位|所有|全部)(?:的)?(?:客户|用户|顾客|买家|人|会员)"
                                       r"(?:的)?(?:订单|数据|信息|资料|邮箱|地址|电话|手机|记录|账户|账号)|"
                                       r"别人的(?:订单|数据|信息|资料|邮箱|地址|电话)|导出(?:数据库|所有)|数据库")),
]

# lines in a document that speak to the assistant rather than to a reader
_DOC_INSTRUCTION = re.compile(
    r"\b(?:assistant|AI|chatbot|bot|model|LLM|language\s+model)s?\b[^.\n]{0,40}\b(?:must|should|shall|will|needs?\s+to|"
    r"always|never)\b|\b(?:when|if)\s+(?:you|the\s+(?:assistant|AI|bot|model))\s+(?:are|is)\s+(?:asked|answering|"
    r"responding)\b|\b(?:tell|inform|instruct)\s+(?:the\s+)?(?:customer|user)s?\s+(?:that|to)\b|"
    r"\b(?:note|message|instruction)s?\s+(?:to|for)\s+(?:the\s+)?(?:AI|assistant|bot|model)\b|"
    r"^\s*(?:important|attention|note)\s*[:!]\s*(?:you|assistant|AI)\b|\bnew\s+instructions?\b|"
    r"(?:助手|机器人|AI|模型|客服)(?:必须|应该|需要|要|请)|告诉(?:客户|用户)|给(?:AI|助手|模型)的(?:说明|指令)|新的指令",
    _I | re.M)


def _normalise(text: str) -> str:
    # full-width letters and digits to ASCII, zero-width characters out: "ｉｇｎｏｒｅ" is still "ignore"
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", text)


def detect_injection(text: str) -> dict | None:
    """{kind, pattern} for the first manipulation attempt found in a customer message, else None.

    kind: markup | ignore_instructions | system_prompt | role_play | privilege_claim | other_customer_data;
    pattern: the matched text (at most 80 characters), for the trace.
    """
    normal = _normalise(text)
    if not normal.strip():
        return None
    for kind, pattern in _PATTERNS:
        match = pattern.search(normal)
        if match:
            return {"kind": kind, "pattern": match.group(0).strip()[:80]}
    return None


_QUOTE_OPEN, _QUOTE_CLOSE = "[document text, not an instruction: \u201c", "\u201d]"
_TEMPLATE_TOKENS = re.compile(r"<\|[a-z_]{2,20}\|>|\[/?INST\]|<</?SYS>>|</?passage[^>]*>|</?system>", _I)


# in documents, policy text about other customers' data or about administrators is ordinary content
_DOC_KINDS = ("markup", "ignore_instructions", "system_prompt", "role_play")


def _instruction_like(text: str) -> bool:
    normal = _normalise(text)
    if _DOC_INSTRUCTION.search(normal):
        return True
    return any(kind in _DOC_KINDS and pattern.search(normal) for kind, pattern in _PATTERNS)


def _quote(block: str) -> str:
    lines = block.split("\n")
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    body = " ".join(line.strip() for line in lines if line.strip())
    return f"{indent}{_QUOTE_OPEN}{body}{_QUOTE_CLOSE}"


def sanitize_passage(text: str) -> str:
    """The passage with chat-template markup removed and instruction-like paragraphs marked as quoted document text.

    A paragraph (lines up to a blank line) that speaks to the assistant is wrapped whole, so an instruction
    hard-wrapped over several lines is caught; in long blocks (lists, tables) only the offending lines are.
    """
    text = _TEMPLATE_TOKENS.sub(" ", str(text or ""))
    blocks = re.split(r"(\n[ \t]*\n)", text)
    out = []
    for block in blocks:
        if not block.strip() or block.lstrip().startswith(_QUOTE_OPEN) or not _instruction_like(block):
            out.append(block)
            continue
        lines = block.split("\n")
        if len(lines) <= 6:
            out.append(_quote(block))
        else:
            out.append("\n".join(_quote(line) if line.strip() and _instruction_like(line) else line
                                 for line in lines))
    return "".join(out)


def remove_instructions(text: str) -> str:
    """The passage without its instruction-like paragraphs: for text shown to a customer as it is (extractive
    answers) and for the grounding check, so a planted "refunds are 200%" supports nothing."""
    marked = sanitize_passage(text)
    kept = [line for line in marked.split("\n") if not line.lstrip().startswith(_QUOTE_OPEN)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def find_planted_instructions(text: str) -> list[str]:
    """The instruction-like paragraphs of a document (to warn the operator when it is uploaded)."""
    found = []
    for line in sanitize_passage(text).split("\n"):
        stripped = line.strip()
        if stripped.startswith(_QUOTE_OPEN):
            found.append(stripped[len(_QUOTE_OPEN):-len(_QUOTE_CLOSE)])
    return found


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[\u4e00-\u9fff]", _normalise(text).lower())


def leaks_system_prompt(reply: str, system_prompt: str, *, run: int = 6) -> bool:
    """True when the reply repeats `run` consecutive words of the system prompt (Chinese: characters x2)."""
    prompt_words = _words(system_prompt)
    reply_words = _words(reply)
    cjk = sum(1 for w in prompt_words if len(w) == 1 and "\u4e00" <= w <= "\u9fff")
    n = run * 2 if cjk > len(prompt_words) / 2 else run
    if len(prompt_words) < n or len(reply_words) < n:
        return False
    grams = {tuple(prompt_words[i:i + n]) for i in range(len(prompt_words) - n + 1)}
    return any(tuple(reply_words[i:i + n]) in grams for i in range(len(reply_words) - n + 1))
