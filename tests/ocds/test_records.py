"""The fast compile of a one-release process (ocds.records.compiled_release) gives exactly what
ocdsmerge gives, key order included, on the awkward shapes a release can take; what it is not
sure of goes to ocdsmerge itself."""
import json
import warnings

import pytest

from contracts_app.ocds import records
from contracts_app.ocds.records import _merger, compiled_release
from tests.ocds.test_export import full_contract

ODD = [
    # nulls (their object stays, even empty), empty objects and arrays, objects in arrays with the
    # id not first or without one, arrays with a non-object (kept whole), wholeListMerge fields
    # (parties.roles, additionalIdentifiers, additionalClassifications: kept whole, even empty),
    # tuples, falsy scalars, a field the schema does not know.
    {"ocid": "ocds-abc123-1", "id": "x", "date": "2026-01-01T00:00:00Z", "tag": ["award"], "a": None, "b": {},
     "c": [], "d": {"x": None}, "e": [{"x": None}, {}, {"id": "2", "z": 1, "y": None}, {"q": 1, "id": "3"}],
     "f": {"g": {"h": {}}}, "parties": [{"roles": [], "id": "p"}, {"id": "q", "roles": ["a"], "additionalIdentifiers": []}],
     "k": [1, {"a": None}], "n": [[1]], "t": (1, 2), "bool": False, "zero": 0, "s": "",
     "contracts": [{"id": "1", "items": [{"id": "1", "additionalClassifications": [{"id": None}]}]}]},
    {"ocid": "ocds-abc123-1", "date": "2026-01-01T00:00:00Z", "language": "en"},
    # under paths no merge rule reaches: kept as they are, or rebuilt (an id not first, a null deep down)
    {"ocid": "ocds-abc123-1", "date": "2026-01-01T00:00:00Z",
     "m": [{"id": "a", "v": {"w": [1, 2], "x": 1.5, "y": True}}, {"x": 1, "y": [{"z": "q"}]}],
     "o": [{"v": 1, "id": "z"}], "p": {"q": [{"r": {"s": None}}]}, "u": [{"id": "a"}, {"id": "b", "c": {}}],
     "contracts": [{"id": "1", "implementation": {"metrics": [{"id": "9", "observations": [
         {"id": "9-1", "period": {"startDate": "x"}, "measure": 1, "unit": None}]}]}}]},
    {"date": "2026-01-01T00:00:00Z", "planning": {"rationale": "no ocid"}},
    {"ocid": "ocds-abc123-1", "date": None, "planning": {"rationale": "no date"}},
    # ids that ocdsmerge merges (the same id twice; 1 and "1") or turns to text: left to it.
    {"ocid": "ocds-abc123-1", "date": "2026-01-01T00:00:00Z", "e": [{"id": 1}, {"id": "1"}]},
    {"ocid": "ocds-abc123-1", "date": "2026-01-01T00:00:00Z", "e": [{"id": "1", "a": 1}, {"id": "1", "b": 2}]},
    {"ocid": "ocds-abc123-1", "date": "2026-01-01T00:00:00Z", "e": [{"id": None, "a": 1}, {"id": 7}]},
]


def reference(release):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the duplicate ids above
        return _merger().create_compiled_release([release])


@pytest.mark.parametrize("release", ODD)
def test_an_odd_release_compiles_as_ocdsmerge_compiles_it(release):
    assert json.dumps(compiled_release(release)) == json.dumps(reference(release))


def test_unchanged_objects_are_the_release_s_own(app, factory):
    from contracts_app.ocds.export import release_package

    full_contract(factory)
    release = release_package()["releases"][0]
    compiled = compiled_release(release)
    assert json.dumps(compiled) == json.dumps(reference(release))
    assert list(compiled)[:4] == ["tag", "id", "date", "ocid"]
    assert compiled["tag"] == ["compiled"] and compiled["id"] == f"{release['ocid']}-{release['date']}"
    # Nothing in a tracker release needs rewriting: the rest is shared, not copied.
    assert all(compiled[key] is value for key, value in release.items() if key not in ("id", "date", "tag", "ocid"))


def test_several_releases_go_to_ocdsmerge(monkeypatch):
    first = {"ocid": "ocds-abc123-1", "id": "a", "date": "2026-01-01T00:00:00Z", "tag": ["award"], "title": "one"}
    second = dict(first, id="b", date="2026-02-01T00:00:00Z", title="two")
    calls = []
    monkeypatch.setattr(records, "compiled_release", lambda release: calls.append(release))
    record = records.record(first["ocid"], [first, second], "https://example.test/p.json")
    assert calls == [] and record["compiledRelease"]["title"] == "two"
    assert record["compiledRelease"] == reference(second) | {"id": "ocds-abc123-1-2026-02-01T00:00:00Z"}
