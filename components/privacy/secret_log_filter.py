"""Mask configured secret values (KEFU_VAULT_KEY, KEFU_OPENAI_API_KEY) in every log record and warning.

Settings already render secrets masked in repr/str; this filter is the second line: whatever prints a secret value
(a library's warning that formats an object, an exception message quoting a header) has it replaced by `***`
before a handler writes it. `install_secret_masking(settings)` attaches it to the root logger's handlers and routes
`warnings.warn` through logging, so Python warnings are masked too."""
from __future__ import annotations

import logging

from components.settings import MASK

# a short "secret" (e.g. "abc") would mask ordinary words; the settings require longer keys anyway
MIN_SECRET_LENGTH = 6


class SecretLogFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the formatter to complain
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            if self.mask(text) != text:
                record.msg = f"{record.msg}\n{self.mask(text)}"
                record.exc_info, record.exc_text = None, None
        return True


def install_secret_masking(settings, logger: logging.Logger | None = None) -> SecretLogFilter:
    """Attach a SecretLogFilter for the settings' secret values to every handler of `logger` (the root logger by
    default) and send Python warnings through logging."""
    target = logger or logging.getLogger()
    secret_filter = SecretLogFilter(settings.secret_values())
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretLogFilter)]:
            handler.removeFilter(old)
        handler.addFilter(secret_filter)
    logging.captureWarnings(True)
    return secret_filter
