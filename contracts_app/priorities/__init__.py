from flask import Blueprint

bp = Blueprint("priorities", __name__)
