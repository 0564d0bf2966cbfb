from contracts_app.metrics import bp  # noqa: F401
