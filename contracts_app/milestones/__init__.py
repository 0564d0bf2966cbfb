from flask import Blueprint

bp = Blueprint("milestones", __name__)

from contracts_app.milestones import routes  # noqa: E402,F401
