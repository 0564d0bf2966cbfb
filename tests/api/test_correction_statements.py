"""A single correction through the API: which of its statements go through SQLAlchemy."""
from tests.querycount import count_queries


def test_on_postgresql_a_correction_through_the_api_runs_its_statements_on_the_driver(api_as, api_city, backend):
    """None of its statements goes through SQLAlchemy, the token's and the reading's lookups
    included (a silent fall back to session.execute, such as a column default a statement leaves
    to it, or a lazy load of a column or relationship the lookups did not fill, would show here)."""
    officer = api_as("procurement_officer")
    reading = api_city.reading
    assert officer.get(f"/readings/{reading.id}").status_code == 200  # the token's last use is written once
    with count_queries() as counter:
        response = officer.patch(f"/readings/{reading.id}", {"value": 24, "note": "Recount"})
    assert response.status_code == 200, response.get_json()
    if backend == "postgresql":
        assert counter.count == 0, counter.statements
    else:
        assert counter.count > 2
