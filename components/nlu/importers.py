"""Import intents from other tools into kefu intent packs (CSV `text,label`).

- Rasa: an `nlu.yml` (format 3.x: `nlu:` list of `- intent: NAME` with `examples: |` lines `- text`). Entity
  annotations `[Berlin](city)` / `[Berlin]{"entity": "city"}` become their plain text.
- Dialogflow ES agent export (zip unpacked): `intents/NAME.json` with `intents/NAME_usersays_LANG.json`, whose
  examples are lists of text parts.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from components.nlu.intent_pack import clean_examples

_RASA_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _rasa_plain(text: str) -> str:
    return _RASA_ENTITY.sub(r"\1", text)


def import_rasa(path: str | Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from a Rasa NLU YAML file; synonyms, regexes and lookups are skipped."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Rasa file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} is not readable YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("nlu"), list):
        raise ValueError(f"{path.name} has no 'nlu:' list; is it a Rasa 2/3 nlu.yml?")
    pairs: list[tuple[str, str]] = []
    for block in data["nlu"]:
        if not isinstance(block, dict) or "intent" not in block:
            continue  # synonym:, regex:, lookup: blocks
        intent = str(block["intent"]).strip()
        examples = block.get("examples", "")
        if isinstance(examples, str):
            lines = [line.strip() for line in examples.splitlines()]
            texts = [line[1:].strip() for line in lines if line.startswith("-")]
        elif isinstance(examples, list):  # the long form: - text: ... (with metadata)
            texts = [str(e.get("text", "")) if isinstance(e, dict) else str(e) for e in examples]
        else:
            raise ValueError(f"{path.name}: intent {intent!r} has examples of an unknown form")
        pairs.extend((_rasa_plain(t), intent) for t in texts if t.strip())
    if not pairs:
        raise ValueError(f"{path.name} has no intent examples")
    return clean_examples(pairs)


def import_dialogflow(directory: str | Path, language: str | None = None) -> list[tuple[str, str]]:
    """(text, intent) pairs from an unpacked Dialogflow ES agent export (the folder holding `intents/`).

    `language` ("en", "zh-cn", …) picks one `_usersays_<language>.json` per intent; by default all languages.
    """
    directory = Path(directory)
    intents_dir = directory / "intents" if (directory / "intents").is_dir() else directory
    if not intents_dir.is_dir():
        raise ValueError(f"{directory} is not a folder; unpack the Dialogflow export zip first")
    pairs: list[tuple[str, str]] = []
    intent_files = [p for p in sorted(intents_dir.glob("*.json")) if "_usersays_" not in p.name]
    if not intent_files:
        raise ValueError(f"{intents_dir} has no intent files (intents/NAME.json); is it a Dialogflow export?")
    for intent_file in intent_files:
        try:
            meta = json.loads(intent_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{intent_file.name} is not valid JSON: {exc}") from exc
        name = str(meta.get("name") or intent_file.stem).strip() if isinstance(meta, dict) else intent_file.stem
        pattern = f"{intent_file.stem}_usersays_{language or '*'}.json"
        for says_file in sorted(intents_dir.glob(pattern)):
            try:
                says = json.loads(says_file.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ValueError(f"{says_file.name} is not valid JSON: {exc}") from exc
            if not isinstance(says, list):
                raise ValueError(f"{says_file.name} should hold a list of examples")
            for example in says:
                parts = example.get("data", []) if isinstance(example, dict) else []
                text = "".join(str(part.get("text", "")) for part in parts if isinstance(part, dict))
                if text.strip():
                    pairs.append((text, name))
    if not pairs:
        raise ValueError(f"{intents_dir} has intents but no training phrases (*_usersays_*.json)")
    return clean_examples(pairs)
