"""The OCDS record package: per contracting process, its releases (linked, by URL) and the
compiled release, merged with the Open Contracting Partnership's reference rules (ocdsmerge).

``record_package(package, uri)`` builds it from a release package dict; the nightly publication
writes it streaming, from ``record_package_head`` and one ``record`` per process.

A process with one release (every process the tracker publishes: one release per contract) is
compiled by ``compiled_release``, which gives exactly what ocdsmerge's compiler gives for one
release, object for object and key for key, without its flatten and unflatten of every field
(half the time of a city-wide publication); anything it is not sure of (several releases, an
``id`` that is not a string or is repeated in an array) goes to ocdsmerge itself."""
import json
from functools import lru_cache
from pathlib import Path

import ocdsmerge

# The OCDS 1.1.5 release schema patched with the Metrics extension: the merge rules come from it,
# so compiling needs no network (ocdsmerge would otherwise download the schema).
RELEASE_SCHEMA = Path(__file__).with_name("release-schema.json")
_HEAD_KEYS = ("version", "extensions", "publishedDate", "publisher", "license", "publicationPolicy")


@lru_cache(maxsize=1)
def _merger():
    return ocdsmerge.Merger(schema=json.loads(RELEASE_SCHEMA.read_text(encoding="utf-8")))


def record_package(package, uri):
    """The record package of the release package ``package`` (as ``release_package`` returns
    it), to be published at ``uri``. Each record links its releases in the release package and
    carries their compiled release."""
    by_ocid = {}
    for release in package["releases"]:
        by_ocid.setdefault(release["ocid"], []).append(release)
    records = [record(ocid, releases, package["uri"]) for ocid, releases in by_ocid.items()]
    return {**record_package_head(package, uri), "records": records}


def record_package_head(package_head, uri):
    """The record package at ``uri`` without its records (which come last), for the release
    package whose head (or whole dict) is ``package_head``."""
    head = {key: package_head[key] for key in _HEAD_KEYS if key in package_head}
    return {"uri": uri, **head, "packages": [package_head["uri"]]}


def record(ocid, releases, package_uri):
    """The record of the process ``ocid`` from its ``releases`` in the package at ``package_uri``."""
    return {
        "ocid": ocid,
        "releases": [
            {"url": f"{package_uri}#{release['id']}", "date": release["date"], "tag": release["tag"]}
            for release in releases
        ],
        "compiledRelease": compiled_release(releases[0]) if len(releases) == 1
        else _merger().create_compiled_release(releases),
    }


class _Unsure(Exception):
    """Something ``compiled_release`` leaves to ocdsmerge."""


def compiled_release(release):
    """``ocdsmerge.Merger(<the release schema>).create_compiled_release([release])``, faster.

    What ocdsmerge does with one release, here without flattening it: the compiled release
    starts with ``tag`` ["compiled"], ``id`` "<ocid>-<date>", ``date`` and ``ocid``, then the
    release's other fields in their order, where (its merge rules) a null is left out (its
    object stays, even if that leaves it empty), an empty object or array is left out, an
    array of objects is merged by ``id`` (each object's ``id`` first; an object without one kept
    as it is), and an array with any non-object, or marked wholeListMerge in the schema, is
    kept whole as it is. Objects that come out unchanged are the release's own (not copies), so
    the caller may reuse what it made of them (``run._write_packages`` reuses their JSON text)."""
    ocid, date = release.get("ocid"), release.get("date")
    if type(ocid) is not str or type(date) is not str:
        return _merger().create_compiled_release([release])
    try:
        rest = _compile_object(release, (), _merger().merge_rules, _rule_prefixes())
    except _Unsure:
        return _merger().create_compiled_release([release])
    compiled = {"tag": ["compiled"], "id": f"{ocid}-{date}", "date": date, "ocid": ocid}
    for key, value in (rest or {}).items():
        if key not in compiled:
            compiled[key] = value
    return compiled


@lru_cache(maxsize=1)
def _rule_prefixes():
    """Every path that has a merge rule at or under it: below any other path no rule applies."""
    return frozenset(path[:end] for path in _merger().merge_rules for end in range(len(path) + 1))


def _compile_object(obj, path, rules, prefixes=frozenset()):
    """The object ``obj`` at the schema path ``path`` as ocdsmerge rebuilds it from its flattened
    fields: None when it has no field at all (left out), ``obj`` itself when nothing changes.
    Below a path no rule applies to (not in ``prefixes``), a value ``_kept`` is taken as it is
    without rebuilding it (the observations: most of a release)."""
    out = {}
    fields, same = False, True
    for key, value in obj.items():
        if type(key) is not str:
            raise _Unsure()
        field_path = (*path, key)
        rule = rules.get(field_path)
        if rule == "omitWhenMerged":
            same = False
            continue
        kind = type(value)
        if kind is not dict and kind is not list:
            if isinstance(value, (dict, list)):
                raise _Unsure()  # a subclass: ocdsmerge's own type checks decide
            fields = True
            if value is None:
                same = False  # a null is "no value": left out, its object kept
            else:
                out[key] = value
            continue
        if rule == "wholeListMerge" or (kind is list and any(type(item) is not dict for item in value)):
            if kind is list and any(isinstance(item, dict) and type(item) is not dict for item in value):
                raise _Unsure()
            fields = True
            out[key] = value
            continue
        if field_path not in prefixes and _kept(value):
            fields = True
            out[key] = value
            continue
        compiled = (_compile_array(value, field_path, rules, prefixes) if kind is list
                    else _compile_object(value, field_path, rules, prefixes)) if value else None
        if compiled is None:
            same = False  # empty, or nothing but empty objects and arrays
            continue
        fields = True
        if compiled is not value:
            same = False
        out[key] = compiled
    if not fields:
        return None
    return obj if same else out


def _kept(value):
    """Whether, with no merge rule under it, the compile keeps ``value`` (a dict or a list) as it
    is: a non-empty object whose values are all text, numbers, booleans or themselves kept; an
    array of such objects whose ids, where they have one, are distinct text and come first; or
    an array without any object (kept whole)."""
    if type(value) is dict:
        if not value:
            return False
        for key, item in value.items():
            kind = type(item)
            if type(key) is not str:
                return False
            if kind is str or kind is int or kind is float or kind is bool:
                continue
            if (kind is dict or kind is list) and _kept(item):
                continue
            return False
        return True
    if not value:
        return False
    if all(type(item) is dict for item in value):
        ids = set()
        for item in value:
            if not _kept(item):
                return False
            if "id" in item:
                identifier = item["id"]
                if type(identifier) is not str or identifier in ids or next(iter(item)) != "id":
                    return False
                ids.add(identifier)
        return True
    return not any(isinstance(item, dict) for item in value)


def _compile_array(items, path, rules, prefixes=frozenset()):
    """An array of objects merged by id (one release: each id once, or ocdsmerge decides)."""
    out = []
    same = True
    ids = set()
    for item in items:
        has_id = "id" in item
        if has_id:
            identifier = item["id"]
            if type(identifier) is not str or identifier in ids:
                raise _Unsure()
            ids.add(identifier)
        compiled = _compile_object(item, path, rules, prefixes)
        if compiled is None:
            same = False
            continue
        if has_id and next(iter(compiled)) != "id":
            compiled = {"id": item["id"], **{k: v for k, v in compiled.items() if k != "id"}}
        if compiled is not item:
            same = False
        out.append(compiled)
    if not out:
        return None
    return items if same else out
