"""The JSON API under /api/v1 (token auth), built with flask-smorest.

setup.py     init_api(app): the resources, token authentication, JSON errors, the OpenAPI document
base.py      ApiBlueprint, the strict request parser, lookups, permission checks, pagination
errors.py    the error shape {"error": {"code", "message", "fields"}} for every failure under /api/
fields.py    marshmallow fields that refuse what the database cannot hold
schemas.py   request and response schemas
tokens.py    API tokens (hashed): create, list, revoke, authenticate; cli.py: `flask tokens ...`
contracts.py metrics.py milestones.py management.py portfolio.py: the resources
"""
