"""CSV bulk import of contracts and their metrics."""
from flask import Blueprint

bp = Blueprint("imports", __name__)
