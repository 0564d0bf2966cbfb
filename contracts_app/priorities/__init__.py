from flask import Blueprint

bp = Blueprint("priorities", __name__)

from contracts_app.priorities import routes  # noqa: E402,F401
