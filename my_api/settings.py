"""The system parameters of my_api (`my_api.<name>`): the one place that
says how each is read, its default and its bounds (see lib/settings.py
for what the columns mean). Read one with `setting(env, name)`;
Settings > Technical > REST API > Configuration shows them (its fields
take their key and default from here).
"""

from .lib.documents import DEFAULT_MIMETYPES, parse_mimetypes
from .lib.settings import Setting, Settings


def _flag(text):
    """A yes/no parameter: True, 1, yes, on or False, 0, no, off (any case);
    any other text is unreadable (ValueError)."""
    word = text.strip().lower()
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"not a yes/no value: {text!r}")


SETTINGS = Settings(
    "my_api",
    # the largest request body accepted, in bytes
    Setting("max_body_bytes", "int", 1048576, minimum=0, invalid="default"),
    # the largest page a list may ask for (the default page is 50)
    Setting("max_page_size", "digits", 200, minimum=1, out_of_bounds="default"),
    # an offset page's total is exact up to this many records, a lower
    # bound above (unless the call asks for count=exact); 0: always exact.
    # As Odoo's web client counts.
    Setting("count_limit", "digits", 10000),
    # seconds a worker trusts an API key it verified (see models/ir_http.py)
    Setting("apikey_cache_ttl", "int", 30, minimum=0, invalid="default"),
    # refuse API keys without an expiry date (401 key_without_expiry). On
    # unless set: a new database refuses them; an upgrade from 19.0.1.0.0
    # stores False (migrations/19.0.1.1.0), so existing integrations keep
    # working until an administrator turns it on. Unreadable text: on.
    Setting("refuse_keys_without_expiry", _flag, True, invalid="default"),
    # requests per window and credential (0: no limit), unless an
    # api.rate.limit rule says otherwise
    Setting("rate_limit", "int", 600),
    Setting("rate_limit_window", "int", 60, minimum=1),  # seconds
    # requests per minute and client address without a valid credential (0: no limit)
    Setting("rate_limit_anonymous", "int", 60, minimum=0, invalid="default"),
    # which requests the request log keeps: all, errors or none (any other
    # text logs all of them)
    Setting("request_log", "text", "all"),
    Setting("request_log_days", "int", 30),  # days a request log line is kept
    # the file types an upload to /<resource>/<id>/attachments may have,
    # separated by commas; HTML, SVG, XML and scripts never (lib/documents.py)
    Setting("attachment_mimetypes", parse_mimetypes, DEFAULT_MIMETYPES),
    # days the change log behind GET /<resource>/changes is kept; a cursor
    # older than that is answered 410 (resync)
    Setting("changes_retention_days", "int", 30, minimum=1, invalid="default"),
)

setting = SETTINGS.get  # setting(env, name): the current value
