"""English everywhere: every page, for every role, in English holds none of a list of common French words.

The world (tests/world.py) gives every page something to show; ROUTES fills each GET rule's
arguments from it. The failure message is the to-do list: per page, the French words found
and the text around each. The French walk checks the reverse: no 500, no English leftovers.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from bottles.catalogue.csv_import import IMPORT_KINDS
from bottles.catalogue.kinds import KINDS
from collection_points.labels import LABEL_HINT
from reports.charts import PHASE_CHARTS
from reports.exports import TABLE_NAMES
from tests import world as world_module
from tests.factories import login
from tests.history_files import stashed
from tests.world import World

# Common French words that English text never holds; words that are English too are left out
# ("a", "on", "or", "en", "fr", "plus", "note", "date", "total", "stock", "point", "centre", "code",
# "type", "message", "minute", "commune", "chauffeur", "coordination", "scanner").
FRENCH_WORDS = (
    # function words
    "à", "au", "aux", "avec", "pour", "sur", "dans", "par", "sans", "chez", "entre", "vers",
    "les", "des", "du", "de", "la", "le", "une", "et", "ou", "où", "est", "sont", "être", "été",
    "avoir", "ont", "pas", "ne", "qui", "que", "quoi", "dont", "ce", "cette", "ces", "cet",
    "vous", "votre", "vos", "nous", "notre", "il", "elle", "ils", "elles", "leur", "leurs",
    "aucun", "aucune", "tous", "toutes", "tout", "toute", "depuis", "avant", "après", "encore",
    "déjà", "aussi", "mais", "très", "peut", "doit", "faut", "moins", "puis", "selon",
    "aujourd'hui", "hier", "demain",
    # time
    "jour", "jours", "semaine", "semaines", "mois", "année", "années", "heure", "heures", "j",
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre", "janv", "févr", "juil", "déc",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "1er",
    # the channel
    "bouteille", "bouteilles", "caisse", "caisses", "pleine", "pleines", "vide", "vides",
    "tournée", "tournées", "lavage", "réception", "réceptionnée", "réceptionnées", "enlèvement",
    "enlevée", "enlevées", "déposée", "déposées", "écart", "écarts", "refusé", "refusée",
    "refusées", "écartées", "rebut", "rebuts", "propre", "vente", "ventes", "vigneron",
    "vignerons", "inventaire", "tri", "triées", "lavées", "perdue", "perdues", "retirée",
    "modèle", "modèles", "motif", "quantité", "nombre", "compté", "comptées", "déclaré",
    "déclarée", "déclarées", "prix", "verre", "évité", "évitée", "coût", "coûts", "taux",
    "territoire", "territoires", "rendement", "indicateurs", "objectif", "objectifs",
    "rapport", "tableau", "tableaux", "graphique", "graphiques", "bon", "livraison",
    "centre de lavage", "point de collecte", "points de collecte", "demandes", "étiquettes",
    "étiquette", "parc", "palette", "quai", "laveur", "administrateur", "utilisateur",
    "compte", "comptes", "mot de passe", "rôle",
    # actions and navigation
    "enregistrer", "enregistré", "enregistrée", "annuler", "valider", "modifier", "supprimer",
    "ajouter", "créer", "nouvelle", "nouveau", "retour", "accueil", "déconnexion", "connexion",
    "rechercher", "chercher", "filtrer", "imprimer", "télécharger", "exporter", "comparer",
    "corriger", "clore", "ouvrir", "attribuer", "désactiver", "réactiver",
    "précédente", "suivante", "fermer", "choisir", "choisissez", "saisir", "saisissez",
)
# French elision: l'enlèvement, d'une, qu'il, n'est…
ELISION = r"(?:l|d|qu|n|j|s|c)['’](?=[^\W\d_])"
ENGLISH_LEFTOVERS = ("Save", "Cancel", "bottles", "crates", "Sign out")
# French names quoted as they are in English too (sources of the phase parameters).
PROPER_NAMES = ["Ma Bouteille s'appelle Reviens", "Bout' à Bout'"]

# Rules the walk leaves out: assets, the language switch itself, sign-out.
SKIPPED = {"static", "switch_language", "bottles.logout"}


def _word_pattern(words) -> re.Pattern:
    escaped = (re.escape(word).replace(r"\ ", r"\s+") for word in words)
    alternatives = "|".join(sorted(escaped, key=len, reverse=True))
    elision = rf"|(?<![\w'’-]){ELISION}" if words is FRENCH_WORDS else ""
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w-]){elision}", re.IGNORECASE)


FRENCH = _word_pattern(FRENCH_WORDS)
ENGLISH = _word_pattern(ENGLISH_LEFTOVERS)


def _ids(world: World) -> dict[str, int]:
    """A row id of every catalogue kind."""
    return {"models": world.models[0].id, "reasons": world.reasons["REF-CREMANT"].id,
            "points": world.points[0].id, "territories": world.points[0].territory_id,
            "point-kinds": world.points[0].kind_id, "washers": world.washer.id,
            "winemakers": world.winemaker.id}


def _phase_urls(world: World, suffix: str) -> list[str]:
    return [f"/phases/{phase.id}{suffix}" for phase in world.phases]


NOTHING = "?q=zzz-matches-nothing"  # a search that finds nothing: the lists' empty messages
# Each GET rule → the URLs that fill its arguments from the world (query strings give more content).
ROUTES: dict[str, Callable[[World], list[str]]] = {
    "/": lambda w: ["/"],
    "/login": lambda w: ["/login"],
    "/account/password": lambda w: ["/account/password"],
    "/alertes/": lambda w: ["/alertes/"],
    "/account/tokens": lambda w: ["/account/tokens"],
    # The JSON API: a browser's session is no token (401 JSON); its document and docs page are open.
    "/api/v1/openapi.json": lambda w: ["/api/v1/openapi.json"],
    "/api/v1/docs": lambda w: ["/api/v1/docs"],
    "/api/v1/crates": lambda w: ["/api/v1/crates"],
    "/api/v1/crates/<code>": lambda w: [f"/api/v1/crates/{w.crates['full'].code}"],
    "/api/v1/stocks": lambda w: ["/api/v1/stocks"],
    "/api/v1/events": lambda w: ["/api/v1/events"],
    "/api/v1/phases": lambda w: ["/api/v1/phases"],
    "/api/v1/phases/<int:phase_id>": lambda w: [f"/api/v1/phases/{w.phases[0].id}"],
    "/healthz": lambda w: ["/healthz"],
    # Offline first (bottles/offline.py): the manifest, the service worker, the pages it shows with no network
    "/manifest.webmanifest": lambda w: ["/manifest.webmanifest"],
    "/sw.js": lambda w: ["/sw.js"],
    "/hors-ligne": lambda w: ["/hors-ligne"],
    "/hors-ligne/caisse": lambda w: ["/hors-ligne/caisse"],
    "/c": lambda w: ["/c", "/c?code=nonsense"],
    "/c/<code>": lambda w: [f"/c/{crate.code}" for crate in w.crates.values()],
    "/c/<code>/etiquette.<fmt>": lambda w: [f"/c/{w.crates['in_pool'].code}/etiquette.{fmt}"
                                            for fmt in ("svg", "pdf", "png")],
    "/catalogue/": lambda w: ["/catalogue/"],
    # Spreadsheet history: the upload page, and the mapping page of a small file in the stash
    "/historique/": lambda w: ["/historique/"],
    "/historique/<key>": lambda w: [f"/historique/{stashed()}"],
    # the example workbook (its CSV twin is the same French data: the association's own headers)
    "/historique/exemple.<fmt>": lambda w: ["/historique/exemple.xlsx"],
    "/catalogue/<slug>/": lambda w: [f"/catalogue/{slug}/{search}" for slug in KINDS
                                     for search in ("", NOTHING)],
    "/catalogue/<slug>/<int:row_id>": lambda w: [f"/catalogue/{slug}/{row}" for slug, row in _ids(w).items()],
    "/catalogue/<slug>/new": lambda w: [f"/catalogue/{slug}/new" for slug in KINDS],
    "/catalogue/crates/": lambda w: ["/catalogue/crates/", f"/catalogue/crates/{NOTHING}"],
    "/catalogue/crates/<int:crate_id>": lambda w: [f"/catalogue/crates/{w.crates['in_pool'].id}",
                                                   f"/catalogue/crates/{w.crates['full'].id}"],
    "/catalogue/crates/new": lambda w: ["/catalogue/crates/new"],
    "/catalogue/import/<slug>": lambda w: [f"/catalogue/import/{slug}" for slug in IMPORT_KINDS],
    "/catalogue/import/<slug>/example.csv": lambda w: [f"/catalogue/import/{slug}/example.csv"
                                                       for slug in IMPORT_KINDS],
    "/demandes": lambda w: ["/demandes"],
    "/etiquettes": lambda w: ["/etiquettes"],
    "/tournee": lambda w: ["/tournee"],
    "/tournee/deposer": lambda w: ["/tournee/deposer", f"/tournee/deposer?point={w.points[1].id}"],
    "/tournee/enlever": lambda w: ["/tournee/enlever"],
    "/tournee/prevue": lambda w: ["/tournee/prevue", "/tournee/prevue?day=2026-13-01"],
    "/tournees/preparer": lambda w: ["/tournees/preparer", "/tournees/preparer?propose=1",
                                     "/tournees/preparer?propose=1&capacity=0",
                                     "/tournees/preparer?propose=1&source=csv"],
    "/lavage/reception": lambda w: ["/lavage/reception",
                                    f"/lavage/reception?code={w.crates['in_transit'].code}",
                                    f"/lavage/reception?code={w.crates['full'].code}"],
    "/lavage/tri": lambda w: ["/lavage/tri"],
    "/lavage/lot": lambda w: ["/lavage/lot"],
    "/lavage/stock": lambda w: ["/lavage/stock"],
    "/lavage/inventaire": lambda w: ["/lavage/inventaire"],
    "/lavage/historique": lambda w: ["/lavage/historique"],
    "/lavage/corriger/<int:seq>": lambda w: [f"/lavage/corriger/{w.sorting.seq}"],
    "/lavage/tournees": lambda w: ["/lavage/tournees"],
    "/lavage/tournees/<int:round_id>": lambda w: [f"/lavage/tournees/{r.id}" for r in w.rounds],
    "/people/": lambda w: ["/people/", f"/people/{NOTHING}"],
    "/people/<int:user_id>": lambda w: [f"/people/{w.users['point'].id}", f"/people/{w.users['washer'].id}"],
    "/people/new": lambda w: ["/people/new"],
    "/phases/": lambda w: ["/phases/"],
    "/phases/new": lambda w: ["/phases/new"],
    "/phases/compare": lambda w: ["/phases/compare",
                                  "/phases/compare?" + "&".join(f"phase={p.id}" for p in w.phases)],
    "/phases/<int:phase_id>": lambda w: _phase_urls(w, ""),
    "/phases/<int:phase_id>/edit": lambda w: _phase_urls(w, "/edit"),
    "/phases/<int:phase_id>/graphiques/<name>.svg": lambda w: [
        f"/phases/{w.phases[1].id}/graphiques/{name}.svg" for name in PHASE_CHARTS],
    "/phases/<int:phase_id>/journal.csv": lambda w: _phase_urls(w, "/journal.csv")[1:],
    "/phases/<int:phase_id>/journal.jsonld": lambda w: _phase_urls(w, "/journal.jsonld")[1:],
    "/phases/<int:phase_id>/rapport.pdf": lambda w: _phase_urls(w, "/rapport.pdf"),
    "/phases/<int:phase_id>/tableaux.xlsx": lambda w: _phase_urls(w, "/tableaux.xlsx")[1:],
    "/phases/<int:phase_id>/modeles": lambda w: _phase_urls(w, "/modeles"),
    "/phases/<int:phase_id>/simulateur": lambda w: _phase_urls(w, "/simulateur"),
    "/phases/<int:phase_id>/rentabilite": lambda w: _phase_urls(w, "/rentabilite"),
    "/phases/<int:phase_id>/tournees": lambda w: _phase_urls(w, "/tournees"),
    "/phases/<int:phase_id>/agec.csv": lambda w: _phase_urls(w, "/agec.csv"),
    "/phases/<int:phase_id>/agec.xlsx": lambda w: _phase_urls(w, "/agec.xlsx"),
    "/phases/<int:phase_id>/tableaux/<name>.csv": lambda w: [
        f"/phases/{w.phases[1].id}/tableaux/{name}.csv" for name in TABLE_NAMES],
    "/ventes/": lambda w: ["/ventes/"],
    "/ventes/nouvelle": lambda w: ["/ventes/nouvelle"],
    "/ventes/<int:seq>": lambda w: [f"/ventes/{w.sale.seq}", f"/ventes/{w.corrected.seq}"],
    "/ventes/<int:seq>.pdf": lambda w: [f"/ventes/{w.sale.seq}.pdf"],
    "/ventes/vignerons": lambda w: ["/ventes/vignerons"],
    "/ventes/vigneron/<int:winemaker_id>": lambda w: [f"/ventes/vigneron/{w.winemaker.id}"],
    "/ventes/mes-reservations": lambda w: ["/ventes/mes-reservations"],
    "/ventes/reservations": lambda w: ["/ventes/reservations"],
    "/ventes/reservations/<int:reservation_id>/vendre": lambda w: [
        f"/ventes/reservations/{w.extra['reservation']}/vendre"] if w.extra.get("reservation") else [],
    "/ventes/a-preparer": lambda w: ["/ventes/a-preparer"],
}
ROLES = ("anonymous", "point", "driver", "washer", "winemaker", "coordinator", "admin")
NOT_A_PAGE = "/this-page-does-not-exist"  # the error page is a page too


class _Text(HTMLParser):
    """What a person reads: text outside scripts and styles, and the words of attributes shown."""

    SHOWN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "template"):
            self.hidden += 1
        values = dict(attrs)
        self.parts.extend(values[name] for name in self.SHOWN if values.get(name))
        if tag == "input" and values.get("type") in ("submit", "button", "reset") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ¶ ".join(part.strip() for part in parser.parts if part.strip())


def svg_text(svg: str) -> str:
    """Matplotlib draws letters as paths and keeps each text as a comment; <text> otherwise."""
    comments = re.findall(r"<!--(.*?)-->", svg, re.S)
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
    return " ¶ ".join(part.strip() for part in comments + texts)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ¶ ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def readable(response) -> str | None:
    """The text of a page or a text download; None for pictures and workbooks."""
    kind = response.mimetype
    if kind == "text/html":
        return html_text(response.get_data(as_text=True))
    if kind in ("text/csv", "text/plain"):
        return response.get_data(as_text=True)
    if kind == "image/svg+xml":
        return svg_text(response.get_data(as_text=True))
    if kind == "application/pdf":
        return pdf_text(response.get_data())
    return None


def without(text: str, strings: list[str]) -> str:
    """The text with the world's own data blanked out, even when a line break splits it."""
    if not strings:
        return text
    spread = (r"[\s¶]+".join(map(re.escape, value.split())) for value in strings if value.strip())
    return re.sub("|".join(sorted(spread, key=len, reverse=True)), " ▯ ", text)


def snippet(text: str, start: int, end: int) -> str:
    before = re.sub(r"\s+", " ", text[max(0, start - 45):start])
    after = re.sub(r"\s+", " ", text[end:end + 45])
    return f"…{before}[{text[start:end]}]{after}…"


def get_urls(app, world: World) -> list[str]:
    """Every URL of the walk; a GET rule without a row in ROUTES fails the test."""
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint not in SKIPPED
             and not rule.endpoint.endswith(".static")}
    missing = sorted(rules - set(ROUTES))
    assert not missing, ("GET routes without a row in ROUTES of tests/test_english_everywhere.py "
                         f"(add one filling their arguments from tests/world.py): {missing}")
    stale = sorted(set(ROUTES) - rules)
    assert not stale, f"ROUTES rows for routes that no longer exist (remove them): {stale}"
    return [url for rule in sorted(rules) for url in ROUTES[rule](world)] + [NOT_A_PAGE]


DOWNLOAD = re.compile(r"\.(pdf|svg|png|csv|xlsx)(\?|$)")


@dataclass
class Walk:
    """Every URL fetched by every role in one language; what the pattern found, and server errors."""

    world: World
    language: str
    pattern: re.Pattern
    data: list[str]
    catalogue: list[str]
    found: dict[str, dict] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    downloaded: set[str] = field(default_factory=set)
    skip: tuple[str, ...] = ()
    read: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # pages read by role

    def visit(self, client, role: str, urls: list[str]) -> None:
        """One role's walk: sign in, switch language, fetch every URL (a download once)."""
        if role != "anonymous":
            login(client, self.world.users[role])
        client.get(f"/lang/{self.language}")
        for url in urls:
            download = bool(DOWNLOAD.search(url))
            if download and url in self.downloaded or url.endswith(self.skip):
                continue
            response = client.get(url)
            if response.status_code >= 500:
                self.errors.append(f"{role} GET {url} → {response.status_code}")
                continue
            skipped = response.status_code in (403, 404) and url != NOT_A_PAGE
            if skipped or 300 <= response.status_code < 400:
                continue
            if download:
                self.downloaded.add(url)
            text = readable(response)
            if text is not None:
                self.read[role] += 1
                self.note(role, url, text)

    def note(self, role: str, url: str, text: str) -> None:
        """The words of the pattern in the page's text, the world's own data left out."""
        text = without(text, self.data + (self.catalogue if url.startswith("/catalogue/") else []))
        for match in self.pattern.finditer(text):
            page = self.found.setdefault(url, {"roles": set(), "words": defaultdict(list)})
            page["roles"].add(role)
            shown, word = snippet(text, match.start(), match.end()), match.group(0).lower()
            if shown not in page["words"][word]:
                page["words"][word].append(shown)


def walk(app, world: World, language: str, pattern: re.Pattern, skip: tuple[str, ...] = ()) -> Walk:
    """Fetch every URL as every role in `language` (but those ending with `skip`)."""
    from bottles.db import db

    # The crate label's hint is printed for the channel's collection points: French on purpose.
    data = [app.config["CHANNEL_NAME"], LABEL_HINT, *world_module.data_strings(db.session),
            *PROPER_NAMES]
    done = Walk(world, language, pattern, sorted(data, key=len, reverse=True),
                world_module.french_catalogue_strings(db.session), skip=skip)
    urls = get_urls(app, world)
    for role in ROLES:
        # Each role in its own app context: Flask-WTF and Flask-Login keep the signed-in person in g.
        with app.app_context():
            done.visit(app.test_client(), role, urls)
    signed_out = [role for role in ROLES[1:] if done.read[role] < 5]
    assert not signed_out, f"roles that read almost nothing (not signed in?): {signed_out} {dict(done.read)}"
    return done


def report(found: dict, title: str) -> str:
    """The to-do list: what many pages share (the layout) once, then per page each word and where."""
    contexts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for url, page in found.items():
        for word, shown in page["words"].items():
            for one in shown:
                contexts[(word, _core(one))].add(url)
    shared = {key for key, urls in contexts.items() if len(urls) >= SHARED}
    lines = [f"{title}: {len(found)} pages"]
    if shared:
        lines.append(f"\nOn {SHARED} pages or more (layout, navigation):")
        lines.extend(f"    {word!r}: …{core}… ({len(contexts[(word, core)])} pages)"
                     for word, core in sorted(shared))
    for url in sorted(found):
        page = found[url]
        words = {word: [one for one in shown if (word, _core(one)) not in shared]
                 for word, shown in page["words"].items()}
        words = {word: shown for word, shown in words.items() if shown}
        if not words:
            continue
        lines.append(f"\n{url}  ({', '.join(sorted(page['roles']))}): {', '.join(sorted(words))}")
        for word in sorted(words):
            lines.extend(f"    {word!r}: {one}" for one in words[word][:3])
            if len(words[word]) > 3:
                lines.append(f"    {word!r}: … {len(words[word]) - 3} more")
    return "\n".join(lines)


SHARED = 5


def _core(shown: str) -> str:
    """The word in brackets with a few characters either side: the same text on different pages."""
    start, end = shown.index("["), shown.index("]")
    return shown[max(0, start - 15):end + 16]


@pytest.fixture
def world(factory) -> World:
    return world_module.build(factory)


def test_every_page_in_english_has_no_french_word(app, world):
    done = walk(app, world, "en", FRENCH)
    assert not done.errors, "server errors in English:\n" + "\n".join(done.errors)
    assert not done.found, report(done.found, "French words left in English mode")


def test_every_empty_page_in_english_has_no_french_word(app, factory):
    """Before anything happens, the pages say so in English (empty lists, no figures yet)."""
    done = walk(app, world_module.build_empty(factory), "en", FRENCH)
    assert not done.errors, "server errors in English:\n" + "\n".join(done.errors)
    assert not done.found, report(done.found, "French words left in English mode, nothing done yet")


def test_every_page_in_french_has_no_error_nor_english_leftover(app, world):
    done = walk(app, world, "fr", ENGLISH, skip=(".pdf",))  # PDFs: their seconds go to the English walk
    assert not done.errors, "server errors in French:\n" + "\n".join(done.errors)
    assert not done.found, report(done.found, "English words in French mode")


def test_the_word_list_spares_english():
    english = ("Save the sorting · 3 bottles on a pallet or in crates, picked up on 2 March; "
               "Washing centre, collection point, stock-take, round, pickup, set aside, clean stock, "
               "winemaker, note, date, total, code, type, plus or minus, en/fr, it's the driver's")
    assert not FRENCH.findall(english)
    french = "Enregistrer le tri · 3 bouteilles sur une palette, enlevées le 1er mars ; l'enlèvement, 9 j"
    assert {m.lower() for m in FRENCH.findall(french)} >= {"enregistrer", "le", "bouteilles", "sur", "une",
                                                           "palette", "enlevées", "1er", "mars", "l'", "j"}
