"""Evaluations of one workspace: `python app.py eval dialogues|answers|intents --workspace ID`.

Dialogues and answers run the workspace's own scenarios (its scenarios/*.yaml, unless --scenarios names a file)
through the full pipeline on a temporary data directory serving that workspace alone; intents cross-validate its
intent packs (components/nlu/eval.py run_intent_cv) unless --train/--test name files.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import yaml

from components.workspaces.registry import WorkspaceRegistry, user_dir
from components.workspaces.workspace import Workspace


def find_workspace(settings, workspace_id: str) -> Workspace:
    """Any workspace on disk (shipped or added), whether or not KEFU_WORKSPACES serves it."""
    return WorkspaceRegistry.from_settings(dataclasses.replace(settings, workspaces="all")).get(workspace_id)


def eval_settings(settings, tmp: Path, workspace_id: str | None):
    """Settings for an evaluation on the temporary data dir `tmp` (the weights cache stays the real one), serving
    `workspace_id` alone (a team's own workspace is copied next to it, since it lives in the data dir)."""
    scoped = dataclasses.replace(settings, data_dir=Path(tmp), cache_dir_override=settings.cache_dir)
    if not workspace_id:
        return scoped
    workspace = find_workspace(settings, workspace_id)
    added = user_dir(settings).resolve()
    if added in workspace.directory.parents:
        shutil.copytree(workspace.directory, user_dir(scoped) / workspace.id)
    return dataclasses.replace(scoped, workspaces=workspace.id)


@contextlib.contextmanager
def evaluation_services(settings, services=None, workspace_id: str | None = None,
                        prefix: str = "kefu-eval-") -> Iterator:
    """The services an evaluation runs on: `services` when given, else services built and warmed up on a temporary
    data dir serving `workspace_id` alone (eval_settings), closed and removed after the block."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        own = services is None
        if own:
            from components.services import build_services

            services = build_services(eval_settings(settings, Path(tmp), workspace_id))
            status = services.warm_up()
            if not status.ready:
                raise RuntimeError(f"could not start the pipeline: {status.error}")
        try:
            yield services
        finally:
            if own:
                services.close()


def run_facts(result: dict, started: float, files: list[str], workspace_id: str | None) -> dict:
    """`result` with how long the run took since `started`, the scenario files read and the workspace it ran in."""
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["scenarios_file"] = ", ".join(files)
    if workspace_id:
        result["workspace"] = workspace_id
    return result


def scenario_suite(settings, workspace_id: str) -> tuple[list[dict], list[str]]:
    """Every scenario in the workspace's scenarios/*.yaml (names prefixed by their file), and the files read."""
    workspace = find_workspace(settings, workspace_id)
    files = sorted(workspace.scenarios_dir.glob("*.yaml")) + sorted(workspace.scenarios_dir.glob("*.yml"))
    if not files:
        raise FileNotFoundError(f"The {workspace.id!r} workspace has no scenarios: add YAML files to "
                                f"{workspace.scenarios_dir} or pass --scenarios FILE")
    suite: list[dict] = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a YAML list of scenarios, each {{name, turns: [{{user, expect}}]}}")
        suite.extend({**s, "name": f"{path.stem}: {s.get('name', '?')}"} for s in data if isinstance(s, dict))
    return suite, [str(p) for p in files]


def choose_scenarios(settings, scenarios: str | None, workspace: str | None) -> tuple[list[dict], list[str]]:
    """The --scenarios file, else the workspace's own scenarios; ValueError when neither is named."""
    from components.dialogue.dialogue_eval import load_scenarios

    if scenarios:
        return load_scenarios(scenarios), [str(scenarios)]
    if workspace:
        return scenario_suite(settings, workspace)
    raise ValueError("Name the scenarios (--scenarios FILE.yaml) or a workspace (--workspace ID)")


def intent_pack_files(settings, workspace_id: str) -> list[Path]:
    workspace = find_workspace(settings, workspace_id)
    if workspace.intents:
        return list(workspace.intents)
    from components.nlu import default_packs

    packs = default_packs(settings)
    if workspace.nlu_domain not in packs:
        raise ValueError(f"The {workspace.id!r} workspace has no intent pack (intents: [] and no shipped pack "
                         f"{workspace.nlu_domain!r})")
    return [packs[workspace.nlu_domain]]


def run_workspace_intent_eval(settings, *, workspace: str, folds: int = 5) -> dict:
    """Cross-validate the workspace's intent packs together (as the NLU trains them)."""
    from components.nlu.eval import run_intent_cv
    from components.nlu.intent_pack import read_examples

    files = intent_pack_files(settings, workspace)
    with tempfile.TemporaryDirectory(prefix="kefu-intents-") as tmp:
        data = Path(tmp) / f"{workspace}.csv"
        with data.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["text", "label"])
            for path in files:
                writer.writerows(read_examples(path))
        result = run_intent_cv(settings, data=str(data), folds=folds)
    return {"workspace": workspace, "packs": [str(p) for p in files], **result}
