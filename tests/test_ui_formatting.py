"""How the chat names a source under an answer."""
from __future__ import annotations

import pytest

from components.ui.formatting import readable_title


@pytest.mark.parametrize("title, shown", [
    ("change-shipping-address", "Change shipping address"),      # a file's slug becomes words
    ("returns.md", "Returns"),
    ("faq", "FAQ"),
    ("kefu Plus membership › Plans", "kefu Plus membership › Plans"),   # the business's own casing, a brand in lower case
    ("iPhone repairs", "iPhone repairs"),
    ("退款政策", "退款政策"),
    ("", "?"),
])
def test_source_titles_read_as_the_business_wrote_them(title, shown):
    assert readable_title(title) == shown
