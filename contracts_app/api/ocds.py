"""Open data: the public contracts as an OCDS 1.1 release package (see contracts_app/ocds)."""
from datetime import datetime

from flask import jsonify, request

from contracts_app.api.base import ApiBlueprint
from contracts_app.ocds.export import release_package as build_release_package

bp = ApiBlueprint(
    "api_ocds", __name__, tag="open data",
    description="The contracts marked public, in the Open Contracting Data Standard (OCDS 1.1, Metrics extension).",
)


@bp.route("/ocds/release-package.json")
@bp.response(200, {"type": "object"}, description="An OCDS 1.1 release package with the Metrics extension.")
def release_package():
    """The public contracts as an OCDS 1.1 release package.

    One release per public contract, with a stable ocid; a release's id changes whenever
    something published about the contract changes, so successive downloads merge. The
    package's ``publishedDate`` (also the Last-Modified header) is the time of the last change.
    """
    package = build_release_package()
    response = jsonify(package)
    # The same data gives the same package byte for byte: let portals revalidate cheaply.
    response.add_etag()
    response.last_modified = _published(package)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def _published(package):
    value = package.get("publishedDate")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

