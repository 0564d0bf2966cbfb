"""Payments: terms, rules and statements computed from the readings."""
from flask import Blueprint

bp = Blueprint("payments", __name__)
