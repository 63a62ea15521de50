"""French, German and English, by Flask-Babel and the gettext catalogues of webui/translations.

English is the source language (the msgids); `webui/translations/{fr,de}/LC_MESSAGES/
messages.po` translate it (babel.cfg says what `pybabel extract` reads). The language is the
signed-in account's (changed on the account page or by the FR/DE/EN switch), else the one
chosen before signing in (a cookie), else the browser's preference. `_("Groups")` in templates
and views gives the text in that language; `{name}` fields are filled after translating.

The provisioning rules report problems as vpbx.reasons.Reason (a code and its parameters):
`problem()` translates the code's English template and fills in the parameters.

The compiled catalogues (.mo) are not in git: `compile_catalogues` makes them when the app
starts, from any .po newer than its .mo, so a fresh clone and an edited .po both just work.
"""
import datetime
import os
import tempfile

from babel.dates import get_day_names, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, request
from flask_babel import Babel, get_translations

from vpbx.model.tenant import OFFICE_HOURS
from vpbx.reasons import MESSAGES, N_, Reason

from .accounts import LANGUAGES

# values the pages show through _(variable), so that `pybabel extract` finds them: the call
# records' outcomes (vpbx.records.call_records.OUTCOMES), the voicemail modes
# (vpbx.model.tenant.VOICEMAIL_MODES) and the password rules of webui.accounts
SHOWN_AS_VALUES = (N_("answered"), N_("missed"), N_("busy"), N_("failed"), N_("voicemail"),
                   N_("announcement"),
                   N_("enabled"), N_("greeting_only"), N_("disabled"),
                   N_("must be at least 10 characters"), N_("the two passwords differ"))
LANGUAGE_COOKIE = "vpbx_lang"       # the language chosen before signing in
DEFAULT = "fr"
TRANSLATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")


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
    translated = get_translations().gettext(text)
    return translated.format(**fields) if fields else translated


def plural(count: int, singular: str, many: str) -> str:
    """"1 user absent" / "3 users absent": the count with the form its language wants
    (the catalogue's Plural-Forms: French says "0 utilisateur absent")."""
    return get_translations().ngettext(singular, many, count).format(n=count)


def day_name(index: int) -> str:
    """The name of a weekday (0: Monday) in the current language, as Babel's CLDR data has it."""
    return get_day_names("wide", locale=current_language())[index]


def long_datetime(moment: datetime.datetime) -> str:
    """"Jeudi 08 octobre 2015 16h01" / "Donnerstag, 8. Oktober 2015 16:01" /
    "Thursday 8 October 2015 16:01"."""
    lang = current_language()
    day = day_name(moment.weekday())
    day = day[:1].upper() + day[1:]
    month = get_month_names("wide", locale=lang)[moment.month]
    if lang == "fr":
        return f"{day} {moment.day:02d} {month} {moment.year} {moment.hour:02d}h{moment.minute:02d}"
    if lang == "de":
        return f"{day}, {moment.day}. {month} {moment.year} {moment.hour:02d}:{moment.minute:02d}"
    return f"{day} {moment.day} {month} {moment.year} {moment.hour:02d}:{moment.minute:02d}"


_SHORT_DATES = {"fr": "%d/%m/%Y", "de": "%d.%m.%Y"}


def short_date(day: datetime.date) -> str:
    """"05/04/2012" in French (as the guide), "05.04.2012" in German, ISO in English."""
    form = _SHORT_DATES.get(current_language())
    return day.strftime(form) if form else day.isoformat()


def problem(reason) -> str:
    """A problem from the provisioning rules in the current language: a Reason's template
    translated, its parameters (Reasons too, or lists of them) filled in. Any other text is
    shown as it is."""
    if not isinstance(reason, Reason):
        return reason
    return gettext(MESSAGES[reason.code]).format(**{
        name: _parameter(value) for name, value in reason.params.items()})


def _parameter(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(problem(each)) for each in value)
    return problem(value)


def range_name(name: str) -> str:
    """The default range's name as the guide calls it in the current language."""
    return gettext("Office hours") if name == OFFICE_HOURS else name


def compile_catalogues(folder: str = TRANSLATIONS) -> None:
    """Write messages.mo beside each messages.po that is newer (atomically: several workers
    may start at once)."""
    for lang in os.listdir(folder):
        source = os.path.join(folder, lang, "LC_MESSAGES", "messages.po")
        target = source[:-2] + "mo"
        if not os.path.exists(source) or (os.path.exists(target) and
                                           os.path.getmtime(target) >= os.path.getmtime(source)):
            continue
        with open(source, "rb") as handle:
            catalog = read_po(handle, locale=lang)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".mo")
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.replace(temporary, target)


def init_app(app) -> None:
    compile_catalogues()
    Babel(app, locale_selector=current_language, default_translation_directories=TRANSLATIONS,
          configure_jinja=False)
    app.jinja_env.globals.update(_=gettext, plural=plural, lang=current_language,
                                 day_name=day_name, long_datetime=long_datetime,
                                 short_date=short_date, range_name=range_name,
                                 LANGUAGES=LANGUAGES)
    app.jinja_env.filters["problem"] = problem


_ = gettext
