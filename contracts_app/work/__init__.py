"""My work: each signed-in person's own next steps (readings, check-ins, action items, flags)."""
from flask import Blueprint

bp = Blueprint("work", __name__)
