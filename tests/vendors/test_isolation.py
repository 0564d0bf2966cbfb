"""Vendor contacts see their own vendor's contracts only, only what is theirs to see, only
while their access is active; they reach no staff page and no API; staff reach no vendor page."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from contracts_app.api import tokens
from contracts_app.api.models import ApiToken
from contracts_app.db_types import utcnow
from contracts_app.extensions import db
from contracts_app.metrics.status import today_for
from contracts_app.vendors import queries
from contracts_app.vendors.models import VendorAccess
from tests.vendors.conftest import ended_period


def test_a_vendor_contact_lands_on_their_contracts(as_user, contract, dana, factory, harbor):
    other_vendors = factory.make_contract(title="Someone else's contract")
    no_access = factory.make_contract(title="Harbor Light without access", vendor=harbor)
    client = as_user(dana)
    assert client.get("/").headers["Location"].endswith("/vendor/")
    html = client.get("/vendor/").get_data(as_text=True)
    assert contract.title in html
    assert other_vendors.title not in html and no_access.title not in html
    assert client.get(f"/vendor/contracts/{other_vendors.id}").status_code == 404
    assert client.get(f"/vendor/contracts/{no_access.id}").status_code == 404
    assert client.get("/vendor/contracts/999999").status_code == 404


def test_the_contract_page_shows_only_the_vendor_reported_metrics_and_nothing_internal(
    as_user, factory, contract, dana, placements, manager_metric, users,
):
    contract.procurement_officer_id = users["procurement_officer"].id
    placements.definition = "People moved into housing, from the HMIS extract"
    db.session.commit()
    period = ended_period(placements, back=3)
    factory.make_reading(placements, period.start, 25, note="INTERNAL reading note")
    factory.make_flag(contract, metric=placements, kind="off_track", summary="INTERNAL flag summary")
    checkin = factory.make_checkin(contract, status="held", notes="INTERNAL check-in minutes")
    factory.make_action_item(checkin, description="INTERNAL action item")
    html = as_user(dana).get(f"/vendor/contracts/{contract.id}").get_data(as_text=True)
    assert placements.name in html and "People moved into housing" in html
    assert "Ben Okafor" in html  # the contract manager's name, and no other staff
    assert manager_metric.name not in html
    for secret in ("INTERNAL", users["procurement_officer"].name, "Flags", "Check-in", "Audit", "Inbox"):
        assert secret not in html, secret
    # The period with a reading is not due; the one before the present is, with its target.
    assert f'data-period="{period.start.isoformat()}"' not in html
    assert f'data-period="{ended_period(placements).start.isoformat()}"' in html


STAFF_PAGES = ["/work", "/contracts", "/portfolio", "/flags", "/inbox", "/audit", "/users", "/priorities", "/vendors",
               "/portfolio/export/readings.csv", "/verification"]


def test_a_vendor_contact_gets_403_on_staff_pages(as_user, contract, dana, placements):
    client = as_user(dana)
    for url in STAFF_PAGES + [f"/contracts/{contract.id}", f"/metrics/{placements.id}",
                              f"/contracts/{contract.id}/vendor-contacts/new"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/contracts/{contract.id}/vendor-contacts/{dana.id}/revoke").status_code == 403
    # Signing out still works.
    assert client.post("/logout").status_code == 302


@pytest.mark.parametrize("role", ["admin", "procurement_officer", "contract_manager", "cdo", "viewer"])
def test_staff_get_403_on_vendor_pages(client_as, contract, role):
    client = client_as(role)
    assert client.get("/vendor/").status_code == 403
    assert client.get(f"/vendor/contracts/{contract.id}").status_code == 403
    assert client.post(f"/vendor/contracts/{contract.id}/submissions", data={}).status_code == 403


def test_access_ends_when_revoked(as_user, contract, dana, ben):
    from contracts_app.vendors.services import revoke_access

    client = as_user(dana)
    revoke_access(contract, ben, dana)
    assert client.get(f"/vendor/contracts/{contract.id}").status_code == 404
    assert contract.title not in client.get("/vendor/").get_data(as_text=True)


@pytest.mark.parametrize("change", ["ended", "completed", "terminated", "archived"])
def test_access_ends_with_the_contract(as_user, contract, dana, placements, change):
    client = as_user(dana)
    if change == "ended":
        contract.end_date = today_for(utcnow()) - timedelta(days=1)
    elif change == "archived":
        contract.archived_at = utcnow()
    else:
        contract.status = change
    db.session.commit()
    assert client.get(f"/vendor/contracts/{contract.id}").status_code == 404
    period = ended_period(placements)
    response = client.post(f"/vendor/contracts/{contract.id}/submissions",
                           data={"metric_id": placements.id, "period": period.start.isoformat(),
                                 f"m{placements.id}-{period.start.isoformat()}-value": "25"})
    assert response.status_code == 404
    assert contract.title not in client.get("/vendor/").get_data(as_text=True)


def test_access_lasts_through_the_last_day_of_the_term(app, contract, dana):
    now = utcnow()
    contract.end_date = today_for(now)
    db.session.commit()
    assert queries.active_contract(dana, contract.id, now) is not None


def test_access_ends_when_the_contact_is_deactivated(as_user, contract, dana):
    client = as_user(dana)
    dana.active = False
    db.session.commit()
    response = client.get(f"/vendor/contracts/{contract.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert queries.active_contract(dana, contract.id, utcnow()) is None


def test_access_needs_the_contracts_own_vendor(factory, contract, dana):
    # A contact moved to another vendor keeps their access row but reaches nothing.
    dana.vendor_id = factory.make_vendor().id
    db.session.commit()
    assert queries.active_contract(dana, contract.id, utcnow()) is None
    assert queries.vendor_contracts(dana, utcnow()) == []


def test_vendor_contacts_get_no_api_token(contract, dana):
    with pytest.raises(tokens.TokenError, match="vendor contact"):
        tokens.create_token(dana.email)
    assert db.session.scalar(select(ApiToken.id)) is None


def test_a_vendor_contacts_token_is_refused(client, contract, dana):
    # One made before the rule (or written by hand) is not honoured either.
    secret = tokens.TOKEN_PREFIX + "vendor-secret-token-value"
    db.session.add(ApiToken(user=dana, name="old", prefix=secret[:tokens.PREFIX_LENGTH], token_hash=tokens.hash_token(secret)))
    db.session.commit()
    response = client.get("/api/v1/contracts", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_a_signed_in_vendor_contact_cannot_use_the_api_with_the_cookie(as_user, contract, dana):
    assert as_user(dana).get("/api/v1/contracts").status_code == 401


def test_two_contacts_of_different_vendors_stay_apart(as_user, factory, contract, dana):
    other_vendor = factory.make_vendor(name="Other Vendor")
    theirs = factory.make_contract(vendor=other_vendor, end_date=date(2030, 6, 30))
    sam = factory.make_user("vendor", vendor_id=other_vendor.id)
    db.session.add(VendorAccess(contract_id=theirs.id, user_id=sam.id))
    # Even an access row naming Dana on the other vendor's contract does not open it.
    db.session.add(VendorAccess(contract_id=theirs.id, user_id=dana.id))
    db.session.commit()
    assert as_user(sam).get(f"/vendor/contracts/{contract.id}").status_code == 404
    assert as_user(sam).get(f"/vendor/contracts/{theirs.id}").status_code == 200
    assert as_user(dana).get(f"/vendor/contracts/{theirs.id}").status_code == 404


def test_an_admin_deactivates_a_vendor_contact_but_cannot_make_them_staff(client_as, contract, dana):
    admin = client_as("admin")
    form = admin.get(f"/users/{dana.id}/edit").get_data(as_text=True)
    assert 'value="vendor"' in form and 'value="admin"' not in form
    response = admin.post(f"/users/{dana.id}/edit", data={"email": dana.email, "name": dana.name, "role": "admin", "active": "y"})
    assert response.status_code == 200
    db.session.refresh(dana)
    assert dana.role == "vendor"
    response = admin.post(f"/users/{dana.id}/edit", data={"email": dana.email, "name": dana.name, "role": "vendor"})
    assert response.status_code == 302
    db.session.refresh(dana)
    assert not dana.active and dana.role == "vendor" and dana.vendor_id == contract.vendor_id
    assert queries.active_contract(dana, contract.id, utcnow()) is None


def test_staff_cannot_be_made_vendor_contacts(users):
    from contracts_app.auth.services import UserError, update_user

    viewer = users["viewer"]
    with pytest.raises(UserError, match="vendor contact"):
        update_user(viewer, users["admin"], viewer.email, viewer.name, "vendor", True)
