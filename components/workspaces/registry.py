"""Which workspaces this app serves: the shipped folders (assets/workspaces/*/) and the ones a team added
(<data_dir>/workspaces/*/, written by `python app.py workspaces create|import`), filtered by KEFU_WORKSPACES.

    registry = WorkspaceRegistry.from_settings(settings)
    registry.ids()          # ["shop", "bank", ...]: as KEFU_WORKSPACES lists them; with "all", by each
                            # workspace's `order` (the shop's is 0), shipped before added ones, then by id
    registry.default        # the first one (the shop when it is served)
    registry.get("clinic")  # ValueError naming the served ids when it is not one of them

A folder whose workspace.yaml is broken is not served, and the reason is kept in `registry.problems` (shown by
`workspaces list` and logged); the others still load.
"""
from __future__ import annotations

import logging
from pathlib import Path

from components.workspaces.workspace import WORKSPACE_FILE, Workspace, WorkspaceError, load_workspace

log = logging.getLogger(__name__)

DEFAULT_WORKSPACE = "shop"


def shipped_dir(settings) -> Path:
    return Path(settings.assets_dir) / "workspaces"


def user_dir(settings) -> Path:
    """Workspaces a team added without code live here (inside the data dir, so they survive upgrades)."""
    return Path(settings.data_dir) / "workspaces"


class WorkspaceRegistry:
    def __init__(self, folders: list[Path], selection: str = "all"):
        """`folders`: parents of workspace folders, earlier ones winning an id clash; `selection`: "all" or
        comma-separated ids (the KEFU_WORKSPACES setting)."""
        self.folders = [Path(f) for f in folders]
        self.selection = selection
        self.problems: dict[str, str] = {}
        self._workspaces: dict[str, Workspace] = {}
        self.reload()

    @classmethod
    def from_settings(cls, settings) -> "WorkspaceRegistry":
        return cls([shipped_dir(settings), user_dir(settings)], getattr(settings, "workspaces", DEFAULT_WORKSPACE))

    def reload(self) -> None:
        found: dict[str, Workspace] = {}
        rank: dict[str, int] = {}  # shipped folders before added ones at the same `order`
        problems: dict[str, str] = {}
        for number, parent in enumerate(self.folders):
            if not parent.is_dir():
                continue
            for folder in sorted(p for p in parent.iterdir() if (p / WORKSPACE_FILE).is_file()):
                if folder.name in found:
                    problems[f"{folder}"] = f"id {folder.name!r} is already served from {found[folder.name].directory}"
                    continue
                try:
                    found[folder.name] = load_workspace(folder)
                    rank[folder.name] = number
                except WorkspaceError as exc:
                    problems[str(folder)] = str(exc)
                    log.error("workspace not loaded: %s", exc)
        wanted = _selection(self.selection)
        if wanted is not None:
            missing = [ws_id for ws_id in wanted if ws_id not in found]
            for ws_id in missing:
                problems[ws_id] = f"KEFU_WORKSPACES names {ws_id!r}, but no valid folder has that id"
            # the setting's order: its first workspace is the default
            self._workspaces = {ws_id: found[ws_id] for ws_id in wanted if ws_id in found}
        else:
            self._workspaces = dict(sorted(found.items(), key=lambda item: (item[1].order, rank[item[0]], item[0])))
        self.problems = problems
        if not self._workspaces:
            raise WorkspaceError("No workspace to serve: " + ("; ".join(problems.values()) or
                                                              f"no folder under {', '.join(map(str, self.folders))}"))

    def ids(self) -> list[str]:
        return list(self._workspaces)

    def list(self) -> list[Workspace]:
        return list(self._workspaces.values())

    @property
    def default(self) -> Workspace:
        return next(iter(self._workspaces.values()))

    def get(self, workspace_id: str | None) -> Workspace:
        """The workspace `workspace_id` (None or "" = the default). ValueError names the served ids."""
        if not workspace_id:
            return self.default
        workspace = self._workspaces.get(str(workspace_id).strip().lower())
        if workspace is None:
            raise ValueError(f"Unknown workspace {workspace_id!r}: this app serves {', '.join(self.ids())} "
                             "(KEFU_WORKSPACES chooses which)")
        return workspace

    def __contains__(self, workspace_id: str) -> bool:
        return workspace_id in self._workspaces


def _selection(text: str) -> list[str] | None:
    text = (text or "").strip().lower()
    if text in ("", "all", "*"):
        return None
    return [part.strip() for part in text.split(",") if part.strip()]
