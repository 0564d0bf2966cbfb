"""Spend against the ceiling: payments made on a contract, and what they project."""
from flask import Blueprint

bp = Blueprint("spend", __name__)
