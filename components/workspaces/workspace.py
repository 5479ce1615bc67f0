"""One business served by the app (shop, bank, school, clinic, ...): a folder with `workspace.yaml`, loaded into a
typed, validated `Workspace`.

    ws = load_workspace(Path("assets/workspaces/clinic"))
    ws.text("welcome", "zh")            # the Chinese welcome message
    ws.safety.emergency.reply["en"]

The folder (see /work/wt/notes/workspace_contract.md, kept in README "Workspaces"): workspace.yaml, kb/ (documents
indexed into this workspace's own knowledge collection), intents/ (intent pack CSVs), scenarios/, data/ (the desk's
seed data), SOURCE.txt. Unknown keys and missing fields are errors naming the file and the key, so a typo in a
fifth business's folder is found at load time, not in front of a customer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

WORKSPACE_FILE = "workspace.yaml"
ID_PATTERN = re.compile(r"^[a-z0-9_-]{1,40}$")
LANGUAGES = ("en", "zh")

_REQUIRED = ("id", "name", "languages", "welcome", "examples", "tone", "scope")
# extra redaction classes a workspace may ask for (components/workspaces/sensitive_data.py)
SENSITIVE_CLASSES = frozenset({"health"})
_OPTIONAL = ("public_contacts", "intents", "desk", "handoff", "safety", "kb", "nlu_domain", "order", "scenarios",
             "personal")


class WorkspaceError(ValueError):
    """A workspace folder or its workspace.yaml is not usable; the message names the file and the key."""


@dataclass(frozen=True)
class SafetyRule:
    """Patterns (compiled, case-insensitive, per language) and the reply given when one matches."""
    name: str
    patterns: dict[str, tuple[re.Pattern, ...]]
    reply: dict[str, str]
    handoff: bool = True

    def match(self, text: str) -> str | None:
        """The first pattern (any language: a customer may mix them) that matches `text`, or None."""
        for compiled in self.patterns.values():
            for pattern in compiled:
                if pattern.search(text):
                    return pattern.pattern
        return None


@dataclass(frozen=True)
class SafetyRules:
    emergency: SafetyRule | None = None
    refuse: tuple[SafetyRule, ...] = ()
    sensitive_pii: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    id: str
    name: dict[str, str]
    languages: tuple[str, ...]
    welcome: dict[str, str]
    examples: dict[str, tuple[str, ...]]
    tone: dict[str, str]
    scope: dict[str, str]
    directory: Path
    public_contacts: tuple[str, ...] = ()
    intents: tuple[Path, ...] = ()
    desk: str | None = None
    handoff_intents: tuple[str, ...] = ()
    safety: SafetyRules = field(default_factory=SafetyRules)
    kb_dir: Path | None = None
    nlu_domain: str = ""
    order: int = 100
    scenarios_dir: Path | None = None
    # the customer's words about their own records ("when is my next appointment", "我的学费"): routing sends such a
    # message to the desk (which verifies the customer) rather than the knowledge base; per language, compiled
    personal: dict[str, tuple[re.Pattern, ...]] = field(default_factory=dict)

    def asks_about_own_records(self, text: str) -> bool:
        return any(pattern.search(text) for compiled in self.personal.values() for pattern in compiled)

    def text(self, key: str, language: str) -> str:
        """A localised field (name, welcome, tone, scope) in `language`, else in the workspace's first language."""
        values = getattr(self, key)
        return values.get(language) or values[self.languages[0]]

    def example_questions(self, language: str) -> list[str]:
        return list(self.examples.get(language) or self.examples[self.languages[0]])

    def summary(self) -> dict:
        return {"id": self.id, "name": self.name.get("en") or self.name[self.languages[0]],
                "name_zh": self.name.get("zh", ""), "languages": list(self.languages),
                "directory": str(self.directory), "desk": self.desk, "kb": str(self.kb_dir),
                "intent_packs": [str(p) for p in self.intents],
                "safety": {"emergency": self.safety.emergency is not None,
                           "refuse": [r.name for r in self.safety.refuse]}}


def load_workspace(directory: Path | str) -> Workspace:
    """Read and validate `directory`/workspace.yaml. Raises WorkspaceError naming the file and the key."""
    directory = Path(directory)
    path = directory / WORKSPACE_FILE
    if not path.is_file():
        raise WorkspaceError(f"{path}: not found; a workspace folder needs a {WORKSPACE_FILE}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkspaceError(f"{path}: not valid YAML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise WorkspaceError(f"{path}: not UTF-8 text ({exc})") from exc
    return parse_workspace(data, directory, source=str(path))


def parse_workspace(data, directory: Path, *, source: str) -> Workspace:
    check = _Checker(source)
    if not isinstance(data, dict):
        check.fail("", "the file must be a mapping of keys (id, name, languages, ...)")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        check.fail(unknown[0], f"unknown key; the keys are {', '.join(_REQUIRED + _OPTIONAL)}")
    for key in _REQUIRED:
        if key not in data or data[key] is None:
            check.fail(key, "missing (required)")
    ws_id = data["id"]
    if not isinstance(ws_id, str) or not ID_PATTERN.match(ws_id):
        check.fail("id", f"{ws_id!r} is not an id: use 1-40 of a-z, 0-9, '_' and '-'")
    if ws_id != directory.name:
        check.fail("id", f"{ws_id!r} must equal the folder's name {directory.name!r}")
    languages = data["languages"]
    if not isinstance(languages, list) or not languages or any(lang not in LANGUAGES for lang in languages):
        check.fail("languages", f"must be a non-empty list of {', '.join(LANGUAGES)}")
    languages = tuple(dict.fromkeys(languages))
    localised = {key: check.localised(data[key], key, languages) for key in ("name", "welcome", "tone", "scope")}
    examples = check.localised_lists(data["examples"], "examples", languages)
    contacts = check.strings(data.get("public_contacts") or [], "public_contacts")
    intents = tuple(check.relative_file(p, f"intents[{i}]", directory)
                    for i, p in enumerate(check.strings(data.get("intents") or [], "intents")))
    desk = data.get("desk")
    if desk is not None and (not isinstance(desk, str) or not re.match(r"^[\w.]+:\w+$", desk)):
        check.fail("desk", f"{desk!r} must be 'package.module:factory' or null")
    handoff = data.get("handoff") or {}
    if not isinstance(handoff, dict) or set(handoff) - {"intents"}:
        check.fail("handoff", "must be a mapping with only the key 'intents'")
    handoff_intents = check.strings(handoff.get("intents") or [], "handoff.intents")
    kb = data.get("kb", "kb")
    if not isinstance(kb, str) or not kb.strip():
        check.fail("kb", "must be a folder path relative to the workspace folder")
    kb_dir = (directory / kb).resolve()
    scenarios = data.get("scenarios", "scenarios")
    if not isinstance(scenarios, str) or not scenarios.strip():
        check.fail("scenarios", "must be a folder path relative to the workspace folder")
    nlu_domain = data.get("nlu_domain") or ws_id
    if not isinstance(nlu_domain, str) or not re.match(r"^[A-Za-z0-9_-]{1,40}$", nlu_domain):
        check.fail("nlu_domain", f"{nlu_domain!r}: use 1-40 letters, digits, '-' or '_'")
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        check.fail("order", "must be a whole number (smaller comes first)")
    return Workspace(
        id=ws_id, name=localised["name"], languages=languages, welcome=localised["welcome"], examples=examples,
        tone=localised["tone"], scope=localised["scope"], directory=directory.resolve(), public_contacts=contacts,
        intents=intents, desk=desk, handoff_intents=handoff_intents,
        safety=_safety(data.get("safety") or {}, check, languages), kb_dir=kb_dir, nlu_domain=nlu_domain,
        order=order, scenarios_dir=(directory / scenarios).resolve(),
        personal=_patterns(data["personal"], "personal", check) if data.get("personal") is not None else {})


def _safety(data, check: "_Checker", languages: tuple[str, ...]) -> SafetyRules:
    if not isinstance(data, dict):
        check.fail("safety", "must be a mapping (emergency, refuse, sensitive_pii)")
    unknown = sorted(set(data) - {"emergency", "refuse", "sensitive_pii"})
    if unknown:
        check.fail(f"safety.{unknown[0]}", "unknown key; the keys are emergency, refuse, sensitive_pii")
    emergency = None
    if data.get("emergency") is not None:
        emergency = _rule(data["emergency"], "safety.emergency", "emergency", check, languages)
    refuse_items = data.get("refuse") or []
    if not isinstance(refuse_items, list):
        check.fail("safety.refuse", "must be a list of {name, patterns, reply, handoff}")
    refuse = []
    for i, item in enumerate(refuse_items):
        where = f"safety.refuse[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            check.fail(where, "needs a 'name'")
        refuse.append(_rule(item, where, item["name"], check, languages, named=True))
    pii = check.strings(data.get("sensitive_pii") or [], "safety.sensitive_pii")
    for i, name in enumerate(pii):
        if name not in SENSITIVE_CLASSES:
            check.fail(f"safety.sensitive_pii[{i}]", f"{name!r} is not a class kefu knows: {sorted(SENSITIVE_CLASSES)}")
    return SafetyRules(emergency, tuple(refuse), pii)


def _rule(data, where: str, name: str, check: "_Checker", languages, named: bool = False) -> SafetyRule:
    if not isinstance(data, dict):
        check.fail(where, "must be a mapping with patterns, reply and handoff")
    allowed = {"patterns", "reply", "handoff"} | ({"name"} if named else set())
    unknown = sorted(set(data) - allowed)
    if unknown:
        check.fail(f"{where}.{unknown[0]}", f"unknown key; the keys are {', '.join(sorted(allowed))}")
    for key in ("patterns", "reply"):
        if key not in data:
            check.fail(f"{where}.{key}", "missing (required)")
    patterns = _patterns(data["patterns"], f"{where}.patterns", check)
    handoff = data.get("handoff", True)
    if not isinstance(handoff, bool):
        check.fail(f"{where}.handoff", "must be true or false")
    return SafetyRule(name, patterns, check.localised(data["reply"], f"{where}.reply", languages), handoff)


def _patterns(raw, where: str, check: "_Checker") -> dict[str, tuple[re.Pattern, ...]]:
    """{language: [regex, ...]} compiled case-insensitively; a bad regex names its key."""
    if not isinstance(raw, dict) or not raw or set(raw) - set(LANGUAGES):
        check.fail(where, f"must map a language ({', '.join(LANGUAGES)}) to a list of regexes")
    patterns = {}
    for lang, items in raw.items():
        texts = check.strings(items, f"{where}.{lang}")
        compiled = []
        for i, text in enumerate(texts):
            try:
                compiled.append(re.compile(text, re.IGNORECASE))
            except re.error as exc:
                check.fail(f"{where}.{lang}[{i}]", f"{text!r} is not a valid regular expression ({exc})")
        patterns[lang] = tuple(compiled)
    return patterns


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str):
        raise WorkspaceError(f"{self.source}: {key + ': ' if key else ''}{message}")

    def localised(self, value, key: str, languages) -> dict[str, str]:
        if not isinstance(value, dict):
            self.fail(key, f"must map each language ({', '.join(languages)}) to a text")
        missing = [lang for lang in languages if not isinstance(value.get(lang), str) or not value[lang].strip()]
        if missing:
            self.fail(f"{key}.{missing[0]}", "missing or empty")
        extra = sorted(set(value) - set(LANGUAGES))
        if extra:
            self.fail(f"{key}.{extra[0]}", f"unknown language; use {', '.join(LANGUAGES)}")
        return {lang: text.strip() for lang, text in value.items()}

    def localised_lists(self, value, key: str, languages) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self.fail(key, f"must map each language ({', '.join(languages)}) to a list of texts")
        for lang in languages:
            if lang not in value:
                self.fail(f"{key}.{lang}", "missing")
        extra = sorted(set(value) - set(LANGUAGES))
        if extra:
            self.fail(f"{key}.{extra[0]}", f"unknown language; use {', '.join(LANGUAGES)}")
        return {lang: tuple(self.strings(items, f"{key}.{lang}")) for lang, items in value.items()}

    def strings(self, value, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or any(not isinstance(v, str) or not v.strip() for v in value):
            self.fail(key, "must be a list of non-empty texts")
        return tuple(v.strip() for v in value)

    def relative_file(self, value: str, key: str, directory: Path) -> Path:
        path = (directory / value).resolve()
        if not path.is_file():
            self.fail(key, f"{value!r} is not a file (paths are relative to {directory})")
        return path
