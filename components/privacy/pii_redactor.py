"""Find personal data in a customer message and replace it with tokens such as `[EMAIL_1]` or `[CARD_1]`.

Recognised (English and Chinese text):
  EMAIL    name@domain.tld
  PHONE    Chinese mobiles (13812345678, 138 1234 5678, +86 138-1234-5678), Chinese landlines (010-12345678),
           international numbers written with "+" (E.164, 8-15 digits), US numbers written with separators
           ((303) 555-0142, 303-555-0142, 303.555.0142, +1 303 555 0142)
  CARD     payment cards, 13-19 digits, optionally grouped by spaces or dashes, Luhn-checked
  CN_ID    Chinese resident identity numbers, 18 characters, birth date and ISO 7064 MOD 11-2 check digit validated
  IBAN     2 letters + 2 check digits + up to 30 characters, optionally grouped by spaces, mod-97 checked
  ADDRESS  US street addresses ("986 Sunset Drive, Suite 259, Denver CO 80279"), also without a street-type word
           when a city, state and zip follow ("763 Broadway, Suite 135, Philadelphia, PA 19122"); Chinese addresses
           ending in a road and number ("上海市浦东新区世纪大道100号") or a city and district followed by a
           number, building or room ("广东省深圳市南山区科技园南区8栋502室")

The shop's own public contact details (Settings.public_contacts) are never redacted: `PiiRedactor(keep=...)`.

Deliberately NOT redacted, because the order desk works with them and they identify no person: order ids
(#W1234567), 10-digit item and product ids, 12-digit tracking numbers, 5-digit zip codes on their own, payment
method ids (credit_card_7815826). A bare run of 10 digits is therefore never taken for a US phone number.

Why not Microsoft Presidio: measured in a scratch venv (presidio-analyzer 2.2.366, spaCy 3.8.18 with blank
pipelines, since no official spaCy model is published on PyPI: the en-core-web-sm / zh-core-web-sm names there are
placeholders) it took 18 ms p50 on a message with two phone numbers and an IBAN (3 ms on a plain one; the limit is
5 ms), tagged 10-digit item ids as PHONE_NUMBER (which would break returns), found no Chinese mobile in Chinese or
English text, has no Chinese ID recogniser and no address recogniser (addresses need a spaCy NER model), and adds
~400 MB of dependencies. Its checksummed recognisers (Luhn, IBAN) are the same algorithms as the ones below.
Person names are not redacted: without an NER model there is no reliable way, and the order desk needs them
(name + zip code verification).
"""
from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)

# -- checksums ---------------------------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def cn_id_ok(number: str) -> bool:
    """18-character Chinese resident identity number: a real birth date and the ISO 7064 MOD 11-2 check digit."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return False
    try:
        born = _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not _dt.date(1900, 1, 1) <= born <= _dt.date.today():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def iban_ok(iban: str) -> bool:
    iban = re.sub(r"\s", "", iban).upper()
    if not 15 <= len(iban) <= 34 or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# -- recognisers ---------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,24}(?![A-Za-z0-9-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?|[A-Z0-9]{11,30})"
                   r"(?![A-Za-z0-9])")
_CN_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5} ?(?:19|20)\d{6} ?\d{3}[0-9Xx](?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![\d+.#_-])(?:[2-6]\d{12,18}"
                   r"|[2-6]\d{3}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,4}(?:(?P=sep)\d{1,3})?"
                   r"|3\d{3}(?P<sep2>[ -])\d{6}(?P=sep2)\d{4,5})(?![\d.])")
_PHONE_PATTERNS = (
    # Chinese mobile, optional +86 / 0086 prefix, optional 3-4-4 grouping
    re.compile(r"(?<![\d+#_])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"),
    # Chinese landline with area code: 010-12345678, (021) 12345678
    re.compile(r"(?<![\d#_])(?:\(0\d{2,3}\) ?|0\d{2,3}-)\d{7,8}(?!\d)"),
    # US with separators, optional +1 / 1-
    re.compile(r"(?<![\d#_])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[.-])[2-9]\d{2}[.-]\d{4}(?!\d)"),
    re.compile(r"(?<![\d#_])(?:\+?1 )?[2-9]\d{2} [2-9]\d{2} \d{4}(?!\d)"),
    # international with a leading "+": +44 20 7946 0958, +4915112345678
    re.compile(r"(?<![A-Za-z0-9_+])\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){1,6}(?![\d])"),
)
_STREET_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|Blvd|Court|Ct|Way|Place|Pl|"
                  r"Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Plaza|Alley)")
_US_ADDRESS = re.compile(
    r"(?<![A-Za-z0-9_#-])\d{1,6}(?: (?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))){1,4} " + _STREET_SUFFIX + r"\b\.?"
    r"(?:,? (?:Suite|Ste\.?|Apt\.?|Apartment|Unit|Floor|#) ?[A-Za-z0-9-]{1,6})?"
    r"(?:, ?[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+){0,2}(?:,? [A-Z]{2})?(?: \d{5}(?:-\d{4})?)?)?")
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
              "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR")
# no street-type word ("763 Broadway"): only with the city, a state code and a zip after it, so "500 Stars" is not one
_US_ADDRESS_NO_TYPE = re.compile(
    r"(?<![A-Za-z0-9_#-])\d{1,6}(?: (?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th))){1,4}"
    r"(?:,? (?:Suite|Ste\.?|Apt\.?|Apartment|Unit|Floor|#) ?[A-Za-z0-9-]{1,6})?"
    r", ?[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+){0,2},? (?:" + _US_STATES + r") \d{5}(?:-\d{4})?(?!\d)")
# a Chinese place-name character: CJK, but not the words that usually come just before an address
_ZH = r"(?:(?![我你您他她的是在到住址寄送请改为把给从及或])[\u4e00-\u9fa5])"
# the road and house number anchor the search (fast: it starts at a literal); the place names before it are
# matched afterwards in a short window
_ZH_ADDRESS_CORE = re.compile(
    r"(?:路|街|道|巷|弄|胡同)[0-9０-９一二三四五六七八九十百零]{1,6}(?:号|號)"
    r"(?:[0-9A-Za-z\u4e00-\u9fa5-]{0,10}?(?:室|楼|层|栋|幢|座|单元))*")
# no road: a city and a district, then a place name and a number with 号/室/栋/幢/楼/单元 ("深圳市南山区科技园8栋502室")
_ZH_DISTRICT_ADDRESS = re.compile(
    rf"(?:{_ZH}{{2,8}}?(?:省|自治区))?{_ZH}{{2,8}}?市{_ZH}{{1,8}}?(?:区|县)"
    r"[0-9A-Za-z\u4e00-\u9fa5 -]{0,24}?[0-9０-９一二三四五六七八九十百零]{1,6}(?:号|號|室|栋|幢|楼|单元)"
    r"(?:[0-9A-Za-z\u4e00-\u9fa5-]{0,10}?(?:室|楼|层|栋|幢|座|单元))*")
_ZH_ADDRESS_PREFIX = re.compile(
    rf"(?:{_ZH}{{2,8}}?(?:省|自治区))?(?:{_ZH}{{2,8}}?市)?(?:{_ZH}{{1,8}}?(?:区|县|镇|乡))?"
    rf"(?:{_ZH}|[A-Za-z0-9]){{1,12}}$")


def _zh_addresses(text: str) -> list[tuple[int, int]]:
    spans = []
    for number, core in enumerate(_ZH_ADDRESS_CORE.finditer(text)):
        if number >= 20:  # no real message holds more; bounds the time spent on a hostile one
            break
        window_start = max(0, core.start() - 40)
        prefix = _ZH_ADDRESS_PREFIX.search(text, window_start, core.start())
        if prefix:
            spans.append((prefix.start(), core.end()))
    return spans


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int
    value: str


def _card_ok(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.lstrip().startswith("+"):
        return 8 <= len(digits) <= 15
    return 10 <= len(digits) <= 13


def _trim_iban(value: str) -> str | None:
    """The longest prefix (cut at a group boundary) that passes mod-97: a trailing word may have been swallowed."""
    parts = value.split(" ")
    for n in range(len(parts), 0, -1):
        candidate = " ".join(parts[:n])
        if iban_ok(candidate):
            return candidate
    return None


# (type, pattern, validator); earlier recognisers win where findings overlap
_RECOGNISERS: list[tuple[str, re.Pattern, Callable[[str], bool] | None]] = [
    ("EMAIL", _EMAIL, None),
    ("CN_ID", _CN_ID, lambda v: cn_id_ok(v.replace(" ", ""))),
    ("CARD", _CARD, _card_ok),
    *[("PHONE", pattern, _phone_ok) for pattern in _PHONE_PATTERNS],
    ("ADDRESS", _US_ADDRESS, None),
    ("ADDRESS", _US_ADDRESS_NO_TYPE, None),
]


def contact_key(type_: str, value: str) -> str:
    """How a phone or e-mail compares with the shop's public contacts: digits of a phone, lower-case e-mail."""
    if type_ == "PHONE":
        return "PHONE:" + re.sub(r"\D", "", value)
    return f"{type_}:{value.strip().lower()}"


def public_contact_keys(contacts: list[str]) -> frozenset[str]:
    """The comparison keys of the shop's public contact details (each found as PHONE or EMAIL in its own text)."""
    return frozenset(contact_key(f.type, f.value) for contact in contacts for f in find_pii(contact))


def find_pii(text: str, keep: frozenset[str] = frozenset()) -> list[Finding]:
    """Non-overlapping findings in `text`, in text order; `keep` (public_contact_keys) are left out."""
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def add(type_: str, start: int, end: int) -> None:
        findings.append(Finding(type_, start, end, text[start:end]))
        taken.append((start, end))

    # IBANs first: their digits would otherwise look like cards or phones. At most 20 candidates may fail the
    # check: bounds the time a hostile message can cost
    failures = 0
    for match in _IBAN.finditer(text):
        value = _trim_iban(match.group(0))
        if value:
            add("IBAN", match.start(), match.start() + len(value))
        else:
            failures += 1
            if failures >= 20:
                break
    for type_, pattern, valid in _RECOGNISERS:
        for match in pattern.finditer(text):
            value = match.group(0).rstrip(" .,")
            start, end = match.start(), match.start() + len(value)
            if not value or not free(start, end):
                continue
            if valid is not None and not valid(value):
                continue
            add(type_, start, end)
    zh_spans = _zh_addresses(text)
    for number, match in enumerate(_ZH_DISTRICT_ADDRESS.finditer(text)):
        if number >= 20:  # bounds the time a hostile message can cost
            break
        zh_spans.append((match.start(), match.end()))
    for start, end in sorted(zh_spans, key=lambda span: span[0] - span[1]):  # the longest first
        if free(start, end):
            add("ADDRESS", start, end)
    if keep:
        findings = [f for f in findings if contact_key(f.type, f.value) not in keep]
    findings.sort(key=lambda f: f.start)
    return findings


class PiiRedactor:
    """Replace personal data with per-conversation tokens; the values go to the vault (encrypted).

    `redact(text, conversation_id=...)` returns the redacted text and one dict per replacement:
    {type, token, start, end}, where start/end locate the token in the REDACTED text (redacted[start:end] == token).
    The raw value is never in the result. The same value typed twice in a conversation gets the same token.
    Without a vault (vault=None) tokens are numbered per call and nothing is kept.
    """

    def __init__(self, vault=None, keep: list[str] | tuple[str, ...] = ()):
        self.vault = vault
        self.keep = public_contact_keys(list(keep))  # the shop's public phone / e-mail: never redacted

    def redact(self, text: str, *, conversation_id: str) -> tuple[str, list[dict]]:
        text = "" if text is None else str(text)
        findings = find_pii(text, self.keep)
        if not findings:
            return text, []
        local: dict[tuple[str, str], str] = {}
        counters: dict[str, int] = {}
        out: list[str] = []
        redactions: list[dict] = []
        cursor = 0
        length = 0
        for f in findings:
            out.append(text[cursor:f.start])
            length += f.start - cursor
            if self.vault is not None and conversation_id:
                token = self.vault.store(conversation_id, f.type, f.value)
            else:
                key = (f.type, f.value)
                if key not in local:
                    counters[f.type] = counters.get(f.type, 0) + 1
                    local[key] = f"[{f.type}_{counters[f.type]}]"
                token = local[key]
            redactions.append({"type": f.type, "token": token, "start": length, "end": length + len(token)})
            out.append(token)
            length += len(token)
            cursor = f.end
        out.append(text[cursor:])
        return "".join(out), redactions

    def redact_data(self, data: Any, *, conversation_id: str) -> tuple[Any, list[dict]]:
        """Redact every string inside a JSON-like value (tool-call arguments and results, traces, desk slots)."""
        found: list[dict] = []

        def walk(value: Any) -> Any:
            if isinstance(value, str):
                redacted, redactions = self.redact(value, conversation_id=conversation_id)
                found.extend({"type": r["type"], "token": r["token"]} for r in redactions)
                return redacted
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [walk(v) for v in value]
            return value

        return walk(data), found


def scrub(text: str) -> str:
    """Replace personal data with bare type markers ([EMAIL], [CARD]...): for logs and exports, nothing is kept."""
    findings = find_pii(text)
    if not findings:
        return text
    out, cursor = [], 0
    for f in findings:
        out.append(text[cursor:f.start])
        out.append(f"[{f.type}]")
        cursor = f.end
    out.append(text[cursor:])
    return "".join(out)


class PiiLogFilter(logging.Filter):
    """A logging filter that scrubs personal data from every record it passes (attach it to the app's handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter to complain
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = scrub(str(record.exc_info[1]))
            if exc_text != str(record.exc_info[1]):
                record.msg = f"{record.msg} ({type(record.exc_info[1]).__name__}: {exc_text})"
                record.exc_info = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> PiiLogFilter:
    """Attach a PiiLogFilter to every handler of `logger` (the root logger by default). Returns the filter."""
    target = logger or logging.getLogger()
    pii_filter = PiiLogFilter()
    for handler in target.handlers:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(pii_filter)
    return pii_filter
