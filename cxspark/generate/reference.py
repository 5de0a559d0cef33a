"""Reference lists the generator draws from: names, places, email domains, user agents.

Everything is embedded here (no Faker, nothing downloaded) so generation is offline and
deterministic.  Lists are tuples so they are cheap to index with ``rng.choice``.

Example::

    >>> COUNTRIES["GB"].currency
    'GBP'
    >>> "Baker Street" in COUNTRIES["GB"].streets
    True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGENT_FIRST_NAMES",
    "BUSINESS_DOMAINS",
    "COMPANY_DOMAIN",
    "COMPANY_NAME",
    "COUNTRIES",
    "COUNTRY_WEIGHTS",
    "USER_AGENTS_APP",
    "USER_AGENTS_WEB",
    "Country",
]

COMPANY_NAME = "Lumen Connect"
COMPANY_DOMAIN = "lumenconnect.co.uk"

# fmt: off
_EN_FIRST = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
    "Oliver", "Harry", "Charlie", "Alfie", "Oscar", "Leo", "Archie", "Henry", "Freddie", "Theo",
    "Arthur", "Noah", "Lucas", "Isaac", "Finley", "Max", "Toby", "Mohammed", "Adam", "Callum",
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
    "Amy", "Kathleen", "Angela", "Helen", "Anna", "Brenda", "Pamela", "Emma", "Nicola", "Samantha",
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Isabella", "Sophia", "Grace", "Lily", "Freya",
    "Ella", "Poppy", "Evie", "Charlotte", "Ruby", "Chloe", "Hannah", "Lucy", "Katie", "Jade",
    "Zara", "Priya", "Aisha", "Fatima", "Layla", "Sophie", "Megan", "Holly", "Abigail", "Rachel",
)
_IE_FIRST = (
    "Sean", "Conor", "Cian", "Oisin", "Padraig", "Eoin", "Declan", "Ciaran", "Niall", "Darragh",
    "Aoife", "Siobhan", "Niamh", "Ciara", "Roisin", "Saoirse", "Aisling", "Orla", "Grainne", "Sinead",
)
_DE_FIRST = (
    "Lukas", "Leon", "Finn", "Jonas", "Felix", "Maximilian", "Paul", "Elias", "Moritz", "Tobias",
    "Stefan", "Jürgen", "Klaus", "Wolfgang", "Dieter", "Uwe", "Matthias", "Sebastian", "Florian", "Andreas",
    "Hannah", "Lena", "Lea", "Leonie", "Marie", "Johanna", "Katharina", "Sabine", "Petra", "Ursula",
    "Anja", "Jana", "Franziska", "Birgit", "Monika", "Greta", "Charlotte", "Emilia", "Clara", "Heike",
)
_FR_FIRST = (
    "Louis", "Gabriel", "Jules", "Hugo", "Arthur", "Raphaël", "Nathan", "Théo", "Mathis", "Antoine",
    "Pierre", "Nicolas", "Julien", "Guillaume", "Maxime", "François", "Olivier", "Sébastien", "Thierry",
    "Yann",
    "Léa", "Manon", "Chloé", "Camille", "Inès", "Jade", "Louise", "Zoé", "Juliette", "Margaux",
    "Amélie", "Céline", "Nathalie", "Isabelle", "Sandrine", "Aurélie", "Élodie", "Mathilde", "Claire",
    "Sophie",
)
_NL_FIRST = (
    "Daan", "Sem", "Lucas", "Levi", "Bram", "Jesse", "Thijs", "Ruben", "Sven", "Joost",
    "Pieter", "Jeroen", "Maarten", "Willem", "Hendrik", "Koen", "Bas", "Niels", "Wouter", "Gijs",
    "Emma", "Julia", "Tess", "Sanne", "Fleur", "Lotte", "Anouk", "Femke", "Eva", "Lieke",
    "Sophie", "Noor", "Saskia", "Marieke", "Ingrid", "Annelies", "Mirjam", "Esther", "Roos", "Ilse",
)
_EN_LAST = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
    "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
    "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
    "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali",
    "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight",
    "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart",
    "Elliott", "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West",
    "Lawrence", "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
    "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
    "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe",
)
_IE_LAST = (
    "Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Connor", "McCarthy", "Byrne", "Ryan", "O'Neill", "Doyle",
    "O'Reilly", "Lynch", "Dunne", "Brennan", "Kavanagh", "Fitzgerald", "Nolan", "Quinn", "Gallagher", "Daly",
    "Kennedy", "Doherty", "Moloney", "McLoughlin", "Keane", "Flanagan", "Duffy", "Hennessy", "Farrell",
    "Boyle",
)
_DE_LAST = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
    "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
    "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
    "Lehmann", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters",
)
_FR_LAST = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier",
    "Garcia",
)
_NL_LAST = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
    "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs",
    "de Haan", "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
    "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet",
)


@dataclass(frozen=True)
class Country:
    """A country customers live in: names, streets, cities with postcode areas, domains."""

    code: str
    currency: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[tuple[str, tuple[str, ...]], ...]
    email_domains: tuple[tuple[str, float], ...]
    address_style: str


COUNTRIES: dict[str, Country] = {
    "GB": Country(
        code="GB",
        currency="GBP",
        first_names=_EN_FIRST,
        last_names=_EN_LAST,
        streets=(
            "Baker Street", "High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
            "Manor Road", "Park Avenue", "Queens Road", "Kings Road", "London Road", "Mill Lane",
            "New Street", "The Crescent", "Albert Road", "York Road", "Grange Road", "Springfield Road",
            "Chester Road", "Oxford Street", "Marlborough Road", "Windsor Avenue", "Highfield Road",
            "Richmond Terrace", "Elm Grove", "Beech Avenue", "Orchard Close", "Meadow Way", "Castle Street",
            "Bridge Street", "Market Street", "Clarence Road", "Stanley Road", "Cromwell Road",
            "Hillside Drive",
            "Woodland Way", "Cedar Close", "Riverside Walk", "Abbey Road", "Portland Place",
        ),
        cities=(
            ("London", ("NW1", "SW1A", "E1", "N1", "SE1", "W1", "EC1V", "SW11", "E14", "N16")),
            ("Manchester", ("M1", "M4", "M14", "M20")),
            ("Birmingham", ("B1", "B15", "B29")),
            ("Leeds", ("LS1", "LS6", "LS17")),
            ("Glasgow", ("G1", "G12", "G41")),
            ("Bristol", ("BS1", "BS8", "BS16")),
            ("Liverpool", ("L1", "L8", "L18")),
            ("Edinburgh", ("EH1", "EH3", "EH10")),
            ("Cardiff", ("CF10", "CF24")),
            ("Newcastle upon Tyne", ("NE1", "NE6")),
            ("Sheffield", ("S1", "S10")),
            ("Nottingham", ("NG1", "NG7")),
            ("Leicester", ("LE1", "LE2")),
            ("Brighton", ("BN1", "BN2")),
            ("Oxford", ("OX1", "OX4")),
            ("Cambridge", ("CB1", "CB4")),
            ("Belfast", ("BT1", "BT9")),
            ("Southampton", ("SO14", "SO17")),
            ("Reading", ("RG1", "RG4")),
            ("York", ("YO1", "YO10")),
        ),
        email_domains=(
            ("gmail.com", 0.33), ("outlook.com", 0.13), ("hotmail.co.uk", 0.12), ("yahoo.co.uk", 0.08),
            ("icloud.com", 0.10), ("btinternet.com", 0.09), ("sky.com", 0.06), ("virginmedia.com", 0.05),
            ("aol.com", 0.02), ("live.co.uk", 0.02),
        ),
        address_style="gb",
    ),
    "IE": Country(
        code="IE",
        currency="EUR",
        first_names=_IE_FIRST + _EN_FIRST[:40],
        last_names=_IE_LAST,
        streets=(
            "Main Street", "O'Connell Street", "Grafton Street", "Dame Street", "Patrick Street",
            "Shop Street",
            "Church Road", "Strand Road", "Seafield Road", "Ranelagh Road", "Harcourt Street",
            "Bridge Street",
        ),
        cities=(
            ("Dublin", ("D02", "D04", "D06", "D08", "D24")),
            ("Cork", ("T12", "T23")),
            ("Galway", ("H91",)),
            ("Limerick", ("V94",)),
        ),
        email_domains=(
            ("gmail.com", 0.45), ("hotmail.com", 0.2), ("eircom.net", 0.15), ("outlook.ie", 0.1),
            ("icloud.com", 0.1),
        ),
        address_style="ie",
    ),
    "DE": Country(
        code="DE",
        currency="EUR",
        first_names=_DE_FIRST,
        last_names=_DE_LAST,
        streets=(
            "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße",
            "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Goethestraße", "Schillerstraße",
        ),
        cities=(
            ("Berlin", ("10115", "10405", "10961", "12043")),
            ("Hamburg", ("20095", "20357", "22765")),
            ("München", ("80331", "80469", "81667")),
            ("Köln", ("50667", "50823")),
            ("Frankfurt am Main", ("60311", "60594")),
        ),
        email_domains=(
            ("gmx.de", 0.3), ("web.de", 0.25), ("t-online.de", 0.15), ("gmail.com", 0.25), ("outlook.de",
            0.05),
        ),
        address_style="de",
    ),
    "FR": Country(
        code="FR",
        currency="EUR",
        first_names=_FR_FIRST,
        last_names=_FR_LAST,
        streets=(
            "Rue de la Paix", "Rue Victor Hugo", "Avenue Jean Jaurès", "Rue de la République",
            "Boulevard Voltaire", "Rue Pasteur", "Rue du Moulin", "Rue de l'Église", "Avenue de la Gare",
            "Rue des Lilas", "Place de la Mairie", "Rue Nationale",
        ),
        cities=(
            ("Paris", ("75002", "75011", "75015", "75018")),
            ("Lyon", ("69001", "69003", "69007")),
            ("Marseille", ("13001", "13006")),
            ("Toulouse", ("31000", "31400")),
            ("Lille", ("59000", "59800")),
        ),
        email_domains=(
            ("orange.fr", 0.25), ("free.fr", 0.2), ("gmail.com", 0.3), ("laposte.net", 0.15), ("sfr.fr", 0.1),
        ),
        address_style="fr",
    ),
    "NL": Country(
        code="NL",
        currency="EUR",
        first_names=_NL_FIRST,
        last_names=_NL_LAST,
        streets=(
            "Kerkstraat", "Schoolstraat", "Molenstraat", "Dorpsstraat", "Stationsweg", "Nieuwstraat",
            "Julianastraat", "Beatrixlaan", "Prinsengracht", "Keizersgracht", "Marktplein",
            "Wilhelminastraat",
        ),
        cities=(
            ("Amsterdam", ("1012", "1016", "1071", "1091")),
            ("Rotterdam", ("3011", "3024", "3071")),
            ("Utrecht", ("3511", "3581")),
            ("Den Haag", ("2511", "2585")),
            ("Eindhoven", ("5611", "5643")),
        ),
        email_domains=(
            ("gmail.com", 0.35), ("ziggo.nl", 0.2), ("kpnmail.nl", 0.15), ("hotmail.nl", 0.2),
            ("outlook.com", 0.1),
        ),
        address_style="nl",
    ),
    "US": Country(
        code="US",
        currency="USD",
        first_names=_EN_FIRST,
        last_names=_EN_LAST,
        streets=(
            "Main Street", "Oak Street", "Maple Avenue", "Cedar Lane", "Pine Street", "Elm Street",
            "Washington Avenue", "Lake Street", "Hill Street", "Park Avenue", "Sunset Boulevard",
            "2nd Street",
        ),
        cities=(
            ("New York, NY", ("10001", "10011", "10024")),
            ("Chicago, IL", ("60601", "60614")),
            ("Boston, MA", ("02108", "02116")),
            ("Seattle, WA", ("98101", "98109")),
            ("Austin, TX", ("78701", "78704")),
        ),
        email_domains=(
            ("gmail.com", 0.45), ("yahoo.com", 0.2), ("outlook.com", 0.15), ("icloud.com", 0.15),
            ("aol.com", 0.05),
        ),
        address_style="us",
    ),
}

COUNTRY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("GB", 0.72), ("IE", 0.08), ("DE", 0.05), ("FR", 0.05), ("NL", 0.05), ("US", 0.05),
)

BUSINESS_DOMAINS: tuple[str, ...] = (
    "acme-logistics.co.uk", "brightside-dental.co.uk", "harbourview-consulting.com", "kingsway-legal.co.uk",
    "northstar-engineering.co.uk", "oakridge-accountants.co.uk", "pennine-builders.co.uk",
    "riverbank-cafe.co.uk", "silverline-motors.co.uk", "thistle-media.co.uk", "greenfield-farms.ie",
    "liffey-design.ie", "nordlicht-gmbh.de", "rheinwerk-technik.de", "atelier-durand.fr",
    "boulangerie-lefevre.fr", "vandenberg-bouw.nl", "dijkstra-installatie.nl", "summit-analytics.com",
    "bluewave-software.com", "clearview-optics.co.uk", "fenwick-property.co.uk", "ironbridge-studio.co.uk",
    "meridian-health.co.uk",
)

USER_AGENTS_WEB: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 Edg/124.0",
)

USER_AGENTS_APP: tuple[str, ...] = (
    "LumenConnect/5.12.0 (iOS 17.4; iPhone15,2)",
    "LumenConnect/5.12.0 (Android 14; SM-S911B)",
    "LumenConnect/5.11.3 (Android 13; Pixel 7)",
    "LumenConnect/5.12.1 (iOS 17.5; iPhone14,5)",
)

AGENT_FIRST_NAMES: tuple[str, ...] = (
    "Sarah", "Tom", "Priya", "Liam", "Chloe", "Ben", "Aisha", "Dan", "Ellie", "Raj", "Hannah", "Josh",
    "Megan", "Kieran", "Zoe", "Marcus", "Leah", "Owen", "Nadia", "Craig", "Gemma", "Imran", "Rosie", "Sam",
)
# fmt: on
