"""The system parameters of my_webhooks (`my_webhooks.<name>`): the one
place that says how each is read, its default and its bounds (see
my_api/lib/settings.py for what the columns mean). Read one with
`setting(env, name)`.
"""

from odoo.addons.my_api.public import Setting, Settings

from .lib.retry import parse_schedule

SETTINGS = Settings(
    "my_webhooks",
    # outbound: the delivery worker
    Setting("batch_size", "int", 50),  # attempts one run of the delivery cron starts
    Setting("worker_lanes", "int", 4, minimum=1),  # endpoints served in parallel
    # days a delivered row is kept (dead ones stay until resent or deleted)
    Setting("retention_days", "int", 30),
    # outbound: endpoints
    # targets allowed although private: comma-separated networks, addresses
    # and host names, each optionally with a port (see lib/outbound.py
    # parse_allow_list; an invalid list allows nothing and is logged)
    Setting("allowed_targets", "text", ""),
    # seconds between attempts of an endpoint without a schedule of its own
    Setting("retry_schedule", parse_schedule, parse_schedule("")),
    # hours an endpoint may keep failing before it is disabled
    Setting("disable_after_hours", "float", 24.0),
    # creations, changes and deletions of endpoints through the API, per
    # minute and user, and (for non-administrators) the JSON-2, XML-RPC and
    # web client changes that rewrite automation rules (0 or less: no limit)
    Setting("endpoint_write_limit", "int", 30, invalid="default"),
    # inbound: days a processed event is kept (0 or less: forever)
    Setting("event_retention_days", "int", 30),
)

setting = SETTINGS.get  # setting(env, name): the current value
