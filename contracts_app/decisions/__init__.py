"""Renewal and option decisions (WWC RDC6): a contract's options, the decision tasks the sweep
opens before its end date and each option date, and the decisions recorded on them with the
performance summary they were made on.

``models`` holds the tables, ``summary`` the decision page's read model (and the token of what
it showed), ``services`` the commands, ``sweep`` the exactly-once claim the sweep calls.
"""
from flask import Blueprint

bp = Blueprint("decisions", __name__)
