"""kefu's engine as a service: `python app.py serve-engine` (OpenAI-compatible /v1/chat/completions)."""
