"""Country names and durations in a visitor's language, from CLDR through Babel.

The notice states where data go and how long things are kept in the language it is
shown in (issue #11); CLDR has these words for all 24 official EU languages, so no
translation file carries them.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.units import format_unit

# The EU member states and the other EEA countries (Iceland, Liechtenstein, Norway):
# data kept there stay under the GDPR.
EEA_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    " IS LI NO".split()
)

DAYS_PER_MONTH = 365.25 / 12
# A lifetime is said in months when it is this close (in days) to a whole number.
MONTH_SLACK_DAYS = 3

# CLDR has no long unit names for Maltese (Babel says "6 m"); these follow Maltese
# plural categories (CLDR: one, two, few, many, other) with the numeral kept.
_MALTESE_UNITS: dict[str, dict[str, str]] = {
    "duration-day": {
        "one": "{0} jum",
        "two": "{0} jiem",
        "few": "{0} jiem",
        "many": "{0}-il jum",
        "other": "{0} jum",
    },
    "duration-month": {
        "one": "{0} xahar",
        "two": "{0} xhur",
        "few": "{0} xhur",
        "many": "{0}-il xahar",
        "other": "{0} xahar",
    },
    "duration-year": {
        "one": "{0} sena",
        "two": "{0} snin",
        "few": "{0} snin",
        "many": "{0}-il sena",
        "other": "{0} sena",
    },
}


def is_eea(country: str) -> bool:
    """Whether data kept in ``country`` (ISO 3166-1 alpha-2) stay in the EU/EEA."""
    return country.upper() in EEA_COUNTRIES


@cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (ValueError, LookupError):
        return Locale.parse(lang.split("-")[0])


# Where CLDR's name is not the language's own: Maltese CLDR keeps the English
# "Netherlands"; the EU's Interinstitutional Style Guide names it il-Pajjiżi l-Baxxi.
_OWN_NAMES: dict[str, dict[str, str]] = {"mt": {"NL": "il-Pajjiżi l-Baxxi"}}


def country_names(codes: list[str] | set[str], lang: str) -> dict[str, str]:
    """ISO code -> the country's name in ``lang`` (the code itself if CLDR has none)."""
    locale = _locale(lang)
    territories = {**locale.territories, **_OWN_NAMES.get(locale.language, {})}
    return {code: territories.get(code, code) for code in sorted(set(codes))}


def _unit(value: int, unit: str, lang: str) -> str:
    locale = _locale(lang)
    if locale.language == "mt":
        patterns = _MALTESE_UNITS[unit]
        return patterns[locale.plural_form(value)].format(value)
    return str(format_unit(value, unit, length="long", locale=locale))


def format_days(days: int, lang: str) -> str:
    """A lifetime in days as a reader says it: "13 months", "1 year", "45 days"."""
    if days >= 365 and days % 365 == 0:
        return _unit(days // 365, "duration-year", lang)
    months = round(days / DAYS_PER_MONTH)
    if months >= 1 and abs(days - months * DAYS_PER_MONTH) <= MONTH_SLACK_DAYS:
        return _unit(months, "duration-month", lang)
    return _unit(days, "duration-day", lang)
