"""The message catalogues are current: what the code and templates say is what the catalogue
holds, each language's .po has every message, and the compiled .mo the app reads matches its
.po. A failure here means: run `make translations` (and translate what it added) and commit."""
import os
import re

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config.settings import available_languages

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "contracts_app", "translations")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def _plain(value):
    """A message id or string as one hashable value (a plural message's are sequences)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _english_fallback(message):
    """Whether a compiled plural message's strings are only its English singular and plural."""
    if not isinstance(message.id, (list, tuple)):
        return False
    return all(string == message.id[min(index, 1)] for index, string in enumerate(message.string))


def _ids(catalog):
    return {_plain(message.id) for message in catalog if message.id}


def _extracted():
    with open(os.path.join(ROOT, "babel.cfg"), encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS,
        directory_filter=lambda path: os.path.basename(path) not in {".venv", "node_modules", ".git"},
    ):
        ids.add(message)
    return ids


def _catalog(path, reader):
    with open(path, "rb") as file:
        return reader(file)


def _languages():
    return [code for code in available_languages() if code != "en"]


def test_the_catalogue_holds_every_message_in_the_code_and_templates():
    template = _catalog(os.path.join(TRANSLATIONS, "messages.pot"), read_po)
    extracted = _extracted()
    assert extracted, "nothing extracted: babel.cfg no longer finds the sources"
    assert extracted - _ids(template) == set(), "new messages not in messages.pot: run make translations"
    assert _ids(template) - extracted == set(), "messages.pot holds messages no longer used: run make translations"


@pytest.mark.parametrize("language", _languages())
def test_each_language_has_every_message_and_its_compiled_file_is_current(language):
    folder = os.path.join(TRANSLATIONS, language, "LC_MESSAGES")
    template = _catalog(os.path.join(TRANSLATIONS, "messages.pot"), read_po)
    po = _catalog(os.path.join(folder, "messages.po"), read_po)
    mo = _catalog(os.path.join(folder, "messages.mo"), read_mo)
    assert _ids(po) == _ids(template), f"{language}/messages.po is not up to date: run make translations"
    translated = {
        _plain(message.id): _plain(message.string) for message in po
        if message.id and message.string and any(_plain(message.string))
    }
    # pybabel compiles an untranslated plural message with the English forms as its strings
    # (gettext's fallback anyway): leave those out, as the untranslated singular ones are.
    compiled = {_plain(message.id): _plain(message.string) for message in mo
                if message.id and not _english_fallback(message)}
    assert compiled == translated, f"{language}/messages.mo is not the compiled messages.po: run make translations"
    assert not [message.id for message in po if message.fuzzy and message.id], "fuzzy translations are not shown"


def test_spanish_is_shipped():
    assert "es" in available_languages()


def _language_of(response):
    assert response.status_code == 200
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_public_page_follows_the_browser_and_the_switch_is_remembered(app):
    client = app.test_client()
    assert _language_of(client.get("/public/data", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})) == "es"
    assert _language_of(client.get("/public/data", headers={"Accept-Language": "fr"})) == "en"
    assert _language_of(client.get("/public/data")) == "en"

    response = client.get("/public/data?lang=es", headers={"Accept-Language": "en"})
    assert _language_of(response) == "es"
    cookie = response.headers["Set-Cookie"]
    assert "rdc_lang=es" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    # The choice is remembered over the browser's language.
    assert _language_of(client.get("/public/data", headers={"Accept-Language": "en"})) == "es"
    assert _language_of(client.get("/public/data?lang=en")) == "en"
    assert _language_of(client.get("/public/data", headers={"Accept-Language": "es"})) == "en"

    # A language the site does not offer is ignored, not remembered.
    response = app.test_client().get("/public/data?lang=xx")
    assert _language_of(response) == "en"
    assert "rdc_lang" not in response.headers.get("Set-Cookie", "")


def test_staff_pages_stay_in_english_when_only_english_is_offered(app):
    client = app.test_client()
    client.set_cookie("rdc_lang", "es")
    assert _language_of(client.get("/login?lang=es", headers={"Accept-Language": "es"})) == "en"


def test_languages_without_a_translation_are_refused_at_startup():
    from config import check_settings

    with pytest.raises(RuntimeError, match="PUBLIC_LANGUAGES must list languages"):
        check_settings({"OCDS_OCID_PREFIX": "ocds-a1b2c3", "PUBLIC_LANGUAGES": ["en", "fr"], "STAFF_LANGUAGES": ["en"]})
    with pytest.raises(RuntimeError, match="STAFF_LANGUAGES must list languages"):
        check_settings({"OCDS_OCID_PREFIX": "ocds-a1b2c3", "PUBLIC_LANGUAGES": ["en"], "STAFF_LANGUAGES": []})
