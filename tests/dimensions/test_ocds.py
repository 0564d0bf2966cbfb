"""OCDS: a count's group values are observations with ``dimensions``; small groups left out."""
from datetime import datetime, timezone

from contracts_app.ocds.export import release_package
from tests.dimensions.test_public import _city
from tests.ocds.conftest import release_of, schema_errors

NOW = datetime(2025, 9, 20, 12, tzinfo=timezone.utc)


def test_group_values_are_observations_with_dimensions(app, factory, users):
    contract = _city(factory, users)
    package = release_package(now=NOW)
    assert schema_errors(package) == []
    (metric,) = release_of(package, contract)["contracts"][0]["implementation"]["metrics"]
    by_group = [o for o in metric["observations"] if "dimensions" in o]
    assert [(o["dimensions"], o["measure"]) for o in by_group] == [
        ({"Council district": "District 1"}, 18), ({"Council district": "District 2"}, 12),
    ]  # District 7 (7) is below PUBLIC_MIN_GROUP_COUNT
    total = next(o for o in metric["observations"] if "dimensions" not in o)
    assert total["measure"] == 37 and by_group[0]["period"] == total["period"]
    assert len({o["id"] for o in metric["observations"]}) == len(metric["observations"])


def test_a_rate_s_groups_are_not_published(app, factory, users):
    contract = _city(factory, users, is_count=False)
    (metric,) = release_of(release_package(now=NOW), contract)["contracts"][0]["implementation"]["metrics"]
    assert all("dimensions" not in o for o in metric["observations"])
