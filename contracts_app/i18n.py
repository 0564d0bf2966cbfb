"""Languages: the interface text through Flask-Babel, the city's own content as entered.

Which language a page is shown in:

- The public site (/public) offers PUBLIC_LANGUAGES (English and Spanish shipped). A visitor's
  choice from the switch on the page (``?lang=es``) is kept in a cookie for a year; without a
  choice, the browser's Accept-Language decides; failing that, the first of the list.
- The staff pages offer STAFF_LANGUAGES (English only shipped: the message catalogue,
  ``contracts_app/translations/messages.pot``, is ready for a city to translate) and follow
  the browser the same way.
- Outside a request (emails sent by the scheduler, the CLI) the text is in the language set
  around it with ``flask_babel.force_locale``, else BABEL_DEFAULT_LOCALE.

The catalogues live in contracts_app/translations; ``make translations`` re-extracts the
interface text, updates each language's .po file and compiles the .mo files the app reads
(both are committed, so a fresh clone needs no build step; a test checks they are current).
"""
from flask import g, request
from flask_babel import Babel, get_locale

babel = Babel()

# Language code -> its name in that language (what the switch shows).
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
LANGUAGE_COOKIE = "rdc_lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def init_app(app):
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(current_language=current_language, language_choices=language_choices)


def is_public_request():
    return request.blueprint == "public" or request.path.startswith("/public/") or request.path == "/public"


def offered_languages():
    """The languages the current page can be shown in."""
    from flask import current_app

    key = "PUBLIC_LANGUAGES" if is_public_request() else "STAFF_LANGUAGES"
    return current_app.config[key]


def select_locale():
    """Flask-Babel's locale selector (see the module docstring)."""
    if not request:
        return None
    offered = offered_languages()
    chosen = request.args.get("lang")
    if chosen in offered:
        if is_public_request():
            g.language_choice = chosen
        return chosen
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in offered:
        return remembered
    return request.accept_languages.best_match(offered) or offered[0]


def current_language():
    return str(get_locale() or "en")


def language_choices():
    """(code, name, is_current) for the switch: every offered language but the current one is a link."""
    current = current_language()
    return [(code, LANGUAGE_NAMES.get(code, code), code == current) for code in offered_languages()]


def _remember_choice(response):
    choice = g.pop("language_choice", None)
    if choice:
        response.set_cookie(
            LANGUAGE_COOKIE, choice, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax",
            secure=request.is_secure, httponly=True,
        )
    if is_public_request():
        # The same address answers in the visitor's language: caches must keep them apart.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
