"""Words of one family: "decision" and "decide", "membership" and "member", "renewal" and "renew".

The keyword stemmer folds inflections ("decides" -> "decid") but not derivations, so a check asking whether the
evidence speaks of what the question asks ("How long until you make a decision?" against "We decide on your claim
within 10 working days") found no shared word and declined a right answer. `forms` adds the base a derived English
term comes from (its suffix -ship, -ment, -al, -ance/-ence, -ure, -ion/-ation, -sion); a check compares the forms of
both sides. Only for checks that ask "is it about the same thing": ranking keeps the plain terms (its model was fitted
on them, and "department" is not "depart")."""
from __future__ import annotations

import re
from functools import lru_cache

# suffix -> what replaces it (the terms are stemmed: "insurance" is "insuranc", "failure" "failur"); at least three
# letters stay before it
_DERIVATIONS = (("ship", ""), ("ment", ""), ("ation", ""), ("ision", "id"), ("usion", "ud"), ("ension", "end"),
                ("ion", ""), ("anc", ""), ("enc", ""), ("ur", ""), ("al", ""))


@lru_cache(maxsize=20_000)
def forms(term: str) -> frozenset[str]:
    """The term and the base it is derived from (normalized terms, as evidence_selection.terms gives them)."""
    out = {term}
    if re.fullmatch(r"[a-z]+", term):
        for suffix, base in _DERIVATIONS:
            if term.endswith(suffix) and len(term) - len(suffix) >= 3:
                out.add(term[: -len(suffix)] + base)
    return frozenset(out)


def share_a_family(a, b) -> bool:
    """Do two collections of normalized terms share a word, derivations folded?"""
    left = {f for t in a for f in forms(t)}
    return any(f in left for t in b for f in forms(t))
