"""French and English: a dict catalogue keyed by the English text, chosen per user.

The language is the signed-in account's (changed on the account page or by the FR/EN switch),
else the one chosen before signing in (a cookie), else the browser's preference. `_("Groups")` in
templates and views gives the text in that language; `{name}` fields are filled after
translating. The provisioning rules speak English: `problem()` translates their reasons.
"""
import datetime

from flask import g, request

from vpbx.model.tenant import OFFICE_HOURS

from .catalogue_fr import FRENCH, PROBLEMS_FR

LANGUAGES = ("fr", "en")
LANGUAGE_COOKIE = "vpbx_lang"       # the language chosen before signing in
DEFAULT = "fr"
_CATALOGUES = {"fr": FRENCH, "en": {}}

DAY_NAMES = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                    "Sunday"),
             "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")}
MONTH_NAMES = {"en": ("January", "February", "March", "April", "May", "June", "July",
                      "August", "September", "October", "November", "December"),
               "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                      "septembre", "octobre", "novembre", "décembre")}


def current_language() -> str:
    lang = g.get("lang")
    if lang:
        return lang
    account = g.get("account")
    if account is not None:
        lang = account.language
    elif request.cookies.get(LANGUAGE_COOKIE) in LANGUAGES:
        lang = request.cookies[LANGUAGE_COOKIE]
    else:
        lang = request.accept_languages.best_match(LANGUAGES) or DEFAULT
    g.lang = lang
    return lang


def gettext(text: str, **fields) -> str:
    """`text` in the current language, with `fields` filled in."""
    translated = _CATALOGUES[current_language()].get(text, text)
    return translated.format(**fields) if fields else translated


def plural(count: int, singular: str, many: str) -> str:
    """"1 user absent" / "3 users absent": the count with the right form, translated."""
    one = count in (0, 1) if current_language() == "fr" else count == 1
    return gettext(singular if one else many, n=count)


def day_name(index: int) -> str:
    return DAY_NAMES[current_language()][index]


def long_datetime(moment: datetime.datetime) -> str:
    """"Jeudi 08 octobre 2015 16h01" / "Thursday 8 October 2015 16:01"."""
    lang = current_language()
    day = DAY_NAMES[lang][moment.weekday()].capitalize()
    month = MONTH_NAMES[lang][moment.month - 1]
    if lang == "fr":
        return f"{day} {moment.day:02d} {month} {moment.year} {moment.hour:02d}h{moment.minute:02d}"
    return f"{day} {moment.day} {month} {moment.year} {moment.hour:02d}:{moment.minute:02d}"


def short_date(day: datetime.date) -> str:
    """"05/04/2012" in French (as the guide), ISO in English."""
    return day.strftime("%d/%m/%Y") if current_language() == "fr" else day.isoformat()


def problem(reason: str) -> str:
    """A reason from the provisioning rules (English) in the current language."""
    if current_language() == "en":
        return reason
    for pattern, template in PROBLEMS_FR:
        match = pattern.fullmatch(reason)
        if match:
            return template.format(**{key: _noun_fr(value)
                                      for key, value in match.groupdict().items()})
    return reason


_NOUNS_FR = (("time range ", "la plage "), ("user ", "l'utilisateur "),
             ("group ", "le groupe "), ("number ", "le numéro "),
             ("holiday ", "le jour férié "))


def _noun_fr(text: str) -> str:
    """"group Reception" → "le groupe Reception" inside a translated reason."""
    if text is None:
        return ""
    for english, french in _NOUNS_FR:
        if text.startswith(english):
            return french + text[len(english):]
    return text


def range_name(name: str) -> str:
    """The default range's name as the guide calls it in the current language."""
    return gettext("Office hours") if name == OFFICE_HOURS else name


def init_app(app) -> None:
    app.jinja_env.globals.update(_=gettext, plural=plural, lang=current_language,
                                 day_name=day_name, long_datetime=long_datetime,
                                 short_date=short_date, range_name=range_name,
                                 LANGUAGES=LANGUAGES)
    app.jinja_env.filters["problem"] = problem


_ = gettext
