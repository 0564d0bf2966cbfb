"""Disaggregation: city-wide dimensions (council district, age band, ...) with their groups,
the metrics that report by them, and the readings' values per group."""
from flask import Blueprint

bp = Blueprint("dimensions", __name__)
