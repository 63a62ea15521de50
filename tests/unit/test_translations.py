"""The web UI's catalogues (webui/translations) against what the code says: every problem code's
template and every text `pybabel extract` finds has a French and a German translation that
uses only its {fields} (it may leave one out: the page shows it elsewhere); a problem is
translated from its code, its parameters included."""
import os
import pickle
import string

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask, g

from vpbx.model.tenant import VOICEMAIL_MODES
from vpbx.reasons import MESSAGES, Reason, item_name
from vpbx.records.call_records import OUTCOMES
from webui import i18n

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSLATED = ("fr", "de")


def _catalogue(lang: str):
    path = os.path.join(i18n.TRANSLATIONS, lang, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as handle:
        return read_po(handle, locale=lang)


CATALOGUES = {lang: _catalogue(lang) for lang in TRANSLATED}


def _extracted() -> set:
    """The msgids `pybabel extract -F babel.cfg -k N_ -k plural:2,3` finds (plural pairs as
    tuples)."""
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "plural": (2, 3)}
    found = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map,
                                                keywords=keywords):
        found.add(message)
    return found


EXTRACTED = _extracted()


def _fields(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _translations(lang: str, msgid) -> list:
    """The translations of `msgid` (every form of a plural); [] when absent or fuzzy."""
    key = msgid[0] if isinstance(msgid, tuple) else msgid
    message = CATALOGUES[lang].get(key)
    if message is None or message.fuzzy or message.id != msgid:
        return []
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_problem_code_has_a_translation_with_its_fields(lang):
    missing = [code for code, template in MESSAGES.items()
               if not _translations(lang, template) or not all(_translations(lang, template))
               or any(_fields(text) - _fields(template)
                      for text in _translations(lang, template))]
    assert not missing


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_text_the_code_marks_has_a_translation_with_its_fields(lang):
    assert set(MESSAGES.values()) <= EXTRACTED   # the extraction does read the templates
    assert len(EXTRACTED) > 500
    missing = []
    for msgid in EXTRACTED:
        texts = _translations(lang, msgid)
        wanted = _fields(msgid[0] if isinstance(msgid, tuple) else msgid)
        if not texts or not all(texts) or any(_fields(text) - wanted for text in texts):
            missing.append(msgid)
    assert not sorted(missing, key=str)


def test_french_and_german_translate_the_same_texts():
    french, german = ({message.id for message in CATALOGUES[lang] if message.id}
                      for lang in TRANSLATED)
    assert french == german


def test_values_shown_through_a_variable_are_marked_for_extraction():
    assert set(OUTCOMES) | set(VOICEMAIL_MODES) <= set(i18n.SHOWN_AS_VALUES)


def test_a_reason_is_its_english_text_and_keeps_its_code():
    reason = Reason("already_used", value="201", by=item_name("groups", "Reception"))
    assert reason == "201 is already used by group Reception"
    assert (reason.code, reason.params["by"].code) == ("already_used", "item_group")
    again = pickle.loads(pickle.dumps(reason))
    assert (again, again.code, again.params) == (reason, reason.code, reason.params)
    listed = Reason("cannot_delete_used", item="Jingle",
                    by=[item_name("groups", "Sales"), Reason("the_music_on_hold")])
    assert listed == "Jingle cannot be deleted: group Sales, the music on hold uses it"


@pytest.fixture(scope="module")
def app():
    app = Flask("webui", root_path=os.path.join(ROOT, "webui"))
    i18n.init_app(app)
    return app


@pytest.mark.parametrize("lang, expected", [
    ("en", "201 is already used by group Reception"),
    ("fr", "201 est déjà utilisé par le groupe Reception"),
    ("de", "201 wird bereits verwendet von: Gruppe Reception"),
])
def test_a_problem_is_translated_from_its_code_with_its_parameters(app, lang, expected):
    with app.test_request_context():
        g.lang = lang
        assert i18n.problem(Reason("already_used", value="201",
                                   by=item_name("groups", "Reception"))) == expected


def test_dates_and_plurals_follow_the_language(app):
    import datetime
    moment = datetime.datetime(2015, 10, 8, 16, 1)
    expected = {"fr": ("Jeudi 08 octobre 2015 16h01", "05/04/2012", "0 utilisateur absent"),
                "de": ("Donnerstag, 8. Oktober 2015 16:01", "05.04.2012",
                       "0 Benutzer abwesend"),
                "en": ("Thursday 8 October 2015 16:01", "2012-04-05", "0 users absent")}
    for lang, (long_form, short_form, absent) in expected.items():
        with app.test_request_context():
            g.lang = lang
            assert i18n.long_datetime(moment) == long_form
            assert i18n.short_date(datetime.date(2012, 4, 5)) == short_form
            assert i18n.plural(0, "{n} user absent", "{n} users absent") == absent
