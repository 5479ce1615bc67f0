"""Every setting components/settings.py reads from the environment has a row in README's configuration table."""
from __future__ import annotations

import dataclasses
import re

from components.settings import Settings
from tests.conftest import ROOT


def configuration_rows(readme: str) -> set[str]:
    """The variable names in the first column of the table under `## Configuration`."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 3:
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[1]))
    return names


def test_every_setting_has_a_row_in_the_readme_configuration_table():
    read = {Settings.env_name(f.name) for f in dataclasses.fields(Settings)}
    source = (ROOT / "components" / "settings.py").read_text()
    assert set(re.findall(r"\bKEFU_[A-Z0-9_]*[A-Z0-9]\b", source)) <= read, "a KEFU_ name in settings.py is not a field"
    assert "KEFU_UPLOAD_MAX_MB" in read and "GRADIO_SERVER_PORT" in read
    listed = configuration_rows((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sorted(read - listed) == [], "settings with no row in README's configuration table"
    assert sorted(n for n in listed - read if n.startswith("KEFU_")) == [], "rows for settings that do not exist"
