"""The intents panel's handlers, called directly on an NLU with a fake embedder; and the panel builds."""
import json
import zipfile
from types import SimpleNamespace

import gradio as gr
import pytest

from components.nlu import NLU
from components.nlu.intent_pack import write_pack
from components.settings import Settings
from components.ui import intents_panel as panel
from tests.test_nlu_service import TOY, CountingEmbedder


@pytest.fixture
def nlu(tmp_path):
    write_pack(tmp_path / "assets" / "intents" / "toy.csv", TOY)
    service = NLU(Settings(data_dir=tmp_path / "data", assets_dir=tmp_path / "assets"), CountingEmbedder())
    service.start()
    return service


def test_try_sentence(nlu):
    summary, details = panel.try_sentence("cancel my order #W2611340, this is ridiculous", "toy", nlu=nlu)
    assert details["intent"] == "cancel_order" and details["entities"]["order_id"] == "#W2611340"
    assert "`cancel_order`" in summary and "negative" in summary and "anger" in summary
    with pytest.raises(gr.Error, match="Type a sentence"):
        panel.try_sentence("  ", "toy", nlu=nlu)
    with pytest.raises(gr.Error, match="No intent model for domain"):
        panel.try_sentence("hi", "nope", nlu=nlu)


def test_add_then_retrain_changes_the_answer(nlu):
    text = "my parcel came broken, I want my money back"
    assert panel.try_sentence(text, "toy", nlu=nlu)[1]["intent"] != "refund"
    message = panel.add_examples("toy", "refund", "I want my money back\nrefund me please\n\nmoney back for a broken item",
                                 nlu=nlu)
    assert "Added 3 example(s)" in message
    status, metrics = panel.retrain("toy", nlu=nlu)
    assert "retrained" in status and metrics["labels"] == 4
    assert panel.try_sentence(text, "toy", nlu=nlu)[1]["intent"] == "refund"


def test_bad_additions_and_failed_retrain_are_reported(nlu):
    with pytest.raises(gr.Error, match="at least one example"):
        panel.add_examples("toy", "refund", "\n \n", nlu=nlu)
    with pytest.raises(gr.Error, match="no intent label"):
        panel.add_examples("toy", "  ", "hello", nlu=nlu)
    panel.add_examples("toy", "lonely", "just one example", nlu=nlu)
    with pytest.raises(gr.Error, match="previous model keeps serving"):
        panel.retrain("toy", nlu=nlu)
    assert panel.try_sentence("cancel my order", "toy", nlu=nlu)[1]["intent"] == "cancel_order"


def test_import_rasa_and_dialogflow_files(nlu, tmp_path):
    rasa = tmp_path / "nlu.yml"
    rasa.write_text("nlu:\n- intent: greet\n  examples: |\n    - hello\n    - hi there\n", encoding="utf-8")
    assert "Imported 2 example(s) of 1 intent(s)" in panel.import_file("toy", str(rasa), nlu=nlu)
    archive = tmp_path / "agent.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("agent/intents/Bye.json", json.dumps({"name": "bye"}))
        zf.writestr("agent/intents/Bye_usersays_en.json", json.dumps([{"data": [{"text": "goodbye"}]},
                                                                      {"data": [{"text": "see you later"}]}]))
    assert "Imported 2 example(s)" in panel.import_file("toy", str(archive), nlu=nlu)
    panel.retrain("toy", nlu=nlu)
    assert panel.try_sentence("hi there", "toy", nlu=nlu)[1]["intent"] == "greet"
    with pytest.raises(gr.Error, match="upload a Rasa nlu.yml"):
        bad = tmp_path / "notes.txt"
        bad.write_text("hello")
        panel.import_file("toy", str(bad), nlu=nlu)
    with pytest.raises(gr.Error, match="Choose a file"):
        panel.import_file("toy", None, nlu=nlu)


def test_panel_builds(nlu):
    services = SimpleNamespace(nlu=nlu, settings=SimpleNamespace(nlu_default_domain="toy"))
    with gr.Blocks() as demo:
        panel.build_intents_panel(services)
    assert any(getattr(getattr(block, "label", None), "key", None) == "training_metrics"
               for block in demo.blocks.values())


def test_results_read_as_tables_and_sentences_in_both_languages(nlu):
    """No raw JSON: the sentence's intents and the training metrics are (name, value) tables; Chinese reads
    Chinese."""
    summary, details = panel.try_sentence("cancel my order #W2611340, this is ridiculous", "toy", nlu=nlu,
                                          language="zh")
    assert "意图" in summary and "负面" in summary and "愤怒" in summary and "{" not in summary
    table = panel.intents_table(details, "zh")
    assert list(table.columns) == ["意图", "置信度"] and table.iloc[0, 0] == "cancel_order"
    assert table.iloc[0, 1].endswith("%") and len(table) == len(details["top_intents"])
    status, metrics = panel.retrain("toy", nlu=nlu, language="zh")
    assert "已重新训练" in status
    rows = dict(panel.metrics_table(metrics, "zh").values.tolist())
    assert rows["示例数"] == str(metrics["examples"]) and rows["意图数"] == str(metrics["labels"])
    assert set(rows) <= {"业务域", "示例数", "意图数", "留出集准确率", "训练耗时（秒）", "从缓存加载"}
    english = dict(panel.metrics_table(metrics, "en").values.tolist())
    assert english["Examples"] == str(metrics["examples"])
    with pytest.raises(gr.Error, match="请输入"):
        panel.try_sentence(" ", "toy", nlu=nlu, language="zh")
