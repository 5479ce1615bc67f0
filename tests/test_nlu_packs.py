"""Intent packs and importers: malformed files get a clear ValueError; Rasa and Dialogflow exports become packs."""
import json

import pytest

from components.nlu.importers import import_dialogflow, import_rasa
from components.nlu.intent_pack import examples_hash, load_pack, read_examples, write_pack


def _csv(tmp_path, content: str, name="pack.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_good_pack_is_cleaned(tmp_path):
    path = _csv(tmp_path, "text,label\nhello  there,greet\nhello there,greet\n＃Ｗ１ hi,greet\nbye,leave\nsee ya,leave\n")
    rows = load_pack(path)
    assert ("hello there", "greet") in rows and ("#W1 hi", "greet") in rows
    assert len(rows) == 4  # the duplicate after normalising is dropped


@pytest.mark.parametrize("content, message", [
    ("utterance,intent\nhi,greet\n", "no column 'text', 'label'"),
    ("text\nhi\n", "no column 'label'"),
    ("", "is empty"),
    ("text,label\nhi,greet\nbye,leave\n", "at least 2 different examples"),
    ("text,label\nhi,greet\nhello,greet\nbye,\n", "empty 'label'"),
    ("text,label\nhi,greet\nhello,greet\n", "at least two intents"),
])
def test_malformed_pack(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        load_pack(_csv(tmp_path, content))


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\ncafé,order\n".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_examples(path)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_pack(tmp_path / "nope.csv")


def test_million_rows_refused(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w") as fh:
        fh.write("text,label\n")
        fh.writelines(f"example {i},label{i % 50}\n" for i in range(1_000_000))
    with pytest.raises(ValueError, match="more than 200,000 rows"):
        load_pack(path)


def test_custom_columns(tmp_path):
    path = _csv(tmp_path, "utterance,intent,extra\nhi,greet,x\nhello,greet,y\nbye,leave,z\nciao,leave,w\n")
    assert len(read_examples(path, text_col="utterance", label_col="intent")) == 4


def test_hash_ignores_order_but_not_content():
    a = [("hi", "greet"), ("bye", "leave")]
    assert examples_hash(a) == examples_hash(list(reversed(a)))
    assert examples_hash(a) != examples_hash([("hi", "greet"), ("bye", "greet")])


def test_shipped_packs_load(tmp_path):
    from components.settings import Settings
    from components.nlu import default_packs

    packs = default_packs(Settings())
    assert {"ecommerce", "banking"} <= set(packs)
    ecommerce = load_pack(packs["ecommerce"])
    labels = {label for _, label in ecommerce}
    assert len(labels) >= 27 and {"track_order", "cancel_order", "get_refund", "contact_human_agent"} <= labels
    assert ("我想查询我的订单状态", "track_order") in ecommerce
    assert len({label for _, label in load_pack(packs["banking"])}) == 77


RASA_NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello there
    - 你好
- intent: check_order
  examples: |
    - where is order [W2611340](order_id)
    - status of my order [#W5918442]{"entity": "order_id"}
- synonym: savings
  examples: |
    - pink pig
- intent: long_form
  examples:
  - text: first one
    metadata: {sentiment: neutral}
  - text: second one
"""


def test_import_rasa(tmp_path):
    pairs = import_rasa(_csv(tmp_path, RASA_NLU, "nlu.yml"))
    assert ("where is order W2611340", "check_order") in pairs
    assert ("status of my order #W5918442", "check_order") in pairs
    assert ("你好", "greet") in pairs and ("second one", "long_form") in pairs
    assert all(label != "savings" for _, label in pairs)
    # the result is a pack that loads
    assert len(load_pack(write_pack(tmp_path / "rasa.csv", pairs))) == len(pairs)


@pytest.mark.parametrize("content, message", [
    ("nlu: [", "not readable YAML"),
    ("version: '3.1'\nrules: []\n", "no 'nlu:' list"),
    ("nlu:\n- synonym: x\n  examples: |\n    - y\n", "no intent examples"),
])
def test_import_rasa_bad(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        import_rasa(_csv(tmp_path, content, "nlu.yml"))


def _dialogflow_agent(root):
    intents = root / "intents"
    intents.mkdir(parents=True)
    (root / "agent.json").write_text(json.dumps({"language": "en"}))
    (intents / "Order Status.json").write_text(json.dumps({"name": "order.status", "responses": []}))
    (intents / "Order Status_usersays_en.json").write_text(json.dumps([
        {"data": [{"text": "where is order "}, {"text": "#W2611340", "meta": "@order", "alias": "order"}]},
        {"data": [{"text": "track my package"}]},
    ]))
    (intents / "Order Status_usersays_zh-cn.json").write_text(json.dumps([
        {"data": [{"text": "我的订单到哪了"}]},
    ], ensure_ascii=False), encoding="utf-8")
    (intents / "Default Fallback Intent.json").write_text(json.dumps({"name": "Default Fallback Intent"}))
    (intents / "Cancel.json").write_text(json.dumps({"name": "cancel"}))
    (intents / "Cancel_usersays_en.json").write_text(json.dumps([
        {"data": [{"text": "cancel my order"}]}, {"data": [{"text": "I don't want it anymore"}]}]))
    return root


def test_import_dialogflow(tmp_path):
    pairs = import_dialogflow(_dialogflow_agent(tmp_path / "agent"))
    assert ("where is order #W2611340", "order.status") in pairs
    assert ("我的订单到哪了", "order.status") in pairs
    assert ("cancel my order", "cancel") in pairs
    english = import_dialogflow(tmp_path / "agent", language="en")
    assert ("我的订单到哪了", "order.status") not in english and len(english) == 4


def test_import_dialogflow_bad(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        import_dialogflow(tmp_path / "missing")
    (tmp_path / "empty" / "intents").mkdir(parents=True)
    with pytest.raises(ValueError, match="no intent files"):
        import_dialogflow(tmp_path / "empty")
    agent = _dialogflow_agent(tmp_path / "broken")
    (agent / "intents" / "Cancel_usersays_en.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        import_dialogflow(agent)
