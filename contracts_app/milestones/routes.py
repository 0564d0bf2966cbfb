from contracts_app.milestones import bp  # noqa: F401
