"""Names at a synthetic shop: weighted pools of Italian and foreign names (popular first names
shared by many, look-alike surnames), nicknames, pseudonyms, handles, display names, and the
catalog as people name it in a post."""
from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from arrosto.text import fold

from ..common import NETWORK_SHARES

# --- name pools ---------------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return text.split()


# (name, weight): popular names are shared by many customers
ITALIAN_MEN = [
    ("Marco", 9), ("Luca", 9), ("Giuseppe", 8), ("Francesco", 8), ("Alessandro", 8),
    ("Andrea", 8), ("Matteo", 7), ("Lorenzo", 6), ("Davide", 6), ("Simone", 6), ("Federico", 5),
    ("Riccardo", 5), ("Stefano", 5), ("Giovanni", 5), ("Antonio", 6), ("Roberto", 5),
    ("Paolo", 5), ("Fabio", 4), ("Salvatore", 4), ("Niccolò", 3), ("Nicola", 3), ("Emanuele", 3),
    ("Gabriele", 4), ("Daniele", 4), ("Michele", 4), ("Pietro", 3), ("Tommaso", 3),
    ("Filippo", 3), ("Edoardo", 2), ("Giacomo", 3), ("Vincenzo", 3), ("Claudio", 3),
    ("Enrico", 2), ("Massimo", 3), ("Carlo", 3), ("Sergio", 2), ("Mario", 3), ("Luigi", 3),
    ("Raffaele", 2), ("Domenico", 2), ("Giorgio", 2), ("Mattia", 3), ("Leonardo", 3),
    ("Gianluca", 2), ("Gianmarco", 1), ("Valerio", 1), ("Jacopo", 1), ("Samuele", 1),
    ("Vittorio", 1), ("Umberto", 1), ("Alberto", 2), ("Angelo", 2), ("Diego", 1),
    ("Fabrizio", 2), ("Maurizio", 2), ("Cristian", 1), ("Nicolò", 1), ("Gian Luca", 1),
]
ITALIAN_WOMEN = [
    ("Giulia", 9), ("Chiara", 8), ("Francesca", 8), ("Sara", 7), ("Martina", 6),
    ("Federica", 6), ("Valentina", 6), ("Alessia", 5), ("Elisa", 5), ("Silvia", 5),
    ("Laura", 5), ("Elena", 5), ("Anna", 5), ("Paola", 4), ("Roberta", 3), ("Giorgia", 4),
    ("Marta", 3), ("Alice", 3), ("Beatrice", 3), ("Camilla", 3), ("Sofia", 3), ("Aurora", 2),
    ("Ludovica", 2), ("Margherita", 2), ("Elisabetta", 2), ("Benedetta", 2), ("Caterina", 2),
    ("Cristina", 3), ("Serena", 3), ("Veronica", 3), ("Ilaria", 3), ("Irene", 2),
    ("Lucia", 2), ("Noemi", 2), ("Arianna", 2), ("Claudia", 3), ("Michela", 2), ("Monica", 3),
    ("Simona", 3), ("Stefania", 2), ("Daniela", 2), ("Emanuela", 1), ("Giovanna", 2),
    ("Antonella", 2), ("Rosa", 1), ("Teresa", 1), ("Angela", 2), ("Barbara", 2),
    ("Maria Grazia", 2), ("Maria Chiara", 2), ("Anna Maria", 1), ("Giuseppina", 1),
    ("Carla", 1), ("Eleonora", 2), ("Alessandra", 3), ("Annalisa", 2), ("Valeria", 2),
    ("Rebecca", 1), ("Greta", 1), ("Gaia", 1),
]
FOREIGN_FIRST = [
    ("Jürgen", 1), ("Lukas", 2), ("Jonas", 1), ("Felix", 1), ("Tobias", 1), ("Stefan", 1),
    ("Sabine", 1), ("Miriam", 1), ("Ursula", 1), ("Katharina", 1), ("Björn", 1), ("Søren", 1),
    ("Mathieu", 1), ("François", 1), ("Hélène", 1), ("Chloé", 1), ("Camille", 1), ("Léa", 1),
    ("Zoë", 1), ("Noémie", 1), ("José", 1), ("Javier", 1), ("Inés", 1), ("Lucía", 1),
    ("James", 2), ("Emily", 2), ("Grace", 1), ("Sophie", 2), ("Oliver", 1), ("Liam", 1),
    ("Hannah", 1), ("Charlotte", 1), ("William", 1), ("Sarah", 2), ("Thomas", 1),
    ("Michael", 1), ("Jennifer", 1), ("Elizabeth", 1),
]
ITALIAN_SURNAMES = _split("""
Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno
Gallo Conti De_Luca Mancini Costa Giordano Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo Serra Coppola
De_Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso
Valentini Messina Sala De_Angelis Gatti Pellegrini Palumbo Sanna Farina Rizzi Monti Cattaneo
Morelli Amato Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti
Caputo Montanari Guerra Palmieri Bernardi Martino Fiore De_Rosa Ferretti Bellini Basile Riva
Donati Piras Vitali Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino D'Amico
Orlando Negri Cantù Orrù Dell'Acqua Lo_Russo Esposti Rosi Colombi Greci Bianchini Rossini
Ferraris Contini Zanetti Fadda Mele Porcu Pinna Deiana Murgia Cocco Melis Loi Usai Lai Sechi
Atzeni Cossu Spanò Zanella Zanoni Bortolotti Brambilla Colonna Galbiati Sironi Pozzi Ghezzi
Crippa Fumagalli Mapelli Nava Bonetti Bonomi Bruni Cassano Cirillo Gargiulo Iovine Marotta
Napolitano Pace Pepe Sepe Tufano Capasso Amoroso Granata Lupo Mazzola Musso Nicolosi Puglisi
Scuderi Spinelli Tedesco Vaccaro Zappalà Lo_Giudice La_Rosa Di_Stefano Di_Martino De_Simone
Del_Prete D'Alessandro Niccolai Lucchesi Bertolucci Baldini Innocenti Nannini Tognetti Guidi
Cecchi Bartolini Mugnai Falcone Romanò Forlì Nicolò Canè Sciascia Schettino Cannavò Pirrò""")
FOREIGN_SURNAMES = _split("""Müller Schröder Hoffmann Becker Schneider Fischer Weber Wagner Krüger
Mercier Dubois Lefèvre Moreau Laurent Girard Bonnet Rousseau García Núñez Fernández López
Martínez Smith Jones Taylor Brown Wilson Bennett Clarke Walker O'Brien Murphy Kelly Nielsen
Søndergaard Åkesson""")
_ROOTS = ["Bianc", "Ross", "Ner", "Ferr", "Mar", "Gall", "Cont", "Ricc", "Fior", "Sant", "Bell",
          "Mont", "Pell", "Lomb", "Cors", "Mazz", "Pagan", "Vall", "Bert", "Brun", "Cas", "Grec",
          "Rin", "Bon", "Fontan", "Lup", "Mor", "Pin", "Serr", "Tod", "Fabr", "Gentil", "Lan",
          "Mancin", "Pier", "Ruggier", "Spin", "Vent", "Zan", "Cald"]
_SUFFIXES = ["i", "o", "ini", "etti", "ello", "elli", "ucci", "uzzi", "oni", "one", "ato", "ati",
             "ardi", "azzi", "otti", "esi", "aro", "ari", "in", "ò"]
NICKNAMES_OUT = {
    "Giuseppe": ["Beppe", "Peppe", "Pino"], "Francesco": ["Franco", "Checco"],
    "Alessandro": ["Alex", "Sandro", "Ale"], "Giovanni": ["Gianni", "Nanni"],
    "Elisabetta": ["Betta"], "Roberto": ["Bob", "Robi"], "Niccolò": ["Nicco"],
    "Federica": ["Fede"], "Federico": ["Fede"], "Salvatore": ["Totò", "Salvo"],
    "Antonio": ["Toni", "Totò"], "Margherita": ["Marghe"], "Maria Grazia": ["Grazia"],
    "Giulia": ["Giuly"], "Emanuele": ["Lele"], "Gabriele": ["Gabri"], "Valentina": ["Vale"],
    "Massimo": ["Max"], "Riccardo": ["Ricky"], "Beatrice": ["Bea"], "Lorenzo": ["Lollo"],
    "Vincenzo": ["Enzo"], "Filippo": ["Pippo"], "Domenico": ["Mimmo"], "Tommaso": ["Tommy"],
    "Alessandra": ["Ale"], "Alessia": ["Ale"], "Stefania": ["Stefy"], "Veronica": ["Vero"],
    "Michael": ["Mike"], "William": ["Will"], "Elizabeth": ["Liz"], "James": ["Jim"],
    "Thomas": ["Tom"], "Jennifer": ["Jen"], "Edoardo": ["Edo"], "Eleonora": ["Ele"],
}
PSEUDONYMS = ["caffeinomane", "espressodip", "tazzinasbeccata", "cremaecacao", "mokalover",
              "baristanotturno", "chiccodoro", "thedailygrind", "pendolarestanco", "nonnapina",
              "gattaracaffe", "lattefreddo", "fuorisede", "ziacaffe", "beanthere", "cremachaser",
              "sognatrice", "viaggiatore", "lettoreforte", "runner_ita", "ilbarbiere", "tortellina",
              "cuoca_pazza", "montanaro", "ciclista", "fotografa", "prof_stanco", "mammaimpegnata"]
PSEUDONYM_NAMES = ["Espresso Dipendente", "Tazzina Sbeccata", "Crema e Cacao", "☕", "Moka Lover",
                   "Barista Notturno", "Chicco d'Oro", "The Daily Grind", "Pendolare Stanco",
                   "Nonna Pina", "Gattara", "Latte Freddo", "Fuorisede", "Zia Caffè", "Bean There",
                   "Crema Chaser", "Sognatrice", "Viaggiatore", "Lettore Forte", "🏃 runner",
                   "Il Barbiere", "Tortellina", "Cuoca Pazza", "Montanaro", "Ciclista 🚲",
                   "Fotografa", "Prof stanco", "Mamma impegnata"]
INSTANCES = ["mastodon.social", "mastodon.uno", "sociale.network", "mas.to", "fosstodon.org",
             "mastodon.bida.im", "hachyderm.io"]
NETWORKS = list(NETWORK_SHARES.items())


def pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def surname_pool() -> list[tuple[str, float]]:
    real = [(s.replace("_", " "), 1.0 / (rank + 5) ** 0.8)
            for rank, s in enumerate(ITALIAN_SURNAMES)]
    made = [(root + suffix, 0.006) for root in _ROOTS for suffix in _SUFFIXES]
    seen = {s for s, _ in real}
    return real + [(s, w) for s, w in made if s not in seen]


def plain(text: str) -> str:
    """A name as a handle part: folded, letters only."""
    return re.sub(r"[^a-z]", "", fold(text))

def person_name(rng: random.Random, surnames: list[tuple[str, float]]) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.8:
        first = pick(rng, ITALIAN_MEN if rng.random() < 0.5 else ITALIAN_WOMEN)
        last = pick(rng, surnames)
    else:
        first = pick(rng, FOREIGN_FIRST)
        last = rng.choice(FOREIGN_SURNAMES) if rng.random() < 0.8 else pick(rng, surnames)
    return first, last


def make_handle(rng: random.Random, first: str, last: str, network: str) -> str:
    f, last_plain = plain(first), plain(last)
    digits = str(rng.randint(1, 99)) if rng.random() < 0.5 else ""
    style = rng.random()
    if style < 0.15:
        base = rng.choice(PSEUDONYMS) + digits
    elif style < 0.35:
        base = f + last_plain + digits
    elif style < 0.45:
        base = f"{f}_{last_plain}" if network != "bluesky" else f"{f}-{last_plain}"
    elif style < 0.55:
        base = f[0] + last_plain
    elif style < 0.65:
        base = last_plain + f[:3]
    elif style < 0.72:
        base = f + last_plain[0] + digits
    elif style < 0.85:
        base = f + (digits or str(rng.randint(70, 99)))
    else:
        base = f"{last_plain}-{f}" if network == "bluesky" else last_plain + f
    if network == "x":
        return base[:15]
    if network == "bluesky":
        return f"{base}.bsky.social"
    return f"{base}@{rng.choice(INSTANCES)}"


def display_name(rng: random.Random, first: str, last: str) -> tuple[str, str]:
    """How the author shows their name: (display, style)."""
    roll = rng.random()
    nick = NICKNAMES_OUT.get(first)
    if roll < 0.33:
        shown, style = f"{first} {last}", "full"
    elif roll < 0.43:
        shown, style = fold(f"{first} {last}") if rng.random() < 0.6 else \
            f"{first} {last}".lower(), "full"
    elif roll < 0.49 and nick:
        shown, style = f"{rng.choice(nick)} {last}", "nickname"
    elif roll < 0.61:
        shown, style = f"{first} {last[0]}.", "first_initial"
    elif roll < 0.72:
        shown, style = first, "first_only"
    elif roll < 0.76:
        shown, style = f"{last} {first}", "full"
    elif roll < 0.90:
        shown, style = rng.choice(PSEUDONYM_NAMES), "pseudonym"
    else:
        shown, style = f"{first} {rng.choice(['☕', '🎧', '🍋', '🇮🇹', '🌿', '✨'])}", "first_only"
    if rng.random() < 0.03 and style == "full" and len(last) > 4:  # a typo
        i = rng.randrange(1, len(last) - 1)
        shown = shown.replace(last, last[:i] + last[i + 1:])
    return shown, style


CATALOG = [
    "Etiopia Yirgacheffe", "Etiopia Sidamo Natural", "Brasile Cerrado", "Colombia Huila",
    "Colombia Decaffeinato", "Guatemala Antigua", "Kenya AA", "Sumatra Mandheling",
    "Costa Rica Tarrazú", "India Monsooned Malabar", "Honduras Marcala Biologico",
    "Perù Cajamarca Biologico", "Nicaragua Jinotega", "Messico Chiapas Biologico",
    "Panama Geisha Boquete", "Miscela Vesuvio", "Miscela Bar Centrale", "Decaffeinato Notte",
    "Miscela Brace Classica", "Miscela Aurora", "Miscela Nonna Rosa", "Miscela Scirocco",
    "Miscela Gran Crema", "Macinato Moka Tradizione", "Macinato Espresso Casa",
    "Macinato Filtro Mattino", "Capsule Vesuvio compatibili Nespresso",
    "Capsule Bar Centrale compatibili Nespresso", "Capsule Cremoso compatibili Dolce Gusto",
    "Cialde ESE 44 mm Bar Centrale", "Moka Brace Classica", "Moka Induzione Inox",
    "Macinacaffè manuale MN-1", "Dripper conico in ceramica 02", "Tazza da cappuccino in gres",
    "Lattiera in acciaio", "Barattolo sottovuoto per caffè", "Bilancia da caffè con timer",
    "Bollitore a collo di cigno", "Cofanetto Degustazione Monorigini", "Cofanetto Moka & Miscela",
    "Abbonamento Brace",
]
# how people name a product in a post
SHORT_NAMES = {
    "Miscela Vesuvio": ["la Vesuvio", "Miscela Vesuvio", "vesuvio"],
    "Miscela Bar Centrale": ["la Bar Centrale", "miscela bar centrale"],
    "Miscela Brace Classica": ["la Classica", "Brace Classica"],
    "Miscela Aurora": ["l'Aurora", "Miscela Aurora"], "Miscela Scirocco": ["la Scirocco"],
    "Miscela Gran Crema": ["la Gran Crema"], "Miscela Nonna Rosa": ["la Nonna Rosa"],
    "Colombia Huila": ["il Huila", "Colombia Huila"], "Kenya AA": ["il Kenya"],
    "Etiopia Yirgacheffe": ["lo Yirgacheffe"], "Etiopia Sidamo Natural": ["il Sidamo"],
    "Moka Induzione Inox": ["la moka a induzione", "Moka Induzione"],
    "Decaffeinato Notte": ["il Decaffeinato Notte", "il deca Notte"],
    "Sumatra Mandheling": ["il Sumatra", "Mandheling"], "Brasile Cerrado": ["il Cerrado"],
    "Guatemala Antigua": ["il Guatemala"], "Costa Rica Tarrazú": ["il Tarrazú"],
}


def product_phrase(rng: random.Random, title: str) -> str:
    return rng.choice(SHORT_NAMES.get(title, [title]))
