"""/public/data: the published files for anyone, with their licence and date, served with
ETag and Last-Modified; nothing else under it."""
from datetime import timedelta

from contracts_app.publish.run import FILES, publish_open_data
from tests.demo.conftest import NOW


def test_before_the_first_publication_the_page_says_so(client, publish_folder):
    response = client.get("/public/data")
    assert response.status_code == 200
    assert "Nothing is published yet" in response.get_data(as_text=True)
    assert client.get("/public/data/contracts.csv").status_code == 404


def test_anyone_lists_and_downloads_the_files(client, app, publish_folder, factory):
    contract = factory.make_contract(reference="HS-2025-014")
    factory.make_metric(contract)
    publish_open_data(now=NOW)
    page = client.get("/public/data")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for name in FILES:
        assert f'href="/public/data/{name}"' in text
    assert "creativecommons.org/publicdomain/zero/1.0" in text

    response = client.get("/public/data/contracts.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "HS-2025-014" in response.get_data(as_text=True)
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=3600" in response.headers["Cache-Control"]

    again = client.get("/public/data/contracts.csv", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/public/data/contracts.csv", headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    assert client.get("/public/data/data.json").mimetype == "application/json"


def test_a_new_publication_gives_a_new_etag(client, publish_folder, factory):
    contract = factory.make_contract(title="Street outreach")
    publish_open_data(now=NOW)
    first = client.get("/public/data/contracts.csv").headers["ETag"]
    contract.title = "Street outreach, extended"
    from contracts_app.extensions import db
    db.session.commit()
    publish_open_data(now=NOW + timedelta(days=1))
    assert client.get("/public/data/contracts.csv").headers["ETag"] != first


def test_only_the_published_files_are_served(client, publish_folder, factory):
    factory.make_contract()
    publish_open_data(now=NOW)
    (publish_folder / "notes.txt").write_text("not published")
    for path in ("/public/data/notes.txt", "/public/data/..%2Fconfig.py", "/public/data/.contracts.csv.tmp",
                 "/public/data/%2e%2e", "/public/data/CONTRACTS.CSV"):
        assert client.get(path).status_code == 404, path
