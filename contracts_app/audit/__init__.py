from flask import Blueprint

bp = Blueprint("audit", __name__)

from contracts_app.audit import routes  # noqa: E402,F401
