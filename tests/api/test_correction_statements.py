"""A single correction through the API: which of its statements go through SQLAlchemy."""
from tests.querycount import count_queries


def test_on_postgresql_a_correction_through_the_api_runs_its_statements_on_the_driver(api_as, api_city, backend):
    """Only the token's and the reading's lookups go through SQLAlchemy (a silent fall back
    to session.execute, such as a column default the statement leaves to it, would show here)."""
    officer = api_as("procurement_officer")
    reading = api_city.reading
    assert officer.get(f"/readings/{reading.id}").status_code == 200  # the token's last use is written once
    with count_queries() as counter:
        response = officer.patch(f"/readings/{reading.id}", {"value": 24, "note": "Recount"})
    assert response.status_code == 200, response.get_json()
    if backend == "postgresql":
        assert counter.count == 2, counter.statements
    else:
        assert counter.count > 2
