"""Personal data rules: real numbers and addresses are found, look-alikes are not."""

from __future__ import annotations

import pytest

from advocacy.guidelines import RuleSet, Subject


def found(text: str, *types: str) -> list[str]:
    rule = {"id": "pii", "kind": "pii", "severity": "block",
            "message": {"en": "Personal data", "nl": "Persoonsgegevens"}}
    if types:
        rule["types"] = list(types)
    findings = RuleSet.from_rules([rule]).check(Subject(fields={"text": text}))
    assert len(findings) <= 1  # one finding per rule and field, with every span
    return [text[start:end] for finding in findings for start, end in finding.spans]


@pytest.mark.parametrize("number", [
    "06-12345678", "06 1234 5678", "0612345678", "(020) 123 4567", "020-1234567",
    "0470 12 34 56", "02 123 45 67", "02/123.45.67", "0470.12.34.56",
    "+31 6 12345678", "+32 470 12 34 56", "0031 20 1234567", "+14155552671",
    "+31 (0)6 1234 5678", "+31612345678",
])
def test_phone_numbers_in_dutch_belgian_and_international_formats_are_found(
        number: str) -> None:
    assert found(f"Bel me: {number}, graag.", "phone") == [number]


@pytest.mark.parametrize("text", [
    "Op 2024-11-24 om 10:00", "Op 24-11-2024 12:00", "Op 24.11.2024", "1.234.567 euro",
    "In 1999 en 2019 2020 2021", "Bestelling 123456789012", "Open 09.00-17.00",
    "Open 08.30-12.00 13.00-17.00", "Scores 0.5 0.75 0.125", "ISBN 978-90-123-4567-8",
    "Postcode 1234 AB", "Barcode 0612345678901", "Prijs € 3,0612345678", "+31 en +32",
])
def test_dates_amounts_times_and_order_numbers_are_not_phone_numbers(text: str) -> None:
    assert found(text, "phone") == []


def test_two_phone_numbers_in_a_row_are_two_spans() -> None:
    assert found("06 12345678 020 1234567", "phone") == ["06 12345678", "020 1234567"]


def test_phone_number_hidden_with_invisible_characters_or_full_width_digits() -> None:
    assert found("bel 06-1234\u200b5678", "phone") == ["06-1234\u200b5678"]
    assert found("bel ０６１２３４５６７８", "phone") == ["０６１２３４５６７８"]


@pytest.mark.parametrize("iban", [
    "NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "nl91 abna 0417 1643 00",
    "BE68539007547034", "BE68 5390 0754 7034", "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
])
def test_ibans_with_a_valid_checksum_are_found(iban: str) -> None:
    assert found(f"Maak over naar {iban}.", "iban") == [iban]


@pytest.mark.parametrize("text", [
    "NL91ABNA0417164301", "NL91 ABNA 0417 1643 01", "NL91ABNA04171643", "ZZ91ABNA0417164300",
    "NL91ABNA0417164300X", "NL91 AB NA04 1716 4300",
])
def test_iban_lookalikes_are_not_flagged(text: str) -> None:
    assert found(f"Rekening {text} dus", "iban") == []


def test_iban_digits_are_not_taken_for_a_phone_number() -> None:
    assert found("NL91 ABNA 0417 1643 00", "phone") == []
    assert found("NL91 ABNA 0417 1643 00", "phone", "iban") == ["NL91 ABNA 0417 1643 00"]


@pytest.mark.parametrize("bsn", ["111222333", "1234.56.782"])
def test_bsn_passing_the_eleven_proof_is_found(bsn: str) -> None:
    assert found(f"BSN: {bsn}.", "bsn") == [bsn]


@pytest.mark.parametrize("text", ["123456789", "000000000", "1234567820", "1234.56.783"])
def test_bsn_failing_the_eleven_proof_is_not_found(text: str) -> None:
    assert found(f"nummer {text}", "bsn") == []


@pytest.mark.parametrize("rrn", ["85.07.30-033.28", "85073003328", "05.01.01-123.85"])
def test_rijksregisternummer_with_valid_check_digits_is_found(rrn: str) -> None:
    assert found(f"RRN {rrn}", "rrn") == [rrn]


@pytest.mark.parametrize("text", ["85.07.30-033.29", "85.13.30-033.28", "85.07.32-033.28"])
def test_rijksregisternummer_with_bad_check_digits_or_date_is_not_found(text: str) -> None:
    assert found(f"RRN {text}", "rrn") == []


def test_email_addresses_are_found() -> None:
    text = "Mail jan.jansen+news@example.co.uk of Marie@Bedrijf.NL."
    assert found(text, "email") == ["jan.jansen+news@example.co.uk", "Marie@Bedrijf.NL"]


@pytest.mark.parametrize("text", ["volg @advocacy", "naam@localhost", "a@b.c", "@ @@ a@"])
def test_handles_and_incomplete_addresses_are_not_emails(text: str) -> None:
    assert found(text, "email") == []


def test_default_types_are_email_phone_and_iban() -> None:
    text = "x@example.com 06-12345678 NL91ABNA0417164300 111222333"
    assert found(text) == ["x@example.com", "06-12345678", "NL91ABNA0417164300"]
