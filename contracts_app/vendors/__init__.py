"""Vendor contacts: access to their own vendor's contracts, and the readings they submit for
a contract manager to verify."""
from flask import Blueprint

bp = Blueprint("vendors", __name__)
