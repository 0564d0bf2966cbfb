"""Single sign-on in a real browser against the provider process (tests/oidc_provider.py): the
provider's button on the sign-in page, the provider's approval page, back signed in with the
role of the provider's groups."""
from contracts_app.auth.models import User
from contracts_app.auth.services import create_user
from contracts_app.extensions import db
from tests.oidc_provider import oidc_provider  # noqa: F401  (fixture)

EMAIL = "pat.browser@city.test"


def _axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    return [f"{item['id']}: {item['help']}" for item in Axe().run(page).response["violations"]]


def test_a_procurement_user_signs_in_with_the_provider_button(browser, live_server, live_app, oidc_provider):
    live_app.config.update(
        APP_BASE_URL=live_server, OIDC_ISSUER=oidc_provider.url, OIDC_CLIENT_ID="rdc-tracker",
        OIDC_CLIENT_SECRET="client-secret", OIDC_PROVIDER_NAME="City ID", OIDC_ROLE_MAP="procurement=procurement_officer",
        LOCAL_LOGIN=False,
    )
    with live_app.app_context():
        create_user(EMAIL, "Pat Browser", "viewer", "a-long-enough-password")
        db.session.remove()
    oidc_provider.set_user("browser-subject", email=EMAIL, groups=["procurement"], name="Pat Browser")
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    # The provider's page links a stylesheet from a CDN; nothing may load from elsewhere here.
    context.route("https://**/*", lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto("/login?local=1")  # the button, then the password form (vendors, break-glass)
        assert page.locator("#password").count() == 1
        assert _axe_violations(page) == []
        page.goto("/login")
        assert page.locator("#password").count() == 0  # LOCAL_LOGIN=false: the button only
        assert _axe_violations(page) == []
        page.get_by_role("button", name="Sign in with City ID").click()

        page.wait_for_url(f"{oidc_provider.url}/oauth2/authorize*")
        page.get_by_placeholder("sub").fill("browser-subject")
        page.get_by_role("button", name="Authorize").click()

        page.wait_for_url(f"{live_server}/**")
        assert "Signed in as Pat Browser" in page.inner_text("main")
        response = page.goto("/contracts/new")  # a procurement officer's page
        assert response.status == 200
        assert page.get_by_role("button", name="Register contract").count() == 1
        with live_app.app_context():
            assert db.session.scalar(db.select(User.role).where(User.email == EMAIL)) == "procurement_officer"
            db.session.remove()
    finally:
        context.close()


def test_a_user_in_no_mapped_group_sees_why_they_are_refused(browser, live_server, live_app, oidc_provider):
    live_app.config.update(
        APP_BASE_URL=live_server, OIDC_ISSUER=oidc_provider.url, OIDC_CLIENT_ID="rdc-tracker",
        OIDC_CLIENT_SECRET="client-secret", OIDC_PROVIDER_NAME="City ID", OIDC_ROLE_MAP="procurement=procurement_officer",
    )
    with live_app.app_context():
        create_user("no.group@city.test", "No Group", "viewer", "a-long-enough-password")
        db.session.remove()
    oidc_provider.set_user("browser-no-group", email="no.group@city.test", groups=["parks"])
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 900})
    context.set_default_timeout(15000)
    context.route("https://**/*", lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_role("button", name="Sign in with City ID").click()
        page.wait_for_url(f"{oidc_provider.url}/oauth2/authorize*")
        page.get_by_placeholder("sub").fill("browser-no-group")
        page.get_by_role("button", name="Authorize").click()

        page.wait_for_url(f"{live_server}/auth/oidc/callback*")
        assert "not in any group that gives access" in page.inner_text("main")
        assert _axe_violations(page) == []
        page.goto("/priorities")
        assert "/login" in page.url  # not signed in
    finally:
        context.close()
