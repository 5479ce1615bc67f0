"""kefu — the composition root. `python app.py` serves the UI; `python app.py --help` lists the subcommands."""
import os
import sys

# air-gapped by design: models come from installed packages, never from a hub download at run time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from components.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
