"""Settings the app refuses to start with."""
import pytest

from config import TestingConfig, check_settings
from config.settings import DEFAULT_OCID_PREFIX, ProductionConfig
from contracts_app import create_app


@pytest.mark.parametrize("prefix", ["ocds-a1b2c3", "ocds-rdctrk", "ocds-213czf"])
def test_it_accepts_a_registered_shape_of_ocid_prefix(prefix):
    check_settings({"OCDS_OCID_PREFIX": prefix})


@pytest.mark.parametrize("prefix", ["", "ocds-abc", "ocds-abcdefg", "OCDS-A1B2C3", "ocds_a1b2c3", "a1b2c3", "ocds-a1b2c3-"])
def test_it_refuses_any_other_ocid_prefix(prefix):
    with pytest.raises(RuntimeError, match="OCDS_OCID_PREFIX must be 'ocds-' and six lower-case letters or digits"):
        check_settings({"OCDS_OCID_PREFIX": prefix})


def test_the_app_does_not_start_with_a_bad_prefix():
    with pytest.raises(RuntimeError, match="OCDS_OCID_PREFIX"):
        create_app({k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()} | {"OCDS_OCID_PREFIX": "ocds-12"})


def test_production_refuses_the_example_prefix(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/rdc")
    assert ProductionConfig.OCDS_OCID_PREFIX == DEFAULT_OCID_PREFIX
    with pytest.raises(RuntimeError, match="OCDS_OCID_PREFIX must be set in production"):
        ProductionConfig.check()
    monkeypatch.setattr(ProductionConfig, "OCDS_OCID_PREFIX", "ocds-a1b2c3")
    ProductionConfig.check()
