"""What residents and anyone else may see without signing in, under /public: for now the
published open data files (the public site's pages join them here)."""
from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/public")
