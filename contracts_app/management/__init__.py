from flask import Blueprint

bp = Blueprint("management", __name__)
