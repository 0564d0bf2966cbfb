from datetime import datetime, timezone

import pytest

from contracts_app.audit.models import AuditEvent


@pytest.fixture
def make_event(db):
    """make_event(actor, action="update", entity_type="priority", entity_id=1, created_at=..., **kw)."""

    def make(actor=None, action="update", entity_type="priority", entity_id=1, created_at=None, **kw):
        event = AuditEvent(
            actor_id=actor.id if actor is not None else None,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            created_at=created_at or datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc),
            summary=kw.pop("summary", f"{action} {entity_type} {entity_id}"),
            **kw,
        )
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def admin_client(client_as):
    return client_as("admin")
