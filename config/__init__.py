"""Settings classes, every value read from the environment with a safe default.

Pick one with ``RDC_CONFIG`` (development, testing, production) or pass a class or a mapping
to ``create_app``.
"""
from config.settings import (  # noqa: F401
    BaseConfig,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    check_settings,
    config_from_env,
)
