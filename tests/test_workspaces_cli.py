"""`python app.py workspaces list|create|export|import` and `agents grant`, run through the real command line
(in-process, on a temporary data dir)."""
from __future__ import annotations

import json
import zipfile

import pytest
import yaml

from components.cli import main


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_WORKSPACES", "all")
    return tmp_path / "data"


def run(capsys, *argv) -> tuple[int, dict | str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else err)


def test_create_export_import_and_list(data_dir, tmp_path, capsys):
    code, created = run(capsys, "workspaces", "create", "salon", "--name", "Lotus Salon")
    assert code == 0 and (data_dir / "workspaces" / "salon" / "workspace.yaml").is_file()
    code, exported = run(capsys, "workspaces", "export", "shop", "--out", str(tmp_path / "shop.zip"))
    assert code == 0 and exported["files"] > 20
    with zipfile.ZipFile(tmp_path / "shop.zip") as archive:
        names = archive.namelist()
        data = yaml.safe_load(archive.read("shop/workspace.yaml"))
    # the shop's documents and intent pack live outside its folder: the export carries them
    assert "shop/kb/faq.csv" in names and "shop/intents/ecommerce.csv" in names
    assert data["kb"] == "kb" and data["intents"] == ["intents/ecommerce.csv"] and "nlu_domain" not in data
    code, err = run(capsys, "workspaces", "import", str(tmp_path / "shop.zip"))
    assert code == 2 and "shipped with kefu" in err
    code, imported = run(capsys, "workspaces", "import", str(tmp_path / "shop.zip"), "--id", "outlet")
    assert code == 0 and imported["imported"] == "outlet"
    code, listed = run(capsys, "workspaces", "list")
    assert code == 0 and listed["served"][0] == "shop" and {"salon", "outlet"} <= set(listed["served"])
    outlet = next(w for w in listed["workspaces"] if w["id"] == "outlet")
    assert outlet["kb"].startswith(str(data_dir)) and outlet["intent_packs"][0].endswith("ecommerce.csv")


def test_bad_imports_are_refused_before_anything_is_written(data_dir, tmp_path, capsys):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("x/../../escape.txt", "no")
    code, err = run(capsys, "workspaces", "import", str(evil))
    assert code == 2 and "outside the workspace folder" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "workspace.yaml").write_text("id: broken\nname: {en: B}\nlanguages: [en]\ncolour: red\n")
    code, err = run(capsys, "workspaces", "import", str(broken))
    assert code == 2 and "workspace.yaml: colour: unknown key" in err
    assert not (data_dir / "workspaces" / "broken").exists()


def test_agents_get_roles_per_workspace_from_the_command_line(data_dir, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
    code, added = run(capsys, "agents", "add", "ann", "--password-stdin", "--workspace", "clinic")
    assert code == 0 and added["workspace"] == "clinic"
    code, granted = run(capsys, "agents", "grant", "ann", "bank", "--role", "supervisor")
    assert code == 0 and granted["roles"] == {"bank": "supervisor", "clinic": "agent"}
    code, listed = run(capsys, "agents", "list")
    assert listed["agents"] == {"ann": {"bank": "supervisor", "clinic": "agent"}}


def test_workspace_evaluations_find_their_scenarios_and_serve_the_workspace_alone(data_dir, tmp_path, capsys):
    from components.settings import Settings
    from components.workspaces.workspace_eval import choose_scenarios, eval_settings, intent_pack_files

    settings = Settings(data_dir=data_dir, workspaces="all")
    suite, files = choose_scenarios(settings, None, "shop")  # the shop's are assets/scenarios/*.yaml
    assert len(files) == 3 and len(suite) >= 60 and suite[0]["name"].startswith("attacks: ")
    assert [p.name for p in intent_pack_files(settings, "shop")] == ["ecommerce.csv"]
    with pytest.raises(ValueError, match="--scenarios FILE.yaml"):
        choose_scenarios(settings, None, None)
    run(capsys, "workspaces", "create", "salon", "--name", "Lotus Salon")
    with pytest.raises(FileNotFoundError, match="has no scenarios"):
        choose_scenarios(settings, None, "salon")
    scoped = eval_settings(settings, tmp_path / "eval", "salon")  # a team's workspace travels to the eval dir
    assert scoped.workspaces == "salon" and (tmp_path / "eval" / "workspaces" / "salon" / "workspace.yaml").is_file()
    assert scoped.cache_dir == settings.cache_dir
