"""Personal data in a text: e-mail addresses, phone numbers, IBANs, BSNs and rijksregisternummers.

The detectors read the folded text (so full-width digits and zero-width characters inside
a number do not hide it) and answer original spans. Numbers are validated, not just
shaped: IBAN and BSN checksums, RRN check digits and date, phone digit counts per format,
so that dates, prices, times and order numbers are left alone.

The patterns use the standard library's ``re`` and are linear: no quantified group
contains an ambiguous quantifier, and each starts behind a look-behind that refuses every
position inside a run of the characters the pattern then consumes, so every character is
scanned by a bounded number of attempts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from advocacy.guidelines.normalise import Normalised
from advocacy.guidelines.spans import Span, SpanTable

PII_TYPES = ("email", "phone", "iban", "bsn", "rrn")
DEFAULT_PII_TYPES = ("email", "phone", "iban")

_EMAIL = re.compile(r"(?<![\w.%+'-])[\w.%+'-]+@[^\W_][\w-]*(?:\.[\w-]+)+")
# A run of digits and the separators of written phone numbers, starting and ending with a
# digit; split into a number (or several) by _phone_spans.
_PHONE_RUN = re.compile(r"(?<![\w+])(?<![0-9][.,])\+?\(?[0-9][0-9 ().\-/]*[0-9]")
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"(?<![0-9])[0-9]{1,2}([-./])[0-9]{1,2}\1(?:19|20)[0-9]{2}(?![0-9])")
_TIME_RANGE = re.compile(
    r"(?<![0-9])(?:[01]?[0-9]|2[0-4])[.:][0-5][0-9] ?[-/] ?(?:[01]?[0-9]|2[0-4])[.:][0-5][0-9]"
)
_IBAN = re.compile(r"(?<![\w])[a-z]{2}[0-9]{2}(?: ?[a-z0-9]){11,30}")
_BSN = re.compile(r"(?<![\w.,-])(?:[0-9]{9}|[0-9]{4}\.[0-9]{2}\.[0-9]{3})(?![\w]|[.,-][0-9])")
_RRN = re.compile(
    r"(?<![\w.,-])[0-9]{2}\.?[0-9]{2}\.?[0-9]{2}[-.]?[0-9]{3}\.?[0-9]{2}(?![\w]|[.,-][0-9])"
)

# Length of the IBAN of each country (the SWIFT IBAN registry).
IBAN_LENGTHS = {
    "ad": 24, "ae": 23, "al": 28, "at": 20, "az": 28, "ba": 20, "be": 16, "bg": 22,
    "bh": 22, "bi": 27, "br": 29, "by": 28, "ch": 21, "cr": 22, "cy": 28, "cz": 24,
    "de": 22, "dj": 27, "dk": 18, "do": 28, "ee": 20, "eg": 29, "es": 24, "fi": 18,
    "fk": 18, "fo": 18, "fr": 27, "gb": 22, "ge": 22, "gi": 23, "gl": 18, "gr": 27,
    "gt": 28, "hn": 28, "hr": 21, "hu": 28, "ie": 22, "il": 23, "iq": 23, "is": 26,
    "it": 27, "jo": 30, "kw": 30, "kz": 20, "lb": 28, "lc": 32, "li": 21, "lt": 20,
    "lu": 20, "lv": 21, "ly": 25, "mc": 27, "md": 24, "me": 22, "mk": 19, "mn": 20,
    "mr": 27, "mt": 31, "mu": 30, "ni": 28, "nl": 18, "no": 15, "om": 23, "pk": 24,
    "pl": 28, "ps": 29, "pt": 25, "qa": 29, "ro": 24, "rs": 22, "ru": 33, "sa": 24,
    "sc": 31, "sd": 18, "se": 24, "si": 19, "sk": 24, "sm": 27, "so": 23, "st": 25,
    "sv": 28, "tl": 23, "tn": 24, "tr": 26, "ua": 29, "va": 22, "vg": 24, "xk": 20,
    "ye": 30,
}


def email_spans(text: str) -> list[Span]:
    """Folded spans of e-mail addresses (the domain needs a top-level domain of letters)."""
    spans = []
    for match in _EMAIL.finditer(text):
        tld = match.group().rsplit(".", 1)[1]
        if len(tld) >= 2 and tld.isalpha():
            spans.append(match.span())
    return spans


def iban_spans(text: str, *, shaped: bool = False) -> list[Span]:
    """Folded spans of IBANs with a valid checksum (``shaped``: of the right length only)."""
    spans = []
    for match in _IBAN.finditer(text):
        length = IBAN_LENGTHS.get(match.group()[:2])
        if length is None:
            continue
        end = _iban_end(match.group(), length)
        if end is None:
            continue
        compact = match.group()[:end].replace(" ", "")
        if shaped or _iban_checksum_ok(compact):
            spans.append((match.start(), match.start() + end))
    return spans


def _iban_end(candidate: str, length: int) -> int | None:
    """Where the IBAN of ``length`` characters ends in ``candidate``: it must be followed by
    a space or nothing, and written in groups of four if written with spaces."""
    count = 0
    for position, char in enumerate(candidate):
        if char != " ":
            count += 1
        if count == length:
            end = position + 1
            break
    else:
        return None
    if end < len(candidate) and candidate[end] != " ":
        return None
    groups = candidate[:end].split(" ")
    if len(groups) > 1 and any(len(group) != 4 for group in groups[:-1]):
        return None
    return end


def _iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def bsn_spans(text: str) -> list[Span]:
    """Folded spans of burgerservicenummers passing the 11-proof."""
    spans = []
    for match in _BSN.finditer(text):
        digits = [int(char) for char in match.group() if char != "."]
        total = sum(digit * weight for digit, weight in zip(digits, range(9, 1, -1),
                                                             strict=False))
        if any(digits) and (total - digits[8]) % 11 == 0:
            spans.append(match.span())
    return spans


def rrn_spans(text: str) -> list[Span]:
    """Folded spans of Belgian rijksregisternummers: check digits and a plausible date."""
    spans = []
    for match in _RRN.finditer(text):
        digits = "".join(char for char in match.group() if char.isdigit())
        month, day = int(digits[2:4]), int(digits[4:6])
        if month > 12 or day > 31:
            continue
        check = int(digits[9:])
        if check in (97 - int(digits[:9]) % 97, 97 - int("2" + digits[:9]) % 97):
            spans.append(match.span())
    return spans


def phone_spans(text: str) -> list[Span]:
    """Folded spans of Dutch, Belgian and international phone numbers."""
    taken = SpanTable(iban_spans(text, shaped=True))  # IBAN digits are not phone numbers
    spans = []
    for match in _PHONE_RUN.finditer(text):
        for start, end in _phone_spans(match.group()):
            span = (match.start() + start, match.start() + end)
            if not taken.overlaps(*span):
                spans.append(span)
    return spans


def _phone_spans(run: str) -> list[Span]:
    """The phone numbers in one run of digits and separators, longest first from the left:
    a number starts at the run's start or after a space and ends before a space."""
    groups = [match.span() for match in _DIGITS.finditer(run)]
    seps = [run[end:start] for (_, end), (start, _) in zip(groups, groups[1:], strict=False)]
    spans: list[Span] = []
    first = 0
    while first < len(groups):
        if first and not _may_start(seps[first - 1]):
            first += 1
            continue
        best = _longest_number(run, groups, seps, first)
        if best is None:
            first += 1
            continue
        start = 0 if first == 0 else groups[first][0] - (1 if seps[first - 1].endswith("(")
                                                          else 0)
        spans.append((start, groups[best][1]))
        first = best + 1
    return spans


def _may_start(sep: str) -> bool:
    return sep.strip(" ") in ("", "(")


def _longest_number(run: str, groups: list[Span], seps: list[str], first: int) -> int | None:
    """The last digit group of the longest phone number starting at group ``first``."""
    plus = first == 0 and run.startswith("+")
    first_group = run[groups[first][0]:groups[first][1]]
    if not plus and (first_group[0] != "0" or len(first_group) < 2):
        return None  # neither national (0 and an area code) nor international (+..., 00...)
    digits = ""
    best = None
    for last in range(first, len(groups)):
        if last > first and len(seps[last - 1]) > 3:
            break
        group = run[groups[last][0]:groups[last][1]]
        trunk = (last > first and group == "0" and seps[last - 1].endswith("(")
                 and last < len(seps) and seps[last].startswith(")"))
        if not trunk:  # the "(0)" of "+31 (0)6 ..." is not dialled from abroad
            digits += group
        if len(digits) > 15 + 2:  # E.164 numbers have at most 15 digits, plus "00"
            break
        ends_here = last == len(groups) - 1 or seps[last].startswith(" ")
        if ends_here and _phone_digits_ok(digits, plus, first_group):
            number = run[groups[first][0]:groups[last][1]]
            if not _DATE.search(number) and not _TIME_RANGE.search(number):
                best = last
    return best


def _phone_digits_ok(digits: str, plus: bool, first_group: str) -> bool:
    """Whether the digits, after stripping separators, make a phone number."""
    if plus or digits.startswith("00"):
        international = digits if plus else digits[2:]
        if international.startswith("31"):
            return len(international) == 11
        if international.startswith("32"):
            return len(international) in (10, 11)
        return plus and 8 <= len(international) <= 15 and international[0] != "0"
    # national: 0 and an area code or mobile prefix; NL numbers have 10 digits, Belgian
    # ones 9 (fixed) or 10 (mobile). A single "0" before a separator is a decimal (0.5).
    return (len(first_group) >= 2 and digits[0] == "0" and digits[1] != "0"
            and len(digits) in (9, 10))


DETECTORS: dict[str, Callable[[str], list[Span]]] = {
    "email": email_spans,
    "phone": phone_spans,
    "iban": iban_spans,
    "bsn": bsn_spans,
    "rrn": rrn_spans,
}


def personal_data(normalised: Normalised, types: Iterable[str]) -> list[Span]:
    """Original spans of personal data of ``types`` in the text, sorted, without repeats."""
    spans: set[Span] = set()
    for kind in types:
        for start, end in DETECTORS[kind](normalised.text):
            spans.add(normalised.original_span(start, end))
    return sorted(spans)
