"""The single sign-on settings: the role map, the role of several groups, and the app refusing to
start half configured."""
import pytest

from contracts_app import create_app
from contracts_app.auth.oidc import parse_role_map, role_for_groups
from tests.conftest import _config_for

SSO = {"OIDC_ISSUER": "https://login.city.example", "OIDC_CLIENT_ID": "rdc", "OIDC_CLIENT_SECRET": "secret",
       "OIDC_ROLE_MAP": "rdc-admins=admin"}


def test_it_reads_the_role_map():
    assert parse_role_map(" rdc-admins = admin, procurement=procurement_officer ,, 6f1c0d2e-entra-id=viewer ") == {
        "rdc-admins": "admin", "procurement": "procurement_officer", "6f1c0d2e-entra-id": "viewer",
    }


def test_it_reads_group_names_with_equals_signs():
    # Entra ID and LDAP-style names: the role is after the last "=".
    assert parse_role_map("cn=rdc-admins=admin,procurement=procurement_officer") == {
        "cn=rdc-admins": "admin", "procurement": "procurement_officer",
    }


@pytest.mark.parametrize("text, message", [
    ("rdc-admins", "is not group=role"),
    ("=admin", "is not group=role"),
    ("rdc-admins=superuser", "unknown role 'superuser'"),
    ("vendors=vendor", "cannot give the vendor role"),
    ("a=admin,a=viewer", "mapped twice"),
])
def test_it_refuses_a_bad_role_map(text, message):
    with pytest.raises(ValueError, match=message):
        parse_role_map(text)


@pytest.mark.parametrize("groups, role", [
    (["staff"], "viewer"),
    (["staff", "managers"], "contract_manager"),
    (["managers", "cdo-office"], "cdo"),
    (["cdo-office", "procurement"], "procurement_officer"),
    (["staff", "rdc-admins", "procurement"], "admin"),
    (["parks"], None),
    ([], None),
])
def test_it_gives_the_most_privileged_role_of_the_mapped_groups(groups, role):
    mapping = parse_role_map("rdc-admins=admin,procurement=procurement_officer,cdo-office=cdo,"
                             "managers=contract_manager,staff=viewer")
    assert role_for_groups(groups, mapping) == role


@pytest.mark.parametrize("settings, message", [
    ({**SSO, "OIDC_CLIENT_SECRET": None}, "OIDC_CLIENT_SECRET"),
    ({**SSO, "OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID"),
    ({**SSO, "OIDC_ROLE_MAP": ""}, "maps no group"),
    ({**SSO, "OIDC_ROLE_MAP": "x=vendor"}, "vendor role"),
    ({**SSO, "OIDC_SCOPES": "email profile"}, "must include openid"),
    ({"LOCAL_LOGIN": False}, "LOCAL_LOGIN=false needs single sign-on"),
])
def test_the_app_refuses_to_start_half_configured(settings, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(_config_for("sqlite://", **settings))


def test_the_app_starts_with_single_sign_on_configured_without_asking_the_provider():
    # Nothing listens at the issuer: discovery waits for the first sign-in.
    app = create_app(_config_for("sqlite://", **SSO, LOCAL_LOGIN=False))
    assert app.config["OIDC_ISSUER"] == "https://login.city.example"
