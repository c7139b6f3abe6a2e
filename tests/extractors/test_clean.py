"""Tests for extractors.clean (reason codes, provider memory) and its storage and CLI ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors import lexicon
from extractors.article import build_article, extract_document
from extractors.clean import clean_paragraphs, line_key
from extractors.relevance import Watch
from flows.app.cli import app
from storage.articles import ArticleBatch, save_batch
from storage.boilerplate import learned_boilerplate
from storage.database import Database

NOW = datetime(2026, 11, 1, tzinfo=UTC)
STORY = [
    "Lawmakers in Lisbon approved a bill on Tuesday that sets up a national authority to oversee artificial intelligence systems used by public bodies.",
    "The authority will keep a public register of the systems and can order a ministry to stop using one that breaks the rules.",
    "Opposition parties said the budget of the new body was too small for the work it was given by the law.",
]
FOOTER = "Tejo Daily · Rua do Ouro 12 · Lisboa"


def _article(url: str, paragraphs: list[str], learned: dict[str, frozenset[str]] | None = None):
    record, kind = extract_document("\n\n".join(paragraphs).encode(), url=url, fetched_at=NOW)
    return build_article(
        record,
        source="s",
        fetched_at=NOW,
        watch=Watch(),
        input_kind=kind,
        boilerplate=learned,
    )


def test_article_about_cookies_keeps_its_cookie_sentences() -> None:
    paragraphs = [
        "Regulators ordered websites to show a reject button next to the accept button on cookie banners, ending years of confusing designs.",
        "Publishers that use cookies for advertising must now ask for consent in one click, the regulator said on Monday.",
        "Companies have six months to change their banners before fines apply.",
    ]

    result = clean_paragraphs(paragraphs, title="Cookie banners must offer reject", reference=NOW)

    assert list(result.paragraphs) == paragraphs
    assert result.removed == ()


def test_site_cookie_notice_and_promo_rows_get_reason_codes() -> None:
    paragraphs = [
        "We use cookies to improve your experience. By continuing you accept our cookie policy.",
        *STORY,
        "Advertisement",
        "Read more: Spain opens its AI sandbox to start-ups",
        "© 2026 Tejo Daily. All rights reserved.",
    ]

    result = clean_paragraphs(paragraphs, title="", reference=NOW)

    reasons = {line.text: line.reason for line in result.removed}
    assert reasons[paragraphs[0]] == "cookie-notice"
    assert reasons["Advertisement"] == "advertisement"
    assert reasons["Read more: Spain opens its AI sandbox to start-ups"] == "read-more"
    assert reasons["© 2026 Tejo Daily. All rights reserved."] == "copyright"
    assert list(result.paragraphs) == STORY


def test_provider_boilerplate_is_learned_per_provider_and_removed(tmp_path: Path) -> None:
    db = Database(tmp_path / "n.duckdb")
    articles = [
        _article(
            f"https://tejo.example.pt/news/{n}",
            [f"Story number {n} opens here. " + STORY[0], *STORY[1:], FOOTER],
        )
        for n in range(3)
    ]
    # The same footer on another provider's pages must not be learned for tejo.
    other = _article("https://other.example.com/a", [*STORY, FOOTER])
    save_batch(db, ArticleBatch(run_id="r1", seen_at=NOW, articles=[*articles, other]))

    learned = learned_boilerplate(db)

    assert line_key(FOOTER) in learned["tejo.example.pt"]
    assert "other.example.com" not in learned
    fresh = _article("https://tejo.example.pt/news/9", [*STORY, FOOTER], learned)
    assert FOOTER not in fresh.record.body
    assert ("provider-repeat", FOOTER) in {(line.reason, line.text) for line in fresh.removed}


def test_a_shard_learns_boilerplate_from_earlier_runs_only(tmp_path: Path) -> None:
    # Shards of one fanned-out run extract while others store: what this run stored must
    # not change another shard's cleaning (it would depend on which shard came first).
    db = Database(tmp_path / "n.duckdb")
    pages = [
        _article(f"https://tejo.example.pt/news/{n}", [f"Story {n}. " + STORY[0], FOOTER])
        for n in range(3)
    ]
    save_batch(db, ArticleBatch(run_id="this-run", seen_at=NOW, articles=pages))

    assert learned_boilerplate(db, before_run="this-run") == {}
    assert line_key(FOOTER) in learned_boilerplate(db, before_run="a-later-run")["tejo.example.pt"]


def test_normalize_explain_lists_removed_lines_with_reasons(tmp_path: Path) -> None:
    source = tmp_path / "story.txt"
    source.write_text(
        "\n\n".join([*STORY, "Share on Facebook | Share on X | Email"]), encoding="utf-8"
    )

    result = CliRunner().invoke(
        app, ["normalize", "--explain", str(source), "--config", "none.yaml"]
    )

    assert result.exit_code == 0, result.output
    assert "share-row" in result.output
    assert "Share on Facebook" in result.output


def test_patterns_for_lowered_text_agree_with_their_case_insensitive_originals() -> None:
    samples = [
        "SUBSCRIBE to our Newsletter",
        "Jetzt ABONNIEREN!",
        "© 2026 Example Media. All rights reserved.",
        "We use COOKIES to improve your experience. Accept?",
        "The minister spoke for an hour about the rules.",
    ]
    for pattern in (
        lexicon.SUBSCRIBE,
        lexicon.COPYRIGHT,
        lexicon.COOKIE_NOTICE,
        lexicon.DISCLAIMER,
    ):
        lowered = lexicon.for_lowered_text(pattern)
        for sample in samples:
            assert bool(lowered.search(sample.lower())) == bool(pattern.search(sample)), sample


def test_a_pattern_with_an_upper_case_literal_is_refused_for_lowered_text() -> None:
    with pytest.raises(ValueError, match="not usable on lowered text"):
        lexicon.for_lowered_text(re.compile(r"\bAP\b|reuters", re.IGNORECASE))
    with pytest.raises(ValueError, match="not usable on lowered text"):
        lexicon.for_lowered_text(re.compile(r"reuters"))


def test_an_unrelated_promo_sentence_above_the_headline_is_removed_and_the_headline_found() -> None:
    paragraphs = [
        "Your weekly horoscope: Scorpios should avoid big money decisions until Thursday. Read all twelve signs here.",
        "Lisbon lawmakers create a national authority to oversee artificial intelligence",
        *STORY,
    ]

    result = clean_paragraphs(paragraphs, reference=NOW)

    assert result.title == paragraphs[1]
    assert list(result.paragraphs) == STORY
    assert [line.reason for line in result.removed] == ["above-headline", "headline"]


def test_an_author_bio_sentence_is_not_mistaken_for_the_last_paragraph() -> None:
    bio = (
        "Ana Ribeiro is a political reporter covering parliament and the courts for the Tejo Daily."
    )
    result = clean_paragraphs([*STORY, "Ana Ribeiro", bio], title="Authority", reference=NOW)

    assert list(result.paragraphs) == STORY
    assert {(line.text, line.reason) for line in result.removed} >= {(bio, "author-bio")}


def test_a_closing_paragraph_about_a_named_person_is_kept() -> None:
    closing = (
        "Maria Lopes was elected to lead the new authority by a large majority of the committee."
    )
    result = clean_paragraphs([*STORY, closing], title="Authority", reference=NOW)

    assert list(result.paragraphs) == [*STORY, closing]


def test_a_learned_stock_sentence_goes_at_the_edges_but_stays_inside_the_article() -> None:
    stock = "Tejo Daily has covered Lisbon and the politics of its region since its first edition in 1998."
    learned = frozenset({line_key(stock)})

    at_the_end = clean_paragraphs(
        [*STORY, stock], title="Authority", reference=NOW, learned=learned
    )
    inside = clean_paragraphs(
        [STORY[0], stock, *STORY[1:]], title="Authority", reference=NOW, learned=learned
    )

    assert list(at_the_end.paragraphs) == STORY
    assert [(line.reason, line.text) for line in at_the_end.removed] == [("provider-repeat", stock)]
    assert stock in inside.paragraphs


def test_a_labelled_sponsored_promo_is_an_advertisement() -> None:
    promo = "Sponsored: Storm-proof your home with 20% off roof repairs – book today"
    result = clean_paragraphs([*STORY[:2], promo, STORY[2]], title="Authority", reference=NOW)

    assert list(result.paragraphs) == STORY
    assert [(line.reason, line.text) for line in result.removed] == [("advertisement", promo)]


def test_teasers_cut_short_after_the_article_are_read_more_links() -> None:
    teasers = [
        "The good folks at the city choir are still doing their thing, and now they have invited two famous drummers to play along with […]",
        "Want to build your own website? Even for a modest personal site, it was once assumed you might wait for days or weeks while a web desig […]",
    ]
    result = clean_paragraphs([*STORY, *teasers], title="Authority", reference=NOW)

    assert list(result.paragraphs) == STORY
    assert [line.reason for line in result.removed] == ["read-more", "read-more"]


def test_an_elided_quotation_inside_the_article_is_kept() -> None:
    quoted = "The minister said the law would apply to every public body that uses such systems […]"
    paragraphs = [STORY[0], quoted, *STORY[1:]]
    result = clean_paragraphs(paragraphs, title="Authority", reference=NOW)

    assert list(result.paragraphs) == paragraphs


def test_a_new_version_of_a_stored_article_keeps_its_first_and_last_paragraphs() -> None:
    learned = frozenset(line_key(line) for line in STORY)

    result = clean_paragraphs(STORY, title="Authority", reference=NOW, learned=learned)

    assert list(result.paragraphs) == STORY


def test_app_prompts_naming_the_app_are_subscribe_rows() -> None:
    prompts = [
        "Download the Harbour Wire app for breaking news alerts on iPhone and Android.",
        "Breaking news in your pocket: download the Harbour Wire apps for iOS and Android.",
        "Laden Sie sich die Weserblick-App herunter.",
        "Téléchargez l'application Le Veilleur pour ne rien manquer.",
    ]
    result = clean_paragraphs([*STORY, *prompts], title="Authority", reference=NOW)

    assert list(result.paragraphs) == STORY
    assert {line.text for line in result.removed} == set(prompts)


def test_following_a_site_is_a_prompt_and_following_steps_is_prose() -> None:
    """Seen on real pages (eval/realpages): "Follow the steps below …" and "Follow the jump for
    the full results" were removed as subscribe prompts; every such line was the article's."""
    steps = "Follow the steps below to move the mooring lines before the works begin."
    prompts = ["Follow the Harbour Gazette on Instagram", "Follow us for more ferry news"]
    result = clean_paragraphs(
        [*STORY[:1], steps, *STORY[1:], *prompts], title="Authority", reference=NOW
    )
    assert steps in result.paragraphs
    assert {line.text: line.reason for line in result.removed} == dict.fromkeys(
        prompts, "subscribe"
    )


@pytest.mark.parametrize(
    "prose",
    [
        "Police warned users to download the banking apps only from official stores.",
        "Viewers can follow the debate on YouTube from seven in the evening.",
    ],
)
def test_an_app_or_a_platform_named_in_a_sentence_is_not_a_prompt(prose: str) -> None:
    """A prompt opens with its imperative; a sentence that mentions one is the article's."""
    result = clean_paragraphs([*STORY[:1], prose, *STORY[1:]], title="Authority", reference=NOW)
    assert prose in result.paragraphs


def test_origin_notes_and_inline_reading_times_are_furniture() -> None:
    furniture = [
        "19.11.2026, 11:42 Uhr · Lesezeit: 3 Min.",
        "Cet article est paru initialement dans notre édition papier du 13 novembre.",
    ]
    result = clean_paragraphs(
        [furniture[0], *STORY, furniture[1]], title="Authority", reference=NOW
    )

    assert list(result.paragraphs) == STORY
    assert [line.reason for line in result.removed] == ["reading-time", "origin-note"]


@pytest.mark.parametrize(
    ("tail", "name", "domain"),
    [
        # A disclaimer in the site's voice naming its own host.
        (
            ["Disclaimer: nothing here is investment advice. Tejodaily.pt holds no liability."],
            "Tejodaily",
            "tejodaily.pt",
        ),
        # A copyright line naming the host, the name spelled by the subscribe line.
        (["© 2026 tejodaily.co.uk", "Subscribe to TejoDaily"], "TejoDaily", "tejodaily.co.uk"),
        # No host, but the same name in two of the site's own lines.
        (["© 2026 Tejo Daily. All rights reserved.", "Subscribe to Tejo Daily"], "Tejo Daily", ""),
    ],
)
def test_provider_is_lifted_from_the_sites_own_boilerplate(
    tail: list[str], name: str, domain: str
) -> None:
    article = _article("file:///in/story.txt", [*STORY, *tail])

    assert (article.record.provider.name, article.record.provider.domain) == (name, domain)
    # The lines themselves still go, with their reasons.
    assert {line.text for line in article.removed} >= set(tail)


@pytest.mark.parametrize(
    "tail",
    [
        # One generic subscribe line names nobody.
        ["Subscribe to Our Newsletter"],
        # A name said once, without a host, is not enough.
        ["© 2026 Tejo Daily. All rights reserved."],
        # Two hosts: which one is the site's is not said.
        ["Disclaimer: prices from coinfeed.example and marketdesk.example hold no liability."],
    ],
)
def test_boilerplate_that_names_no_single_site_lifts_no_provider(tail: list[str]) -> None:
    article = _article("file:///in/story.txt", [*STORY, *tail])

    assert (article.record.provider.name, article.record.provider.domain) == ("", "")


def test_a_lifted_name_does_not_rename_another_hosts_page() -> None:
    tail = ["Disclaimer: not investment advice. Marketdesk.example holds no liability."]
    on_other_host = _article("https://tejodaily.pt/news/lisbon-ai-authority", [*STORY, *tail])
    on_own_host = _article("https://marketdesk.example/news/lisbon-ai-authority", [*STORY, *tail])

    assert (on_other_host.record.provider.name, on_other_host.record.provider.domain) == (
        "",
        "tejodaily.pt",
    )
    assert (on_own_host.record.provider.name, on_own_host.record.provider.domain) == (
        "Marketdesk",
        "marketdesk.example",
    )


HARBOUR_STORY = [
    f"The harbour board voted on {day} to keep the ferry pier open while repair crews "
    f"replace the decking, and the harbour master said the ferry timetable, the pier "
    f"repairs and the board's budget for the harbour would be published in {month}."
    for day, month in [
        ("Monday", "March"),
        ("Tuesday", "April"),
        ("Wednesday", "May"),
        ("Thursday", "June"),
        ("Friday", "July"),
        ("Saturday", "August"),
        ("Sunday", "September"),
        ("a holiday", "October"),
    ]
]


def test_a_closing_sentence_of_its_own_vocabulary_stays_and_a_promo_headline_goes() -> None:
    """On real pages a last aside or quote ("If you need me, I'll be on Mars.") shares few
    words with the story as often as a promo does; only headline-shaped lines go as
    off-topic after the story, and a sentence at the top goes only if it shares nothing
    with the title either (the recipe blurb of seed 002)."""
    aside = "Meanwhile my garden tomatoes ripened early, which nobody in town expected."
    promo = "Twelve Quick Pasta Recipes Every Busy Family Should Try Tonight"
    blurb = "The best fluffy pancake recipe you will fall in love with, full of kitchen tips."
    lede = "Ferry passengers crowded the evening session, many carrying printed questions."
    result = clean_paragraphs(
        [blurb, lede, *HARBOUR_STORY, *HARBOUR_STORY, aside, promo],
        title="Harbour board keeps ferry passengers on the pier",
        reference=NOW,
    )
    removed = {line.text: line.reason for line in result.removed}
    assert removed == {blurb: "offtopic", promo: "offtopic"}
    assert aside in result.paragraphs and lede in result.paragraphs


def test_a_feature_named_picture_in_picture_is_not_a_credit_and_list_items_are_not_captions() -> (
    None
):
    """A browser team's notes (readability's test pages): the heading "Picture-in-Picture"
    was read as a photo credit ("Picture: …") and the list item above it as its caption."""
    items = [
        "- Gijs fixed some flicker when the browser starts with the toolbar shown",
        "- dthayer has some fixes and polish for the skeleton window",
    ]
    later = "- Students will work on Picture-in-Picture again next semester, with two mentors."
    paragraphs = [*STORY, *items, "Picture-in-Picture", later]
    result = clean_paragraphs(paragraphs, title="Firefox engineering notes", reference=NOW)
    assert list(result.paragraphs) == paragraphs


def test_an_introduction_ending_in_a_follow_prompt_stays_a_prompt_set_up_for_the_reader_goes() -> (
    None
):
    """A photo post's introduction ended "… Follow @team on Instagram" and went whole as
    ``subscribe`` (dragnet R520): its first sentence is the article's. A paragraph that opens
    by addressing the reader ("If you enjoyed this post …?") is the prompt's own set-up."""
    intro = (
        "During each week of the season we will collect the best photos taken by our "
        "photographers at the harbour. Here are our picks for this week. Follow @harbourdaily "
        "on Instagram."
    )
    appeal = (
        "If you enjoyed reading this post, would you consider sharing our story? Just "
        "click here. Thanks!"
    )
    result = clean_paragraphs([*STORY, intro, appeal], title="Harbour photos", reference=NOW)
    assert intro in result.paragraphs
    assert {line.text: line.reason for line in result.removed} == {appeal: "subscribe"}


def test_a_narrative_lede_of_its_own_vocabulary_stays_above_the_story() -> None:
    """Real features open on a scene whose words the rest never uses (dragnet R820's space
    marine, a golfer's wedding); such a sentence is the article's. Above the story only a
    sentence that speaks to the reader or for the site, or breaks off as a teaser, goes."""
    lede = (
        "A broad-shouldered drummer thunders across the midnight stage, sweat flying from "
        "his sticks as the lights strobe violet."
    )
    teaser = "Funeral plans, not wedding plans, are being made by a grieving bride..."
    result = clean_paragraphs(
        [teaser, lede, *HARBOUR_STORY, *HARBOUR_STORY],
        title="Harbour board keeps ferry passengers on the pier",
        reference=NOW,
    )
    assert lede in result.paragraphs
    assert {line.text: line.reason for line in result.removed} == {teaser: "offtopic"}


def test_a_sentence_naming_an_app_store_is_prose_a_store_badge_goes() -> None:
    """Store names were furniture cues wherever they stood: a sentence of a column about
    Apple's store rules went as ``subscribe`` (a page of the readability test set)."""
    prose = "The right context is Apple's App Store rules. Other developers are not his job."
    badge = "Get it on Google Play"
    result = clean_paragraphs([*STORY, prose, badge], title="AI authority", reference=NOW)
    assert prose in result.paragraphs
    assert {line.text: line.reason for line in result.removed} == {badge: "subscribe"}


def test_a_paragraph_written_without_spaces_is_not_a_short_line() -> None:
    """A Japanese paragraph has no spaces: counted by spaces it was a one-word line, and a
    store name in it made it a store badge (a Yahoo! Japan news page lost its last paragraph)."""
    japanese = [
        "東京都は火曜日、公共機関が使う人工知能システムを監督する新しい組織を設けると発表した。",
        "新しい組織は登録簿を公開し、規則に反するシステムの使用停止を命じることができる。",
        "この保護機能は、App Storeおよび、Google Playで販売されているセキュリティアプリと併用でき、"
        "不正なアプリや危険なウェブサイトからの保護に加えて通信の盗み見を防ぐことができる。",
    ]
    result = clean_paragraphs(japanese, title="人工知能の監督組織", reference=NOW)
    assert list(result.paragraphs) == japanese


def test_a_japanese_article_is_read_in_sentences_and_its_labels_go() -> None:
    """Chinese and Japanese end sentences with 。！？: without them no line of a Japanese
    article was a sentence, nothing anchored the story and the save and login labels above
    it stayed (a Nikkei page of newspaper4k's test set)."""
    story = [
        "東京都は火曜日、公共機関が使う人工知能システムを監督する新しい組織を設けると発表した。"
        "組織は来年四月に発足し、各局が使うシステムの一覧を公開する。",
        "新しい組織は登録簿を公開し、規則に反するシステムの使用停止を命じることができる。"
        "都の担当者は「透明性を高めたい」と述べた。",
        "野党は予算が少なすぎると批判しており、議会での審議は来月に始まる見通しだ。",
    ]
    labels = ["記事保存", "＞ ログイン"]
    result = clean_paragraphs([*labels, *story], title="人工知能の監督組織", reference=NOW)
    assert list(result.paragraphs) == story
    assert {line.text: line.reason for line in result.removed} == dict.fromkeys(
        labels, "head-fragment"
    )


def test_a_full_sentence_above_a_photo_credit_is_kept_a_caption_fragment_goes() -> None:
    """On real pages the sentence above a credit line was the story's ("Apple did not
    immediately return a request for comment.") as often as a caption; a caption without
    a full stop still goes with its credit."""
    sentence = "The ministry did not immediately return a request for comment."
    caption = "The harbour pier at dawn"
    paragraphs = [*STORY, sentence, "Photo: Reuters", *STORY[:1], caption, "Photo: AP"]
    result = clean_paragraphs(paragraphs, title="Portugal sets up an AI authority", reference=NOW)
    removed = {line.text: line.reason for line in result.removed}
    assert sentence in result.paragraphs
    assert removed == {
        "Photo: Reuters": "photo-credit",
        caption: "caption",
        "Photo: AP": "photo-credit",
    }


def _reasons(result) -> dict[str, str]:
    return {line.text: line.reason for line in result.removed}


@pytest.mark.parametrize(
    "disclosure",
    [
        "The views expressed in this column are the author's own and do not necessarily reflect "
        "those of Tejo Daily.",
        "This post contains affiliate links: if you buy through them, we may earn a small "
        "commission at no extra cost to you.",
        "Anzeige, enthält Affiliate-Links",
        "*Werbung. Dieser Beitrag entstand in Kooperation mit einem Möbelhändler.",
        "Die mit Sternchen (*) gekennzeichneten Links sind sogenannte Affiliate-Links.",
        "Les opinions exprimées dans cette tribune n'engagent que leur auteur.",
        "Las opiniones expresadas son responsabilidad exclusiva de su autor.",
        "The information above does not constitute investment advice; always do your own "
        "research before buying any asset.",
    ],
)
def test_disclosures_in_any_wording_we_read_are_disclaimers(disclosure: str) -> None:
    """Statements about the text (whose opinion, which links pay, what is not advice) go
    wherever they stand, in wordings no other test uses (eval/realpages: "Anzeige, enthält
    Affiliate Links" and opinion notes stayed in 20-odd pages)."""
    result = clean_paragraphs(
        [STORY[0], disclosure, *STORY[1:], disclosure], title="Lisbon AI authority", reference=NOW
    )
    assert list(result.paragraphs) == STORY
    assert set(_reasons(result).values()) == {"disclaimer"}


@pytest.mark.parametrize(
    "news",
    [
        "Zango claims the developers of the toolbar made millions from its affiliate program "
        "before the regulator stepped in.",
        "Werbung nervt, sagte die Ministerin, und kündigte strengere Regeln für Tracking an.",
        "The statement does not reflect the position of the government, the ministry said.",
        "OpenAI says the answers of its chatbot do not constitute legal advice and users should "
        "consult a lawyer.",
        "Finland hopes to become a member of the new AI safety network, the minister said.",
        "OpenAI will fund local newsrooms that test its tools, the company said on Monday.",
    ],
)
def test_a_story_about_disclosures_ads_or_funding_keeps_its_sentences(news: str) -> None:
    result = clean_paragraphs(
        [*STORY[:2], news, STORY[2]], title="Lisbon AI authority", reference=NOW
    )
    assert news in result.paragraphs


@pytest.mark.parametrize(
    "appeal",
    [
        "If you value our reporting, please consider supporting our journalism with a donation "
        "today.",
        "If you’re seeing this message but you’re already a subscriber, you can log in for "
        "immediate access to this story.",
        "Deshalb unterstütze uns monatlich oder einmalig, damit dieses Magazin frei bleibt.",
        "HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS",
    ],
)
def test_an_appeal_for_the_readers_support_goes(appeal: str) -> None:
    result = clean_paragraphs([*STORY, appeal], title="Lisbon AI authority", reference=NOW)
    assert list(result.paragraphs) == STORY
    assert _reasons(result) == {appeal: "support-appeal"}


@pytest.mark.parametrize(
    "pointer",
    [
        "Lea más: El Congreso aprueba la ley de inteligencia artificial",
        "VEA TAMBIÉN: Bruselas abre una consulta sobre los modelos fundacionales",
        "Lesen Sie hier: Was das KI-Gesetz für Behörden bedeutet",
        "Czytaj też: Sejm przyjął ustawę o sztucznej inteligencji",
        "Auch lesen: Diese drei Behörden prüfen jetzt KI-Systeme",
    ],
)
def test_pointers_to_other_stories_in_each_languages_imperative_are_read_more(pointer: str) -> None:
    result = clean_paragraphs(
        [*STORY[:2], pointer, STORY[2]], title="Lisbon AI authority", reference=NOW
    )
    assert _reasons(result) == {pointer: "read-more"}


def test_a_name_that_spells_a_cue_is_not_a_pointer() -> None:
    """Spanish "Lea" is a cue only before a colon: "Lea Schlumberger" is a name in a results list."""
    line = "Lea Schlumberger, 1993, 12.41 s"
    result = clean_paragraphs([*STORY[:2], line, STORY[2]], title="Results", reference=NOW)
    assert line in result.paragraphs


def test_headers_of_the_sites_lists_of_other_pages_take_their_lists() -> None:
    """ "Weitere Themen", "Das könnte dich auch interessieren:", "Top-Themen bei …" head a list
    of the site's other pages; "Weitere Informationen:" introduces the article's own."""
    teasers = ["Wie Behörden KI prüfen", "Was der AI Act verlangt"]
    for header in (
        "Weitere Themen",
        "Das Thema könnte dich auch interessieren:",
        "Top-Themen bei Tejo",
    ):
        result = clean_paragraphs(
            [*STORY, header, *teasers], title="Lisbon AI authority", reference=NOW
        )
        assert list(result.paragraphs) == STORY, header
        assert set(_reasons(result).values()) == {"related-block"}, header
    kept = [
        "Weitere Informationen:",
        "- Register: ai-register.example.pt",
        "- Kontakt: 213 000 000",
    ]
    result = clean_paragraphs([*STORY, *kept], title="Lisbon AI authority", reference=NOW)
    assert "Weitere Informationen:" in result.paragraphs


def test_sentences_closed_by_a_footnote_mark_or_an_emoji_are_sentences() -> None:
    """An epigraph ending "….”1" went as a head fragment, and paragraphs ending in an emoji
    after (or instead of) the stop were not sentences, so a photo credit above one took it
    into a tail block (eval/realpages, trafilatura-eval)."""
    epigraph = "“It is not that we have too little time, but that we waste much of it.”1"
    emoji_stop = (
        "Nuts and seeds give the body zinc and magnesium, which the experts say matter as much "
        "as vitamins. 🌰"
    )
    emoji_only = (
        "Protein counts too. Fish, eggs and lentils bring it to the table and give the hair more "
        "structure 💁🏻‍♀️"
    )
    result = clean_paragraphs(
        [epigraph, *STORY, "©iStock", emoji_stop, emoji_only],
        title="Lisbon AI authority",
        reference=NOW,
    )
    assert _reasons(result) == {"©iStock": "copyright"}


@pytest.mark.parametrize(
    "statement",
    [
        "Le opinioni espresse in questo articolo sono dell'autore.",
        "As opiniões expressas neste artigo não refletem necessariamente a posição do jornal.",
        "Dit artikel geeft niet noodzakelijk de mening van de redactie weer.",
        "Wenn du über diese Links kaufst, erhalten wir eine kleine Provision.",
        "Ce site contient des liens affiliés.",
        "Este artículo contiene enlaces de afiliados.",
        "Questo articolo contiene link di affiliazione.",
        "Als je via deze links koopt, ontvangen we een kleine commissie.",
        "This content is for informational purposes only.",
        "Past performance is not indicative of future results.",
        "Dieser Text ersetzt keine ärztliche Beratung.",
        "Dieser Beitrag stellt keine Anlageberatung dar.",
        "Ce contenu ne constitue pas un conseil en investissement.",
        "Este contenido no constituye una recomendación de inversión.",
        "Il presente articolo non costituisce una consulenza finanziaria.",
        "Este conteúdo não constitui uma recomendação de investimento.",
        "Dit is geen financieel advies.",
        "Les informations sont fournies à titre informatif.",
        "Este artigo é para fins informativos.",
    ],
)
def test_the_disclosure_keywords_let_every_form_through(statement: str) -> None:
    """The keyword pre-check in front of the slow pattern must not hide any of its forms."""
    assert lexicon.DISCLOSURE.search(statement)
    result = clean_paragraphs([*STORY, statement], title="Lisbon AI authority", reference=NOW)
    assert _reasons(result) == {statement: "disclaimer"}
