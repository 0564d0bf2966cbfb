"""Evidence files: PDF, spreadsheets, documents and images attached to a contract, a reading,
a check-in or a vendor submission; type checked from the content, stored under generated names,
served only to those who may see their record."""
from flask import Blueprint

bp = Blueprint("attachments", __name__)
