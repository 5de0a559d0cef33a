"""Build held-out PII-redaction corpus B: tests/data/redaction/held_out_b.jsonl.

600 short customer-service texts (call-centre agent notes, customer chat, complaint e-mails with
signature blocks, survey verbatims, CRM notes, field-engineer notes, a few in German, French,
Spanish, Italian and Dutch) are rendered from ~90 hand-written templates; ~15% contain no PII.
PII slots are filled with Faker values (en_US, en_GB, en_IE, de_DE, fr_FR, es_ES, it_IT, nl_NL) or
small format generators where Faker has no provider (UK NINO, driving licences, passports, bank
accounts, phone layouts); a few Irish names with fadas supplement Faker's ASCII-only en_IE names.
Distractor slots (order numbers, amounts, times, ordinary dates, products, companies, cities,
tickets, serials, weekdays, months) are filled too but never labelled.  Each text is built by
concatenation while recording offsets; every span is asserted to equal the inserted value, spans
may not overlap, cards must pass Luhn and NINOs the format rules.  Templates are used round-robin
over a shuffled list so every shape and type is represented.  Everything is seeded and no date
depends on "today", so re-runs give an identical file.

Written independently of the detector (cxspark/) and of the other redaction corpus: neither their
code nor their data was consulted.  Run: .venv/bin/python scripts/make_redaction_corpus_b.py
"""

import json
import random
import re
import unicodedata
from collections import Counter
from datetime import date, timedelta
from itertools import cycle, pairwise
from pathlib import Path
from types import SimpleNamespace

from faker import Faker

SEED = 424242
N_TEXTS = 600
NO_PII_SHARE = 0.15
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "redaction" / "held_out_b.jsonl"
LOCALE_WEIGHTS = {
    "en_US": 22,
    "en_GB": 22,
    "en_IE": 20,
    "de_DE": 8,
    "fr_FR": 8,
    "es_ES": 7,
    "it_IT": 7,
    "nl_NL": 6,
}
TYPES = set(
    [
        "PERSON",
        "STREET_ADDRESS",
        "POSTCODE",
        "PHONE_NUMBER",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "UK_NINO",
        "DRIVER_LICENSE",
        "PASSPORT",
        "DATE_OF_BIRTH",
        "BANK_ACCOUNT",
        "IP_ADDRESS",
    ]
)

rng = random.Random(SEED)
FAKE = {loc: Faker(loc) for loc in LOCALE_WEIGHTS}
for _i, _f in enumerate(FAKE.values()):
    _f.seed_instance(SEED + _i)
US = FAKE["en_US"]

IRISH_FIRST = [
    "Seán",
    "Siobhán",
    "Máire",
    "Pádraig",
    "Róisín",
    "Ciarán",
    "Sinéad",
    "Órla",
    "Séamus",
    "Éabha",
    "Dónal",
    "Caoimhín",
]
IRISH_LAST = [
    "Ó Briain",
    "Ní Bhriain",
    "Ó Súilleabháin",
    "Mac Giolla Phádraig",
    "Ó Ceallaigh",
    "Ní Mhurchú",
    "Ó Sé",
]
FREEMAIL = {
    k: v.split()
    for k, v in {
        "en_US": "gmail.com yahoo.com outlook.com aol.com icloud.com",
        "en_IE": "gmail.com eircom.net outlook.ie",
        "en_GB": "gmail.com hotmail.co.uk btinternet.com yahoo.co.uk sky.com",
        "de_DE": "web.de gmx.de t-online.de",
        "fr_FR": "orange.fr free.fr laposte.net",
        "es_ES": "gmail.com hotmail.es telefonica.net",
        "it_IT": "libero.it virgilio.it",
        "nl_NL": "ziggo.nl kpnmail.nl gmail.com",
    }.items()
}
PHONE_FORMATS = {
    k: v.split("|")
    for k, v in {  # '#' = digit
        "en_US": "(###) ###-####|###-###-####|###.###.####|+1 ###-###-####|+1 (###) ###-####|1-###-###-####"
        "|### ### ####|+1.###.###.####",
        "en_GB": "07### ######|07###-######|+44 7### ######|+44 (0)20 #### ####|0044 20 #### ####"
        "|020 #### ####|0161 ### ####|+447#########|(0113) ### ####",
        "en_IE": "08# ### ####|+353 8# ### ####|00353 1 ### ####|(01) ### ####|08#-###-####"
        "|+353 (0)8# #######|08########|(021) ### ####",
        "de_DE": "+49 30 ########|015# ########|0049 (0)89 ######|(0##) ######|+49-171-#######",
        "fr_FR": "06 ## ## ## ##|+33 6 ## ## ## ##|06.##.##.##.##|0033 1 ## ## ## ##",
        "es_ES": "+34 6## ### ###|6## ## ## ##|0034 91 ### ## ##",
        "it_IT": "+39 3## ### ####|3## #######",
        "nl_NL": "+31 6 ########|06-########|020-### ####|+31 (0)20 ### ####",
    }.items()
}
PRODUCTS = [
    "Fibre 500",
    "SmartHub 2",
    "Galaxy A54",
    "iPhone 14",
    "X200 router",
    "Sky Q box",
    "Eero Pro 6",
    "TV Essentials bundle",
    "Orbi mesh kit",
    "Gigacube",
    "Echo Dot",
    "Nest thermostat",
    "Unlimited Max SIM",
    "Jordan J-200 modem",
    "Victoria boiler",
]
COMPANIES = [
    "Brightwave Energy",
    "Hamilton Broadband",
    "Victoria Insurance",
    "Northgate Logistics",
    "Eirnet",
    "Harper & Lane Ltd",
    "Clearline Mobile",
    "Sterling Home Services",
    "Atlas Parcel",
    "Kingfisher Telecom",
    "Morgan Retail Group",
]
CITIES = [
    "Dublin",
    "Cork",
    "Galway",
    "Leeds",
    "Manchester",
    "Bristol",
    "Chicago",
    "Austin",
    "Lyon",
    "Munich",
    "Valencia",
    "Turin",
    "Utrecht",
    "Florence",
    "Charlotte",
    "Limerick",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NINO_FIRST, NINO_SECOND = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"  # no D F I Q U V; 2nd no O
NINO_BAD = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def fill(pattern):
    """'#' -> random digit, '?' -> random capital letter."""
    return "".join(
        str(rng.randint(0, 9)) if c == "#" else chr(rng.randint(65, 90)) if c == "?" else c for c in pattern
    )


def slug(s):
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", s.lower())


def one_line(s):
    return re.sub(r" {2,}", " ", re.sub(r"\s*\n\s*", ", ", s.strip()))


def fmt_date(d, loc):
    styles = {
        "en_US": ["%m/%d/%Y", "%B {d}, %Y", "%m-%d-%Y", "%b {d} %Y"],
        "en_GB": ["%d/%m/%Y", "{d} %B %Y", "%d-%m-%Y", "{d} %b %Y", "%d.%m.%y"],
    }
    fmt = rng.choice(styles.get("en_GB" if loc == "en_IE" else loc, ["%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"]))
    return d.strftime(fmt).replace("{d}", str(d.day))


def person(loc):
    first, last = FAKE[loc].first_name(), FAKE[loc].last_name()
    if loc == "es_ES" and rng.random() < 0.5:
        last += " " + FAKE[loc].last_name()
    if loc == "en_IE" and rng.random() < 0.3:
        first, last = rng.choice(IRISH_FIRST), rng.choice([*IRISH_LAST, last])
    return first, last


def accented_name(ctx):
    while True:
        loc = rng.choice(["fr_FR", "es_ES", "de_DE", "en_IE", "en_IE"])
        first, last = (rng.choice(IRISH_FIRST), rng.choice(IRISH_LAST)) if loc == "en_IE" else person(loc)
        if not (first + last).isascii():
            return f"{first} {last}"


def phone(ctx):
    p = FAKE[ctx.loc].phone_number() if rng.random() < 0.2 else fill(rng.choice(PHONE_FORMATS[ctx.loc]))
    if rng.random() < 0.1 and "x" not in p:
        p += fill(rng.choice([" ext. ###", " x##", " ext ####", " extn ##"]))
    return p


def email(ctx):
    r = rng.random()
    if r < 0.6:
        f, s = slug(ctx.first), slug(ctx.last)
        local = rng.choice([f"{f}.{s}", f"{f}{s}{rng.randint(1, 99)}", f"{f[0]}{s}", f"{f}_{s}", f"{s}.{f}"])
        return f"{local}@{rng.choice(FREEMAIL[ctx.loc])}"
    return FAKE[ctx.loc].free_email() if r < 0.85 else FAKE[ctx.loc].company_email()


def email_obf(ctx):
    local, dom = email(ctx).split("@")
    return rng.choice(
        [
            f"{local} at {dom.replace('.', ' dot ')}",
            f"{local} [at] {dom.replace('.', ' [dot] ')}",
            f"{local}(at){dom}",
            f"{local} AT {dom.replace('.', ' DOT ')}",
        ]
    )


def card(ctx):
    num = US.credit_card_number(rng.choice(["visa", "mastercard", "amex", "discover", "visa", "mastercard"]))
    cuts = {16: [0, 4, 8, 12, 16], 15: [0, 4, 10, 15]}.get(len(num), [0, len(num)])
    return rng.choice([" ", " ", "-", ""]).join(num[a:b] for a, b in pairwise(cuts))


def nino(ctx):
    prefix = "ZZ"
    while prefix in NINO_BAD:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
    d, s = fill("######"), rng.choice("ABCD")
    return rng.choice([f"{prefix}{d}{s}", f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {s}", f"{prefix} {d} {s}"])


def dl(ctx):
    if ctx.loc in ("en_GB", "en_IE") and rng.random() < 0.7:  # DVLA style: SURNA + date code + initials
        sur = (slug(ctx.last).upper() + "99999")[:5]
        y, m, d = str(rng.randint(1940, 2005)), rng.randint(1, 12) + rng.choice([0, 50]), rng.randint(1, 28)
        initials = slug(ctx.first)[:1].upper() + fill(rng.choice("9?"))
        return f"{sur}{y[2]}{m:02d}{d:02d}{y[3]}{initials}9{fill('??')}"
    if ctx.loc == "en_US":
        return fill(rng.choice(["?#######", "?###-####-####", "### ### ###", "?##-###-##-###-#"]))
    return fill(rng.choice(["?##0####??#", "#########", "############", "??#######"]))


def passport(ctx):
    if ctx.loc == "de_DE":  # 'C' + 8 characters of the German passport alphabet
        return "C" + "".join(rng.choices("CFGHJKLMNPRTVWXYZ0123456789", k=8))
    return {"en_US": US.passport_number, "en_IE": lambda: rng.choice("PLT") + fill("?#######")}.get(
        ctx.loc, lambda: fill(rng.choice(["#########", "##??#####", "??#######", "???######"]))
    )()


def amount(ctx):
    sym, n = {"en_US": "$", "en_GB": "£"}.get(ctx.loc, "€"), f"{rng.randint(3, 950)}.{rng.randint(0, 99):02d}"
    return rng.choice([f"{sym}{n}", f"{sym}{n}", f"{n} EUR" if sym == "€" else f"{sym}{n.split('.')[0]}"])


def clock(ctx):
    h, m = rng.randint(8, 20), rng.choice([0, 5, 15, 30, 45, 50])
    h12, ap = (h - 1) % 12 + 1, "am" if h < 12 else "pm"
    return rng.choice([f"{h:02d}:{m:02d}", f"{h12}{ap}", f"{h12}.{m:02d}{ap}"])


def pick(*options):
    return lambda ctx: fill(rng.choice(options))


# slot name -> (label type, or None for an unlabelled distractor; generator(ctx))
SLOTS = {
    "name": ("PERSON", lambda c: f"{c.first} {c.last}"),
    "first": ("PERSON", lambda c: c.first),
    "last": ("PERSON", lambda c: c.last),
    "lname": ("PERSON", lambda c: f"{c.first} {c.last}".lower()),
    "lfirst": ("PERSON", lambda c: c.first.lower()),
    "other": ("PERSON", lambda c: f"{c.ofirst} {c.olast}"),
    "ofirst": ("PERSON", lambda c: c.ofirst),
    "olast": ("PERSON", lambda c: c.olast),
    "aname": ("PERSON", accented_name),
    "addr": ("STREET_ADDRESS", lambda c: one_line(FAKE[c.loc].street_address())),
    "addrfull": (
        "STREET_ADDRESS",
        lambda c: (
            one_line(FAKE[c.loc].address())
            if c.loc != "en_IE"
            else f"{FAKE[c.loc].street_address()}, {FAKE[c.loc].city()}, {FAKE[c.loc].postcode()}"
        ),
    ),
    "postcode": (
        "POSTCODE",
        lambda c: (
            FAKE[c.loc].postcode()
            if c.loc != "en_US"
            else rng.choice([US.zipcode, US.zipcode, US.zipcode_plus4])()
        ),
    ),
    "eircode": ("POSTCODE", lambda c: FAKE["en_IE"].postcode()),
    "zip": ("POSTCODE", lambda c: US.zipcode()),
    "phone": ("PHONE_NUMBER", phone),
    "email": ("EMAIL_ADDRESS", email),
    "email_obf": ("EMAIL_ADDRESS", email_obf),
    "card": ("CREDIT_CARD", card),
    "iban": (
        "IBAN_CODE",
        lambda c: (lambda v: " ".join(re.findall(".{1,4}", v)) if rng.random() < 0.5 else v)(
            FAKE["en_GB" if c.loc == "en_US" else c.loc].iban()
        ),
    ),
    "ssn": ("US_SSN", lambda c: US.ssn().replace("-", rng.choice("-- "))),
    "nino": ("UK_NINO", nino),
    "dl": ("DRIVER_LICENSE", dl),
    "passport": ("PASSPORT", passport),
    "dob": (
        "DATE_OF_BIRTH",
        lambda c: fmt_date(FAKE[c.loc].date_between_dates(date(1935, 1, 1), date(2006, 12, 31)), c.loc),
    ),
    "acct": (
        "BANK_ACCOUNT",
        lambda c: fill(
            rng.choice(
                ["##########", "############", "#########"]
                if c.loc == "en_US"
                else ["########", "## ## ## ##"]
            )
        ),
    ),
    "sort": ("BANK_ACCOUNT", pick("##-##-##", "## ## ##", "######")),
    "ip": ("IP_ADDRESS", lambda c: rng.choice([US.ipv4_public] * 6 + [US.ipv4_private, US.ipv6])()),
    # distractors (never labelled)
    "order": (None, pick("ORD-#####", "#######", "A#-####-##", "SO########")),
    "ticket": (None, pick("INC#######", "CS-######", "TKT######", "CASE-#####")),
    "serial": (None, pick("SN??########")),
    "tracking": (None, pick("JD00########GB")),
    "agent": (None, pick("AG####")),
    "last4": (None, pick("####")),
    "ref": (None, pick("P######")),
    "amount": (None, amount),
    "time": (None, clock),
    "date": (None, lambda c: fmt_date(date(2024, 1, 1) + timedelta(days=rng.randint(0, 700)), c.loc)),
    "day": (None, lambda c: rng.choice(DAYS)),
    "month": (None, lambda c: rng.choice(MONTHS)),
    "year": (None, lambda c: str(rng.randint(2005, 2023))),
    "qty": (None, lambda c: str(rng.randint(2, 14))),
    "minutes": (None, lambda c: str(rng.randint(3, 95))),
    "product": (None, lambda c: rng.choice(PRODUCTS)),
    "company": (None, lambda c: rng.choice(COMPANIES)),
    "city": (None, lambda c: rng.choice(CITIES)),
    "plan": (None, lambda c: rng.choice(["Gold", "Basic", "Family Plus", "Unlimited", "Business Pro"])),
    "version": (None, lambda c: f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"),
    "pct": (None, lambda c: rng.choice(["10", "15", "20", "25"])),
}

# One template per line; a literal \n is a newline; "@loc|" forces a locale; "#" lines are comments.
PII_TEMPLATES = r"""
# call-centre agent notes
cust {name} rang re bill {order}; ID&V ok (DOB {dob}) | new mob {phone} | adv 3-5 wd
Caller: Mrs {last} | acct holder | addr conf {addrfull} | cb req {day} after {time}
{phone} - no ans x2, left VM; retry {day}. ref {ticket}
ID&V passed: DOB {dob}, pc {postcode}; cust disputes chg of {amount} on card ending {last4}
NINO given: {nino}; cust wants pymt plan, {amount}/mth agreed. TL {agent} approved
SSN {ssn} verified vs file; acct unlocked; {name} advised re 2FA
Refund to card {card} for {amount} (ord {order}) - auth by TL
DD mandate | sort {sort} | acc {acct} | name on acct: {name} | 1st collection {date}
Login fails from IP {ip}; {qty} attempts since {time}. PW reset sent to {email}
KYC: passport no {passport}; DL {dl} also on file. Docs ok.
IBAN {iban} added for refund; BIC tbc. amt {amount}
ID check: DL#{dl} / DOB {dob} / zip {zip}
ID&V via NINO {nino} + postcode {postcode}; {first} ok to discuss acct
# customer chat
hi its {lfirst} here, my internet is down agian since {day} morning can someone ring me on {phone}
hey, order {order} never arrived?? address is {addrfull}
i paid with my card {card} and got charged twice, {amount} each!!
ok my date of birth is {dob}, is that what u need?
email me at {email_obf} not the other one
is {ip} my ip? the router page says so lol
{lfirst}: hello?? anyone there
[{time}] {lfirst}: my dob is {dob} and postcode {postcode}
[{time}] agent: thanks, and the card number? [{time}] cust: {card}
chat transcript: "hi my name is {first} and my ni number is {nino}"
my iban is {iban} can u refund there instead
yeah my ssn is {ssn}. why do u need it for a phone contract??
lol my licence number is {dl} and ur website says invalid
contact me on {email_obf} or txt {phone}
# complaint e-mails
Dear Sir/Madam,\n\nI am writing to complain about order {order}, which was due on {date} and has still not arrived. I have called {qty} times.\n\nYours faithfully,\n{name}\n{addrfull}\n{phone}
Hello,\nMy name is {name} and I have been a customer of {company} since {month} {year}. On {day} I was charged {amount} without explanation. Please contact me at {email} or {phone}.\nRegards,\n{first}
Dear {company} team,\n\nPlease stop sending letters to {addr}; I moved out in {month}. My new postcode is {postcode}.\n\nKind regards\n{name}\nTel: {phone}\nEmail: {email}
Hi there,\n\nI've attached a copy of my passport ({passport}) as requested. My date of birth is {dob}. Please confirm receipt.\n\nCheers,\n{first}
Dear Ms {olast},\n\nThank you for your reply. However, the refund of {amount} has not reached my account (IBAN: {iban}).\n\nBest wishes,\n{name}
Good afternoon,\n\nI would like to update my bank details. Sort code: {sort}. Account number: {acct}. Account name: {name}.\n\nMany thanks
Dear Customer Services,\n\nI have been overcharged. My SSN is {ssn} and my card number is {card}. I expect a full refund within {qty} days.\n\nSincerely,\n{name}
Hi,\n\nPlease find my NI number "{nino}" for the payroll query. I'm not sure why it was rejected on {date}.\n\nThanks, {first}
Dear {company},\n\nI'm disappointed. My driver's licence number {dl} was rejected by your online form three times. My DOB is {dob} if that helps.\n\n-- \n{name}\n{email}
From: {name} <{email}>\nSent: {day}, {date}\nTo: Support\n\nPlease call me on {phone} as soon as possible.
Dear Mr {olast},\n\nFurther to our call, my IP address at the time of the fraud was {ip}, not {ip}. Please pass this to your security team.\n\nYours sincerely,\n{name}
Hello team,\n\nI am {name} (DOB: {dob}). I never authorised the payment from card {card} on {date}.\n\nRegards,\n{first}\n{phone}
Subject: Complaint ref {ticket} - {name}\n\nStill waiting for my refund of {amount}. Passport {passport} was sent by post on {date} as you asked.\n{first}
# survey verbatims
"The agent ({ofirst}) was brilliant, sorted it in {minutes} minutes."
Very poor. Waited on hold for {minutes} mins. Ring me on {phone} if you actually care.
Score 3. Billing is confusing, {month} bill was {amount} higher. - {name}
NPS 0 - still no refund. {lname}, {email}
Q5 comment: 'why do you need my date of birth ({dob}) just to change a plan?'
# CRM notes
Contact record updated. Name: {name}; Phone: {phone}; Email: {email}; Preferred: SMS
Account holder {name} (DOB {dob}) - vulnerable customer flag added per call {date}
KYC docs: passport {passport}, exp {date}; POA utility bill for {addr}
Payment method changed from card {card} to DD (IBAN {iban})
US cust - SSN on file {ssn}; W-9 received {date}
Fraud check: order {order} placed from {ip}, billing zip {zip} mismatch
{name}, {addrfull}, {phone}
DL: {dl} | Passport: {passport} | DOB: {dob}
Cust called re IBAN change. Old: {iban}; new to be confirmed by letter to {postcode}.
Sort code {sort}, a/c {acct} - cust confirmed these are the bank details for the refund, payee {name}.
Applicant {name}, SSN {ssn}, DOB {dob}, requested credit limit {amount}.
Customer {name} (IP {ip}) accepted T&Cs v{version} on {date} at {time}
Employer ref: NINO {nino}, payroll no {ref}, start {date}
Passport {passport} flagged expired ({date}); asked {first} to upload new one.
VPN logs show {ip} and {ip} for user {email}
Record: {last}, {first} | NINO {nino} | tel. {phone}
US bank details: checking account {acct}; holder {name}; SSN {ssn}
# field-engineer notes
Arrived {time}. Met {first} on site at {addr}. ONT replaced, serial {serial}. Line test OK.
Job {ticket}: cust {name} reports no dial tone; fault traced to DP outside {addr}
Please can you send the engineer to {addrfull}, ring {phone} when outside, ask for {first}.
No access - rang {phone} no reply. Card left at door. Eircode {eircode}.
FE note: static IP {ip} configured on WAN; cust {lname} to test tonight.
Eng {ofirst} on site {time}; Mrs {last} says router was moved. Eircode {eircode}; alt no {phone}.
Hire desk: driving licence {dl} checked; {first} ok to collect {product}.
# other languages and mixed
@de_DE|Guten Tag, mein Name ist {name}. Meine Telefonnummer: {phone}. Bestellung {order} fehlt noch.
@fr_FR|Bonjour, je suis {aname}, mon adresse : {addrfull}. Merci de me rappeler au {phone}.
@es_ES|Hola, soy {aname}, mi correo es {email}. Pedido {order}.
@it_IT|Buongiorno, sono {name}. IBAN per il rimborso: {iban}.
@nl_NL|Hallo, ik ben {first}. Mijn postcode is {postcode} en mijn nummer is {phone}.
@de_DE|Kunde {name}, IBAN {iban}, geb. {dob}
@fr_FR|Mme {last} a appelé ({phone}); numéro de passeport {passport}.
nino {nino} | ssn n/a | dob {dob}
Name on card: {name}; card {card}; billing postcode {postcode}
called {name} on {phone}: confirmed driving licence {dl}, exp {date}
{aname}: "c'est la troisième fois que j'appelle!" - cb {phone}
"""

NO_PII_TEMPLATES = r"""
Order {order} shipped {date}; tracking {tracking}. ETA {day}.
cust asked about {product} pricing, quoted {amount}/mo on {plan} plan. no further action
hi, is the outage in my area fixed yet? been down since {time}
Great service, the {product} works perfectly now. Thanks {company}!
Ticket {ticket} closed - resolved by firmware {version}. {qty} devices affected.
Dear Sir or Madam,\n\nI ordered {qty} units of {product} on {date} and only some arrived. Order {order}.\n\nRegards
Monday: {qty} calls re billing; Tuesday: outage; May invoice run delayed to {date}.
Engineer note: replaced PSU on {product}, serial {serial}. Tested {time}.
Agent {agent} transferred call to {company} retentions at {time}; AHT {minutes} min.
why is my bill {amount} this month?? it was {amount} in {month}
Promo code SPRING{pct} applied; {pct}% off {product}.
Opening hours {day}: {time} - 18:00. Stock of {product} low in {city}.
Victoria line delays, eng late by {minutes} min | job {ticket} | {company} van {last4}
Hello, April and June invoices both show {amount}. Can someone explain? Thanks
"""


def render(template, loc):
    """Return (text, spans, inserted values) for one template, recording offsets while concatenating."""
    if template.startswith("@"):
        loc, template = template[1:].split("|", 1)
    (first, last), (ofirst, olast) = person(loc), person(loc)  # the customer and one other person
    ctx = SimpleNamespace(loc=loc, first=first, last=last, ofirst=ofirst, olast=olast)
    text, spans, values, pos = "", [], [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        text += template[pos : m.start()]
        label, gen = SLOTS[m.group(1)]
        value = gen(ctx)
        if label:
            spans.append({"start": len(text), "end": len(text) + len(value), "type": label})
            values.append(value)
        text += value
        pos = m.end()
    return text + template[pos:], spans, values


def luhn_ok(number):
    digits = [int(c) for c in number if c.isdigit()][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def check(rec, values):
    text, spans = rec["text"], rec["spans"]
    assert len(spans) == len(values)
    for span, value in zip(spans, values, strict=False):
        got = text[span["start"] : span["end"]]
        assert got == value and value == value.strip() and value, (rec["id"], got, value)
        assert span["type"] in TYPES
        assert span["type"] != "CREDIT_CARD" or luhn_ok(value), value
        assert span["type"] != "UK_NINO" or re.fullmatch(
            r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", value.replace(" ", "")
        ), value
    ordered = sorted(spans, key=lambda s: s["start"])
    assert all(a["end"] <= b["start"] for a, b in pairwise(ordered)), rec["id"]


def main():
    pii, clean = (
        [t.replace("\\n", "\n") for t in block.strip().splitlines() if not t.startswith("# ")]
        for block in (PII_TEMPLATES, NO_PII_TEMPLATES)
    )
    assert len(pii) + len(clean) >= 80 and len(set(pii)) == len(pii)
    assert all(SLOTS[s][0] is None for t in clean for s in re.findall(r"\{(\w+)\}", t))
    pii_iter, clean_iter = cycle(rng.sample(pii, len(pii))), cycle(rng.sample(clean, len(clean)))
    no_pii_ids = set(rng.sample(range(N_TEXTS), round(N_TEXTS * NO_PII_SHARE)))
    locales, weights = list(LOCALE_WEIGHTS), list(LOCALE_WEIGHTS.values())
    records, counts = [], Counter()
    for i in range(N_TEXTS):
        template = next(clean_iter if i in no_pii_ids else pii_iter)
        text, spans, values = render(template, rng.choices(locales, weights)[0])
        rec = {"id": f"b-{i + 1:05d}", "text": text, "spans": spans}
        check(rec, values)
        assert bool(spans) == (i not in no_pii_ids)
        counts.update(s["type"] for s in spans)
        records.append(rec)
    assert all(counts[t] >= 25 for t in TYPES), counts
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records)
    print(f"wrote {len(records)} texts ({len(no_pii_ids)} without PII) to {OUT}")
    print(f"templates: {len(pii)} with PII, {len(clean)} without")
    print(
        "\n".join(
            [f"  {t:15s} {n}" for t, n in sorted(counts.items())]
            + [f"  TOTAL           {sum(counts.values())}"]
        )
    )


if __name__ == "__main__":
    main()
