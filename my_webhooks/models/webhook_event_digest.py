"""The bodies a source received lately, to recognise a replay under a new id.

Generic, Shopify and GitHub sign the raw body only: whoever captured one
delivery (a proxy's log, a leaked request dump) can post it again with a new
`X-Shopify-Webhook-Id` or `X-GitHub-Delivery`, and the signature still
matches. The event id cannot tell that replay from a new delivery; the body
can. Intake records the SHA-256 of each body of these schemes here, in the
statement that stores its event (services/intake.py), and a body whose digest
this source received within its replay window is answered as a duplicate,
whatever its id says.

A table of its own rather than a column of the event: the event log is
vacuumed on its own terms (`my_webhooks.event_retention_days`, possibly
shorter than the window, or at once when an administrator deletes events)
while a digest must stay for its whole window. Rows are small and one per
distinct body; the unique index decides, in PostgreSQL, which of several
concurrent identical bodies is the original.
"""

from odoo import api, fields, models
from odoo.tools import SQL


class WebhookEventDigest(models.Model):
    """The digest of one body received by a source, kept for its replay window."""

    _name = "webhook.event.digest"
    _description = "Inbound Webhook Body Digest"
    _log_access = False  # written by intake's raw SQL only, one lean row per body
    _rec_name = "digest"

    source_id = fields.Many2one("webhook.source", required=True, ondelete="cascade", readonly=True)
    digest = fields.Char(required=True, readonly=True, help="SHA-256 (hex) of the raw body.")
    event_id = fields.Char(
        "Event ID", readonly=True, help="Id of the event this body was first received as."
    )
    received_at = fields.Datetime(required=True, readonly=True, index=True)

    _source_digest_uniq = models.Constraint(
        "UNIQUE(source_id, digest)", "This source already received this body."
    )

    @api.autovacuum
    def _gc_expired_digests(self):
        """Delete the digests older than their source's replay window (a
        source without a window keeps none). Events may be gone before:
        this table, not the event log, bounds replays."""
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM webhook_event_digest d
                 USING webhook_source s
                 WHERE s.id = d.source_id
                   AND d.received_at < (now() AT TIME ZONE 'UTC')
                                       - make_interval(hours => COALESCE(s.replay_window_hours, 0))
                """
            )
        )
