"""Emails in the recipient's language, through the real SMTP server: a vendor contact who reads
Spanish gets the invitation, the reminder digest and a returned submission in Spanish; one who
reads English, in English. The language is a person's own (users.language): chosen on the
invitation form, on their account page, by the admin, or with ``flask users create``."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts_app.auth.models import User
from contracts_app.extensions import db
from contracts_app.metrics.models import REPORTED_BY_VENDOR
from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.models import Notification
from contracts_app.notifications.reminders import queue_reminders
from contracts_app.vendors import services
from contracts_app.vendors.models import VendorAccess, VendorSubmission
from tests.conftest import Auth
from tests.notifications.conftest import BASE_URL

# The contract's monthly metric: February 2026 is due on 10 Mar 2026; 6 March is inside the
# five days before (see test_reminders.py).
BEFORE = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)
INVITED = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def manager(factory):
    return factory.make_user("contract_manager", name="Ben Okafor", email="ben@city.test")


@pytest.fixture
def contract(factory, manager):
    vendor = factory.make_vendor(name="Harbor Light")
    return factory.make_contract(start_date=date(2025, 7, 1), end_date=date(2027, 6, 30), vendor=vendor,
                                 contract_manager_id=manager.id, reference="C-0042", title="Job training")


@pytest.fixture
def metric(factory, contract):
    return factory.make_metric(contract, name="Job placements", cadence="monthly", due_days=10,
                               reported_by=REPORTED_BY_VENDOR)


def _contact(factory, contract, name, email, language):
    user = factory.make_user("vendor", name=name, email=email, vendor_id=contract.vendor_id, language=language)
    db.session.add(VendorAccess(contract_id=contract.id, user_id=user.id))
    db.session.commit()
    return user


def _mail_to(smtp, address):
    return [m for m in smtp.messages if m.rcpt_tos == [address]]


def test_the_invitation_is_in_the_language_chosen_for_the_contact(db, contract, manager, smtp):
    maria, _ = services.invite_contact(contract, manager, "María López", "maria@harborlight.test", now=INVITED,
                                       language="es")
    dana, _ = services.invite_contact(contract, manager, "Dana Cole", "dana@harborlight.test", now=INVITED,
                                      language="en")
    assert (maria.language, dana.language) == ("es", "en")

    counts = send_notifications(now=INVITED + timedelta(minutes=1))
    assert counts["digests_sent"] == 2

    [spanish] = _mail_to(smtp, "maria@harborlight.test")
    assert spanish["Subject"] == "Ben Okafor le invita a informar sobre C-0042 Job training"
    assert spanish.text.startswith("Hola, María López:\n")
    assert "Ben Okafor le ha invitado a informar los resultados de Harbor Light sobre C-0042 Job training" in spanish.text
    # The date in Spanish too; the link is the same.
    assert "Funciona una sola vez, hasta el 9 mar 2026." in spanish.text
    assert f"{BASE_URL}/invitations/" in spanish.text

    [english] = _mail_to(smtp, "dana@harborlight.test")
    assert english["Subject"] == "Ben Okafor invites you to report on C-0042 Job training"
    assert english.text.startswith("Hello Dana Cole,\n")
    assert "It works once, until 9 Mar 2026." in english.text


def test_the_invitation_page_is_in_the_contacts_language(client, contract, manager):
    services.invite_contact(contract, manager, "María López", "maria@harborlight.test", language="es")
    link = db.session.scalar(select(Notification.link).where(Notification.kind == "vendor_invitation"))
    page = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Elija una contraseña" in page and "Guardar la contraseña y continuar" in page


def test_reminders_reach_each_contact_in_their_language(db, factory, contract, metric, smtp):
    _contact(factory, contract, "María López", "maria@harborlight.test", "es")
    _contact(factory, contract, "Dana Cole", "dana@harborlight.test", None)  # the city's default

    queue_reminders(BEFORE)
    send_notifications(now=BEFORE)

    [spanish] = _mail_to(smtp, "maria@harborlight.test")
    assert spanish["Subject"] == "RDC Tracker: 1 novedad para María López"
    assert "Datos que vencen pronto (1)" in spanish.text
    assert "C-0042: Job placements de feb 2026 vence el 10 mar 2026" in spanish.text
    assert "envíe su cifra, con su evidencia, a más tardar el 10 mar 2026" in spanish.text
    assert '<html lang="es">' in spanish.html and "Todas sus notificaciones" in spanish.html

    [english] = _mail_to(smtp, "dana@harborlight.test")
    assert english["Subject"] == "RDC Tracker: 1 new item for Dana Cole"
    assert "Readings due soon (1)" in english.text
    assert "C-0042: Job placements for Feb 2026 due 10 Mar 2026" in english.text
    assert "submit your figure, with its evidence, by 10 Mar 2026" in english.text


def test_a_returned_submission_is_explained_in_the_contacts_language(db, factory, contract, manager, metric, smtp):
    maria = _contact(factory, contract, "María López", "maria@harborlight.test", "es")
    submission = VendorSubmission(metric_id=metric.id, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
                                  value=Decimal(25), state="pending", submitted_by_id=maria.id)
    db.session.add(submission)
    db.session.commit()

    services.return_submission(submission, manager, "The report shows 21, not 25.", now=BEFORE)
    send_notifications(now=BEFORE + timedelta(minutes=1))

    [mail] = _mail_to(smtp, "maria@harborlight.test")
    assert "Job placements de ene 2026 fue devuelto: envíelo de nuevo" in mail.text
    assert "Ben Okafor devolvió su valor 25 de ene 2026 en C-0042: The report shows 21, not 25." in mail.text


def test_staff_emails_stay_in_english_when_only_english_is_offered_to_staff(db, factory, contract, metric, smtp):
    """A staff member who chose Spanish reads English while STAFF_LANGUAGES is English only."""
    metric.reported_by = "contract_manager"
    contract.contract_manager.language = "es"
    db.session.commit()

    queue_reminders(BEFORE)
    send_notifications(now=BEFORE)

    [mail] = _mail_to(smtp, "ben@city.test")
    assert mail["Subject"] == "RDC Tracker: 1 new item for Ben Okafor"


def test_the_invitation_form_offers_the_public_languages(app, client, contract, manager):
    Auth(client).login(manager)
    page = client.get(f"/contracts/{contract.id}/vendor-contacts/new").get_data(as_text=True)
    assert '<option selected value="en">English</option>' in page and '<option value="es">Español</option>' in page
    response = client.post(f"/contracts/{contract.id}/vendor-contacts/new", data={
        "name": "María López", "email": "maria@harborlight.test", "language": "es",
    })
    assert response.status_code == 302
    assert db.session.scalar(select(User.language).where(User.email == "maria@harborlight.test")) == "es"

    # A language the public site does not offer is refused, and nothing is created.
    response = client.post(f"/contracts/{contract.id}/vendor-contacts/new", data={
        "name": "Raj Patel", "email": "raj@harborlight.test", "language": "fr",
    })
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "raj@harborlight.test")) is None


def test_a_vendor_contact_chooses_spanish_on_their_account_page(client, factory, contract):
    dana = _contact(factory, contract, "Dana Cole", "dana@harborlight.test", None)
    Auth(client).login(dana)
    page = client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in page and '<option value="es">Español</option>' in page

    response = client.post("/account", data={"language": "es"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page and "Se guardó su idioma." in page and "Su cuenta" in page
    db.session.expire_all()
    assert db.session.get(User, dana.id).language == "es"
    # Their own pages follow it, whatever the browser says.
    home = client.get("/vendor/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in home and "Sus contratos" in home

    # A language not offered is refused; the choice stays.
    response = client.post("/account", data={"language": "fr"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, dana.id).language == "es"


def test_staff_choose_among_the_staff_languages(client, factory):
    viewer = factory.make_user("viewer")
    Auth(client).login(viewer)
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="en">English</option>' in page and "Español" not in page
    assert client.post("/account", data={"language": "es"}).status_code == 200  # not offered to staff
    db.session.expire_all()
    assert db.session.get(User, viewer.id).language is None


def test_the_admin_sets_a_language_and_a_bad_one_is_refused(client, factory, users):
    contact = factory.make_user("vendor", name="Dana Cole", email="dana@harborlight.test")
    Auth(client).login(users["admin"])
    form = {"email": contact.email, "name": contact.name, "role": "vendor", "active": "y", "language": "es"}
    assert client.post(f"/users/{contact.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, contact.id).language == "es"

    assert client.post(f"/users/{contact.id}/edit", data={**form, "language": "xx"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, contact.id).language == "es"

    # Blank: back to the city's default.
    assert client.post(f"/users/{contact.id}/edit", data={**form, "language": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, contact.id).language is None


def test_the_cli_creates_a_user_with_a_language(app, runner, monkeypatch):
    monkeypatch.setenv("RDC_PASSWORD", "a long enough password")
    result = runner.invoke(args=["users", "create", "ana@city.test", "--role", "viewer", "--language", "en"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.language).where(User.email == "ana@city.test")) == "en"

    result = runner.invoke(args=["users", "create", "raj@city.test", "--role", "viewer", "--language", "xx"])
    assert result.exit_code != 0 and "Choose one of the languages offered" in result.output
    assert db.session.scalar(select(User).where(User.email == "raj@city.test")) is None


def _untranslated_patterns():
    """A pattern per interface message that has no Spanish yet."""
    import re

    from babel.messages.pofile import read_po

    with open("contracts_app/translations/es/LC_MESSAGES/messages.po", "rb") as file:
        catalog = read_po(file, locale="es")
    patterns = []
    for message in catalog:
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not message.id or all(strings):
            continue
        for english in message.id if isinstance(message.id, (list, tuple)) else [message.id]:
            if len(re.sub(r"%\(\w+\)s", "", english).strip()) < 4:
                continue
            pattern = re.sub(r"%\\\((\w+)\\\)s", ".+", re.escape(" ".join(english.split())))
            patterns.append((english, re.compile(rf"^{pattern}$")))
    return patterns


def test_the_vendor_pages_have_no_untranslated_text_in_spanish(client, factory, contract, metric):
    from tests.test_staff_catalogue import _Text

    maria = _contact(factory, contract, "María López", "maria@harborlight.test", "es")
    Auth(client).login(maria)
    patterns = _untranslated_patterns()
    problems = []
    for url in ("/vendor/", f"/vendor/contracts/{contract.id}", "/account", "/no-such-page"):
        html = client.get(url).get_data(as_text=True)
        assert '<html lang="es">' in html, url
        parser = _Text()
        parser.feed(html)
        problems += [f"{url}: {english!r}" for part in parser.parts for english, pattern in patterns if pattern.match(part)]
    # The invitation page, before the contact has an account.
    services.invite_contact(contract, contract.contract_manager, "Raj Patel", "raj@harborlight.test", language="es")
    link = db.session.scalar(select(Notification.link).where(Notification.kind == "vendor_invitation"))
    parser = _Text()
    parser.feed(client.application.test_client().get(link).get_data(as_text=True))
    problems += [f"{link}: {english!r}" for part in parser.parts for english, pattern in patterns if pattern.match(part)]
    assert problems == []


def test_staff_emails_follow_the_recipients_language_once_the_city_offers_it(app, db, factory, contract, smtp):
    """A city that translates the staff pages lists the language in STAFF_LANGUAGES: the sweep's
    notifications are then written per recipient (the digest around them too)."""
    from contracts_app.management.sweep import sweep

    app.config["STAFF_LANGUAGES"] = ["en", "es"]
    manager = contract.contract_manager
    manager.language = "es"
    factory.make_milestone(contract, due_date=date(2026, 2, 1))  # past due and not met: a flag
    db.session.commit()

    sweep(BEFORE)
    send_notifications(now=BEFORE)

    [mail] = _mail_to(smtp, "ben@city.test")
    assert mail["Subject"] == "RDC Tracker: 3 novedades para Ben Okafor"
    assert mail.text.startswith("Hola, Ben Okafor:\n\n3 novedades en RDC Tracker:")
    assert "Alertas abiertas (2)" in mail.text and '<html lang="es">' in mail.html
    # The staff-only sentences have no Spanish yet (STAFF_LANGUAGES is English as shipped): English.
    assert "A check-in with the vendor is proposed for" in mail.text
