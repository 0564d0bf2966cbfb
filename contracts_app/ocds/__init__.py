"""Open data: the contracts marked public as an OCDS 1.1 release package with the Metrics
extension (``export.release_package``), and the ``flask export ocds`` command (``cli``).

No web routes here: the JSON API serves the package at /api/v1/ocds/release-package.json.
"""
