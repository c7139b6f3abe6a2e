"""A generated local news web: five publishers with feeds, article pages and syndicated copies.

Shared by the tests and the benchmarks (``bench/bench_pipeline.py``); served by the one local
web of ``tests/support/web.py``. ``served_news_web(count)`` starts five hosts on 127.0.0.1
(one port per publisher), generates ``count`` article pages for them and routes every page
and feed; what the pipeline should find comes with it (``GeneratedWeb``)::

    with served_news_web(50) as (web, news):
        config = write_config(tmp / "sources.yaml", news.feeds, tmp / "news.duckdb")
        ...  # every page new, news.syndicated duplicates, news.off_topic off-topic

The pages look like real news pages: 30-60 KB of navigation, ads, share bars, related links,
comments, footer, JSON-LD / Open Graph and a hydration-state script around a 400-900 word
body. Bodies recombine and perturb the fixture pages' paragraphs
(``tests/fixtures/site/articles``) with generated sentences; ~5 % of the pages are exact
syndicated copies of a wire story on the regional site, ~10 % are off-topic, a few are in
German or French. Each site lists its pages in an RSS 2.0 feed and in a Google News sitemap
(``/news-sitemap.xml``). Generation is seeded:
the same ``count``, ``seed`` and ``now`` give the same web.
"""

from __future__ import annotations

import email.utils
import html
import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.paths import SITE
from tests.support.web import LocalWeb, page

FIXTURES = SITE / "articles"
SEED = 20261122
SYNDICATED_SHARE = 0.05
MIN_PAGE_BYTES, MAX_PAGE_BYTES = 30_000, 60_000
NEWS_SITEMAP = "/news-sitemap.xml"

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
  name: generated-news-watch
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
    sitemaps: dict[str, str]  # source name -> Google News sitemap URL (the same articles)
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


def render_news_sitemap(site: Site, origin: str, items: Sequence[Article]) -> bytes:
    """A Google News sitemap of the same articles as the feed (URL, name, language, date, title)."""
    entries = "".join(
        "  <url>\n"
        f"    <loc>{origin}{article.path}</loc>\n"
        "    <news:news>\n"
        f"      <news:publication><news:name>{_e(site.name)}</news:name>"
        f"<news:language>{article.language}</news:language></news:publication>\n"
        f"      <news:publication_date>{_iso(article.published)}</news:publication_date>\n"
        f"      <news:title>{_e(article.title)}</news:title>\n"
        "    </news:news>\n"
        "  </url>\n"
        for article in sorted(items, key=lambda a: a.published, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + entries + "</urlset>\n"
    ).encode("utf-8")


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


def generate_web(
    count: int, origins: dict[str, str], *, seed: int = SEED, now: datetime | None = None
) -> GeneratedWeb:
    """Every page and feed for ``count`` articles on the five sites at ``origins`` (key -> origin)."""
    rng = random.Random(seed)
    text = TextFactory(rng)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    articles = plan_articles(count, text, now)
    html_type = "text/html; charset=utf-8"
    pages: dict[str, dict[str, tuple[bytes, str]]] = {site.key: {} for site in SITES}
    sizes = []
    for article in articles:
        neighbours = rng.sample(articles, k=min(len(articles), rng.randint(6, 10)))
        content = render_page(article, origins[article.site.key], text, neighbours)
        pages[article.site.key][article.path] = (content, html_type)
        sizes.append(len(content))
    feeds, sitemaps = {}, {}
    xml_type = "application/xml; charset=utf-8"
    rss_type = "application/rss+xml; charset=utf-8"
    for site in SITES:
        items = [a for a in articles if a.site.key == site.key]
        origin = origins[site.key]
        pages[site.key][site.feed_path] = (render_feed(site, origin, items, now), rss_type)
        feeds[f"{site.key}-feed"] = f"{origin}{site.feed_path}"
        pages[site.key][NEWS_SITEMAP] = (render_news_sitemap(site, origin, items), xml_type)
        sitemaps[f"{site.key}-sitemap"] = f"{origin}{NEWS_SITEMAP}"
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
        sitemaps=sitemaps,
        warmup_feed=f"{origins['ledger']}/feeds/warmup.xml",
        page_sizes=sizes,
        syndicated=sum(1 for a in articles if a.copy_of is not None),
        off_topic=sum(1 for a in articles if not a.on_topic),
        foreign=sum(1 for a in articles if a.language != "en"),
        body_words=[sum(len(str(v).split()) for _, v in a.blocks) for a in articles],
    )


# ------------------------------------------------------------------------------- serving


@contextmanager
def served_news_web(
    count: int, *, seed: int = SEED, now: datetime | None = None
) -> Iterator[tuple[LocalWeb, GeneratedWeb]]:
    """A ``LocalWeb`` of one host per site, serving ``count`` generated articles and the feeds.

    Args:
        count: number of article pages (at least one per site).
        seed: the random seed; the same seed, count and ``now`` give the same web.
        now: the moment the pages are generated for (default: now); pages are published in
            the six days before it.
    """
    if count < len(SITES):
        raise ValueError(f"a news web needs at least {len(SITES)} articles, got {count}")
    with LocalWeb(hosts=len(SITES)) as web:
        origins = {site.key: web.base(host) for host, site in enumerate(SITES)}
        news = generate_web(count, origins, seed=seed, now=now)
        for host, site in enumerate(SITES):
            for path, (body, content_type) in news.pages[site.key].items():
                web.route(path, page(body, content_type), host=host)
        yield web, news


# -------------------------------------------------------------------------------- config


def write_config(
    path: Path, feeds: dict[str, str], db: Path, sitemaps: dict[str, str] | None = None
) -> Path:
    """A sources.yaml with the generated web's watch, the given feeds and sitemaps, no folder."""
    lines = [WATCH_YAML.rstrip(), "sources:"]
    for name, url in feeds.items():
        lines += [f"  - name: {name}", "    kind: feed", f"    url: '{url}'"]
    for name, url in (sitemaps or {}).items():
        # The pages span six days; a week's look-back lists what the feeds list.
        lines += [
            f"  - name: {name}",
            "    kind: sitemap",
            f"    url: '{url}'",
            "    daily_hours: 168",
        ]
    lines += ["fetch:", "  allow_private_addresses: true", "storage:", f"  db: '{db}'"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
