"""Languages: the interface text through Flask-Babel, the city's own content as entered.

Which language a page is shown in:

- The public site (/public) offers PUBLIC_LANGUAGES (English and Spanish shipped). A visitor's
  choice from the switch on the page (``?lang=es``) is kept in a cookie for a year; without a
  choice, the browser's Accept-Language decides; failing that, the first of the list.
- The staff pages offer STAFF_LANGUAGES (English only shipped: the message catalogue,
  ``contracts_app/translations/messages.pot``, is ready for a city to translate) and follow
  the browser the same way.
- Vendor contacts are people outside city hall, like residents: their pages (and the
  invitation page that makes their account) offer PUBLIC_LANGUAGES.
- A signed-in person's own choice (``users.language``, set on their account page, by the admin,
  on the invitation form or with ``flask users create --language``) comes before the browser's.
- Emails are written in the recipient's language (``user_language``): the notification's text
  when it is queued and the email around it when it is sent, each inside
  ``flask_babel.force_locale``. Outside a request and such a block the text is in
  BABEL_DEFAULT_LOCALE.

The catalogues live in contracts_app/translations; ``make translations`` re-extracts the
interface text, updates each language's .po file and compiles the .mo files the app reads
(both are committed, so a fresh clone needs no build step; a test checks they are current).
"""
from contextlib import contextmanager

from flask import current_app, g, request
from flask_babel import Babel, force_locale, get_locale, gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape

babel = Babel()


class LazyText(LazyString):
    """Flask-Babel's lazy string, escaped when a template shows it (Flask-Babel's own marks itself
    safe HTML, so a label's "contact's" or a translation's "<" would reach the page raw)."""

    def __html__(self):
        return escape(str(self))


def lazy_gettext(string, **variables):
    """``_l``: text translated when it is shown, in the language of that moment (form labels,
    validator messages and label tables defined at import time)."""
    return LazyText(gettext, string, **variables)

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


VENDOR_ROLE = "vendor"
# Pages a vendor contact reaches before having an account (the invitation link).
VENDOR_FACING_ENDPOINTS = {"vendors.invitation"}


def _signed_in_user():
    from flask_login import current_user

    return current_user if current_user and current_user.is_authenticated else None


def languages_for(user):
    """The languages a person's pages and emails can be in: vendor contacts PUBLIC_LANGUAGES,
    staff STAFF_LANGUAGES."""
    role = getattr(user, "role", None)
    return current_app.config["PUBLIC_LANGUAGES" if role == VENDOR_ROLE else "STAFF_LANGUAGES"]


def default_language(offered):
    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or "en"
    return default if default in offered else offered[0]


def user_language(user):
    """The language to write to ``user`` in: their own choice if it is still offered to them,
    else the city's default."""
    offered = languages_for(user)
    chosen = getattr(user, "language", None)
    return chosen if chosen in offered else default_language(offered)


@contextmanager
def in_language_of(user):
    """Text made inside this block (gettext, templates, dates) is in ``user``'s language."""
    with force_locale(user_language(user)):
        yield


def offered_languages():
    """The languages the current page can be shown in."""
    if is_public_request() or request.endpoint in VENDOR_FACING_ENDPOINTS:
        return current_app.config["PUBLIC_LANGUAGES"]
    user = _signed_in_user()
    if user is not None:
        return languages_for(user)
    return current_app.config["STAFF_LANGUAGES"]


def select_locale():
    """Flask-Babel's locale selector (see the module docstring)."""
    if not request:
        return None
    offered = offered_languages()
    if len(offered) == 1 and not is_public_request():
        return offered[0]  # what the steps below give when there is one language to give
    chosen = request.args.get("lang")
    if chosen in offered:
        if is_public_request():
            g.language_choice = chosen
        return chosen
    user = None if is_public_request() else _signed_in_user()
    if user is not None and getattr(user, "language", None) in offered:
        return user.language
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered in offered:
        return remembered
    return request.accept_languages.best_match(offered) or offered[0]


def current_language():
    return str(get_locale() or "en")


def language_name(code):
    """A language's name in that language ("Español"), for the switch and the language menus."""
    if code in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[code]
    try:
        from babel import Locale

        return Locale.parse(code).get_display_name(code).capitalize()
    except (ValueError, TypeError, LookupError):
        return code


def language_choices():
    """(code, name, is_current) for the switch: every offered language but the current one is a link."""
    current = current_language()
    return [(code, language_name(code), code == current) for code in offered_languages()]


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
