"""Tests for extractors.language: the language of article text."""

from __future__ import annotations

import time

import pytest

from extractors.language import (
    MAX_CHARS,
    SUPPORTED_LANGUAGES,
    detect_language,
    normalise_language_tag,
)

# Short news paragraphs and headlines, written for these tests.
PARAGRAPHS = [
    (
        "en",
        "The central bank held interest rates steady on Thursday, citing persistent inflation in services.",
    ),
    (
        "en",
        "Firefighters battled the blaze through the night as strong winds pushed the flames toward nearby villages.",
    ),
    (
        "en",
        "Shares in the carmaker fell sharply after it cut its profit forecast for the second time this year.",
    ),
    ("en", "Election officials said turnout was the highest in two decades."),
    ("en", "Storm closes schools in the north"),
    ("en", "The company said the outage affected customers across Europe for about three hours."),
    (
        "de",
        "Die Europäische Zentralbank hat den Leitzins am Donnerstag erneut unverändert gelassen.",
    ),
    (
        "de",
        "Nach dem schweren Unwetter sind in mehreren Gemeinden noch immer Tausende Haushalte ohne Strom.",
    ),
    ("de", "Der Bundestag hat das umstrittene Gesetz mit knapper Mehrheit verabschiedet."),
    ("de", "Die Polizei sucht weiterhin nach Zeugen des Unfalls auf der Autobahn."),
    ("de", "Bahnstreik legt Fernverkehr lahm"),
    (
        "de",
        "Die Inflation in Deutschland ist im Februar leicht gesunken, teilte das Statistische Bundesamt mit.",
    ),
    (
        "fr",
        "Le gouvernement a présenté mercredi un projet de loi visant à réformer le système des retraites.",
    ),
    (
        "fr",
        "Les pompiers ont lutté toute la nuit contre un incendie qui a ravagé plusieurs hectares de forêt.",
    ),
    ("fr", "La Banque centrale européenne a maintenu ses taux directeurs inchangés jeudi."),
    ("fr", "Selon la préfecture, aucune victime n'est à déplorer."),
    ("fr", "Grève massive dans les transports"),
    (
        "fr",
        "Le président a annoncé qu'il se rendrait au sommet la semaine prochaine pour défendre ce texte.",
    ),
    (
        "es",
        "El Gobierno aprobó este martes un nuevo paquete de medidas para frenar la subida de los precios.",
    ),
    ("es", "Los bomberos trabajaron durante toda la noche para controlar el incendio forestal."),
    ("es", "El Banco Central Europeo mantuvo los tipos de interés sin cambios el jueves."),
    ("es", "La policía detuvo a dos sospechosos tras el robo en una joyería del centro."),
    ("es", "Huelga general paraliza el país"),
    ("es", "Según fuentes del ministerio, la reunión se celebrará la próxima semana en Bruselas."),
    (
        "it",
        "Il governo ha approvato ieri un decreto per sostenere le famiglie colpite dall'alluvione.",
    ),
    ("it", "I vigili del fuoco hanno lavorato tutta la notte per spegnere l'incendio nel bosco."),
    ("it", "La Banca centrale europea ha lasciato invariati i tassi di interesse giovedì."),
    ("it", "Secondo la questura, non ci sono feriti gravi."),
    ("it", "Sciopero dei treni in tutta Italia"),
    (
        "it",
        "Il presidente del Consiglio ha detto che la riforma sarà presentata entro la fine dell'anno.",
    ),
    (
        "pt",
        "O governo aprovou nesta terça-feira um novo pacote de medidas para conter a alta dos preços.",
    ),
    ("pt", "Os bombeiros trabalharam durante toda a noite para controlar o incêndio florestal."),
    ("pt", "O Banco Central Europeu manteve as taxas de juro inalteradas na quinta-feira."),
    ("pt", "A polícia deteve dois suspeitos após o assalto a uma joalharia no centro da cidade."),
    ("pt", "Greve geral paralisa o país"),
    (
        "pt",
        "Segundo fontes do ministério, a reunião vai realizar-se na próxima semana em Bruxelas.",
    ),
    (
        "nl",
        "De regering heeft dinsdag een nieuw pakket maatregelen gepresenteerd om de stijgende prijzen aan te pakken.",
    ),
    ("nl", "De brandweer heeft de hele nacht gewerkt om de bosbrand onder controle te krijgen."),
    ("nl", "De Europese Centrale Bank heeft de rente donderdag ongewijzigd gelaten."),
    ("nl", "Volgens de politie zijn er geen zwaargewonden gevallen."),
    ("nl", "Staking legt treinverkeer plat"),
    (
        "nl",
        "De minister zei dat het wetsvoorstel voor het einde van het jaar naar de Tweede Kamer gaat.",
    ),
    # other scripts
    ("ru", "Международный валютный фонд повысил прогноз роста мировой экономики."),
    ("uk", "Уряд ухвалив рішення про підвищення мінімальної заробітної плати з наступного року."),
    ("zh", "国际货币基金组织上调了今年全球经济增长预期"),
    ("ja", "日本銀行は金融政策決定会合で政策金利を据え置いた"),
    ("ar", "صندوق النقد الدولي يرفع توقعاته لنمو الاقتصاد العالمي"),
    ("pl", "Rząd przyjął w czwartek projekt ustawy o podwyżce płacy minimalnej."),
]


@pytest.mark.parametrize(("expected", "text"), PARAGRAPHS)
def test_news_paragraphs(expected: str, text: str) -> None:
    assert detect_language(text) == expected


# A headline is not long enough to overrule the page's declaration; a sentence is.
@pytest.mark.parametrize(("expected", "text"), [p for p in PARAGRAPHS if len(p[1]) >= 60])
def test_confident_text_beats_a_wrong_hint(expected: str, text: str) -> None:
    wrong = "fr" if expected != "fr" else "de"

    assert detect_language(text, hint=wrong) == expected


# --- too little to judge ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0",
        "2026",
        "12.03.2026 18:07 Uhr",
        "Foto: Reuters / AFP",
        "Regierung stürzt",
        "https://example.com/2026/03/a-1",
        "+49 30 1234 5678 — 10:30",
    ],
)
def test_too_short_gives_none(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("text", "hint"), [("Regierung stürzt", "de"), ("Le maire démissionne", "fr"), ("", "nl")]
)
def test_too_short_gives_the_hint(text: str, hint: str) -> None:
    assert detect_language(text, hint=hint) == hint


# --- ambiguous text --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit",
        "Donald Trump Emmanuel Macron Olaf Scholz",
        "Real Madrid Barcelona Atletico",
        "x" * 3000,
    ],
)
def test_ambiguous_text_gives_none_or_the_hint(text: str) -> None:
    assert detect_language(text) is None
    assert detect_language(text, hint="pt-BR") == "pt"


def test_hint_wins_when_the_model_is_unsure() -> None:
    # Names and loanwords: German is likeliest, Dutch is plausible.
    text = "Volkswagen Siemens Allianz BASF Bayer"

    assert detect_language(text) == "de"
    assert detect_language(text, hint="nl") == "nl"


def test_hint_the_text_rules_out_loses() -> None:
    text = "Greve geral paralisa o país"

    assert detect_language(text, hint="de") == "pt"
    assert detect_language(text, hint="es") == "es"  # a close neighbour is not ruled out


def test_hint_outside_the_model_wins_only_when_the_text_is_lost() -> None:
    assert detect_language("Greve geral paralisa o país", hint="ga") == "pt"
    assert detect_language("Lorem ipsum dolor sit amet, consectetur", hint="ga") == "ga"


# --- what is scored --------------------------------------------------------------


def test_only_the_head_of_long_text_is_scored() -> None:
    german = dict(PARAGRAPHS)["de"]
    head = (german + " ") * (MAX_CHARS // len(german) + 1)
    tail = " ".join(text for code, text in PARAGRAPHS if code == "en") * 20

    assert detect_language(head + tail) == "de"
    assert detect_language(tail + head) == "en"


def test_long_text_without_spaces_is_scored() -> None:
    assert detect_language("国际货币基金组织上调了今年全球经济增长预期" * 200) == "zh"


def test_answers_are_supported_languages() -> None:
    assert {detect_language(text) for _, text in PARAGRAPHS} <= SUPPORTED_LANGUAGES


def test_is_fast_per_paragraph() -> None:
    # ~60 µs a paragraph after the one-off model load; the bound is generous for CI.
    detect_language(PARAGRAPHS[0][1])
    start = time.perf_counter()
    for _ in range(5):
        for _, text in PARAGRAPHS:
            detect_language(text)

    assert (time.perf_counter() - start) / (5 * len(PARAGRAPHS)) < 0.005


# --- language tags ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("EN-gb", "en"),
        ("pt_BR", "pt"),
        (" de ", "de"),
        ("zh-Hant-TW", "zh"),
        ("iw", "he"),
        ("in", "id"),
        ("nb-NO", "no"),
        ("eng", None),
        ("x-default", None),
        ("und", None),
        ("", None),
        (None, None),
        ("e", None),
        ("12", None),
    ],
)
def test_normalise_language_tag(tag: str | None, expected: str | None) -> None:
    assert normalise_language_tag(tag) == expected
