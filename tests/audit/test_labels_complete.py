"""Every table's columns and every model have a label in the catalogue (audit.readable), so the
audit log never shows a column name made into words that no translation can reach."""
import contracts_app.models  # noqa: F401  (every model registered)
from contracts_app.audit import readable
from contracts_app.extensions import db


def test_every_model_and_column_has_a_label(app):
    missing = []
    for mapper in db.Model.registry.mappers:
        if mapper.class_.__name__.lower() not in readable.ENTITY_LABELS:
            missing.append(mapper.class_.__name__)
        missing += [f"{mapper.class_.__name__}.{column.key}" for column in mapper.columns
                    if column.key not in readable.LABELS and column.key not in readable.FIELD_LABELS]
    assert missing == []
