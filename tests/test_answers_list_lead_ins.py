"""A list item that only names a thing is stated with the lead-in it is listed under (components/answers/
list_lead_ins.py; issue #15: "Sleep aids;" alone reads as a yes to "can I buy sleep aids?")."""
from __future__ import annotations

from components.answers.list_lead_ins import bare_item, item_with_lead_in
from tests.fakes import scored_unit


def scored(text, kind, doc="age", score=1.0):
    return scored_unit(text, kind=kind, title="Age limits", doc=doc, score=score)


LIST = scored("Only customers aged 21 or over can buy these: garden chemicals, lamp oil, lighters.", "list", score=0.8)


def test_what_only_names_a_thing():
    assert bare_item("Lamp oil;") and bare_item("garden chemicals")
    assert not bare_item("Lisbon store: 10:00 to 20:00")
    assert not bare_item("Packs of 24 or more")
    assert not bare_item("You can return sealed devices within 30 days of delivery.")


def test_a_bare_item_ranked_first_gives_way_to_its_list_at_its_score():
    item = scored("Lamp oil;", "list_item")
    other = scored("We deliver lamp oil by courier only.", "sentence")
    ranked = item_with_lead_in([item, other, LIST])
    assert [s.unit.text for s in ranked] == [LIST.unit.text, other.unit.text]
    assert ranked[0].score == item.score
    # no list holding the item, another document's list, or an item that says something: as it was
    assert item_with_lead_in([item, other]) == [item, other]
    elsewhere = scored(LIST.unit.text, "list", doc="other")
    assert item_with_lead_in([item, elsewhere]) == [item, elsewhere]
    valued = scored("Lamp oil: 2 bottles per order", "list_item")
    assert item_with_lead_in([valued, LIST]) == [valued, LIST]
