"""Import every feature's models so that the metadata (and Alembic) sees them all."""
from contracts_app.audit.models import AuditEvent  # noqa: F401
from contracts_app.auth.models import SignInFailure, User  # noqa: F401
from contracts_app.contracts.models import Contract, Vendor  # noqa: F401
from contracts_app.milestones.models import Milestone  # noqa: F401
from contracts_app.metrics.models import Metric, MetricTarget, Reading, ReadingRevision  # noqa: F401
from contracts_app.priorities.models import Priority, contract_priorities  # noqa: F401
from contracts_app.management.models import ActionItem, CheckIn, Flag, checkin_flags  # noqa: F401
from contracts_app.notifications.models import Notification  # noqa: F401
from contracts_app.portfolio.models import CloseoutEvaluation, HealthSnapshot  # noqa: F401
from contracts_app.api.models import ApiToken  # noqa: F401
from contracts_app.imports.models import ImportUpload  # noqa: F401
from contracts_app.vendors.models import VendorAccess, VendorInvitation, VendorSubmission  # noqa: F401
from contracts_app.attachments.models import Attachment  # noqa: F401
from contracts_app.operations.models import JobHeartbeat  # noqa: F401
from contracts_app.publish.models import PortalPush  # noqa: F401
from contracts_app.payments.models import (  # noqa: F401
    PaymentRule, PaymentRuleMetric, PaymentStatement, PaymentStatementLine, PaymentTerms,
)
from contracts_app.spend.models import Payment  # noqa: F401
from contracts_app.amendments.models import Amendment  # noqa: F401
from contracts_app.decisions.models import ContractOption, DecisionTask, RenewalDecision  # noqa: F401
from contracts_app.designs.models import ContractTemplate  # noqa: F401
from contracts_app.dimensions.models import Dimension, DimensionGroup, ReadingGroupValue, metric_dimensions  # noqa: F401
