"""Contract templates: a proven contract's design, saved, shared between cities and reused."""
from flask import Blueprint

bp = Blueprint("designs", __name__)
