"""The decision task's email: in each person's digest, once, under its own heading, with the link."""
from contracts_app.management.sweep import sweep
from contracts_app.notifications.dispatcher import send_notifications
from tests.decisions.conftest import NOW
from tests.notifications.conftest import BASE_URL, mail_config, smtp  # noqa: F401 (fixtures)


def test_the_officer_and_the_cdo_each_get_one_email_with_the_decision_link(smtp, users, ending):  # noqa: F811
    sweep(NOW)
    send_notifications(now=NOW)
    sweep(NOW)
    send_notifications(now=NOW)

    told = [m for m in smtp.messages if "renewal decision due" in m.text]
    assert sorted(m.rcpt_tos[0] for m in told) == sorted([users["procurement_officer"].email, users["cdo"].email])
    text = told[0].text
    assert "Renewal and option decisions due (1)" in text and "WD-2025-120: renewal decision due" in text
    assert f"{BASE_URL}/decisions/" in text
