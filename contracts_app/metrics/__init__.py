from flask import Blueprint

bp = Blueprint("metrics", __name__)

from contracts_app.metrics import routes  # noqa: E402,F401
