"""End-to-end benchmark of the newswatch pipeline on a generated local news web (issue 1).

What it does, in order:

1. Generates N (default 500) distinct article pages of 30-60 KB that look like real news
   pages (navigation, ads, share bars, related links, comments, footer, JSON-LD / Open
   Graph, a hydration-state script) on five "sites", each served on its own port of
   127.0.0.1 by a ``ThreadingHTTPServer`` in a background thread of this process, plus one
   RSS 2.0 feed per site (N/5 items each). Bodies recombine and perturb the fixture pages'
   paragraphs (``tests/fixtures/site/articles``) with generated sentences; ~5 % of the pages
   are exact syndicated copies of a wire story on a regional site, ~10 % are off-topic.
2. Runs each configuration in a fresh child process (``--child NAME``) so that its peak RSS
   is its own and no configuration warms another's caches:

   * ``stages``: the ``flows.stages.listing`` and ``flows.pipeline`` stage functions called directly, no Prefect;
   * ``flow``: ``flows.monitor.daily_monitor`` on Prefect's ephemeral API (a warm-up flow run
     on a tiny config first, so the API start-up is reported on its own), then a re-run on
     the same database, which must store nothing new; then, to take Prefect's overhead
     apart, 3-article runs, runs without the flow-run heartbeat and a measurement of
     Prefect's walk over the task arguments;
   * ``ours`` / ``trafilatura``: our extraction (``extract_document`` + ``build_article``)
     versus plain ``trafilatura.extract`` over the same pages held in memory.

   The HTTP servers stay in the parent, which idles meanwhile: the fetch stage then pays
   for the client only, as it would against remote sites, and the served pages do not
   count towards the children's memory.
3. Prints a Markdown report; ``--write`` replaces the "## End-to-end run (issue 1)" section
   of ``BENCHMARKS.md`` with it.

Usage::

    .venv/bin/python bench/bench_pipeline.py [--articles N] [--repeat R] [--write] [--keep]
"""

from __future__ import annotations

import argparse
import dataclasses
import email.utils
import html
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from benchmarks_md import update_section

REPO = Path(__file__).resolve().parent.parent
# The project is normally installed in editable mode; this keeps `python bench/...` working
# from a plain checkout too (sys.path[0] is bench/, not the repository root).
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FIXTURES = REPO / "tests" / "fixtures" / "site" / "articles"
BENCHMARKS = REPO / "BENCHMARKS.md"
SECTION = "## End-to-end run (issue 1)"
COMMAND = ".venv/bin/python bench/bench_pipeline.py --write"
SEED = 20261122
SYNDICATED_SHARE = 0.05
MIN_PAGE_BYTES, MAX_PAGE_BYTES = 30_000, 60_000
# The stages as the flow names its tasks; the no-Prefect run times the same calls.
STAGES = (
    "load-config",
    "begin-run",
    "list-sources",
    "skip-known",
    "fetch-articles",
    "extract-articles",
    "store-articles",
    "report-run",
)

# ------------------------------------------------------------------------------ vocabulary


def _options(text: str) -> tuple[str, ...]:
    """Vocabulary written as "a | b | c" (compact, and one place to read all choices)."""
    return tuple(option.strip() for option in text.split("|"))


FIRST_NAMES = _options(
    "Maria | Jonas | Amara | Kenji | Sofia | Daniel | Priya | Lukas | Elena | Tomás | "
    "Hannah | Omar | Chloé | Mateo | Ingrid | Samuel | Aiko | Fatima | Pieter | Grace | "
    "Rafael | Nadia | Oliver | Leila | Henrik | Zainab | Marco | Yuki"
)
LAST_NAMES = _options(
    "Lindqvist | Keller | Osei | Watanabe | Marchetti | Okonkwo | Herrera | Brandt | Nair | "
    "Dubois | Kowalski | Fischer | Mensah | Silva | Novak | Haddad | Larsen | Moreau | "
    "Tanaka | Reyes | Byrne | Costa | Schmidt | Adeyemi | Varga | Lund | Ferreira | "
    "Oyelaran"
)
WEEKDAYS = _options("Monday | Tuesday | Wednesday | Thursday | Friday | Saturday | Sunday")
MONTHS = _options(
    "January | February | March | April | May | June | July | August | September | October | "
    "November | December"
)
CITIES = _options(
    "Brussels | Washington | Tokyo | London | Paris | Berlin | Geneva | Ottawa | Singapore | "
    "Seoul | Delhi | Strasbourg | Rome | Madrid | Stockholm | Canberra | Nairobi | Brasília"
)
ACTORS = _options(
    "The European Commission | Officials at the EU AI Office | "
    "Lawmakers in the European Parliament | The US Commerce Department | "
    "Britain's AI Security Institute | Japan's digital ministry | "
    "A group of G7 digital ministers | The OECD secretariat | Regulators in Singapore | "
    "The Canadian government | Members of the Senate commerce committee | "
    "The UN's scientific panel on AI | Consumer groups | Industry associations | "
    "Civil society organisations | Data protection authorities | "
    "A coalition of state attorneys general | Several large AI developers | "
    "National standards bodies | The Council of Europe"
)
ORGS = _options(
    "the AI Office | the Digital Accountability Network | "
    "the Center for AI Standards and Innovation | "
    "the Institute for Global Technology Policy | a Brussels trade body | the OECD | "
    "the UN advisory body | a Washington think tank | the Future of Computing Forum | "
    "a consumer rights group | the national data protection authority | "
    "an industry coalition"
)
ROLES = _options(
    "a senior official | a policy director | a research fellow | the head of regulation | "
    "a spokesperson | a former adviser | the chief executive | a professor of law | "
    "a lead negotiator"
)
INSTRUMENTS = _options(
    "AI Act | draft regulation | executive order | code of conduct | new AI law | "
    "proposed bill | UN resolution | export control rule | voluntary governance framework | "
    "guidance on general-purpose AI | Hiroshima AI Process code | "
    "Council of Europe convention on AI"
)
AI_OBJECTS = _options(
    "general-purpose AI models | high-risk AI systems | chatbots used in public services | "
    "algorithmic hiring tools | AI chips shipped to third countries | "
    "facial recognition in public spaces | training data disclosures | "
    "incident reporting for frontier models | watermarking of AI-generated images | "
    "AI systems used in credit scoring | open-weight models | "
    "automated decision-making in welfare offices | AI safety evaluations | "
    "data centre chips for AI training"
)
ACTIONS = _options(
    "publish guidance on | open a consultation on | tighten the rules for | "
    "delay enforcement of the rules for | review its policy on | set up a register of | "
    "require independent audits of | fund research into | harmonise standards for | "
    "propose limits on"
)
TIMEFRAMES = _options(
    "before the end of the year | within 90 days | by the spring | "
    "in the next legislative session | over the coming months | as early as next week | "
    "before the summit in June | by the end of the decade"
)
SAY = _options("said | told reporters | argued | warned | noted | wrote in a letter | confirmed")
EFFECTS = _options(
    "change how companies document their models | "
    "give regulators new powers to demand information | take years to enforce properly | "
    "raise compliance costs for smaller firms | close loopholes that exporters have used | "
    "bring much-needed clarity to the market | "
    "set a benchmark that other governments will follow"
)
GAPS = _options(
    "liability for harm unresolved | open-weight models largely untouched | "
    "enforcement to understaffed national agencies | military uses of AI outside its scope | "
    "the question of training data copyright open"
)
BENEFITS = _options(
    "gives companies legal certainty | is a workable first step | "
    "protects citizens without stifling research | "
    "aligns the rules with those of trading partners"
)
QUOTE_CLAIMS = _options(
    "The grace period is over and the rules now have to be enforced | "
    "Nobody wants a patchwork of national AI laws | "
    "Voluntary commitments only work if someone checks them | "
    "We will not trade safety for speed | Smaller firms need guidance, not just fines | "
    "International cooperation on AI is no longer optional | "
    "The policy has to keep up with the technology"
)
GROUPS = _options("companies | developers | compliance officers | startups | public agencies")
HEADLINE_ACTORS = _options(
    "EU | Brussels | US Commerce Department | G7 | UK government | Japan | OECD | UN panel | "
    "Senate committee | Germany | France | Canada | India | Singapore | European Parliament"
)
HEADLINE_VERBS = _options(
    "moves to tighten rules on | delays enforcement of rules for | opens consultation on | "
    "unveils plan to audit | sets deadline for reports on | weighs limits on | "
    "backs voluntary code for | proposes register of | fines developer over | "
    "issues guidance on"
)
SUBHEADINGS = _options(
    "What changes now | A slow start, then a deadline | The enforcement question | "
    "Industry reaction | What comes next | The international picture | Open questions | "
    "Who is affected"
)
LIST_ITEMS = _options(
    "documentation of training data sources and copyright opt-outs; | "
    "results of adversarial testing carried out before release; | "
    "procedures for reporting serious incidents to the regulator; | "
    "cybersecurity protections for model weights; | "
    "a public summary of the system's intended uses; | "
    "human oversight for decisions that affect individuals; | "
    "an annual report on risk-management processes;"
)
# Off-topic vocabulary: no term of the watch's subject group may appear here.
TEAMS = _options(
    "Harbour City Rovers | Millbrook Athletic | Eastfield United | Northgate Wanderers | "
    "Riverside Town | Castlebay FC"
)
TOWNS = _options("Millbrook | Eastfield | Northgate | Riverside | Castlebay | Oakham Vale")
STREETS = _options(
    "Station Road | High Street | Mill Lane | Church Street | Quayside | Park Avenue"
)
INGREDIENTS = _options("plain flour | buttermilk | oats | brown sugar | blueberries | ricotta")
OFF_SUBHEADINGS = _options(
    "How it happened | What the manager said | Method | Local reaction | Next"
)
COMMENT_OPENERS = _options(
    "Honestly, | Interesting piece. | I disagree: | Good reporting. | Not convinced. | "
    "As someone who works in this field, | Finally! | Typical."
)
COMMENT_CLAIMS = _options(
    "the timeline looks optimistic to me | nobody will read these reports anyway | "
    "this should have happened years ago | the article misses the cost for small businesses | "
    "I would like to see the actual text before judging | "
    "the comments here are more informative than the press release | "
    "let's see whether anyone actually gets fined | great to see local reporting on this"
)
DE_ACTORS = _options(
    "Die Bundesregierung | Die EU-Kommission | Der Digitalausschuss des Bundestages | "
    "Die Bundesnetzagentur | Der Branchenverband | Die Datenschutzkonferenz"
)
DE_DUTIES = _options(
    "ihre Trainingsdaten dokumentieren | schwere Vorfälle melden | "
    "ein Risikomanagement nachweisen | menschliche Aufsicht sicherstellen"
)
FR_ACTORS = _options(
    "Le gouvernement | La Commission européenne | La CNIL | Le Conseil d'État | "
    "Le ministère du Numérique | Une coalition d'entreprises"
)
FR_DUTIES = _options(
    "documenter leurs données d'entraînement | signaler les incidents graves | "
    "prouver la maîtrise des risques | garantir un contrôle humain"
)

# ---------------------------------------------------------------------------- the watch

WATCH_YAML = """\
watch:
  name: bench-watch
  match_all:
    subject: [AI, artificial intelligence, machine learning, algorithm*, chatbot*, KI,
              künstliche Intelligenz, IA, intelligence artificielle]
    governance: [governance, regulat*, policy, law, laws, bill, act, Act, code of conduct,
                 export control*, cooperation, resolution, summit, UN, EU, G7, minister*,
                 government*, commission, Gesetz*, Verordnung, loi, réglementation,
                 executive order]
  topics:
    AI: [AI, artificial intelligence, KI, künstliche Intelligenz, IA, intelligence artificielle]
    Export controls: [export control*, chip*]
"""

# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class Site:
    """One fake publisher: its own port, layout skin and feed."""

    key: str
    name: str
    feed_path: str
    header_class: str
    article_class: str
    body_class: str
    json_ld: bool
    exact_time: bool
    amp: bool
    sidebar: bool
    off_topic_share: float
    foreign_every: int = 0


SITES = (
    Site(
        "ledger",
        "The Daily Ledger",
        "/feeds/ledger.xml",
        "site-header",
        "story",
        "story-body",
        json_ld=True,
        exact_time=True,
        amp=True,
        sidebar=False,
        off_topic_share=0.15,
        foreign_every=12,
    ),
    Site(
        "wire",
        "Global Wire",
        "/rss/world.xml",
        "masthead",
        "article",
        "article-body__content",
        json_ld=True,
        exact_time=True,
        amp=True,
        sidebar=False,
        off_topic_share=0.08,
    ),
    Site(
        "courier",
        "Northern Valley Courier",
        "/feed/",
        "nvc-header",
        "asset",
        "entry-content asset-content",
        json_ld=False,
        exact_time=False,
        amp=False,
        sidebar=True,
        off_topic_share=0.30,
    ),
    Site(
        "circuit",
        "Circuit & Code",
        "/feed/",
        "site-header",
        "post type-post hentry entry",
        "entry-content",
        json_ld=False,
        exact_time=True,
        amp=False,
        sidebar=True,
        off_topic_share=0.0,
    ),
    Site(
        "techdesk",
        "TechDesk Policy",
        "/policy/rss.xml",
        "td-header",
        "c-entry",
        "c-entry-content",
        json_ld=True,
        exact_time=True,
        amp=False,
        sidebar=True,
        off_topic_share=0.05,
        foreign_every=15,
    ),
)


@dataclass
class Article:
    """One generated page's content (its layout comes from its site)."""

    index: int
    site: Site
    path: str
    title: str
    standfirst: str
    author: str
    published: datetime
    language: str
    on_topic: bool
    section: str
    blocks: list[tuple[str, Any]]
    tags: list[str]
    copy_of: int | None = None


@dataclass
class GeneratedWeb:
    """Every page and feed, ready to serve, with what the pipeline should find."""

    pages: dict[str, dict[str, tuple[bytes, str]]]  # site key -> path -> (body, content type)
    articles: list[Article]
    feeds: dict[str, str]  # source name -> feed URL
    warmup_feed: str
    page_sizes: list[int]
    syndicated: int
    off_topic: int
    foreign: int
    body_words: list[int] = field(default_factory=list)


class TextFactory:
    """Sentences and paragraphs: fixture text perturbed, plus generated text."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools = _fixture_pools()

    def pick(self, options: Sequence[str]) -> str:
        """One random option."""
        return self.rng.choice(options)

    def person(self) -> str:
        """A made-up full name."""
        return f"{self.pick(FIRST_NAMES)} {self.pick(LAST_NAMES)}"

    def sentence(self) -> str:
        """A generated on-topic English sentence (AI governance)."""
        r, p = self.rng, self.pick
        templates: tuple[Callable[[], str], ...] = (
            lambda: (
                f"{self.person()}, {p(ROLES)} at {p(ORGS)}, said the {p(INSTRUMENTS)} would {p(EFFECTS)} {p(TIMEFRAMES)}."
            ),
            lambda: (
                f"{p(ACTORS)} {p(SAY)} that {p(ACTORS).lower()} would {p(ACTIONS)} {p(AI_OBJECTS)} {p(TIMEFRAMES)}."
            ),
            lambda: (
                f"Under the {p(INSTRUMENTS)}, {p(GROUPS)} would have to report on {p(AI_OBJECTS)} {p(TIMEFRAMES)}."
            ),
            lambda: (
                f"The proposal, which runs to {r.randint(12, 480)} pages, also covers {p(AI_OBJECTS)}."
            ),
            lambda: (
                f"Around {r.randint(11, 89)} percent of {p(GROUPS)} surveyed by {p(ORGS)} expect {p(AI_OBJECTS)} to face stricter regulation."
            ),
            lambda: f"“{p(QUOTE_CLAIMS)},” said {self.person()}, {p(ROLES)} at {p(ORGS)}.",
            lambda: (
                f"A spokesperson for {p(ORGS)} declined to comment on {p(AI_OBJECTS)}, citing the ongoing review."
            ),
            lambda: (
                f"{p(ACTORS)} has hired {r.randint(5, 140)} staff to oversee {p(AI_OBJECTS)}, up from {r.randint(1, 40)} a year earlier."
            ),
            lambda: (
                f"Critics argue that the {p(INSTRUMENTS)} leaves {p(GAPS)}, while supporters say it {p(BENEFITS)}."
            ),
            lambda: (
                f"The summit in {p(CITIES)} on {p(WEEKDAYS)} is expected to focus on {p(AI_OBJECTS)} and {p(AI_OBJECTS)}."
            ),
            lambda: (
                f"Fines for breaching the law could reach {r.randint(7, 35)} million euros or {r.randint(1, 7)} percent of global turnover."
            ),
            lambda: (
                f"The ministry published a consultation on {p(AI_OBJECTS)} on {p(WEEKDAYS)}, inviting comments until {p(MONTHS)}."
            ),
            lambda: (
                f"Lawmakers are also weighing whether {p(AI_OBJECTS)} should be covered by existing consumer protection law."
            ),
            lambda: (
                f"Negotiators in {p(CITIES)} said a compromise on {p(AI_OBJECTS)} was within reach, although the question of {p(AI_OBJECTS)} remained open."
            ),
        )
        return self.rng.choice(templates)()

    def off_sentence(self) -> str:
        """A generated off-topic English sentence (sport, local news, food)."""
        r, p = self.rng, self.pick
        templates: tuple[Callable[[], str], ...] = (
            lambda: (
                f"{p(TEAMS)} beat {p(TEAMS)} {r.randint(1, 5)}-{r.randint(0, 3)} on {p(WEEKDAYS)}, with {self.person()} scoring twice."
            ),
            lambda: (
                f"The {p(TOWNS)} council voted {r.randint(5, 12)} to {r.randint(1, 5)} to close {p(STREETS)} to through traffic, ending months of debate."
            ),
            lambda: (
                f"Residents on {p(STREETS)} said the roadworks had doubled their journey times since {p(MONTHS)}."
            ),
            lambda: (
                f"The recipe calls for {r.randint(100, 400)} grams of {p(INGREDIENTS)} and {r.randint(1, 4)} tablespoons of melted butter."
            ),
            lambda: (
                f"Forecasters expect heavy rain across the valley through {p(WEEKDAYS)}, with temperatures around {r.randint(2, 19)} degrees."
            ),
            lambda: (
                f"{self.person()}, who has run the bakery on {p(STREETS)} for {r.randint(3, 40)} years, said trade had never been better."
            ),
            lambda: (
                f"Tickets for the winter fair in {p(TOWNS)} go on sale on {p(WEEKDAYS)} and cost {r.randint(4, 30)} pounds."
            ),
            lambda: (
                f"The {p(TEAMS)} manager said his striker would miss {r.randint(2, 9)} weeks with a hamstring injury."
            ),
            lambda: f"Serve the pancakes warm with {p(INGREDIENTS)} and a spoonful of yoghurt.",
        )
        return self.rng.choice(templates)()

    def foreign_sentence(self, language: str) -> str:
        """A generated on-topic sentence in German or French."""
        r, p = self.rng, self.pick
        if language == "de":
            options = (
                f"{p(DE_ACTORS)} will bis {p(MONTHS)} Leitlinien zur KI-Verordnung vorlegen.",
                f"Anbieter von KI-Systemen sollen künftig {p(DE_DUTIES)}, heißt es in dem Entwurf.",
                f"{self.person()} sagte, das Gesetz über künstliche Intelligenz sei ein wichtiger erster Schritt.",
                f"Rund {r.randint(10, 90)} Prozent der befragten Unternehmen halten die Regeln für KI für zu kompliziert.",
                f"{p(DE_ACTORS)} hat nur {r.randint(5, 90)} Stellen für die Aufsicht über KI geschaffen, kritisieren Verbände.",
            )
        else:
            options = (
                f"{p(FR_ACTORS)} doit présenter d'ici {p(MONTHS).lower()} des lignes directrices sur la loi européenne sur l'IA.",
                f"Les fournisseurs de systèmes d'intelligence artificielle devront {p(FR_DUTIES)}, selon le texte.",
                f"{self.person()} a déclaré que la réglementation de l'IA était un premier pas important.",
                f"Environ {r.randint(10, 90)} % des entreprises interrogées jugent la loi sur l'IA trop complexe.",
                f"{p(FR_ACTORS)} ne dispose que de {r.randint(5, 90)} agents pour contrôler l'IA, regrettent les syndicats.",
            )
        return p(options)

    def paragraph(self, make: Callable[[], str], low: int = 2, high: int = 5) -> str:
        """A paragraph of ``low``..``high`` generated sentences."""
        return " ".join(make() for _ in range(self.rng.randint(low, high)))

    def perturb(self, text: str, extra: Callable[[], str]) -> str:
        """Make a fixture paragraph new: sentence order, numbers, weekdays, cities, one more sentence."""
        r = self.rng
        sentences = re.split(r"(?<=[.!?”“])\s+(?=[A-Z“„«(])", text)
        if len(sentences) > 2 and r.random() < 0.5:
            head, rest = sentences[0], sentences[1:]
            r.shuffle(rest)
            sentences = [head, *rest]
        if len(sentences) > 3 and r.random() < 0.4:
            del sentences[r.randrange(1, len(sentences))]
        text = " ".join(sentences)
        if r.random() < 0.6:
            text = re.sub(r"\b\d{1,3}\b", lambda m: str(int(m.group()) + r.randint(1, 9)), text)
        text = re.sub(rf"\b(?:{'|'.join(WEEKDAYS)})\b", lambda _: r.choice(WEEKDAYS), text)
        if r.random() < 0.5:
            text = re.sub(r"\bBrussels\b|\bWashington\b", lambda _: r.choice(CITIES), text)
        if r.random() < 0.4:
            text = f"{text} {extra()}"
        return text

    def headline(self, kind: str) -> str:
        """A headline for an on-topic (``on``), off-topic (``off``) or foreign article."""
        p = self.pick
        if kind == "off":
            return p(
                (
                    f"{p(TEAMS)} edge {p(TEAMS)} in derby thriller",
                    f"{p(TOWNS)} council approves plan for {p(STREETS)}",
                    f"Roadworks on {p(STREETS)} to last until {p(MONTHS)}",
                    f"Fluffy {p(INGREDIENTS)} pancakes in {self.rng.randint(15, 40)} minutes",
                    f"Winter fair returns to {p(TOWNS)} with record stalls",
                )
            )
        if kind == "de":
            return f"{p(DE_ACTORS)} verschärft Aufsicht über künstliche Intelligenz"
        if kind == "fr":
            return f"{p(FR_ACTORS)} précise la réglementation de l'intelligence artificielle"
        return f"{p(HEADLINE_ACTORS)} {p(HEADLINE_VERBS)} {p(AI_OBJECTS)}"

    def comment(self) -> str:
        """A reader comment (clutter the extractor must drop)."""
        return " ".join(
            f"{self.pick(COMMENT_OPENERS)} {self.pick(COMMENT_CLAIMS)}."
            for _ in range(self.rng.randint(1, 3))
        )

    def body(self, kind: str, dateline: str = "") -> list[tuple[str, Any]]:
        """400-900 words of blocks (p, h2, ul, quote) for an article of ``kind``."""
        r = self.rng
        target = r.randint(420, 880)
        if kind == "on":
            pool_names = r.sample(sorted(self.pools["on"]), k=r.randint(1, 3))
            pool = [p for name in pool_names for p in self.pools["on"][name]]
            make, heads = self.sentence, SUBHEADINGS
        elif kind == "off":
            pool = [p for paragraphs in self.pools["off"].values() for p in paragraphs]
            make, heads = self.off_sentence, OFF_SUBHEADINGS
        else:
            pool = list(self.pools[kind]["only"])
            heads = (
                ("Hintergrund", "Kritik", "Ausblick")
                if kind == "de"
                else ("Contexte", "Critiques", "Et après")
            )

            def make() -> str:
                return self.foreign_sentence(kind)

        r.shuffle(pool)
        lead = self.paragraph(make, 2, 3)
        blocks: list[tuple[str, Any]] = [("p", f"{dateline}{lead}")]
        words = len(lead.split())
        since_heading = 1
        used_list = used_quote = False
        while words < target:
            if since_heading >= r.randint(3, 5):
                blocks.append(("h2", r.choice(heads)))
                since_heading = 0
            if kind == "on" and not used_list and words < 800 and r.random() < 0.08:
                items = r.sample(LIST_ITEMS, k=r.randint(3, 5))
                blocks.append(("p", "According to the draft, companies will have to provide:"))
                blocks.append(("ul", items))
                words += sum(len(item.split()) for item in items) + 9
                used_list = True
                continue
            if kind == "on" and not used_quote and words < 820 and r.random() < 0.08:
                quote = f"“{r.choice(QUOTE_CLAIMS)}. {make()}” said {self.person()}."
                blocks.append(("quote", quote))
                words += len(quote.split())
                used_quote = True
                continue
            if pool and r.random() < 0.5:
                text = self.perturb(pool.pop(), make)
            else:
                text = self.paragraph(make)
            if words >= 400 and words + len(text.split()) > 900:
                break  # bodies stay within 400-900 words
            blocks.append(("p", text))
            words += len(text.split())
            since_heading += 1
        return blocks


def _fixture_pools() -> dict[str, dict[str, list[str]]]:
    """Body paragraphs of the fixture pages, by kind and page (read once with trafilatura)."""
    import trafilatura

    kinds = {
        "policy-news.html": "on",
        "wire-story.html": "on",
        "blog-post.html": "on",
        "think-tank.html": "on",
        "export-controls.html": "on",
        "sports-offtopic.html": "off",
        "recipe-offtopic.html": "off",
        "german-news.html": "de",
        "french-news.html": "fr",
    }
    # wire-story-syndicated.html is wire-story.html word for word: nothing new to take.
    pools: dict[str, dict[str, list[str]]] = {"on": {}, "off": {}, "de": {}, "fr": {}}
    for name, kind in kinds.items():
        raw = (FIXTURES / name).read_bytes()
        text = raw.decode("cp1252" if name == "french-news.html" else "utf-8")
        extracted = trafilatura.extract(text, include_comments=False) or ""
        paragraphs = [
            line.strip()
            for line in extracted.splitlines()
            if len(line.split()) >= 12 and not line.startswith("- ")
        ]
        pools[kind]["only" if kind in ("de", "fr") else name] = paragraphs
    return pools


def _slug(title: str, index: int) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{words[:60].rstrip('-')}-{index}"


def _path(site: Site, article_slug: str, published: datetime, language: str) -> str:
    y, m, d = published.strftime("%Y"), published.strftime("%m"), published.strftime("%d")
    if site.key == "ledger":
        prefix = f"/{language}" if language != "en" else ""
        return f"{prefix}/news/{y}/{m}/{article_slug}"
    if site.key == "wire":
        return f"/world/{y}/{m}/{d}/{article_slug}"
    if site.key == "courier":
        return f"/regional/news/{article_slug}"
    if site.key == "circuit":
        return f"/{y}/{m}/{d}/{article_slug}/"
    return f"/policy/{y}/{m}/{d}/{article_slug}"


def plan_articles(count: int, text: TextFactory, now: datetime) -> list[Article]:
    """Decide every page: its site, topic, language, date and body; copies come last."""
    rng = text.rng
    per_site = [
        count // len(SITES) + (1 if i < count % len(SITES) else 0) for i in range(len(SITES))
    ]
    syndicated = min(round(count * SYNDICATED_SHARE), per_site[1], per_site[2])
    articles: list[Article] = []
    wire_originals: list[Article] = []
    for site, total in zip(SITES, per_site, strict=True):
        originals = total - (syndicated if site.key == "courier" else 0)
        off_topic = set(rng.sample(range(originals), k=round(originals * site.off_topic_share)))
        if site.key == "wire":
            # The stories the regional paper syndicates must be on-topic English wire copy.
            off_topic = {i + syndicated for i in off_topic if i + syndicated < originals}
        for i in range(originals):
            kind = "off" if i in off_topic else "on"
            if (
                kind == "on"
                and site.foreign_every
                and i % site.foreign_every == site.foreign_every - 1
            ):
                kind = "de" if (i // site.foreign_every) % 2 == 0 else "fr"
            published = now - timedelta(minutes=rng.randint(45, 6 * 24 * 60))
            title = text.headline(kind)
            index = len(articles)
            city = rng.choice(CITIES).upper()
            dateline = f"{city} (Wire) — " if site.key == "wire" else ""
            article = Article(
                index=index,
                site=site,
                path=_path(
                    site, _slug(title, index), published, "en" if kind in ("on", "off") else kind
                ),
                title=title,
                standfirst=text.off_sentence()
                if kind == "off"
                else (text.foreign_sentence(kind) if kind in ("de", "fr") else text.sentence()),
                author=text.person(),
                published=published,
                language="en" if kind in ("on", "off") else kind,
                on_topic=kind != "off",
                section="Sport" if kind == "off" else "Technology",
                blocks=text.body(kind, dateline),
                tags=rng.sample(
                    ["AI", "regulation", "EU", "chips", "policy", "Congress", "UN"], k=3
                )
                if kind != "off"
                else rng.sample(["football", "local", "food", "weather", "transport"], k=2),
            )
            articles.append(article)
            if site.key == "wire" and i < syndicated:
                wire_originals.append(article)
    courier = SITES[2]
    for original in wire_originals:
        index = len(articles)
        # The regional paper picks the story up a few hours later, under its own URL.
        published = min(
            original.published + timedelta(hours=rng.randint(1, 5)), now - timedelta(minutes=10)
        )
        articles.append(
            Article(
                index=index,
                site=courier,
                path=f"/regional/world/{_slug(original.title, index)}",
                title=original.title,
                standfirst=original.standfirst,
                author="Global Wire",
                published=published,
                language="en",
                on_topic=True,
                section="World",
                blocks=original.blocks,
                tags=["wire", "world"],
                copy_of=original.index,
            )
        )
    return articles


# ------------------------------------------------------------------------------- layout


def _e(value: str) -> str:
    return html.escape(value, quote=True)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _css(rng: random.Random, rules: int) -> str:
    parts = ("card", "grid", "nav", "hero", "teaser", "byline", "promo", "rail", "btn", "ad")
    lines = []
    for i in range(rules):
        name = f".{rng.choice(parts)}-{rng.choice(parts)}__{i:x}"
        lines.append(
            f"{name}{{margin:0 0 {rng.randint(0, 32)}px;padding:{rng.randint(0, 24)}px;"
            f"color:#{rng.randrange(16**6):06x};font:{rng.randint(11, 22)}px/1.{rng.randint(2, 6)} "
            f"{rng.choice(['Georgia,serif', 'Helvetica,Arial,sans-serif', 'system-ui'])}}}"
        )
    return "\n".join(lines)


def _nav(site: Site, rng: random.Random) -> str:
    sections = _options(
        "World | Politics | Business | Technology | Science | Climate | Opinion | Sport | "
        "Culture | Lifestyle"
    )
    items = []
    for section in sections:
        subs = "".join(
            f'<li class="menu-item"><a href="/{section.lower()}/{sub.lower().replace(" ", "-")}">{sub}</a></li>'
            for sub in rng.sample(
                _options(
                    "Europe | Americas | Asia | Africa | Markets | Companies | Media | Health | "
                    "Elections | Analysis | Video | Podcasts | Data | Letters"
                ),
                k=rng.randint(5, 9),
            )
        )
        items.append(
            f'<li class="menu-item has-children"><a href="/{section.lower()}">{section}</a>'
            f'<ul class="sub-menu">{subs}</ul></li>'
        )
    return (
        f'<nav class="primary-nav {site.key}-nav" aria-label="Sections"><ul class="menu">'
        + "".join(items)
        + "</ul></nav>"
    )


def _ad(slot: str, site: Site, i: int) -> str:
    return (
        f'<div class="ad-slot ad-{slot}" data-ad-unit="/2231/{site.key}/{slot}" '
        f'data-sizes="[[728,90],[970,250],[300,250]]"><span class="ad-label">Advertisement</span>'
        f'<div id="gpt-{slot}-{i}"></div></div>'
    )


def _share(site: Site) -> str:
    return (
        '<div class="share-bar">'
        f'<a class="share-twitter" href="https://twitter.com/intent/tweet">Share on Twitter</a>'
        f'<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php">Share on Facebook</a>'
        f'<a class="share-linkedin" href="https://www.linkedin.com/shareArticle">Share on LinkedIn</a>'
        f'<a class="share-email" href="mailto:?subject={_e(site.name)}">Email</a>'
        '<button class="share-copy">Copy link</button></div>'
    )


def _body_html(article: Article, rng: random.Random) -> str:
    out = []
    paragraphs = 0
    for kind, value in article.blocks:
        if kind == "p":
            out.append(f"<p>{_e(value)}</p>")
            paragraphs += 1
            # Inline ads as real layouts place them; identical on every site so a
            # syndicated copy extracts to the same words as its original.
            if paragraphs in (3, 8):
                out.append(_ad("inline", article.site, paragraphs))
        elif kind == "h2":
            out.append(f"<h2>{_e(value)}</h2>")
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_e(item)}</li>" for item in value) + "</ul>")
        else:
            out.append(f"<blockquote><p>{_e(value)}</p></blockquote>")
    return "\n".join(out)


def render_page(
    article: Article, origin: str, text: TextFactory, neighbours: Sequence[Article]
) -> bytes:
    """The article's full page in its site's layout, padded to 30-60 KB like real pages."""
    rng = text.rng
    site = article.site
    url = f"{origin}{article.path}"
    image = f"{origin}/img/{article.published:%Y/%m}/{article.index}.jpg"
    title, lead = _e(article.title), _e(article.standfirst)
    date_text = f"{article.published:%d %B %Y}"
    modified = article.published + timedelta(minutes=rng.randint(5, 300))
    head = [
        "<!DOCTYPE html>",
        f'<html lang="{article.language}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} | {_e(site.name)}</title>",
        f'<meta name="description" content="{lead}">',
        f'<link rel="canonical" href="{url}">',
        f'<meta property="og:type" content="article"><meta property="og:title" content="{title}">',
        f'<meta property="og:site_name" content="{_e(site.name)}"><meta property="og:url" content="{url}">',
        f'<meta property="og:description" content="{lead}">',
        f'<meta name="twitter:card" content="summary_large_image"><meta name="twitter:site" content="@{site.key}">',
        f'<link rel="alternate" type="application/rss+xml" href="{origin}{site.feed_path}">',
        '<link rel="preconnect" href="https://cdn.example-ads.net"><link rel="preload" as="font" href="/fonts/serif.woff2">',
        f'<link rel="stylesheet" href="/static/{site.key}.css?v={rng.randint(100, 999)}">',
    ]
    if article.copy_of is None:
        head.append(
            f'<meta property="og:image" content="{image}">'
            '<meta property="og:image:width" content="1200"><meta property="og:image:height" content="675">'
        )
    if site.amp:
        head.append(f'<link rel="amphtml" href="{origin}/amp{article.path}">')
    if site.exact_time:
        head.append(
            f'<meta property="article:published_time" content="{_iso(article.published)}">'
            f'<meta property="article:modified_time" content="{_iso(modified)}">'
            f'<meta property="article:section" content="{article.section}">'
            + "".join(f'<meta property="article:tag" content="{_e(tag)}">' for tag in article.tags)
        )
    if site.json_ld:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "description": article.standfirst,
            "datePublished": _iso(article.published),
            "dateModified": _iso(modified),
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {
                "@type": "Organization",
                "name": site.name,
                "logo": {"@type": "ImageObject", "url": f"{origin}/img/logo.png"},
            },
            "image": [image],
            "mainEntityOfPage": url,
            "keywords": article.tags,
        }
        head.append(
            f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
        )
    head.append(f"<style>{_css(rng, rng.randint(60, 110))}</style>")
    data_layer = {
        "pageType": "article",
        "section": article.section,
        "author": article.author,
        "wordCount": sum(len(str(v).split()) for _, v in article.blocks),
        "tags": article.tags,
        "ads": {
            f"slot{i}": {"sizes": [[300, 250], [728, 90]], "targeting": {"pos": i}}
            for i in range(8)
        },
    }
    head.append(
        f"<script>window.dataLayer=window.dataLayer||[];dataLayer.push({json.dumps(data_layer)});"
        "(function(w,d,s){var j=d.createElement(s);j.async=true;j.src='/gtm.js';"
        "d.head.appendChild(j);})(window,document,'script');</script>"
    )
    head.append("</head>")

    if site.exact_time:
        stamp = f'<time datetime="{_iso(article.published)}">{date_text}, {article.published:%H:%M} GMT</time>'
    else:
        stamp = f'<time datetime="{article.published:%Y-%m-%d}">{date_text}</time>'
    ticker = "".join(
        f"<li><a href='/live/{i}'>{_e(text.headline('off' if i % 2 else 'on'))}</a></li>"
        for i in range(5)
    )
    related = "".join(
        f'<li><a href="{other.path}">{_e(other.title)}</a><p class="teaser">{_e(other.standfirst)}</p></li>'
        for other in neighbours
    )
    comments = "".join(
        f'<div class="comment" id="c{article.index}-{i}"><span class="comment-author">{_e(text.person())}</span>'
        f"<time>{rng.randint(1, 23)}h ago</time><p>{_e(text.comment())}</p>"
        f'<a class="reply" href="#reply">Reply</a> <span class="likes">{rng.randint(0, 99)} likes</span></div>'
        for i in range(rng.randint(4, 16))
    )
    most_read = "".join(
        f"<li><a href='/most-read/{i}'>{_e(text.headline('off' if i % 3 else 'on'))}</a></li>"
        for i in range(10)
    )
    footer_cols = "".join(
        f"<div class='footer-col'><h4>{heading}</h4><ul>"
        + "".join(
            f"<li><a href='/{heading.lower()}/{j}'>{heading} link {j}</a></li>" for j in range(8)
        )
        + "</ul></div>"
        for heading in ("News", "Sections", "Services", "Company")
    )
    sidebar = ""
    if site.sidebar:
        sidebar = (
            '<aside class="sidebar widget-area"><section class="widget"><h2 class="widget-title">Latest</h2><ul>'
            + "".join(
                f"<li><a href='/latest/{i}'>{_e(text.headline('on'))}</a> <time>{i + 1}h</time></li>"
                for i in range(8)
            )
            + "</ul></section><section class='widget'><h2 class='widget-title'>Tags</h2><div class='tagcloud'>"
            + " ".join(
                f"<a href='/tag/{t}'>{t}</a>"
                for t in ("ai", "eu", "chips", "privacy", "antitrust", "courts", "cloud")
            )
            + "</div></section>"
            + _ad("sidebar", site, 0)
            + "</aside>"
        )
    body = [
        f'<body class="article-page {site.key} section-{article.section.lower()}">',
        '<div id="cookie-banner" class="consent-banner" role="dialog"><p>We and our partners use cookies '
        "to personalise content and ads and to analyse our traffic. You can change your choices at any "
        'time under Privacy settings.</p><button class="btn-accept">Accept all</button>'
        '<button class="btn-manage">Manage preferences</button></div>',
        f'<header class="{site.header_class}"><a class="logo" href="/">{_e(site.name)}</a>{_nav(site, rng)}'
        '<form class="search" action="/search"><input type="search" name="q" placeholder="Search"></form>'
        '<a class="subscribe-button" href="/subscribe">Subscribe from £1 a week</a></header>',
        f'<div class="breaking-ticker"><span>Latest</span><ul>{ticker}</ul></div>',
        _ad("leaderboard", site, 0),
        '<main id="content" class="layout">',
        f'<article class="{site.article_class}">',
        f'<header class="story-header"><p class="kicker"><a href="/{article.section.lower()}">{article.section}</a></p>',
        f"<h1>{title}</h1>",
        f'<p class="standfirst">{lead}</p>',
        f'<div class="byline">By <a rel="author" href="/profile/{article.index}">{_e(article.author)}</a> · {stamp}</div>',
        _share(site),
        "</header>",
        ""
        if article.copy_of is not None
        else (
            f'<figure class="lead-image"><img src="{image}" width="1200" height="675" alt="">'
            f"<figcaption>{_e(text.off_sentence())} Photograph: {_e(text.person())}</figcaption></figure>"
        ),
        f'<div class="{site.body_class}">',
        _body_html(article, rng),
        "</div>",
        '<ul class="tags">'
        + "".join(f'<li><a href="/tag/{_e(t)}">{_e(t)}</a></li>' for t in article.tags)
        + "</ul>",
        _share(site),
        '<div class="newsletter-signup"><h3>Briefing</h3><p>Sign up for our morning briefing, delivered every weekday.</p>'
        '<form action="/newsletters"><input type="email" placeholder="Your email address"><button>Sign up</button></form></div>',
        f'<div class="author-bio"><p>{_e(article.author)} is a correspondent for {_e(site.name)}. '
        f"{_e(text.off_sentence())}</p></div>",
        "</article>",
        f'<section class="related"><h2>Related articles</h2><ul>{related}</ul></section>',
        f'<section id="comments" class="comments"><h2>Comments</h2>{comments}'
        '<form class="comment-form"><textarea name="comment"></textarea><button>Post comment</button></form></section>',
        "</main>",
        sidebar,
        f'<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>',
        _ad("footer", site, 0),
        f'<footer class="site-footer">{footer_cols}<p>© 2026 {_e(site.name)}. All rights reserved. '
        "Registered office: 1 Example Street. Company number 0123456.</p></footer>",
    ]
    page = "\n".join(head + body)
    # Hydration state (as Next.js-style sites ship) brings the page to a realistic size.
    target = rng.randint(MIN_PAGE_BYTES + 2_000, MAX_PAGE_BYTES - 4_000)
    state: dict[str, Any] = {
        "page": {"id": article.index, "section": article.section},
        "teasers": [],
    }
    blob = json.dumps(state, ensure_ascii=False)
    while len(page.encode()) + len(blob.encode()) + 120 < target:
        state["teasers"].append(
            {
                "id": rng.randrange(10**9),
                "headline": text.headline("on" if rng.random() < 0.5 else "off"),
                "summary": text.sentence() if rng.random() < 0.5 else text.off_sentence(),
                "url": f"/story/{rng.randrange(10**6)}",
                "image": {"src": f"/img/t/{rng.randrange(10**6)}.jpg", "w": 640, "h": 360},
            }
        )
        blob = json.dumps(state, ensure_ascii=False)
    page += f'\n<script id="__NEXT_DATA__" type="application/json">{blob}</script>'
    page += '\n<script src="/static/app.js" defer></script>\n</body>\n</html>\n'
    return page.encode("utf-8")


def render_feed(site: Site, origin: str, items: Sequence[Article], now: datetime) -> bytes:
    """RSS 2.0 with guid, pubDate, dc:creator, category and media:content, newest first."""
    entries = []
    for article in sorted(items, key=lambda a: a.published, reverse=True):
        url = f"{origin}{article.path}"
        entries.append(
            "    <item>\n"
            f"      <title>{_e(article.title)}</title>\n"
            f"      <link>{url}</link>\n"
            f'      <guid isPermaLink="true">{url}</guid>\n'
            f"      <pubDate>{email.utils.format_datetime(article.published)}</pubDate>\n"
            f"      <dc:creator>{_e(article.author)}</dc:creator>\n"
            + "".join(f"      <category>{_e(tag)}</category>\n" for tag in article.tags[:2])
            + f"      <description>{_e(article.standfirst)}</description>\n"
            f'      <media:content url="{origin}/img/{article.index}.jpg" medium="image" width="1200" height="675"/>\n'
            "    </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "  <channel>\n"
        f"    <title>{_e(site.name)}</title>\n    <link>{origin}/</link>\n"
        f'    <atom:link href="{origin}{site.feed_path}" rel="self" type="application/rss+xml"/>\n'
        f"    <description>Latest stories from {_e(site.name)}</description>\n"
        f"    <language>en</language>\n    <lastBuildDate>{email.utils.format_datetime(now)}</lastBuildDate>\n"
        + "".join(entries)
        + "  </channel>\n</rss>\n"
    ).encode("utf-8")


def generate_web(count: int, origins: dict[str, str]) -> GeneratedWeb:
    """Every page and feed for ``count`` articles on the five sites at ``origins``."""
    rng = random.Random(SEED)
    text = TextFactory(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    articles = plan_articles(count, text, now)
    html_type = "text/html; charset=utf-8"
    pages: dict[str, dict[str, tuple[bytes, str]]] = {site.key: {} for site in SITES}
    sizes = []
    for article in articles:
        neighbours = rng.sample(articles, k=min(len(articles), rng.randint(6, 10)))
        content = render_page(article, origins[article.site.key], text, neighbours)
        pages[article.site.key][article.path] = (content, html_type)
        sizes.append(len(content))
    feeds = {}
    rss_type = "application/rss+xml; charset=utf-8"
    for site in SITES:
        items = [a for a in articles if a.site.key == site.key]
        origin = origins[site.key]
        pages[site.key][site.feed_path] = (render_feed(site, origin, items, now), rss_type)
        feeds[f"{site.key}-feed"] = f"{origin}{site.feed_path}"
    # A three-item feed for the warm-up runs (the pages are ordinary ones; the DB is separate).
    ledger = [a for a in articles if a.site.key == "ledger"][:3]
    pages["ledger"]["/feeds/warmup.xml"] = (
        render_feed(SITES[0], origins["ledger"], ledger, now),
        rss_type,
    )
    return GeneratedWeb(
        pages=pages,
        articles=articles,
        feeds=feeds,
        warmup_feed=f"{origins['ledger']}/feeds/warmup.xml",
        page_sizes=sizes,
        syndicated=sum(1 for a in articles if a.copy_of is not None),
        off_topic=sum(1 for a in articles if not a.on_topic),
        foreign=sum(1 for a in articles if a.language != "en"),
        body_words=[sum(len(str(v).split()) for _, v in a.blocks) for a in articles],
    )


# ------------------------------------------------------------------------------- serving


class _SiteHandler(BaseHTTPRequestHandler):
    """Serves one site's in-memory pages; keep-alive like a real web server."""

    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def do_GET(self) -> None:
        hit = self.routes.get(urlsplit(self.path).path)
        if hit is None:
            body, content_type, status = b"Not Found", "text/plain", 404
        else:
            (body, content_type), status = hit, 200
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log line: 1,000 of them would drown the report."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 is below the fetcher's concurrency of 8.
    request_queue_size = 64


@contextmanager
def serve_sites() -> Iterator[tuple[dict[str, str], dict[str, dict[str, tuple[bytes, str]]]]]:
    """One threaded server per site on 127.0.0.1; yields the origins and the route tables to fill."""
    servers, routes, origins = [], {}, {}
    for site in SITES:
        table: dict[str, tuple[bytes, str]] = {}
        handler = type(f"Handler_{site.key}", (_SiteHandler,), {"routes": table})
        server = _Server(("127.0.0.1", 0), handler)
        servers.append(server)
        routes[site.key] = table
        origins[site.key] = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, name=f"site-{site.key}", daemon=True).start()
    try:
        yield origins, routes
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


# -------------------------------------------------------------------------------- config


def write_config(path: Path, feeds: dict[str, str], db: Path) -> Path:
    """A sources.yaml with the bench watch, the given feeds and no folder source."""
    lines = [WATCH_YAML.rstrip(), "sources:"]
    for name, url in feeds.items():
        lines += [f"  - name: {name}", "    kind: feed", f"    url: '{url}'"]
    lines += ["fetch:", "  allow_private_addresses: true", "storage:", f"  db: '{db}'"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -------------------------------------------------------------------------------- children


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_rss_mb() -> dict[str, float]:
    """VmHWM of this process's live children (the Prefect API server runs as one)."""
    peaks = {}
    me = str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat.rsplit(")", 1)[1].split()[1] != me:
            continue
        hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
        if hwm:
            peaks[cmdline.strip()[:120]] = int(hwm.group(1)) / 1024
    return peaks


def _totals(summary: Any) -> dict[str, Any]:
    return dataclasses.asdict(summary.totals())


class StageClock:
    """Wall time per stage, summed over calls (wrappers around the pipeline's functions)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        # When set, each wrapped call's arguments are kept (for the argument-walk measurement).
        self.capture = False
        self.arguments: dict[str, tuple[Any, ...]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage."""
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` timed under ``name``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.capture:
                self.arguments[name] = args
            with self.stage(name):
                return function(*args, **kwargs)

        return timed


def child_stages(spec: dict[str, Any]) -> dict[str, Any]:
    """The stage functions in order, without Prefect: per-stage times per repetition."""
    import uuid

    from flows.config import load_config
    from flows.stages import articles as pipeline
    from flows.stages import listing
    from flows.stages.settings import watch_from_config
    from flows.stages.summary import RunSummary
    from flows.stages.types import Window
    from storage.database import Database
    from storage.runs import finish_run, start_run

    tmp = Path(spec["tmp"])

    def one_run(config_path: str, db_path: Path) -> tuple[dict[str, float], dict[str, Any]]:
        clock = StageClock()
        with clock.stage("load-config"):
            config = load_config(config_path)
        db = Database(db_path)
        run_id, started_at, window = str(uuid.uuid4()), datetime.now(UTC), Window()
        with clock.stage("begin-run"):
            start_run(
                db,
                run_id=run_id,
                flow="bench-stages",
                started_at=started_at,
                config_path=config_path,
            )
        with clock.stage("list-sources"):
            listings = listing.list_sources(config, window, [])
        with clock.stage("skip-known"):
            listings = pipeline.mark_known(db, listings, False)
        with clock.stage("fetch-articles"):
            documents = pipeline.fetch_documents(config, listings)
        with clock.stage("extract-articles"):
            batches = pipeline.extract_articles(
                listings, documents, watch_from_config(config), window, started_at
            )
        with clock.stage("store-articles"):
            reports = pipeline.store_batches(db, run_id, batches, started_at)
        with clock.stage("report-run"):
            summary = RunSummary(
                run_id, "bench-stages", started_at, datetime.now(UTC), str(db.path), tuple(reports)
            )
            finish_run(
                db,
                run_id=run_id,
                finished_at=summary.finished_at,
                totals=summary.totals(),
                summary=summary.as_json(),
            )
        return clock.seconds, _totals(summary)

    # Untimed warm-up: imports and first-call caches (trafilatura, lxml, DuckDB) out of the runs.
    one_run(spec["tiny_config"], tmp / "stages-warmup.duckdb")
    runs = []
    for rep in range(spec["repeat"]):
        stages, totals = one_run(spec["config"], tmp / f"stages-{rep}.duckdb")
        runs.append({"stages": stages, "totals": totals})
    started = time.perf_counter()
    _, rerun_totals = one_run(spec["config"], tmp / "stages-0.duckdb")
    rerun = {"wall_s": time.perf_counter() - started, "totals": rerun_totals}
    return {"runs": runs, "rerun": rerun, "peak_rss_mb": _peak_rss_mb()}


def _prefect_environment(home: str) -> None:
    # Prefect reads its settings when imported: this must run before the first import.
    os.environ["PREFECT_HOME"] = home
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["DO_NOT_TRACK"] = "1"
    # The ephemeral server records task-run events one per transaction by default and stalls.
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] = "50"
    os.environ["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE"] = "50"
    # A server configured in the caller's environment would measure that server instead.
    os.environ.pop("PREFECT_API_URL", None)


def child_flow(spec: dict[str, Any]) -> dict[str, Any]:
    """``daily_monitor`` on the ephemeral API: warm-up, timed runs, then a same-day re-run."""
    tmp = Path(spec["tmp"])
    _prefect_environment(str(tmp / "prefect-home"))
    started = time.perf_counter()
    from flows import monitor
    from flows.stages import articles as pipeline
    from flows.stages import listing

    import_s = time.perf_counter() - started
    # Time the stages inside the flow as well, by wrapping what the tasks call: the flow's
    # own overhead is then measured in the same run, not only against another process.
    clock = StageClock()
    listing.list_sources = clock.wrap("list-sources", listing.list_sources)
    for name, attribute in (
        ("skip-known", "mark_known"),
        ("fetch-articles", "fetch_documents"),
        ("extract-articles", "extract_articles"),
        ("store-articles", "store_batches"),
    ):
        setattr(pipeline, attribute, clock.wrap(name, getattr(pipeline, attribute)))
    for name, attribute in (
        ("load-config", "load_config"),
        ("begin-run", "start_run"),
        ("report-run", "finish_run"),
    ):
        setattr(monitor, attribute, clock.wrap(name, getattr(monitor, attribute)))

    def run(config: str, db: Path) -> tuple[float, dict[str, Any]]:
        clock.seconds.clear()
        begun = time.perf_counter()
        summary = monitor.daily_monitor(config_path=config, db_path=str(db))
        return time.perf_counter() - begun, _totals(summary)

    first_s, _ = run(spec["tiny_config"], tmp / "flow-warmup-1.duckdb")
    second_s, _ = run(spec["tiny_config"], tmp / "flow-warmup-2.duckdb")
    rss_after_warmup = _peak_rss_mb()
    runs = []
    db_bytes = 0
    for rep in range(spec["repeat"]):
        db = tmp / f"flow-{rep}.duckdb"
        # The last run's arguments are kept for the walk measurement below; they are only
        # alive once that run's own objects are gone, so the peak RSS does not change.
        clock.capture = rep == spec["repeat"] - 1
        wall, totals = run(spec["config"], db)
        runs.append({"wall_s": wall, "totals": totals, "stages": dict(clock.seconds)})
        if rep == 0:
            db_bytes = sum(p.stat().st_size for p in tmp.glob("flow-0.duckdb*"))
            rss_after_first = _peak_rss_mb()
    clock.capture = False
    rerun_s, rerun_totals = run(spec["config"], tmp / "flow-0.duckdb")
    peak = _peak_rss_mb()
    children = _children_peak_rss_mb()

    # Extra runs to take Prefect's overhead apart (after the peak RSS was read: they are no
    # bigger than the runs above). A 3-article flow, now that the API has settled after
    # its start-up ...
    tiny_runs = []
    for rep in range(spec["repeat"]):
        wall, _ = run(spec["tiny_config"], tmp / f"flow-tiny-{rep}.duckdb")
        tiny_runs.append({"wall_s": wall, "stages": dict(clock.seconds)})
    # ... and the full runs without the flow-run heartbeat: its thread sleeps in whole
    # seconds and is joined when the flow ends, which rounds every run up to a second.
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    quiet_runs = []
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for rep in range(spec["repeat"]):
            wall, totals = run(spec["config"], tmp / f"flow-quiet-{rep}.duckdb")
            quiet_runs.append({"wall_s": wall, "totals": totals, "stages": dict(clock.seconds)})
    return {
        "import_s": import_s,
        "first_tiny_s": first_s,
        "second_tiny_s": second_s,
        "runs": runs,
        "rerun": {"wall_s": rerun_s, "totals": rerun_totals, "stages": dict(clock.seconds)},
        "tiny_runs": tiny_runs,
        "no_heartbeat_runs": quiet_runs,
        "db_bytes": db_bytes,
        "rss_after_warmup_mb": rss_after_warmup,
        "rss_after_first_mb": rss_after_first,
        "peak_rss_mb": peak,
        "children_peak_rss_mb": children,
        "argument_walk_s": _argument_walk_seconds(clock.arguments, spec["repeat"]),
    }


def _argument_walk_seconds(arguments: dict[str, tuple[Any, ...]], repeat: int) -> float | None:
    """What Prefect spends walking the batch-sized task arguments of one run.

    Before a task runs, Prefect 3.8's task engine visits every argument twice, all the way
    down: once to collect upstream futures/states for the task-run record and once to
    resolve them to values (``collect_task_run_inputs_sync`` and ``visit_collection`` with
    ``resolve_to_final_result`` in ``prefect.task_engine``). This repeats those two walks on
    the arguments the tasks of the last 500-article run received. It uses Prefect internals,
    so it gives None rather than failing when they change.
    """
    try:
        from prefect.utilities.collections import visit_collection
        from prefect.utilities.engine import (
            collect_task_run_inputs_sync,
            resolve_to_final_result,
        )

        db, listings, _ = arguments["skip-known"]
        config = arguments["fetch-articles"][0]
        _, documents, _, window, now = arguments["extract-articles"]
        _, run_id, batches, _ = arguments["store-articles"]
    except (ImportError, KeyError, ValueError):
        return None
    # The parameters of each task in flows.monitor, as run_pipeline passes them.
    tasks: list[dict[str, Any]] = [
        {"config": config, "window": window, "only": []},
        {"db": db, "listings": listings, "refresh": False},
        {"config": config, "listings": listings},
        {
            "config": config,
            "listings": listings,
            "documents": documents,
            "window": window,
            "now": now,
        },
        {"db": db, "run_id": run_id, "batches": batches, "now": now},
    ]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        for parameters in tasks:
            for name, value in parameters.items():
                collect_task_run_inputs_sync(value)
                visit_collection(
                    value,
                    visit_fn=resolve_to_final_result,
                    return_data=True,
                    max_depth=-1,
                    remove_annotations=True,
                    context={"parameter_name": name},
                )
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def _load_pages(spec: dict[str, Any]) -> list[tuple[str, bytes]]:
    index = json.loads(Path(spec["pages_index"]).read_text(encoding="utf-8"))
    return [(item["url"], Path(item["file"]).read_bytes()) for item in index]


def child_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """Our extraction over every page in memory: ``extract_document`` + ``build_article``."""
    from extractors.article import build_article, extract_document
    from flows.config import load_config
    from flows.stages.settings import watch_from_config

    pages = _load_pages(spec)
    watch = watch_from_config(load_config(spec["config"]))
    now = datetime.now(UTC)

    def extract(url: str, content: bytes) -> bool:
        record, kind = extract_document(
            content, url=url, fetched_at=now, media_type="text/html", charset="utf-8"
        )
        article = build_article(
            record, source="bench", fetched_at=now, watch=watch, input_kind=kind, original_url=url
        )
        return bool(article.record.body)

    return _passes(pages, extract, spec["repeat"])


def child_trafilatura(spec: dict[str, Any]) -> dict[str, Any]:
    """The peer: plain ``trafilatura.extract`` to JSON with metadata, no comments."""
    import trafilatura

    # Decoded up front, as a caller holding the page's text would: the call gets ``html``.
    pages = [(url, content.decode("utf-8")) for url, content in _load_pages(spec)]

    def extract(url: str, page: str) -> bool:
        result = trafilatura.extract(
            page, output_format="json", with_metadata=True, include_comments=False
        )
        return bool(result and json.loads(result).get("text"))

    return _passes(pages, extract, spec["repeat"])


def _passes(
    pages: Sequence[tuple[str, Any]], extract: Callable[[str, Any], bool], repeat: int
) -> dict[str, Any]:
    for url, page in pages[:20]:  # untimed warm-up: lazy imports and first-call caches
        extract(url, page)
    passes, empty = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        empty = sum(1 for url, page in pages if not extract(url, page))
        passes.append(time.perf_counter() - started)
    return {"passes_s": passes, "pages": len(pages), "empty": empty, "peak_rss_mb": _peak_rss_mb()}


CHILDREN: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "stages": child_stages,
    "flow": child_flow,
    "ours": child_ours,
    "trafilatura": child_trafilatura,
}


def run_child(name: str, spec_path: Path) -> int:
    """Entry point of ``--child NAME``: run one configuration, write its JSON result."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result = CHILDREN[name](spec)
    Path(spec["out"][name]).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _spawn(name: str, spec_path: Path, log: Path) -> dict[str, Any]:
    print(f"  running --child {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                name,
                "--spec",
                str(spec_path),
            ],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
        raise SystemExit(f"--child {name} failed (exit {done.returncode}):\n{tail}")
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    result: dict[str, Any] = json.loads(Path(spec["out"][name]).read_text(encoding="utf-8"))
    result["child_wall_s"] = time.perf_counter() - started
    return result


# -------------------------------------------------------------------------------- report


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "trafilatura": version("trafilatura"),
        "prefect": version("prefect"),
    }


def _check(results: dict[str, Any], web: GeneratedWeb) -> list[str]:
    """What differs from the plan: failed items, missing dedup, wrong off-topic count."""
    problems = []
    count = len(web.articles)
    labelled = [("flow", results["flow"]["runs"]), ("stages", results["stages"]["runs"])]
    labelled.append(("flow without heartbeat", results["flow"]["no_heartbeat_runs"]))
    for name, runs in labelled:
        for i, run in enumerate(runs):
            totals = run["totals"]
            expected = {
                "items_seen": count,
                "items_new": count,
                "items_failed": 0,
                "items_off_topic": web.off_topic,
                "sources_failed": 0,
            }
            for key, want in expected.items():
                if totals[key] != want:
                    problems.append(f"{name} run {i + 1}: {key} = {totals[key]}, expected {want}")
            # Every syndicated copy must be found. Pages generated from the same small pool
            # of fixture paragraphs may share over half their text and be linked too, by
            # the same rule that links a copy cut to 60 % of its original.
            if totals["items_duplicate"] < web.syndicated:
                problems.append(
                    f"{name} run {i + 1}: items_duplicate = {totals['items_duplicate']}, "
                    f"expected at least the {web.syndicated} syndicated copies"
                )
    for name in ("flow", "stages"):
        rerun = results[name]["rerun"]["totals"]
        if rerun["items_new"] != 0 or rerun["items_failed"] != 0:
            problems.append(
                f"{name} re-run: {rerun['items_new']} new, {rerun['items_failed']} failed"
            )
    for name in ("ours", "trafilatura"):
        if results[name]["empty"]:
            problems.append(f"{name}: {results[name]['empty']} pages gave no text")
    return problems


def _spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """``min–max`` of the repetitions, to show how much the median can be trusted."""
    return f"{min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f}"


def _join(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _overheads(runs: Sequence[dict[str, Any]]) -> float:
    """Median over flow runs of wall time minus the stage time measured inside the run."""
    return _median([run["wall_s"] - sum(run["stages"].values()) for run in runs])


@dataclass(frozen=True)
class Figures:
    """The medians and derived numbers the report and its interpretation use."""

    count: int
    stages: dict[str, float]
    stage_sum: float
    flow_wall: float
    overhead: float
    inflow_sum: float
    inflow_overhead: float
    tiny_overhead: float
    quiet_wall: float
    quiet_overhead: float
    argument_walk: float | None
    startup: float
    ours_ms: float
    plain_ms: float
    cores: int

    @property
    def heartbeat(self) -> float:
        """Same-run overhead with the flow-run heartbeat minus without it."""
        return self.inflow_overhead - self.quiet_overhead

    @classmethod
    def from_results(cls, results: dict[str, Any], count: int) -> Figures:
        """Medians over the repetitions of each child's measurements."""
        stage_runs = results["stages"]["runs"]
        flow = results["flow"]
        stage_sum = _median([sum(run["stages"].values()) for run in stage_runs])
        flow_wall = _median([run["wall_s"] for run in flow["runs"]])
        inflow_sum = _median([sum(run["stages"].values()) for run in flow["runs"]])
        return cls(
            count=count,
            stages={
                name: _median([run["stages"].get(name, 0.0) for run in stage_runs])
                for name in STAGES
            },
            stage_sum=stage_sum,
            flow_wall=flow_wall,
            overhead=flow_wall - stage_sum,
            inflow_sum=inflow_sum,
            inflow_overhead=_overheads(flow["runs"]),
            tiny_overhead=_overheads(flow["tiny_runs"]),
            quiet_wall=_median([run["wall_s"] for run in flow["no_heartbeat_runs"]]),
            quiet_overhead=_overheads(flow["no_heartbeat_runs"]),
            argument_walk=flow["argument_walk_s"],
            startup=flow["first_tiny_s"] - flow["second_tiny_s"],
            ours_ms=_median(results["ours"]["passes_s"]) / count * 1000,
            plain_ms=_median(results["trafilatura"]["passes_s"]) / count * 1000,
            cores=os.cpu_count() or 1,
        )


def render_report(results: dict[str, Any], web: GeneratedWeb, repeat: int, when: str) -> str:
    """The Markdown section for BENCHMARKS.md (and stdout)."""
    from flows.fetching.http import FetchSettings  # the parent imports no project code until here

    machine = _machine()
    count = len(web.articles)
    f = Figures.from_results(results, count)
    flow = results["flow"]
    sizes = web.page_sizes
    mb = 1024 * 1024
    server_rss = max(flow["children_peak_rss_mb"].values(), default=0.0)
    totals = flow["runs"][0]["totals"]
    problems = _check(results, web)
    walk = f"{f.argument_walk:.2f} s" if f.argument_walk is not None else "n/a"
    reps = _plural(repeat, "run")
    check = (
        f"**Result check:** every run stored {totals['items_new']} new articles "
        f"({totals['items_duplicate']} duplicates: the {web.syndicated} syndicated copies and "
        f"{totals['items_duplicate'] - web.syndicated} generated pages sharing over half their "
        f"text with another; {totals['items_off_topic']} off-topic) with "
        f"{totals['items_failed']} failed items and no failed source; the same-day re-runs stored "
        f"{flow['rerun']['totals']['items_new']} new."
        if not problems
        else "**Result check: problems** — " + "; ".join(problems)
    )
    lines = [
        SECTION,
        "",
        f"Measured {when} with `{COMMAND}`: {count} articles, {_plural(repeat, 'repetition')} per "
        "configuration, medians; each configuration runs in a fresh process.",
        "",
        f"**Machine:** {machine['nproc']} cores (`nproc`), CPU `{machine['cpu']}` "
        f"(/proc/cpuinfo); Python {machine['python']}, duckdb {machine['duckdb']}, "
        f"trafilatura {machine['trafilatura']}, prefect {machine['prefect']}.",
        "",
        f"**Workload:** {count} generated article pages of {min(sizes) / 1024:.0f}–"
        f"{max(sizes) / 1024:.0f} KB (mean {statistics.mean(sizes) / 1024:.0f} KB, "
        f"{sum(sizes) / mb:.1f} MB in all) with bodies of {min(web.body_words)}–"
        f"{max(web.body_words)} words, built from the fixture pages' paragraphs (shuffled, "
        "renumbered, extended) and generated sentences, inside the clutter of real pages "
        "(navigation, ads, share bars, related links, comments, footer, JSON-LD/Open Graph, a "
        "hydration-state script). Five sites, each on its own 127.0.0.1 port with an RSS 2.0 "
        f"feed of {count // len(SITES)} items; {web.syndicated} pages are exact syndicated copies "
        f"of wire stories on the regional site, {web.off_topic} are off-topic, {web.foreign} are "
        f"in German or French. Default fetch settings ({FetchSettings().concurrency} connections, "
        f"{FetchSettings().per_host_concurrency} per host, robots.txt honoured); no artificial "
        "latency; the threaded servers run in the benchmark's parent process.",
        "",
        check,
        "",
        "### Stages without Prefect",
        "",
        f"The `flows.stages.listing` and `flows.pipeline` functions called in order, plus the run ledger (`storage.runs`); "
        f"a fresh database each run; median of {reps}.",
        "",
        "| stage | median s | share |",
        "| --- | ---: | ---: |",
    ]
    for name in STAGES:
        lines.append(f"| {name} | {f.stages[name]:.3f} | {f.stages[name] / f.stage_sum:.1%} |")
    lines += [
        f"| **sum** | **{f.stage_sum:.2f}** (runs: "
        f"{_spread([sum(run['stages'].values()) for run in results['stages']['runs']])}) | 100 % |",
        "",
        "### Flow, Prefect overhead, throughput",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| `daily_monitor` wall time, {count} articles (median of {reps}; "
        f"{_spread([run['wall_s'] for run in flow['runs']])}) | {f.flow_wall:.2f} s |",
        f"| stage sum without Prefect (above) | {f.stage_sum:.2f} s |",
        f"| **Prefect overhead** = flow wall − stage sum | **{f.overhead:.2f} s "
        f"({f.overhead / f.flow_wall:.1%} of the flow)** |",
        f"| Prefect overhead = flow wall − stages timed inside the same runs | "
        f"{f.inflow_overhead:.2f} s ({f.inflow_overhead / f.flow_wall:.1%}) |",
        f"| ↳ the same with Prefect's flow-run heartbeat off (`heartbeat_frequency=None`; "
        f"flow wall {f.quiet_wall:.2f} s, {_spread([r['wall_s'] for r in flow['no_heartbeat_runs']])}) "
        f"| {f.quiet_overhead:.2f} s → the heartbeat costs {f.heartbeat:.2f} s |",
        f"| ↳ what walking the task arguments of a {count}-article run would cost without "
        f"`quote()` (measured apart; the flow passes them quoted) | {walk} |",
        f"| overhead of a 3-article flow run (same-run measure, heartbeat on) | "
        f"{f.tiny_overhead:.2f} s |",
        f"| articles/s end to end: flow / without Prefect | {count / f.flow_wall:.1f} / "
        f"{count / f.stage_sum:.1f} |",
        f"| `import flows.monitor` (imports Prefect) | {flow['import_s']:.2f} s |",
        f"| first flow run of the process (3 articles; starts the ephemeral API) | "
        f"{flow['first_tiny_s']:.2f} s |",
        f"| second 3-article flow run | {flow['second_tiny_s']:.2f} s |",
        f"| → ephemeral API start-up | ≈ {f.startup:.1f} s |",
        f"| re-run, same day, same database: flow | {flow['rerun']['wall_s']:.2f} s, "
        f"{flow['rerun']['totals']['items_new']} new |",
        f"| re-run, same day, same database: without Prefect | "
        f"{results['stages']['rerun']['wall_s']:.2f} s, "
        f"{results['stages']['rerun']['totals']['items_new']} new |",
        f"| DuckDB file after {count} articles | {flow['db_bytes'] / mb:.1f} MB |",
        "",
        "The first overhead compares two processes whose stage times each vary by a few percent "
        "between runs; the same-run measures are the ones to take apart.",
        "",
        "### Peak memory",
        "",
        "`ru_maxrss` of a fresh process per configuration, read at its end.",
        "",
        "| configuration | peak RSS |",
        "| --- | ---: |",
        f"| flow: 2 warm-up runs, {repeat} × {count} articles, re-run | "
        f"{flow['peak_rss_mb']:.0f} MB (after warm-up {flow['rss_after_warmup_mb']:.0f} MB, "
        f"after the first {count}-article run {flow['rss_after_first_mb']:.0f} MB) |",
        f"| + the Prefect ephemeral API server (its own process, VmHWM) | {server_rss:.0f} MB |",
        f"| stages without Prefect: warm-up, {repeat} × {count} articles, re-run | "
        f"{results['stages']['peak_rss_mb']:.0f} MB |",
        f"| our extraction only, {count} pages held in memory | "
        f"{results['ours']['peak_rss_mb']:.0f} MB |",
        f"| plain trafilatura only, {count} pages held in memory | "
        f"{results['trafilatura']['peak_rss_mb']:.0f} MB |",
        "",
        "### Extraction: ours vs plain trafilatura",
        "",
        f"The same {count} pages in memory, one thread, median of "
        f"{_plural(repeat, 'pass', 'passes')}.",
        "",
        "| extractor | ms/page | passes | pages/s |",
        "| --- | ---: | ---: | ---: |",
        f'| plain `trafilatura.extract(html, output_format="json", with_metadata=True, '
        f"include_comments=False)` | {f.plain_ms:.1f} | "
        f"{_spread(results['trafilatura']['passes_s'], 1000 / count, 1)} | "
        f"{1000 / f.plain_ms:.0f} |",
        f"| ours: `extract_document` + `build_article` (bytes in, classified article out) | "
        f"{f.ours_ms:.1f} | {_spread(results['ours']['passes_s'], 1000 / count, 1)} | "
        f"{1000 / f.ours_ms:.0f} |",
        f"| **ratio ours / plain** | **{f.ours_ms / f.plain_ms:.2f}** | | |",
        "",
        "### Interpretation",
        "",
        interpretation(
            f,
            {
                "flow": flow["peak_rss_mb"],
                "stages": results["stages"]["peak_rss_mb"],
                "server": server_rss,
            },
        ),
        "",
    ]
    return "\n".join(lines)


def interpretation(f: Figures, memory: dict[str, float]) -> str:
    """Five sentences drawn from the numbers: where the time goes and what to do next."""
    top = max(f.stages, key=lambda name: f.stages[name])
    extract = f.stages["extract-articles"]
    fetch = f.stages["fetch-articles"]
    rest = f.stage_sum - extract - fetch
    ratio = f.ours_ms / f.plain_ms
    sentences = [
        f"`{top}` dominates: {f.stages[top]:.1f} s of the {f.stage_sum:.1f} s stage sum "
        f"({f.stages[top] / f.stage_sum:.0%}); extraction costs {extract / f.count * 1000:.1f} ms "
        f"per page, fetching the {f.count} pages from local servers takes "
        f"{fetch / f.stage_sum:.0%} and "
        f"everything else (config, ledger, feeds, dedup lookup, DuckDB writes) "
        f"{rest / f.stage_sum:.0%}.",
    ]
    if 0.8 <= ratio <= 1.25:
        sentences.append(
            f"Our extraction costs {ratio:.2f}× plain trafilatura per page: the extra lxml parse, "
            "metadata read and classification weigh about as much as plain `extract`'s JSON "
            "output, so the per-page cost is trafilatura's own work, not the wrapper's."
        )
    else:
        sentences.append(
            f"Our extraction costs {ratio:.2f}× plain trafilatura per page, so the wrapper "
            "(extra lxml parse, metadata read, classification) "
            + ("is worth profiling." if ratio > 1 else "is cheaper than plain `extract`.")
        )
    parts = []
    if f.heartbeat >= 0.05:
        parts.append(
            f"{f.heartbeat:.1f} s is the flow-run heartbeat, whose thread Prefect sleeps in whole "
            "seconds and joins when the flow ends, so each run's wall time is rounded up to the "
            "next full second (0–1 s per run)"
        )
    if f.quiet_overhead >= 0.05:
        parts.append(f"≈{f.quiet_overhead:.1f} s is per-task bookkeeping and API calls")
    sentences.append(
        f"Prefect adds {f.overhead:.1f} s per {f.count}-article run as flow wall − stage sum "
        f"({f.overhead / f.flow_wall:.0%} of the flow), {f.inflow_overhead:.1f} s when the stages "
        "are timed inside the same runs"
        + (f"; of the latter, {_join(parts)}" if parts else "")
        + f"; a 3-article run's overhead is {f.tiny_overhead:.1f} s."
    )
    sentences.append(
        f"On top come the ephemeral API's ≈{f.startup:.0f} s start-up, paid by every "
        "`newswatch run` process but not by a long-lived `newswatch serve`, and memory: "
        f"{memory['flow']:.0f} MB peak for the flow process against {memory['stages']:.0f} MB "
        f"without Prefect, plus {memory['server']:.0f} MB for the API server process."
    )
    store = f.stages["store-articles"]
    if store > extract:
        sentences.append(
            f"Next to optimise: storing ({store / f.stage_sum:.0%} of the stage time), most of it "
            "the story pass of `storage.stories`, whose hub-cutting walks the linked graph once "
            "per linked article; on coverage as uniform as this generated one (every page names "
            "the same few actors) that graph is large."
        )
    else:
        sentences.append(
            f"Next to optimise: extraction ({extract / f.stage_sum:.0%} of the stage time), which "
            "runs on one core after all fetching is done — "
            f"spreading it over the {f.cores} cores (a process pool over the batch, or extracting "
            f"while later pages still download) could save up to "
            f"{extract * (1 - 1 / f.cores):.1f} s of the {f.flow_wall:.1f} s flow."
        )
    sentences.append(
        "The flow passes its batch-sized task arguments through "
        "`prefect.utilities.annotations.quote`, which spares the "
        f"{f.argument_walk or 0.0:.1f} s Prefect would otherwise spend walking them."
    )
    return " ".join(sentences)


def update_benchmarks(section: str) -> None:
    """Replace (or add) this benchmark's section of BENCHMARKS.md, leaving others alone."""
    update_section(SECTION, section, BENCHMARKS)


# ---------------------------------------------------------------------------------- main


def run_benchmark(count: int, repeat: int, write: bool, keep: bool) -> int:
    """Generate the web, serve it, run every configuration in a child, report."""
    tmp = Path(tempfile.mkdtemp(prefix="newswatch-bench-"))
    began = time.perf_counter()
    try:
        with serve_sites() as (origins, routes):
            print(f"generating {count} pages ...", file=sys.stderr, flush=True)
            web = generate_web(count, origins)
            for key, pages in web.pages.items():
                routes[key].update(pages)
            pages_dir = tmp / "pages"
            pages_dir.mkdir()
            index = []
            for article in web.articles:
                file = pages_dir / f"{article.index:05d}.html"
                file.write_bytes(web.pages[article.site.key][article.path][0])
                index.append(
                    {"url": f"{origins[article.site.key]}{article.path}", "file": str(file)}
                )
            (tmp / "pages.json").write_text(json.dumps(index), encoding="utf-8")
            spec = {
                "tmp": str(tmp),
                "repeat": repeat,
                "config": str(write_config(tmp / "bench.yaml", web.feeds, tmp / "unused.duckdb")),
                "tiny_config": str(
                    write_config(
                        tmp / "tiny.yaml", {"warmup": web.warmup_feed}, tmp / "unused.duckdb"
                    )
                ),
                "pages_index": str(tmp / "pages.json"),
                "out": {name: str(tmp / f"result-{name}.json") for name in CHILDREN},
            }
            spec_path = tmp / "spec.json"
            spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
            print(f"  generated in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            results = {name: _spawn(name, spec_path, tmp / f"{name}.log") for name in CHILDREN}
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        report = render_report(results, web, repeat, when)
        print(report)
        for problem in _check(results, web):
            print(f"PROBLEM: {problem}", file=sys.stderr)
        if write:
            update_benchmarks(report)
            print(f"wrote {BENCHMARKS.relative_to(REPO)}", file=sys.stderr)
        print(f"total wall time {time.perf_counter() - began:.0f} s", file=sys.stderr)
        return 1 if _check(results, web) else 0
    finally:
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; ``--child`` runs one configuration (internal)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles", type=int, default=500, help="number of article pages (default 500)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions per configuration (default 3)"
    )
    parser.add_argument(
        "--write", action="store_true", help=f"replace the '{SECTION[3:]}' section of BENCHMARKS.md"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (pages, configs, logs)"
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, args.spec)
    if args.articles < len(SITES) or args.repeat < 1:
        parser.error(f"--articles must be at least {len(SITES)} and --repeat at least 1")
    return run_benchmark(args.articles, args.repeat, args.write, args.keep)


if __name__ == "__main__":
    sys.exit(main())
