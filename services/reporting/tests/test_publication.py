"""What reporting publishes: configured names only, and free text de-identified (deduce)."""

from __future__ import annotations

from klachtstroom.reporting.publication.deidentify import deidentify
from klachtstroom.reporting.publication.disclosure import publishable_names

PLANTED = ("Jan Jansen", "Dorpsstraat 1", "123456782", "0612345678", "jan@example.nl", "5 februari")


def test_free_text_loses_names_addresses_numbers_and_dates() -> None:
    text = (
        "Op 5 februari belde Jan Jansen (Dorpsstraat 1, BSN 123456782, tel. 0612345678, "
        "jan@example.nl) over zijn uitkering."
    )
    published = deidentify(text)
    for planted in PLANTED:
        assert planted not in published, published
    assert "uitkering" in published  # what the text is about stays


def test_only_listed_names_in_three_or_more_registrations_are_published() -> None:
    seen = ["Inkomen"] * 3 + ["Werk"] * 2 + ["Jan Jansen, Dorpsstraat 1"] * 3
    assert publishable_names(seen, {"Inkomen", "Werk"}, 3) == {"Inkomen"}
    assert publishable_names(seen, None, 3) == set()  # no list configured: no names at all
