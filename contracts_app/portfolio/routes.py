from contracts_app.portfolio import bp  # noqa: F401
from contracts_app.portfolio import scorecards  # noqa: F401
from contracts_app.portfolio import attention, evidence, exports  # noqa: F401
from contracts_app.portfolio import dashboard  # noqa: F401
