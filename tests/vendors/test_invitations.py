"""Inviting vendor contacts: who may, the one-time link (once, until it expires, only the newest),
the password rules, the email, refusals, revoking."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contracts_app.audit.models import AuditEvent
from contracts_app.auth.models import VENDOR, User
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.notifications.dispatcher import send_notifications
from contracts_app.notifications.models import Notification
from contracts_app.vendors import services
from contracts_app.vendors.models import VendorAccess, VendorInvitation
from contracts_app.vendors.tokens import hash_token
from tests.notifications.conftest import BASE_URL
from tests.vendors.conftest import NOW

PASSWORD = "a long enough password"


def token_of(user):
    """The raw token, as the email carries it (the outbox row's link until it is sent)."""
    link = db.session.scalar(
        select(Notification.link).where(Notification.recipient_id == user.id, Notification.kind == "vendor_invitation")
        .order_by(Notification.id.desc())
    )
    return link.rsplit("/", 1)[1]


def invite(contract, ben, name="Dana Cole", email="dana@harborlight.test", now=None):
    return services.invite_contact(contract, ben, name, email, now=now or utcnow())


def test_it_creates_the_vendor_contact_grants_access_and_queues_the_link(contract, ben, harbor):
    user, invitation = invite(contract, ben, email="Dana@HarborLight.test", now=NOW)
    assert (user.role, user.vendor_id, user.email, user.active) == (VENDOR, harbor.id, "dana@harborlight.test", True)
    assert not user.check_password("")  # a random password nobody knows
    access = db.session.scalar(select(VendorAccess))
    assert (access.contract_id, access.user_id, access.granted_by_id, access.revoked_at) == (contract.id, user.id, ben.id, None)
    assert invitation.expires_at == NOW + timedelta(days=7)
    token = token_of(user)
    # Only the digest is stored.
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    summaries = db.session.scalars(select(AuditEvent.summary).order_by(AuditEvent.id)).all()
    assert summaries == [
        "Created vendor contact dana@harborlight.test (Harbor Light)",
        f"Gave Dana Cole (dana@harborlight.test) vendor access to {contract.reference}",
        f"Invited Dana Cole (dana@harborlight.test) to report on {contract.reference}",
    ]


def test_it_sends_the_invitation_as_its_own_email_with_the_absolute_link(contract, ben, smtp, queue):
    user, _ = invite(contract, ben, now=NOW)
    token = token_of(user)
    queue(user, "Something else for the digest", now=NOW)
    counts = send_notifications(now=NOW + timedelta(minutes=1))
    assert counts["digests_sent"] == 2 and counts["recipients"] == 1
    invitation_mail = next(m for m in smtp.messages if "invites you" in m["Subject"])
    assert invitation_mail.rcpt_tos == ["dana@harborlight.test"]
    assert invitation_mail["Subject"] == f"Ben Okafor invites you to report on {contract.reference} {contract.title}"
    assert f"{BASE_URL}/invitations/{token}" in invitation_mail.text
    assert "Something else" not in invitation_mail.text
    # Once sent, the outbox forgets the link: the token is nowhere in the database.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.link.contains(token))) == 0


def test_the_link_works_once_and_signs_the_contact_in(client, contract, ben):
    user, _ = invite(contract, ben)
    token = token_of(user)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and "Choose a password" in page.get_data(as_text=True)
    response = client.post(f"/invitations/{token}", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/vendor/")
    assert client.get("/vendor/").status_code == 200  # signed in
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
    assert db.session.scalar(select(VendorInvitation.used_at)) is not None
    assert db.session.scalar(select(AuditEvent.summary).order_by(AuditEvent.id.desc())) == (
        "Dana Cole (dana@harborlight.test) accepted the invitation and chose a password"
    )
    again = client.post(f"/invitations/{token}", data={"password": "another long password", "confirm": "another long password"})
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_it_refuses_an_expired_link_and_changes_nothing(app, client, contract, ben):
    user, _ = invite(contract, ben, now=utcnow() - timedelta(days=8))
    token = token_of(user)
    before = user.password_hash
    assert client.get(f"/invitations/{token}").status_code == 410
    response = client.post(f"/invitations/{token}", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == before
    assert db.session.scalar(select(VendorInvitation.used_at)) is None


def test_the_expiry_follows_vendor_invite_days(app, contract, ben):
    app.config["VENDOR_INVITE_DAYS"] = 2
    _, invitation = invite(contract, ben, now=NOW)
    assert invitation.expires_at == NOW + timedelta(days=2)


def test_an_unknown_token_is_a_404(client):
    response = client.get("/invitations/not-a-token")
    assert response.status_code == 404 and "no invitation with this link" in response.get_data(as_text=True)
    assert client.post("/invitations/" + "x" * 300, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 404


def test_a_new_invitation_replaces_the_older_link(client, contract, ben):
    user, _ = invite(contract, ben)
    first = token_of(user)
    invite(contract, ben)
    second = token_of(user)
    assert first != second
    assert client.get(f"/invitations/{first}").status_code == 410
    assert client.get(f"/invitations/{second}").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(VendorAccess)) == 1
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == VENDOR)) == 1


@pytest.mark.parametrize("password, confirm, message", [
    ("short pass", "short pass", "at least 12 characters"),
    ("Password123456", "Password123456", "too common"),  # the same rules as staff passwords
    (" " * 14, " " * 14, "only spaces"),
    (PASSWORD, PASSWORD + "!", "not the same"),
    ("", "", "Choose a password"),
])
def test_it_enforces_the_password_rules(client, contract, ben, password, confirm, message):
    user, _ = invite(contract, ben)
    token = token_of(user)
    response = client.post(f"/invitations/{token}", data={"password": password, "confirm": confirm})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(VendorInvitation.used_at)) is None
    assert client.get(f"/invitations/{token}").status_code == 200  # still usable


def test_it_refuses_a_staff_email(contract, ben, users):
    with pytest.raises(services.VendorError, match="member of staff") as error:
        invite(contract, ben, email=users["viewer"].email)
    assert error.value.field == "email"
    assert db.session.scalar(select(func.count()).select_from(VendorAccess)) == 0
    assert db.session.scalar(select(func.count()).select_from(VendorInvitation)) == 0


def test_it_refuses_another_vendors_contact(factory, contract, ben):
    other = factory.make_user("vendor", email="sam@othervendor.test", vendor_id=factory.make_vendor().id)
    with pytest.raises(services.VendorError, match="another vendor"):
        invite(contract, ben, email=other.email)
    assert db.session.scalar(select(func.count()).select_from(VendorAccess)) == 0


def test_it_refuses_bad_names_and_emails_on_the_page(as_user, contract, ben, users):
    manager = as_user(ben)
    response = manager.post(f"/contracts/{contract.id}/vendor-contacts/new", data={"name": "", "email": "not an email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Give the contact&#39;s name." in html and "valid email" in html
    response = manager.post(f"/contracts/{contract.id}/vendor-contacts/new", data={"name": "Someone", "email": users["cdo"].email})
    assert "belongs to a member of staff" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User).where(User.role == VENDOR)) == 0


def test_the_contract_manager_invites_from_the_contract_page(as_user, contract, ben):
    manager = as_user(ben)
    page = manager.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Invite a vendor contact" in page
    response = manager.post(f"/contracts/{contract.id}/vendor-contacts/new", data={"name": "Dana Cole", "email": "dana@harborlight.test"})
    assert response.status_code == 302
    page = manager.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "Dana Cole" in page and "no password chosen yet" in page and "Revoke" in page


def test_only_procurement_officers_and_the_own_manager_may_invite(client_as, factory, contract, users):
    url = f"/contracts/{contract.id}/vendor-contacts/new"
    assert client_as("procurement_officer").get(url).status_code == 200
    for role in ("contract_manager", "viewer", "cdo", "admin"):  # users["contract_manager"] is not Ben
        assert client_as(role).get(url).status_code == 403, role
        assert client_as(role).post(url, data={"name": "X", "email": "x@harborlight.test"}).status_code == 403, role
    assert "Invite a vendor contact" not in client_as("viewer").get(f"/contracts/{contract.id}").get_data(as_text=True)


@pytest.mark.parametrize("change", ["archived", "completed"])
def test_no_invitations_on_an_archived_or_ended_contract(client_as, contract, ben, change):
    if change == "archived":
        contract.archived_at = utcnow()
    else:
        contract.status = "completed"
    db.session.commit()
    assert client_as("procurement_officer").get(f"/contracts/{contract.id}/vendor-contacts/new").status_code == 403
    with pytest.raises(services.VendorError):
        invite(contract, ben)


def test_reinviting_a_revoked_contact_grants_access_again(contract, ben, dana):
    assert services.revoke_access(contract, ben, dana, now=NOW) is True
    assert services.revoke_access(contract, ben, dana, now=NOW) is False  # once
    user, _ = invite(contract, ben, email=dana.email)
    assert user.id == dana.id
    access = db.session.scalar(select(VendorAccess))
    assert access.revoked_at is None and access.granted_by_id == ben.id
    assert "vendor access to HS-2025-014 again" in db.session.scalar(
        select(AuditEvent.summary).where(AuditEvent.entity_type == "vendoraccess").order_by(AuditEvent.id.desc())
    )


def test_the_revoke_button_ends_access_and_is_audited(as_user, contract, ben, dana):
    vendor = as_user(dana)
    assert vendor.get(f"/vendor/contracts/{contract.id}").status_code == 200
    response = as_user(ben).post(f"/contracts/{contract.id}/vendor-contacts/{dana.id}/revoke")
    assert response.status_code == 302
    access = db.session.scalar(select(VendorAccess))
    assert access.revoked_by_id == ben.id and access.revoked_at is not None
    assert db.session.scalar(select(AuditEvent.summary).order_by(AuditEvent.id.desc())).startswith("Revoked Dana Cole")
    assert vendor.get(f"/vendor/contracts/{contract.id}").status_code == 404
    assert "access revoked" in as_user(ben).get(f"/contracts/{contract.id}").get_data(as_text=True)


def test_others_cannot_revoke(client_as, contract, dana):
    for role in ("contract_manager", "viewer", "admin"):
        assert client_as(role).post(f"/contracts/{contract.id}/vendor-contacts/{dana.id}/revoke").status_code == 403
    assert db.session.scalar(select(VendorAccess.revoked_at)) is None


def test_a_revoke_invalidates_the_unused_link(client, contract, ben):
    user, _ = invite(contract, ben)
    token = token_of(user)
    services.revoke_access(contract, ben, user)
    assert client.get(f"/invitations/{token}").status_code == 410
