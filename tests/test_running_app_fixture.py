"""tests/conftest.py's RunningApp: a start-up that times out (as on a loaded box) stops its app instead of leaving a
`python app.py` behind for the rest of the session."""
from __future__ import annotations

import pytest

from tests.conftest import RunningApp


def test_a_start_that_times_out_leaves_no_app_behind(tmp_path):
    app = RunningApp(tmp_path / "data", tmp_path / "cache")
    with pytest.raises(TimeoutError, match="not ready after"):
        app.start(timeout=0.5)  # a real start-up takes far longer than half a second
    assert app.proc is not None and not app.running
    assert app.proc.returncode is not None and app in RunningApp.started
    app.stop()  # stopping again is harmless
