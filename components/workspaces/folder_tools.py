"""`python app.py workspaces list|create|export|import`: a team adds a fifth business from a folder, without code.

    workspaces list                         the served workspaces, every one on disk, and broken folders with why
    workspaces create ID --name "Name"      a valid skeleton in <data_dir>/workspaces/ID/ to fill in
    workspaces export ID --out FILE.zip     the folder as a zip; documents or packs kept elsewhere (the shop's kb/) are
                                            copied in and workspace.yaml pointed at the copies
    workspaces import FILE.zip|FOLDER       checked (workspace.yaml loads, ids do not clash) before anything is written

A workspace added this way is served once KEFU_WORKSPACES names it (or is "all") and the app restarts.
"""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import yaml

from components.workspaces.registry import WorkspaceRegistry, shipped_dir, user_dir
from components.workspaces.workspace import ID_PATTERN, WORKSPACE_FILE, WorkspaceError, load_workspace

_MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _all(settings) -> WorkspaceRegistry:
    return WorkspaceRegistry.from_settings(dataclasses.replace(settings, workspaces="all"))


def run_list(settings) -> dict:
    everything = _all(settings)
    try:
        served = WorkspaceRegistry.from_settings(settings).ids()
    except WorkspaceError as exc:
        served, everything.problems["KEFU_WORKSPACES"] = [], str(exc)
    return {"served": served, "setting": settings.workspaces,
            "workspaces": [{**ws.summary(), "served": ws.id in served} for ws in everything.list()],
            "problems": everything.problems}


def run_create(settings, *, workspace: str, name: str) -> dict:
    if not ID_PATTERN.match(workspace or ""):
        raise ValueError(f"{workspace!r} is not a workspace id: use 1-40 of a-z, 0-9, '_' and '-'")
    _refuse_clash(settings, workspace)
    name = (name or "").strip() or workspace.title()
    folder = user_dir(settings) / workspace
    data = {
        "id": workspace,
        "name": {"en": name, "zh": name},
        "languages": ["en", "zh"],
        "welcome": {"en": f"Hello! I'm the {name} assistant. How can I help?",
                    "zh": f"您好！我是{name}的智能客服，请问有什么可以帮您？"},
        "examples": {"en": ["What are your opening hours?"], "zh": ["你们几点营业？"]},
        "tone": {"en": "Friendly and brief.", "zh": "亲切、简洁。"},
        "scope": {"en": f"questions about {name}", "zh": f"{name}相关的问题"},
        "public_contacts": [],
        "intents": [],
        "desk": None,
        "handoff": {"intents": []},
        "safety": {"sensitive_pii": []},
    }
    for sub in ("kb", "intents", "scenarios", "data"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / WORKSPACE_FILE).write_text(
        "# Fill in the texts, put help documents (.md, .txt, FAQ .csv with question,answer) in kb/, intent packs\n"
        "# (text,label CSVs) in intents/ and list them under intents:, scenarios in scenarios/.\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (folder / "kb" / "about.md").write_text(f"# About {name}\n\nDescribe what {name} does here.\n", encoding="utf-8")
    (folder / "SOURCE.txt").write_text("Written for this workspace by its team.\n", encoding="utf-8")
    load_workspace(folder)  # what was written must load
    return {"created": workspace, "folder": str(folder), "served_after_restart_with": _serve_hint(settings, workspace)}


def run_export(settings, *, workspace: str, out: str) -> dict:
    ws = _all(settings).get(workspace)
    target = Path(out)
    if target.suffix != ".zip":
        raise ValueError(f"{out}: the export is a .zip file")
    with tempfile.TemporaryDirectory(prefix="kefu-ws-export-") as tmp:
        staged = Path(tmp) / ws.id
        shutil.copytree(ws.directory, staged)
        data = yaml.safe_load((ws.directory / WORKSPACE_FILE).read_text(encoding="utf-8"))
        if ws.kb_dir is not None and ws.directory not in ws.kb_dir.parents and ws.kb_dir != ws.directory:
            shutil.copytree(ws.kb_dir, staged / "kb", dirs_exist_ok=True)  # the shop's documents live in kb/
            data["kb"] = "kb"
        if ws.scenarios_dir is not None and ws.directory not in ws.scenarios_dir.parents and ws.scenarios_dir.is_dir():
            shutil.copytree(ws.scenarios_dir, staged / "scenarios", dirs_exist_ok=True)
            data.pop("scenarios", None)
        packs = []
        for path in ws.intents:
            if ws.directory in path.parents:
                packs.append(path.relative_to(ws.directory).as_posix())
            else:
                (staged / "intents").mkdir(exist_ok=True)
                shutil.copy2(path, staged / "intents" / path.name)
                packs.append(f"intents/{path.name}")
        data["intents"] = packs
        if not ws.intents and ws.nlu_domain:
            from components.nlu import default_packs

            shipped = default_packs(settings).get(ws.nlu_domain)
            if shipped is not None:  # the shop's pack is assets/intents/ecommerce.csv: carried along
                (staged / "intents").mkdir(exist_ok=True)
                shutil.copy2(shipped, staged / "intents" / shipped.name)
                data["intents"] = [f"intents/{shipped.name}"]
        if data["intents"]:
            data.pop("nlu_domain", None)  # its packs travel with it: trained as the workspace's own domain
        (staged / WORKSPACE_FILE).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                             encoding="utf-8")
        load_workspace(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, f"{ws.id}/{path.relative_to(staged).as_posix()}")
    return {"exported": ws.id, "file": str(target), "files": len(files), "bytes": target.stat().st_size}


def run_import(settings, *, source: str, replace: bool = False, new_id: str | None = None) -> dict:
    """Check a zip (from `export`) or a folder, then copy it to <data_dir>/workspaces/<id>/ (`new_id`: under
    another id, e.g. a second shop)."""
    path = Path(source)
    with tempfile.TemporaryDirectory(prefix="kefu-ws-import-") as tmp:
        if path.is_dir():
            folder = path
        elif path.is_file() and zipfile.is_zipfile(path):
            folder = _unzip(path, Path(tmp) / "unpacked")
        else:
            raise FileNotFoundError(f"{source}: neither a folder nor a zip file")
        if new_id:
            if not ID_PATTERN.match(new_id):
                raise ValueError(f"{new_id!r} is not a workspace id: use 1-40 of a-z, 0-9, '_' and '-'")
            renamed = Path(tmp) / new_id
            shutil.copytree(folder, renamed)
            data = yaml.safe_load((renamed / WORKSPACE_FILE).read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise WorkspaceError(f"{folder / WORKSPACE_FILE}: the file must be a mapping of keys")
            data["id"] = new_id
            (renamed / WORKSPACE_FILE).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                  encoding="utf-8")
            folder = renamed
        workspace = load_workspace(folder)  # WorkspaceError names the file and the key
        if workspace.desk:
            module = workspace.desk.partition(":")[0]
            import importlib.util

            if importlib.util.find_spec(module) is None:
                raise WorkspaceError(f"{folder / WORKSPACE_FILE}: desk: {module} is not installed in this app; "
                                     "import the workspace with desk: null or install its desk first")
        if workspace.kb_dir is not None and folder.resolve() not in workspace.kb_dir.parents:
            raise WorkspaceError(f"{folder / WORKSPACE_FILE}: kb: must be a folder inside the workspace to import it")
        target = user_dir(settings) / workspace.id
        _refuse_clash(settings, workspace.id, allow_user=replace)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, target)
    load_workspace(target)
    return {"imported": workspace.id, "folder": str(target),
            "served_after_restart_with": _serve_hint(settings, workspace.id)}


def _unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > _MAX_IMPORT_BYTES:
            raise ValueError(f"{path}: more than {_MAX_IMPORT_BYTES // 2 ** 20} MB unpacked; too big to import")
        roots = set()
        for member in members:
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(f"{path}: {member.filename!r} would be written outside the workspace folder")
            roots.add(name.parts[0])
        if len(roots) != 1:
            raise ValueError(f"{path}: expected one top folder (the workspace id), found {sorted(roots)}")
        archive.extractall(into)
    return into / roots.pop()


def _refuse_clash(settings, workspace_id: str, allow_user: bool = False) -> None:
    if (shipped_dir(settings) / workspace_id).exists():
        raise ValueError(f"{workspace_id!r} is a workspace shipped with kefu; choose another id")
    if not allow_user and (user_dir(settings) / workspace_id).exists():
        raise ValueError(f"A workspace {workspace_id!r} exists already in {user_dir(settings)}; "
                         "pass --replace to overwrite it")


def _serve_hint(settings, workspace_id: str) -> str:
    current = (settings.workspaces or "").strip()
    if current.lower() in ("all", "*"):
        return "KEFU_WORKSPACES=all (already)"
    return f"KEFU_WORKSPACES={current},{workspace_id}" if current else "KEFU_WORKSPACES=all"
