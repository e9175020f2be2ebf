"""Writes to the member archive, one module per subject; everything is importable from here."""

from .archive import *  # noqa: F401,F403
from .archive import (  # noqa: F401
    AUDIT_FIELDS, EDITABLE_FIELDS, EXIT_STATUSES, MASKS, TRANSFER_OPEN, _audit_snapshot, _locked, _locked_org, org_refusal,
)
from .transfers import *  # noqa: F401,F403
from .transfers import _dues_paid_until  # noqa: F401
from .status import *  # noqa: F401,F403
from .discipline import *  # noqa: F401,F403
from .mobile import *  # noqa: F401,F403
