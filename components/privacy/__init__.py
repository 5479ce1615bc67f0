"""Privacy and safety: PII redaction with an encrypted vault, prompt-injection guard, data rights
(forget, retention) and rate limiting. Nothing here imports gradio; nothing runs at import time."""
