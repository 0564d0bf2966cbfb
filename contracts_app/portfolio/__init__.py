"""The portfolio feature: the chief data officer's pages over every contract.

``routes`` holds the views; the read models are ``queries`` (dashboard roll-ups, shared
subqueries), ``dashboard``, ``attention``, ``evidence``, ``scorecards`` and ``exports`` (CSV
rows); ``charts`` and ``scorecard_charts`` draw SVG; ``snapshots`` writes the monthly health
rows; ``forms`` and ``services`` are the closeout evaluation's form and command.
"""
from flask import Blueprint

bp = Blueprint("portfolio", __name__)
