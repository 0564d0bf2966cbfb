from contracts_app.portfolio import bp  # noqa: F401
