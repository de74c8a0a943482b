"""What an addon built on my_api may use: the one module it imports from.

my_webhooks and my_oauth_provider import from here (and, in their tests,
from `odoo.addons.my_api.public.testing`), never from my_api's other
modules, whose names may change without notice. A name a sibling needs
is added here, with its meaning in readme/DEVELOP.md. Models are extended
through the ORM as usual (`_inherit = "api.resource"`, the
`ir.http._api_authenticate_bearer` hook); this module holds the Python
names only.
"""

from ..controllers.main import API_ROUTE, readonly_reads, require_method
from ..controllers.main import _check_scope as check_scope
from ..core import (
    API_PREFIX,
    ApiError,
    Credential,
    api_endpoint,
    current_context,
    ensure_context,
    idempotency_checkpoint,
    json_response,
    once_per_request,
    parse_datetime,
    read_committed,
    read_json_body,
    request_body,
    side_execute,
    side_execute_logged,
    to_json_value,
    validation_error,
)
from ..lib import schema as s
from ..lib.settings import Setting, Settings
from ..lib.timestamps import DATE_FILTER_RULE
from ..models.api_resource import eq, ilike
from ..models.ir_http import clear_apikey_cache, unauthorized

__all__ = [
    "API_PREFIX",
    "API_ROUTE",
    "DATE_FILTER_RULE",
    "ApiError",
    "Credential",
    "Setting",
    "Settings",
    "api_endpoint",
    "check_scope",
    "clear_apikey_cache",
    "current_context",
    "ensure_context",
    "eq",
    "idempotency_checkpoint",
    "ilike",
    "json_response",
    "once_per_request",
    "parse_datetime",
    "read_committed",
    "read_json_body",
    "readonly_reads",
    "request_body",
    "require_method",
    "s",
    "side_execute",
    "side_execute_logged",
    "to_json_value",
    "unauthorized",
    "validation_error",
]
