"""Write the independent redaction corpus: labelled texts the cxspark generator did not write.

    python scripts/make_redaction_corpus.py [--texts 1500] [--seed 7] [--output tests/data/redaction/faker.jsonl]

Values come from Faker in eight locales (en_US, en_GB, en_IE, de_DE, fr_FR, nl_NL, es_ES,
it_IT); the sentences are templates of many shapes (statements, questions, notes, lists,
PII first and last in the text, lower-case writing), and every PII value's offsets are
recorded as it is placed, so the labels are exact by construction. Texts also carry
decoys that are not personal (amounts, order numbers, ordinary dates, product names),
so precision is measured too. The output is deterministic for a seed and a Faker
version (pinned in constraints.txt); it is committed, so evaluating needs no Faker.

Formats Faker has no provider for are made here from their public definitions: Irish
PPSNs (7 digits and a mod-23 check letter), UK National Insurance numbers (Faker's are
the placeholder ZZ prefix), UK driving licence numbers (the DVLA's
16-character layout), UK sort codes with 8-digit accounts, and US licence numbers in
several state layouts.
"""

from __future__ import annotations

import argparse
import json
import random
import string
from collections.abc import Callable
from pathlib import Path

from faker import Faker

LOCALES = ["en_US", "en_GB", "en_IE", "de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT"]
WEIGHTS = [5, 4, 3, 1, 1, 1, 1, 1]

# {TYPE} is a labelled value, {~kind} an unlabelled decoy. Shapes vary on purpose.
TEMPLATES = [
    "Hi, my name is {PERSON} and I'd like to update my account.",
    "{PERSON} called about a double charge of {~amount} on order {~order}.",
    "Please send the replacement to {STREET_ADDRESS}.",
    "Customer moved. New address: {ADDRESS_LINE}",
    "{PERSON} | callback requested | {PHONE_NUMBER}",
    "can you ring me back on {PHONE_NUMBER} after 5pm",
    "I spoke with {PERSON} on {~date} and nothing has happened since.",
    "Contact: {EMAIL_ADDRESS}",
    "My email is {EMAIL_ADDRESS}, please use that instead of post.",
    "refund to card {CREDIT_CARD} please, it was charged twice",
    "The card ending in {~last4} was declined; customer gave the full number {CREDIT_CARD}.",
    "Payment should go to IBAN {IBAN_CODE} (account holder {PERSON}).",
    "{IBAN_CODE} is the account for the direct debit",
    "SSN on file: {US_SSN}",
    "customer confirmed their social security number {US_SSN} for verification",
    "For ID she read out her driver's license number {DRIVER_LICENSE}.",
    "Driving licence {DRIVER_LICENSE} checked against the form.",
    "Passport number {PASSPORT} expires next year.",
    "He gave his NI number {UK_NINO} to the agent.",
    "PPS number {IE_PPSN} quoted by the caller.",
    "Sort code {BANK_ACCOUNT}, please update the mandate.",
    "DOB {DATE_OF_BIRTH}",
    "Caller was born on {DATE_OF_BIRTH} and verified security questions.",
    "Date of birth: {DATE_OF_BIRTH}; address {ADDRESS_LINE}",
    "Logged in from {IP_ADDRESS} at {~time} and the page froze.",
    "The router at {STREET_ADDRESS} keeps dropping, {PERSON} says it's been a week.",
    "Zip code {POSTCODE} is not accepted by the checkout form.",
    "postcode {POSTCODE}",
    "We have {PERSON}, {PHONE_NUMBER}, {EMAIL_ADDRESS} as the contact details.",
    "Thanks to {PERSON} for sorting out the {~product} problem so quickly!",
    "{PERSON} was really patient with me.",
    "Engineer visit booked for {STREET_ADDRESS}, {POSTCODE} on {~date}.",
    "Escalated by {PERSON}. Customer reachable at {PHONE_NUMBER} or {EMAIL_ADDRESS}.",
    "Ask for {PERSON} next time you call.",
    "note from {PERSON}: customer unhappy with {~product}, wants a call on {PHONE_NUMBER}",
    "Letter returned from {ADDRESS_LINE} - address unknown.",
    "Why was I charged {~amount}? My card is {CREDIT_CARD} and I never agreed to this.",
    "New phone number {PHONE_NUMBER}; old one no longer in use.",
    "The bill for order {~order} went to {EMAIL_ADDRESS} instead of my work address.",
    "{PERSON} and {PERSON} both share this account.",
    "Verified: name {PERSON}, dob {DATE_OF_BIRTH}, postcode {POSTCODE}.",
    "{EMAIL_ADDRESS} never got the confirmation email",
    "Call {PHONE_NUMBER}",
    "I have been a customer for 10 years. Regards, {PERSON}",
    "Direct debit from {BANK_ACCOUNT} failed on {~date}.",
    "Account holder: {PERSON}\nAddress: {ADDRESS_LINE}\nTel: {PHONE_NUMBER}",
    "My details are {PERSON}, {STREET_ADDRESS}.",
    "Customer {PERSON} requested a copy of the contract for {~product}.",
    "The technician, {PERSON}, arrived late and left without fixing it.",
    "Mrs {LAST_NAME} rang twice about the outage.",
    "Spoke to Mr {LAST_NAME} today, he will send the meter reading.",
    "Dr. {LAST_NAME} asked for the invoice to be re-issued.",
    "please delete my data, I'm {PERSON} and my number was {PHONE_NUMBER}",
    "{ADDRESS_LINE}",
    "SSN {US_SSN}, DL {DRIVER_LICENSE}, passport {PASSPORT}",
    "Identity check passed with licence {DRIVER_LICENSE} and passport {PASSPORT}.",
    "i already told {PERSON} my address is {STREET_ADDRESS}",
    "Our engineer {FIRST_NAME} will call before arriving.",
    "From: {EMAIL_ADDRESS}\nSubject: complaint about {~product}",
    "The IP {IP_ADDRESS} appears in the fraud report for order {~order}.",
]

DECOYS: dict[str, Callable[[random.Random], str]] = {
    "amount": lambda r: r.choice(["£", "$", "€"]) + f"{r.randint(5, 900)}.{r.randint(0, 99):02d}",
    "order": lambda r: f"ORD{r.randint(100000, 999999)}",
    "date": lambda r: r.choice(["Monday", "last Tuesday", "the 14th", "12 March", "2024-05-06", "yesterday"]),
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
    "last4": lambda r: f"{r.randint(0, 9999):04d}",
    "product": lambda r: r.choice(["Fibre 500", "broadband", "Lumen TV box", "mobile plan", "router"]),
}


def ppsn(r: random.Random) -> str:
    """An Irish PPSN: 7 digits, a check letter (weights 8..2, and 9 for a second letter; mod 23)."""
    digits = [r.randint(0, 9) for _ in range(7)]
    second = r.choice(["", "", "A", "W"])  # newer numbers carry a second letter (W counts 0)
    total = sum(d * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    total += 9 * (ord(second) - 64) if second and second != "W" else 0
    return "".join(map(str, digits)) + "WABCDEFGHIJKLMNOPQRSTUV"[total % 23] + second


def nino(r: random.Random) -> str:
    """A UK National Insurance number: two prefix letters HMRC issues, six digits, A-D."""
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    prefix = r.choice(first) + r.choice(second)
    while prefix in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
        prefix = r.choice(first) + r.choice(second)
    digits = f"{r.randint(0, 999999):06d}"
    value = prefix + digits + r.choice("ABCD")
    return value if r.random() < 0.5 else f"{prefix} {digits[:2]} {digits[2:4]} {digits[4:]} {value[-1]}"


def uk_licence(f: Faker, r: random.Random) -> str:
    """The DVLA layout: surname (5, padded with 9), decade, month (+5 for women), day, year,
    two initials, a digit and two check characters."""
    surname = "".join(c for c in f.last_name().upper() if c.isalpha())[:5].ljust(5, "9")
    year, month, day = r.randint(1940, 2005), r.randint(1, 12), r.randint(1, 28)
    month += r.choice([0, 50])
    initials = r.choice(string.ascii_uppercase) + r.choice(string.ascii_uppercase + "9")
    return (
        f"{surname}{str(year)[2]}{month:02d}{day:02d}{str(year)[3]}{initials}"
        f"{r.randint(0, 9)}{r.choice(string.ascii_uppercase)}{r.choice(string.ascii_uppercase)}"
    )


def us_licence(r: random.Random) -> str:
    layouts = [
        lambda: r.choice(string.ascii_uppercase) + "".join(r.choices(string.digits, k=7)),  # CA
        lambda: "".join(r.choices(string.digits, k=9)),  # NY, TX-ish
        lambda: r.choice(string.ascii_uppercase) + "".join(r.choices(string.digits, k=12)),  # FL
        lambda: "".join(r.choices(string.digits, k=8)),
    ]
    return r.choice(layouts)()


def phone(f: Faker, r: random.Random, locale: str) -> str:
    number = f.phone_number()
    if locale == "en_GB" and r.random() < 0.5:
        body = f"7{r.randint(100, 999)} {r.randint(100000, 999999)}"
        number = r.choice([f"+44 {body}", f"0{body}", f"44{body.replace(' ', '')}", f"0044 {body}"])
    return number


def email(f: Faker, r: random.Random) -> str:
    value = r.choice([f.email, f.free_email, f.company_email])()
    if r.random() < 0.12:
        user, domain = value.split("@")
        return user.replace(".", " dot ") + " at " + domain.replace(".", " dot ")
    if r.random() < 0.06:
        return value.replace("@", " @ ")
    return value


def spaced(value: str, r: random.Random) -> str:
    """Digits written in another grouping, as people type them."""
    digits = "".join(c for c in value if c.isalnum())
    style = r.random()
    if style < 0.3:
        return digits
    if style < 0.5:
        return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))
    return value


def dob(f: Faker, r: random.Random) -> str:
    d = f.date_of_birth(minimum_age=18, maximum_age=90)
    formats = ["%d/%m/%Y", "%m/%d/%Y", "%d %B %Y", "%B %d, %Y", "%Y-%m-%d", "%d.%m.%Y", "%-d %b %Y"]
    return d.strftime(r.choice(formats))


def person(f: Faker, r: random.Random) -> str:
    value = r.choice([f.name, f.name, lambda: f"{f.first_name()} {f.last_name()}"])()
    if r.random() < 0.1:
        value = value.lower()
    return value


def values(f: Faker, r: random.Random, locale: str, us: Faker) -> dict[str, Callable[[], str]]:
    address_line = lambda: f.address().replace("\n", ", ")  # noqa: E731
    return {
        "PERSON": lambda: person(f, r),
        "FIRST_NAME": f.first_name,
        "LAST_NAME": f.last_name,
        "STREET_ADDRESS": f.street_address,
        "ADDRESS_LINE": address_line,
        "POSTCODE": f.postcode,
        "PHONE_NUMBER": lambda: phone(f, r, locale),
        "EMAIL_ADDRESS": lambda: email(f, r),
        "CREDIT_CARD": lambda: spaced(f.credit_card_number(), r),
        "IBAN_CODE": lambda: spaced(f.iban(), r) if r.random() < 0.5 else f.iban(),
        "US_SSN": lambda: us.ssn() if r.random() < 0.8 else us.ssn().replace("-", ""),
        "UK_NINO": lambda: nino(r),
        "IE_PPSN": lambda: ppsn(r),
        "DRIVER_LICENSE": lambda: uk_licence(f, r) if locale in ("en_GB", "en_IE") else us_licence(r),
        "PASSPORT": lambda: (
            "".join(r.choices(string.digits, k=9))
            if locale != "en_IE"
            else "".join(r.choices(string.ascii_uppercase, k=2)) + "".join(r.choices(string.digits, k=7))
        ),
        "BANK_ACCOUNT": lambda: (
            f"{r.randint(10, 99)}-{r.randint(10, 99)}-{r.randint(10, 99)} "
            f"{r.choice(['acc', 'account', 'a/c', 'acc no'])} {r.randint(10000000, 99999999)}"
        ),
        "DATE_OF_BIRTH": lambda: dob(f, r),
        "IP_ADDRESS": lambda: f.ipv4() if r.random() < 0.8 else f.ipv6(),
    }


LABEL = {"FIRST_NAME": "PERSON", "LAST_NAME": "PERSON", "ADDRESS_LINE": "STREET_ADDRESS"}


def fill(template: str, pick: dict[str, Callable[[], str]], r: random.Random) -> dict[str, object]:
    text, spans, i = "", [], 0
    while i < len(template):
        if template[i] == "{":
            j = template.index("}", i)
            name = template[i + 1 : j]
            if name.startswith("~"):
                text += DECOYS[name[1:]](r)
            else:
                value = pick[name]().strip()
                spans.append(
                    {"start": len(text), "end": len(text) + len(value), "type": LABEL.get(name, name)}
                )
                text += value
            i = j + 1
        else:
            text += template[i]
            i += 1
    return {"text": text, "spans": spans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", default="tests/data/redaction/faker.jsonl")
    args = parser.parse_args()
    r = random.Random(args.seed)
    Faker.seed(args.seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, loc in enumerate(LOCALES):
        fakers[loc].seed_instance(args.seed + i)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for n in range(args.texts):
            locale = r.choices(LOCALES, WEIGHTS)[0]
            template = TEMPLATES[n % len(TEMPLATES)] if n < len(TEMPLATES) else r.choice(TEMPLATES)
            row = fill(template, values(fakers[locale], r, locale, fakers["en_US"]), r)
            row = {"id": f"faker-{n:05d}", "locale": locale, **row}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {args.texts} texts to {out}")


if __name__ == "__main__":
    main()
