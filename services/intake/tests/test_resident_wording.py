"""Every message to residents reads at B1 level by a Dutch readability formula, and a municipality
can edit the wording (a template that would not render is refused).

Flesch-Douma (textstat's Dutch Flesch: 206.835 - 0.93 x words/sentence - 77 x syllables/word)
reads 60-70 as "redelijk makkelijk" and 70-80 as "makkelijk". B1 guidance for Dutch government
letters (short sentences, common words of at most a few syllables) lands at 70 or more, so each
template must score at least 70, with at most 15 words per sentence on average. URLs are left out:
they are no language. The same bar applies to the fixed sentences of the status page.
"""

from __future__ import annotations

import textstat

from klachtstroom.intake.resident.progress import OUTCOME_TEXT, STATUS_TEXT, UPDATE_TEXT
from klachtstroom.intake.resident.wording import (
    DEFAULTS,
    Wording,
    WordingRefused,
    check,
    render,
    sample_context,
)

MIN_FLESCH_DOUMA = 70.0
MAX_WORDS_PER_SENTENCE = 15.0


def readability(text: str) -> tuple[float, float]:
    textstat.set_lang("nl")
    prose = "\n".join(line for line in text.splitlines() if "://" not in line)
    return textstat.flesch_reading_ease(prose), textstat.words_per_sentence(prose)


def test_every_message_template_reads_at_b1_level() -> None:
    scores = {}
    for kind, wording in DEFAULTS.items():
        subject, body = render(wording, sample_context(kind))
        scores[kind] = readability(f"{subject}.\n{body}")
    for kind, (douma, words) in scores.items():
        assert douma >= MIN_FLESCH_DOUMA, f"{kind}: Flesch-Douma {douma:.1f}"
        assert words <= MAX_WORDS_PER_SENTENCE, f"{kind}: {words:.1f} words per sentence"


def test_the_status_page_sentences_read_at_b1_level() -> None:
    sentences = [
        *STATUS_TEXT.values(),
        *UPDATE_TEXT.values(),
        *(f"Ons oordeel: {t}." for t in OUTCOME_TEXT.values()),
    ]
    douma, words = readability("\n".join(sentences))
    assert douma >= MIN_FLESCH_DOUMA and words <= MAX_WORDS_PER_SENTENCE


def test_the_formula_tells_hard_dutch_from_easy_dutch() -> None:
    # The check can fail: ambtelijk Dutch (long sentences, long words) scores far below the bar.
    hard = (
        "Naar aanleiding van uw schriftelijke klachtmelding betreffende de onheuse bejegening door een "
        "medewerker van de afdeling Werk en Inkomen delen wij u mede dat de behandelingstermijn ingevolge "
        "artikel 9:11 van de Algemene wet bestuursrecht met ten hoogste vier weken wordt verdaagd."
    )
    assert readability(hard)[0] < MIN_FLESCH_DOUMA


def test_a_template_that_does_not_render_is_refused() -> None:
    try:
        check("receipt", Wording("Klacht {{ reference }}", "Beste {{ naam_van_de_inwoner }},"))
    except WordingRefused:
        pass
    else:
        raise AssertionError("an unknown variable was accepted")
    check("receipt", Wording("Klacht {{ reference }}", "U vindt uw klacht op {{ status_url }}."))
