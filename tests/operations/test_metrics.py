"""/metrics: Prometheus text, behind METRICS_TOKEN; database figures read at scrape time."""
from datetime import date, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from contracts_app.db_types import utcnow
from contracts_app.notifications.models import Notification

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def scrape(app, client):
    app.config["METRICS_TOKEN"] = TOKEN

    def get():
        response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        samples = {}
        for family in text_string_to_metric_families(response.get_data(as_text=True)):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return get


def test_it_does_not_exist_without_a_token_set(app, client):
    app.config["METRICS_TOKEN"] = None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_it_refuses_a_missing_or_wrong_token(app, client, header):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "rdc_" not in response.get_data(as_text=True)


def test_it_answers_the_prometheus_text_format(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")


def test_it_reports_the_outbox_failed_notifications_and_readings(db, factory, scrape):
    user = factory.make_user("contract_manager")
    now = utcnow()
    metric = factory.make_metric(factory.make_contract())
    factory.make_reading(metric, date(2025, 8, 1), 20)
    factory.make_reading(metric, date(2025, 9, 1), 21)
    db.session.add_all([
        Notification(recipient_id=user.id, kind="flag_opened", dedupe_key="a", subject="Old", created_at=now - timedelta(hours=2)),
        Notification(recipient_id=user.id, kind="flag_opened", dedupe_key="b", subject="New", created_at=now - timedelta(minutes=5)),
        Notification(recipient_id=user.id, kind="flag_opened", dedupe_key="c", subject="Sent", created_at=now - timedelta(days=3), sent_at=now),
        Notification(recipient_id=user.id, kind="flag_opened", dedupe_key="d", subject="Gone", created_at=now - timedelta(days=4),
                     failed_at=now, attempts=3, last_error="SMTPRecipientsRefused: 550"),
    ])
    db.session.commit()

    samples = scrape()

    assert samples[("rdc_outbox_pending", ())] == 2
    assert 2 * 3600 <= samples[("rdc_outbox_oldest_pending_age_seconds", ())] < 3 * 3600
    assert samples[("rdc_notifications_failed", ())] == 1
    assert samples[("rdc_readings_written_total", ())] == 2
    assert samples[("rdc_database_up", ())] == 1
    assert samples[("rdc_migrations_at_head", ())] == 0  # the test database is not stamped


def test_it_reports_the_scheduler_heartbeat(beat, scrape):
    started = utcnow() - timedelta(minutes=10)
    beat("sweep", started, seconds=4.5)
    beat("dispatch", started, seconds=0.5, error="SMTPServerDisconnected: gone")

    samples = scrape()

    sweep = (("job", "sweep"),)
    assert samples[("rdc_scheduler_job_last_start_timestamp_seconds", sweep)] == pytest.approx(started.timestamp())
    assert samples[("rdc_scheduler_job_last_success_timestamp_seconds", sweep)] == pytest.approx((started + timedelta(seconds=4.5)).timestamp())
    assert samples[("rdc_scheduler_job_last_duration_seconds", sweep)] == 4.5
    assert samples[("rdc_scheduler_job_failing", sweep)] == 0
    assert samples[("rdc_scheduler_job_failing", (("job", "dispatch"),))] == 1
    assert ("rdc_scheduler_job_last_success_timestamp_seconds", (("job", "dispatch"),)) not in samples
    assert samples[("rdc_scheduler_stale", ())] == 0


def test_it_says_the_scheduler_is_stale_when_no_job_ran(scrape):
    assert scrape()[("rdc_scheduler_stale", ())] == 1


def test_it_counts_requests_by_endpoint_and_status(client_as, scrape):
    key = ("rdc_http_requests_total", (("endpoint", "contracts.index"), ("method", "GET"), ("status", "200")))
    before = scrape().get(key, 0)
    viewer = client_as("viewer")
    for _ in range(3):
        assert viewer.get("/contracts").status_code == 200

    samples = scrape()

    assert samples[key] == before + 3
    count = samples[("rdc_http_request_duration_seconds_count", (("endpoint", "contracts.index"), ("method", "GET")))]
    assert count >= 3


def test_it_counts_unknown_addresses_under_one_label(client, scrape):
    for path in ("/no-such-page", "/another/made/up/path"):
        client.get(path)

    samples = scrape()

    unmatched = [labels for name, labels in samples if name == "rdc_http_requests_total" and dict(labels)["endpoint"] == "(unmatched)"]
    assert unmatched and not any("no-such-page" in str(labels) for _, labels in samples)
