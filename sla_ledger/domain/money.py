"""Exact money: ISO 4217 minor units and round-half-up (SPEC R10).

The table is ISO 4217 data (list one, 2024), kept here so that the domain
depends on nothing outside the standard library.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sla_ledger.exceptions import InvalidTerms


def _codes(text: str) -> list[str]:
    return text.split()


_ZERO = _codes(
    """
    BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF
    """
)
_THREE = _codes(
    """
    BHD IQD JOD KWD LYD OMR TND
    """
)
_FOUR = _codes(
    """
    CLF UYW
    """
)
_TWO = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR
    JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR
    RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS
    TMT TOP TRY TTD TWD TZS UAH USD USN UZS VES WST XCD YER ZAR ZMW ZWG
    """
)
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO, 2),
    **dict.fromkeys(_ZERO, 0),
    **dict.fromkeys(_THREE, 3),
    **dict.fromkeys(_FOUR, 4),
}


def minor_unit(currency: str) -> int:
    """Digits after the decimal point of ``currency``, or ``InvalidTerms`` naming it."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise InvalidTerms(
            f"unknown currency {currency!r}: expected an ISO 4217 code such as 'EUR' or 'USD'"
        ) from None


def round_half_up(amount: Fraction, currency: str) -> Decimal:
    """Round a non-negative exact amount once, half-up, to the currency's minor unit."""
    digits = minor_unit(currency)
    scaled = amount * 10**digits
    units = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(units).scaleb(-digits)


def check_amount(amount: Decimal, currency: str, what: str) -> None:
    """Refuse a negative amount or one finer than the currency's minor unit."""
    digits = minor_unit(currency)
    if not amount.is_finite() or amount < 0:
        raise InvalidTerms(f"{what} {amount} {currency} is invalid: expected an amount >= 0")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        raise InvalidTerms(
            f"{what} {amount} {currency} has more than {digits} decimal places, "
            f"the minor unit of {currency}"
        )
