"""Operating the app: the scheduler's heartbeat, the operations page for admins, /healthz,
/metrics, request logging and ids, and database backups."""
from flask import Blueprint

bp = Blueprint("operations", __name__)
