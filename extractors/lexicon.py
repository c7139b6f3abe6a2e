"""Words and line patterns the cleaner uses as *one* signal among several.

Selectors as data (trafilatura keeps its XPaths in ``xpaths.py`` for the same
reason): the decision logic in ``extractors.clean`` weighs these cues against
a line's position, shape and coherence with the article, so a cue alone never
removes a long sentence that belongs to the article (an article *about*
cookie rules mentions cookies). Languages: en, de, fr, es, it, pt, nl.
"""

from __future__ import annotations

import re

# Function words of the supported languages: ignored when measuring how much
# vocabulary a line shares with the rest of the article.
STOPWORDS = frozenset(
    """
    the and for are but not you all any can had her was one our out has him his how its may new now
    old see two who did get let put say she too use that with have this will your from they know want
    been good much some time very when come here just like long make many more only over such take
    than them well were what which while would there their about after again also back because before
    being could each even first into most other said should since still these those through under
    where whether within without upon onto per via yet it's he's she's we're they're i'm
    der die das und ist nicht ein eine einer eines einem einen mit von für auf dem den des sich auch
    als wie bei aus nach noch nur oder aber wenn wird werden wurde sind hat haben sein seine ihre ihr
    sie wir ich man zum zur über unter vor durch gegen ohne doch schon mehr sehr beim vom dass diese
    dieser dieses hier dort heute
    les des une est pas que qui dans pour par sur avec son ses aux ont été sont fait plus mais comme
    elle ils nous vous leur leurs cette ces tout tous entre sans sous aussi encore déjà très être avoir
    selon chez dont où
    los las del una por con para que son más pero como sus sin sobre entre también fue han está
    este esta estos estas ese esa muy hay ser sido desde hasta cuando donde porque según ante tras
    gli della delle dello degli nel nella nei con per una che non sono come anche più dal dalla alla
    ai agli sul sulla questo questa essere stato
    dos das uma com para não mais pelo pela seu sua são também foi nos nas aos entre sobre após
    het een van dat met voor niet zijn aan ook als bij door naar maar over wordt worden deze dit
    """.split()  # noqa: SIM905 - a word list reads and edits best as text
)

# A whole line that is nothing but one of these is an ad-slot marker.
ADVERTISEMENT = re.compile(
    r"^[\W_]*(advertisement|advertising|sponsored( content)?|ad|anzeige|werbung|publicité|"
    r"publicidad|pubblicità|publicidade|advertentie|annonce|anuncio|continue reading below|"
    r"scroll to continue( with content)?|"
    r"story continues below( advertisement)?|article continues below|weiter nach der anzeige|"
    r"la suite après (cette )?(la )?publicité|sigue leyendo)"
    r"([\W_]+(advertisement|scroll to continue( with content)?|anzeige|publicité|publicidad))?[\W_]*$",
    re.IGNORECASE,
)

# A line that opens with one of these points the reader at another story.
READ_MORE = re.compile(
    r"^[\W_]*(read more|read also|also read|read next|related|related stories|related articles|"
    r"related news|related coverage|see also|more on this|more from|recommended|watch|listen|"
    r"go deeper|dig deeper|further reading|keep reading|continue reading|"
    r"lesen sie (auch|mehr|hier|weiter)|auch lesen|zum weiterlesen|mehr zum thema|mehr dazu|"
    r"auch interessant|das könnte sie auch interessieren|"
    r"lire aussi|à lire aussi|a lire aussi|lire également|lire la suite|voir aussi|sur le même sujet|"
    # Spanish and Portuguese give the cue in the polite imperative too ("Lea más:", "Vea
    # también:"); bare "Lea" is also a name, so it counts only before a colon.
    r"le[ae]r? (más|también|además)|lea(?= ?:)|ve[ar]? (también|además)|vea(?= ?:)|"
    r"le puede interesar|te puede interesar|"
    r"leggi anche|leggi pure|potrebbe interessarti|leia também|leia mais|veja também|lees ook|"
    r"lees meer|zie ook|czytaj (też|także|więcej|również)|zobacz (też|także|również))\b",
    re.IGNORECASE,
)

# Headers of blocks that list other stories; what follows them is their list.
BLOCK_HEADER = re.compile(
    r"^[\W_]*(most read|most popular|most viewed|trending( now)?|top stories|latest news|"
    r"related news|related stories|related articles|more stories|more news|you may also like|"
    r"recommended( for you)?|editor'?s picks|popular now|you might also like|you may also enjoy|"
    r"related posts|popular posts|recent posts|more like this|other stories|"
    r"meistgelesen|meist gelesen|am meisten gelesen|beliebteste artikel|"
    # "Weitere Themen", "Weitere Beiträge aus der Kolumne", "Top-Themen bei …", "Das könnte
    # dich auch interessieren": the site's list of other pages, in its own words.
    r"(weitere|mehr|ähnliche|verwandte|passende) (aktuelle )?(themen|artikel|beiträge|nachrichten|"
    r"meldungen|news)\b.{0,40}|top-themen\b.{0,30}|"
    r"(das|dies(es|e)?)( thema| artikel)? könnte (dich|sie|euch) (auch|ebenfalls) interessieren|"
    r"les plus lus|les plus populaires|à lire aussi|sur le même sujet|dans la même rubrique|"
    r"articles similaires|vous aimerez aussi|vous aimerez également|"
    r"lo más leído|lo mas leido|más leídas|más vistos|noticias relacionadas|te puede interesar|"
    r"artículos relacionados|también te puede interesar|otras noticias|más noticias|"
    r"i più letti|più letti|più lette|articoli correlati|altre notizie|"
    r"mais lidas|mais lidos|notícias relacionadas|artigos relacionados|mais notícias|"
    r"meest gelezen|gerelateerde artikelen|gerelateerde berichten|meer nieuws)[\W_]*$",
    re.IGNORECASE,
)

# "19.11.2026, 11:42 Uhr · Lesezeit: 3 Min.": a reading time beside a date or byline.
READING_TIME_INLINE = re.compile(
    r"(reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|"
    r"tempo di lettura|tempo de leitura|leestijd)\W*\d+\s*\w*|"
    r"\b\d+\s*(min|mins|minute|minutes|minuten|minutos|minuti)\.?\s+(read|reading|de lecture|de lectura|"
    r"di lettura|de leitura|lesen)\b",
    re.IGNORECASE,
)

READING_TIME = re.compile(
    r"^[\W_]*(?:(?:reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|"
    r"lecture|lectura|lettura|tempo di lettura|leitura|tempo de leitura|leestijd)\W*\d+\s*\w*\.?|"
    r"\d+\s*(?:-\s*\d+\s*)?(?:min|mins|minute|minutes|minuten|minutos|minuti|minuut)\.?"
    r"(?:\s+(?:read|reading|lesezeit|de lecture|de lectura|di lettura|de leitura|leestijd|lesen))?)"
    r"[\W_]*$",
    re.IGNORECASE,
)

SHARE_WORDS = re.compile(
    r"\b(share|shares|sharing|share link|share this|share on|tweet|facebook|twitter|x|linkedin|"
    r"whatsapp|telegram|reddit|pinterest|email|e-mail|mail|print|copy link|copy|link|flipboard|"
    r"bluesky|threads|teilen|drucken|kopieren|partager|imprimer|copier|compartir|imprimir|copiar|"
    r"condividi|stampa|compartilhar|delen|messenger|comments?|kommentare?|commentaires?|"
    r"comentarios?|commenti|save|speichern|enregistrer|guardar|salva)\b",
    re.IGNORECASE,
)

# The reader addressed in the second person (en, de, fr, es, it, pt, nl). German's polite
# "Sie"/"Ihr…" count only capitalised and not opening the line ("sie" is she/they); words
# that mean something else in another supported language ("je", "vi", "su") are left out.
READER_ADDRESS = re.compile(
    r"(?i:\b(?:you|your|yours|yourself|du|dich|dir|dein\w*|euch|euer|eure\w*|vous|votre|vos|"
    r"tu|toi|ton|tes|usted|ustedes|tú|tus|vuestr\w*|tuo|tua|tuoi|tue|voi|vostr\w*|você|vocês|"
    r"teu|tua|jij|jouw|jullie|uw)\b)|(?<=\w )\b(?:Sie|Ihnen|Ihr|Ihre[mnrs]?)\b"
)

# Where an app or file is had: a prompt only as a badge or button (``clean.STORE_BADGE_MAX_WORDS``).
STORE_BADGE = re.compile(
    r"\b(app store|google play|herunterladen|téléchargez|descárgate|scarica l'app)\b",
    re.IGNORECASE,
)

SUBSCRIBE = re.compile(
    r"\b(subscribe|subscription|subscriber|newsletters?|sign up|signup|sign-up|inbox|"
    # An app or a platform is pitched in the imperative, at the start of a sentence: "Police
    # warned users to download the banking apps" and "Viewers can follow the debate on YouTube"
    # are prose.
    r"get the app|(?:^|(?<=[.!?:] ))(download|get|install) (the|our) ([\w'’&.-]+ ){0,3}apps?\b|"
    r"click here|tap here|"
    r"(laden sie|lade|hol dir) (sich )?(die|unsere) ([\w.-]+ ){0,3}app\b|"
    r"téléchargez (l'|notre )?([\w'’.-]+ ){0,3}(application|appli|app)\b|"
    r"descarga(te)? (la|nuestra) ([\w.-]+ ){0,3}(app|aplicación)\b|"
    r"scarica (l'|la )?(nostra )?([\w.-]+ ){0,3}(app|applicazione)\b|"
    r"(descarregue|baixe|instale) (a|o|nossa|nosso) ([\w.-]+ ){0,3}(app|aplicação|aplicativo)\b|"
    r"download (de|onze) ([\w.-]+ ){0,3}app\b|"
    # "Follow the steps below" is prose: following a site or a person needs "us" or a platform.
    r"follow us|(?:^|(?<=[.!?:] ))follow ([\w@.&'’-]+ ){1,4}on (twitter|facebook|instagram|x|tiktok|linkedin|"
    r"threads|bluesky|mastodon|youtube|pinterest|google\+)\b|"
    r"join us on|join our|get (our|the) (daily|weekly|morning|free)|"
    r"abonnieren|abonnement|abonnieren sie|jetzt abonnieren|newsletter bestellen|folgen sie uns|"
    r"melden sie sich|hier klicken|abonnez-vous|abonnez vous|inscrivez-vous|suivez-nous|"
    r"s'abonner|téléchargez l'application|suscríbete|suscribete|suscribirse|síguenos|siguenos|"
    r"boletín|descarga la app|iscriviti|seguici|abbonati|assine|inscreva-se|siga-nos|"
    r"abonneer|volg ons|meld je aan|unsubscribe|no spam|kein spam|pas de spam|sin spam|nieuwsbrief|lettre d'information|inscription gratuite|"
    r"découvrez notre|discover our|entdecken sie unsere|descubre nuestr\w+|scopri (il )?nostr\w+|"
    r"email address|e-mail address|e-mail-adresse|adresse e-mail|"
    r"adresse électronique|correo electrónico|indirizzo email|"
    r"tag @\w+|@\w+ on (instagram|facebook|tiktok|x|twitter|threads|bluesky))",
    re.IGNORECASE,
)

COOKIE_NOTICE = re.compile(
    r"\b(cookies?|consent|privacy policy|privacy settings|datenschutz\w*|einwilligung|"
    r"confidentialité|consentement|política de privacidad|consentimiento|privacy|"
    r"informativa|política de cookies)\b",
    re.IGNORECASE,
)
COOKIE_ACTION = re.compile(
    r"\b(accept|agree|use|uses|using|we and our partners|manage|settings|preferences|continu\w+|"
    r"akzeptier\w*|zustimm\w*|verwende\w*|nutze\w*|einstellungen|accepte\w*|utilis\w+|"
    r"paramètres|acept\w+|utiliz\w+|configuración|accett\w+|utilizz\w+|aceit\w+|"
    r"gebruik\w*|akkoord)\b",
    re.IGNORECASE,
)

COPYRIGHT = re.compile(
    r"(^[\W_]*(©|\(c\)|copyright\b)|©\s*\d{4}|\b\d{4}\s*©|all rights reserved|alle rechte vorbehalten|"
    r"tous droits réservés|todos los derechos reservados|tutti i diritti riservati|"
    r"todos os direitos reservados|alle rechten voorbehouden)",
    re.IGNORECASE,
)

DISCLAIMER = re.compile(
    r"(^[\W_]*(disclaimer|haftungsausschluss|avertissement|aviso legal|esclusione di responsabilità)\b|"
    r"\bnot (financial|investment|trading|legal) advice\b|\bholds? no liability\b|"
    r"\bdoes not constitute (financial|investment) advice\b|\bkeine anlageberatung\b)",
    re.IGNORECASE,
)

# A statement about the text rather than part of it, wherever it stands in its paragraph:
# whose opinion it is, what the site earns from its links, what the text is not (advice),
# in the languages we read. Each alternative is the statement's grammatical core ("the views
# expressed … are", "contains affiliate links", "does not constitute … advice"), not one
# site's wording; a story about disclaimers rarely puts them in these words.
DISCLOSURE = re.compile(
    # Opinion: the author's, not the publisher's.
    r"\b(views|opinions)( and opinions)? expressed (here|herein|in (this|these|the articles?)|on this|"
    r"by (the )?(authors?|writers?|contributors?)|are)\b|"
    r"\bdo(es)? not necessarily (reflect|represent)\b|"
    r"\bdo(es)? not (reflect|represent) the (views|opinions|position) of (this|the) "
    r"(publication|site|website|newspaper|editors?|editorial board|publisher)\b|"
    r"\b(are|is) (solely )?the (author|writer|contributor)['’]?s?['’]? own\b|"
    r"\bmeinung der redaktion\b|"
    r"\b(meinung|ansicht) (des|der) (autors|autorin|verfassers|verfasserin|gastautors|gastautorin)\b|"
    r"\bgeäußerten (ansichten|meinungen)\b|"
    r"\bn['’]engage(nt)? que (son|leur|ses|leurs) auteur|\b(les )?(opinions|propos) exprimé(e)?s\b|"
    r"\b(las )?opiniones expresadas\b|\bno (reflejan|representan) necesariamente\b|"
    r"\bresponsabilidad (exclusiva )?de (su|sus|el|los) autor|"
    r"\ble opinioni espresse\b|\bnon (riflettono|rappresentano) necessariamente\b|"
    r"\bas opiniões expressas\b|\bnão (refletem|representam) necessariamente\b|"
    r"\bniet noodzakelijk (de mening|het standpunt)\b|"
    # Affiliate links and advertising.
    r"^[\W_]*(anzeige|werbung|ad|advertising|disclosure|transparenz|hinweis)\b[^.!?]{0,20}\baffiliate|"
    r"\baffiliate[- ]?links?\b[^.!?]{0,40}(gekennzeichnet|markiert|marked|sternchen|asterisk|\*)|"
    r"\bhandelt es sich um (sogenannte )?\W?affiliate|\blinks in this (post|article|story) (may|are)\b|"
    r"\b(we|i) (may |might |will |can )?(earn|receive|get|make) (a )?(small )?"
    r"(commission|compensation|affiliate|referral fee)\b|"
    r"\bat no (extra|additional) cost to you\b|\bpaid partnership\b|"
    r"\b(this|the following) (post|article|content|video|story) (is|was) sponsored\b|"
    r"\b(provisions|werbe)links?\b|"
    r"\benthält (unbezahlte |bezahlte )?(werbung|anzeigen|produktplatzierung|affiliate)|"
    # A label, not a word of the sentence: "*Werbung.", "[Werbung]", "WERBUNG für …".
    r"^[\W_]*(unbezahlte |bezahlte )?werbung\s*([.:|\])*–-]|für\b|\(|$)|"
    r"\b(erhalten|bekommen) wir (ggf\. |gegebenenfalls |unter umständen |eventuell )?"
    r"(eine )?(kleine )?provision\b|"
    r"\bliens? (d['’]affiliation|affiliés?|sponsorisés?|commerciaux)\b|"
    r"\b(percevoir|toucher|recevoir) une (petite )?commission\b|"
    r"\benlaces? (de )?afiliados?\b|\b(recibir|ganar|obtener) una (pequeña )?comisión\b|"
    r"\blink (di affiliazione|affiliati)\b|\b(ricevere|guadagnare) una (piccola )?commissione\b|"
    r"\blinks? (de )?afiliados?\b|\b(receber|ganhar) uma (pequena )?comissão\b|"
    r"\b(ontvangen|verdienen) (wij|we) (een )?(kleine )?commissie\b|"
    # What the text is not: advice, a recommendation, a substitute for a professional.
    r"\bfor (general )?(informational|information|educational) purposes only\b|"
    r"\b(always|please) do your own research\b|\bpast performance (is|does) not\b|"
    r"\bnot a substitute for (professional )?(medical|legal|financial) advice\b|"
    r"\bstellt (keine|keinerlei) (anlage|kauf|verkaufs|finanz)?(beratung|empfehlung|aufforderung)|"
    r"\bdien(t|en) (nur|lediglich|ausschließlich) (der|zur) information|"
    r"\bersetz(t|en) (keine|nicht (die|eine|den)) (ärztliche|medizinische|professionelle|fachliche)|"
    r"\bne constitue (pas|en aucun cas) un (conseil|recommandation)|"
    r"\bà (titre|des fins) (purement )?(informatif|informatives|d['’]information)\b|"
    r"\bno constituye (una |un )?(recomendación|asesoramiento|consejo|oferta)\b|"
    r"\bcon fines (exclusivamente )?(informativos|educativos)\b|"
    r"\bnon costituisce (una |un )?(consulenza|raccomandazione|sollecitazione|offerta)\b|"
    r"\ba (scopo|titolo) (puramente |meramente )?informativo\b|"
    r"\bnão constitui (uma |um )?(recomendação|aconselhamento|consultoria|oferta)\b|"
    r"\bpara fins (meramente )?informativos\b|"
    r"\bgeen (financieel|beleggings|juridisch) ?advies\b|\b(uitsluitend|enkel) ter informatie\b",
    re.IGNORECASE,
)

# Every alternative of ``DISCLOSURE`` holds one of these: a line without any is not searched
# (the pattern's 50-odd alternatives cost about 0.3 ms a line, the keywords 8 µs).
DISCLOSURE_KEYWORDS = (
    "expressed", "necessar", "not reflect", "not represent", "author", "writer", "contributor",
    "meinung", "ansicht", "geäußert", "engage", "exprim", "expresadas", "responsabilidad",
    "espresse", "expressas", "noodzakelijk", "affilia", "afiliad", "links in this", "commission",
    "compensation", "referral", "cost to you", "partnership", "sponsored", "provisionslink",
    "werbelink", "enthält", "werbung", "provision", "lien", "comisión", "comissão", "commissie",
    "purposes only", "own research", "past performance", "substitute", "stellt kein",
    "der information", "zur information", "d'information", "d’information", "ersetz", "constitu",
    "costituisce", "fines", "fins", "informativ", "informatif", "advies", "ter informatie", "advice",
)  # fmt: skip

# Disclosures that count only when said of this text; slow to search (a gap between the
# self-reference and the claim), so ``clean`` tries them only on lines holding their keyword.
# Affiliate links named as this page's own ("contains affiliate links", "Die mit * markierten
# Links sind Affiliate-Links"): a story may be about affiliate programmes.
OWN_AFFILIATE_LINKS = re.compile(
    r"\b(this|our|the following|these|diese[rs]?|beitrag|artikel|seite|post|page|text|links)\b"
    r"[^.!?]{0,40}\b(contains?|enthält|enthalten|includes?|uses?|may (be|contain)|sind|are|is|ist)\b"
    r"[^.!?]{0,30}\baffiliate[- ]?links?\b",
    re.IGNORECASE,
)
# "The information above does not constitute …": a company quoted in a story may say it of
# its product.
OWN_NOT_ADVICE = re.compile(
    r"\b(this|these|the (above|information|content|contents|material|article|post|text)|nothing)\b"
    r"[^.!?]{0,50}\b((does|do|should|shall) not constitute|(is|are) not (intended as |to be "
    r"(construed|taken|considered) as )?(an? |any )?(financial|investment|trading|legal|tax) advice)",
    re.IGNORECASE,
)

# The site asking its readers to pay for or join it ("support our journalism", "become a
# member", "unterstütze unsere Arbeit"): the publisher's voice, not the story's.
SUPPORT_APPEAL = re.compile(
    # The site's own work, or the imperative: "OpenAI will fund local newsrooms" and "Finland
    # hopes to become a member of NATO" are news.
    r"\b(support|supporting|fund|funding) (our (journalism|reporting|work|newsroom|coverage|magazine)|"
    r"this (site|website|blog|podcast|magazine|newsletter))\b|"
    r"\bbecome an? (paying )?(supporter|subscriber|patron)\b|\bbecome a member (today|now)\b|"
    r"\balready an? (subscriber|member)\b|"
    r"\bunterstütze uns\b|\b(unterstütze|unterstützen sie) unsere[nm]? (arbeit|journalismus|redaktion|"
    r"magazin)\b|"
    r"\bunseren journalismus\b[^.!?]{0,60}\bunterstütz|"
    r"\b(werde|werden sie) (jetzt )?(mitglied|unterstützer\w*|supporter|förder\w*)\b|"
    r"\bsoutenez (notre|le|un) (journalisme|média|travail|rédaction)\b|"
    r"\bdevenez (membre|abonné|donateur|donatrice)\b|"
    r"\b(apoya|apoye|apóyanos) (nuestro|el|a nuestro) (periodismo|trabajo)\b|"
    r"\bhazte (miembro|socio|suscriptor|mecenas)\b|"
    r"\bsostieni (il nostro|il|un) (giornalismo|lavoro)\b|\bdiventa (nostro )?(abbonato|sostenitore)\b|"
    r"\bapoie (o nosso|nosso|o) (jornalismo|trabalho)\b|\btorne-se (membro|assinante|apoiador)\b|"
    r"\bsteun (onze|de) (journalistiek|redactie)\b|\bword (lid|abonnee|donateur)\b",
    re.IGNORECASE,
)

# Lines that name where the text came from: metadata (provider), not body.
SOURCE_LINE = re.compile(
    r"^[\W_]*(original source|originally published (at|on|by)|source originale|originalquelle|"
    r"fuente original|fonte originale|sources?|quelle|fuente|fonte|bron|"
    r"this (article|story) (was|first) (originally )?(appeared|published) (on|in|at))\s*[:\-–]?\s*"
    r"(?P<value>\S.{0,80})$",
    re.IGNORECASE,
)

NEWS_AGENCIES = (
    r"afp|ap|reuters|dpa|epd|kna|apa|sda|efe|europa press|ansa|adnkronos|lusa|agência brasil|"
    r"anp|belga|xinhua|kyodo|yonhap|pa|pa media|bloomberg|bernama|antara|tass|ria novosti|"
    r"aa|anadolu|afp/dpa|dpa/afp|dpa-afx|reuters/afp|sid|ddp|aap|cp|upi|ians|pti|ani"
)
WIRE_CREDIT = re.compile(
    r"(^[\W_]*\(?\s*(additional )?(reporting|writing|editing|compiled|translated) by\b|"
    r"\b(reporting|editing) by [A-Z]|"
    rf"^[\W_]*(\(c\)|©)?\s*(agencia|agence|agenzia|agência)?\s*({NEWS_AGENCIES})"
    r"(\s*[/,]\s*\w{1,4})*\s*[\W_]*$|"
    rf"^[\W_]*(avec|mit material von|mit material der|con información de|con informaci[oó]n de|"
    rf"quelle|source|fuente|fonte|with|con|avec l'|mit)\s*:?\s*({NEWS_AGENCIES})\b[\W\w]{{0,30}}$)",
    re.IGNORECASE,
)

# A caption that ends in its credit: "A street in Avignon, Tuesday. Photo: AFP".
TRAILING_CREDIT = re.compile(
    r"(?:^|[\s/|·.])(photo|photos|foto|fotos|image|imagen|bild|crédit photo|credit|crédito|"
    r"photo credit|picture)\s*:\s*(\w[\w.'’-]*\s*[/,]?\s*){1,6}$",
    re.IGNORECASE,
)

PHOTO_CREDIT = re.compile(
    r"^[\W_]*(photo|photos|foto|fotos|image|images|bild|bilder|picture|pic|credit|crédit|"
    r"crédit photo|credito|crédito|illustration|grafik|video|vidéo|getty images|imago|"
    # Not before a hyphen: "Picture-in-Picture" and "Video-on-Demand" are names, not credits.
    r"picture alliance|shutterstock|istock|keystone|epa|afp photo)(?![\w-])\s*[:/©|]?",
    re.IGNORECASE,
)

BYLINE = re.compile(
    r"^[\W_]*(by|von|par|por|di|door|de|autor|author|auteur|autora|autore|texte|text|redacción|"
    r"redaktion|written by|posted by|reported by)\s*:?\s+\S",
    re.IGNORECASE,
)

# What opens the line that signs a reader's comment or a trackback, before the signer's name
# and when it was posted ("Posted by: Ellen at …", "Tracked on Apr 6, 2007 …").
# ``extractors.clean`` also wants a day and a time of day: an author's "Posted by Kathy" alone
# signs nothing.
COMMENT_SIGNED_BY = re.compile(
    r"^[\W_]*(?P<cue>posted by|tracked on|submitted by|comment by|commented by|reply by|"
    r"geschrieben von|kommentar von|verfasst von|publié par|posté par|commentaire de|"
    r"escrito por|publicado por|comentario de|enviado por|scritto da|pubblicato da|"
    r"inviato da|postado por|geplaatst door|reactie van)\b\s*:?\s*",
    re.IGNORECASE,
)
# A name of up to four words, the verb it signs with, then only the stamp: "Anna says:
# October 12, 2026 at 10:32 am", "Marie a écrit : 3 mars 2026 à 10 h 32". Reported speech
# ("Police said: the first call came in …") goes on with a sentence, not a stamp.
COMMENT_SAYS = re.compile(
    r"^[\W_]*(?P<name>[^\W\d_][\w'’.-]*(?:\s+[\w'’.-]+){0,3}?)\s+"
    r"(?:said|says|wrote|writes|replied|sagt|schreibt|meint|antwortet|schrieb|a écrit|"
    r"écrit|dit|a répondu|répond|dijo|dice|escribió|escribe|respondió|responde|ha scritto|"
    r"scrive|risponde|disse|escreveu|respondeu|zegt|schreef|schrijft|reageert)"
    r"\s*(?:\.{3}|…|:)\s*(?P<stamp>.*)$",
    re.IGNORECASE,
)

# A comment's time told relative to now, alone on its line: "3 hours ago", "vor 2 Stunden",
# "il y a 3 heures", "Hace una hora", "2 ore fa", "há 2 horas", "2 uur geleden".
RELATIVE_STAMP = re.compile(
    r"^[\W_]*(?:"
    r"(?:about |over |almost )?(?:\d+|an?|one) (?:second|minute|min|hour|hr|day|week|month|year)s? ago|"
    r"vor (?:\d+|einer?|einem) (?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?)|"
    r"il y a (?:\d+|une?) (?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|années?)|"
    r"hace (?:\d+|una?) (?:segundos?|minutos?|horas?|días?|semanas?|mes(?:es)?|años?)|"
    r"(?:\d+|una?) (?:secondi|secondo|minuti|minuto|ore|ora|giorni|giorno|settimane|settimana|"
    r"mesi|mese|anni|anno) fa|"
    r"há (?:\d+|uma?) (?:segundos?|minutos?|horas?|dias?|semanas?|mês|meses|anos?)|"
    r"(?:\d+|een) (?:seconden|seconde|minuten|minuut|uur|dagen|dag|weken|week|maanden|maand|jaar) geleden"
    r")[\W_]*$",
    re.IGNORECASE,
)

# The header of readers' comments or trackbacks under a post: "Comments", "12 Responses",
# "Reader comments (3)", "Have your say", "Leave a reply", "3 thoughts on “Title”". Words an
# article's own subheading may be ("Discussion", "Reactions", "Comment: …") are not enough.
COMMENTS_HEADER = re.compile(
    r"^[\W_]*(?:(?:\d+|no|one)\s+)?(?:readers?'?\s+)?(?:comments?|kommentare?|leserkommentare|"
    r"commentaires?|comentarios?|commenti|comentários|reacties|trackbacks?|pingbacks?|"
    # The comment form's button as the section's heading ("Comentar", "Kommentieren").
    r"comentar|kommentieren|commenter|commentare|reageren)"
    r"[\W_]*(?:\(?\d+\)?)?[\W_]*$|"
    r"^[\W_]*(?:\d+|no|one)\s+(?:responses?|replies|reactions|thoughts)"
    r"(?:\s+(?:on|to)\b.{0,120})?$|"
    r"^[\W_]*(?:have your say|leave a (?:comment|reply)|post a comment|add (?:a|your) comment|"
    r"join the (?:discussion|conversation)|kommentar schreiben|laisser un commentaire|"
    r"deja un comentario|lascia un commento)\b.{0,40}$",
    re.IGNORECASE,
)

# A labelled promo: "Sponsored: 20% off roof repairs …", "Anzeige: …".
SPONSORED_PREFIX = re.compile(
    r"^[\W_]*(sponsored|promoted|paid (post|content)|partner content|advertorial|anzeige|"
    r"gesponsert|werbung|publicité|sponsorisé|contenu sponsorisé|publicidad|patrocinado|"
    r"contenido patrocinado|pubblicità|sponsorizzato|publicidade|gesponsord|advertentie)\s*[:|–—-]\s*\S",
    re.IGNORECASE,
)

# Where the text appeared first: "This article was originally published on …",
# "Cet article est paru initialement dans notre édition papier …".
ORIGIN_NOTE = re.compile(
    r"^[\W_]*(this (article|story|piece|post) (was|first) (originally |first )?(published|appeared|ran)|"
    r"(a version of )?this (article|story) (originally )?appeared|"
    r"(dieser|der) (artikel|beitrag|text) (ist|erschien) (zuerst|ursprünglich)|"
    r"(cet|l') ?article (est paru|a été publié|a paru) (initialement|d'abord|pour la première fois)|"
    r"(este|el) artículo (se publicó|fue publicado|apareció) (originalmente|primero|inicialmente)|"
    r"questo articolo è stato pubblicato (originariamente|inizialmente|per la prima volta)|"
    r"este artigo foi (publicado )?(originalmente|inicialmente)|"
    r"dit artikel (verscheen|is) (eerder|oorspronkelijk))",
    re.IGNORECASE,
)

# "About the author" labels, and the roles an author bio names ("… is a reporter covering …").
BIO_LABEL = re.compile(
    r"^[\W_]*(about the author|über (den|die) autor(in)?|zum autor|zur autorin|à propos de l'auteur|"
    r"l'auteur|sobre (el|la|o|a) autor(a)?|l'autore|l'autrice|over de auteur)\b",
    re.IGNORECASE,
)
BIO_ROLE = re.compile(
    r"\b(journalist\w*|reporter\w*|correspondent\w*|editor\w*|columnist\w*|writer\w*|"
    r"redakteur\w*|korrespondent\w*|kolumnist\w*|journaliste\w*|rédact\w*|chroniqueu\w*|"
    r"periodista\w*|redactor\w*|corresponsal\w*|giornalista\w*|redattor\w*|corrispondente\w*|"
    r"jornalista\w*|repórter\w*|correspondente\w*|verslaggever\w*|redacteur\w*|correspondent\w*)\b",
    re.IGNORECASE,
)

TAG_LINE = re.compile(
    r"^[\W_]*(tags?|topics?|themen|schlagwörter|schlagworte|stichworte|mots[- ]clés|thèmes|sujets|"
    r"etiquetas|temas|tag|argomenti|parole chiave|onderwerpen|trefwoorden|filed under|categories|"
    r"kategorien|catégories|categorías)\s*:",
    re.IGNORECASE,
)

REACTION_HEADER = re.compile(
    r"^[\W_]*(what'?s your reaction|how do you feel|your reaction|was denken sie|wie finden sie|"
    r"quelle est votre réaction|votre réaction|qué te parece|cuál es tu reacción|tu reacción|"
    r"qual è la tua reazione|qual a sua reação|wat vind je|come ti senti|hoe voel je je|"
    r"comment vous sentez-vous|wie fühlen sie sich|cómo te sientes)\b",
    re.IGNORECASE,
)

# Lines that announce an update or a loading widget: page furniture.
FURNITURE = re.compile(
    r"^[\W_]*(loading|lädt|chargement|cargando|caricamento|carregando|laden)\b.{0,40}(\.\.\.|…)?$|"
    r"^[\W_]*((note|hinweis|remarque|nota|anmerkung)\s*:\s*)?"
    r"(this (story|article|post) (has been|was) (updated|corrected)|editor'?s note|"
    r"correction|cet article a été (mis à jour|modifié|corrigé)|dieser artikel wurde|este artículo (ha sido|fue) actualizado|"
    r"questo articolo è stato aggiornato)\b.{0,200}$|"
    r"^[\W_]*(updated|aktualisiert|mis à jour|actualizado|"
    r"aggiornato|atualizado|bijgewerkt|corrected)\b.{0,60}$|"
    r"^[\W_]*(was this (article|page|story) (helpful|useful)|war dieser artikel hilfreich|"
    r"cet article vous a-t-il été utile|¿?te ha resultado útil|¿?le ha resultado útil|"
    r"questo articolo ti è stato utile|is this page useful)\b.{0,40}$|"
    r"^[\W_]*(comments?|kommentare?|commentaires?|comentarios?|commenti|reacties)\s*\(?\d*\)?[\W_]*$|"
    r"^[\W_]*(back to top|nach oben|retour en haut|volver arriba|torna su|voltar ao topo|"
    r"skip to (main )?content|zum inhalt springen|aller au contenu)[\W_]*$|"
    r"^[\W_]*(our standards|the trust project|unsere standards|nos engagements)\b.{0,60}$",
    re.IGNORECASE,
)


def for_lowered_text(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same case-insensitive pattern, compiled to run on ``text.lower()`` without IGNORECASE.

    Python's ``re`` folds case character by character under IGNORECASE, which
    makes long alternations several times slower; lowering a line once and
    matching it case-sensitively gives the same answer at a fraction of the cost.

    Raises:
        ValueError: the pattern is not case-insensitive or spells a literal in
            upper case (it could never match lowered text).
    """
    literals = re.sub(r"\\.", "", pattern.pattern)
    if not pattern.flags & re.IGNORECASE or any(char.isupper() for char in literals):
        raise ValueError(f"pattern is not usable on lowered text: {pattern.pattern[:60]!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


# Page-level cues ``extractors.html`` uses to tell a non-article page (soft 404,
# JavaScript shell, paywall stub, consent wall, listing) from an article.

NOT_FOUND = re.compile(
    r"\b(404|410)\b|page not found|not found|page (does not|doesn't) exist|seite nicht gefunden|"
    r"nicht gefunden|page introuvable|page non trouvée|página no encontrada|no se encontró|"
    r"pagina non trovata|página não encontrada|pagina niet gevonden",
    re.IGNORECASE,
)

NEEDS_JAVASCRIPT = re.compile(
    r"enable javascript|javascript (is )?(required|disabled)|activez javascript|"
    r"javascript aktivieren|habilita javascript|attiva javascript",
    re.IGNORECASE,
)

PAYWALL = re.compile(
    r"subscribe to (read|continue)|subscribers only|to continue reading|already a subscriber|"
    r"for subscribers|abonnez-vous pour|réservé aux abonnés|article réservé|"
    r"nur für abonnenten|jetzt weiterlesen mit|abo abschließen|plus-artikel|"
    r"contenido exclusivo para suscriptores|suscríbete para seguir leyendo|"
    r"solo per abbonati|exclusivo para assinantes|start your (free )?trial|unlock this article"
)

COOKIE_WALL = re.compile(
    r"(accept|agree|akzeptieren|accepter|aceptar|accetta|aceitar).{0,80}cookies|"
    r"cookies.{0,120}(accept|agree|akzeptieren|accepter|aceptar|accetta|aceitar)|"
    r"pay or (accept|okay)|pur-abo|mit werbung weiterlesen|werbefrei lesen"
)

# The vocabulary of consent-management dialogs (IAB TCF and the like), not of articles
# about them: a vendor count, "legitimate interest", device storage, personalised ads.
CONSENT_DIALOG = (
    re.compile(r"\b\d{2,4} (partner|partners|partenaires|socios|parceiros|partners)\b", re.I),
    re.compile(
        r"legitimate interest|berechtigten? interesses?|intérêt légitime|interés legítimo|"
        r"legittimo interesse|interesse legítimo|gerechtvaardigd belang",
        re.I,
    ),
    re.compile(
        r"personali[sz]ed (ads|advertising|content)|personalisierte (werbung|anzeigen|inhalte)|"
        r"publicités? personnalisées?|anuncios personalizados|pubblicità personalizzata|"
        r"anúncios personalizados|gepersonaliseerde advertenties",
        re.I,
    ),
    re.compile(
        r"\bip[- ]addresse?s?\b|ip-adresse|adresse ip|dirección ip|indirizzo ip|endereço ip",
        re.I,
    ),
    re.compile(
        r"(store|access) (and/or access )?information on (a|your) device|"
        r"informationen auf (einem|ihrem) (end)?gerät|informations sur (un|votre) (appareil|terminal)|"
        r"información en (un|su) dispositivo|informazioni su (un|un) dispositivo",
        re.I,
    ),
)

LISTING_PATH = re.compile(
    r"/(tag|tags|topic|topics|category|categories|section|rubrique|rubriques|thema|themen|"
    r"schlagwort|autor|author|authors|auteur|autores|search|suche|recherche|buscar|cerca|"
    r"archive|archiv|archives)(/|$|\?)",
    re.IGNORECASE,
)

# Words a site adds to its name in titles ("… - Kreisbote online", "… | Gazette News").
GENERIC_SITE_NAME_WORDS = frozenset(
    [
        "online",
        "news",
        "digital",
        "de",
        "com",
        "net",
        "org",
        "the",
        "la",
        "le",
        "el",
        "il",
        "die",
        "der",
        "das",
        "des",
        "het",
        "daily",
    ]
)
