import datetime

from odoo import api, fields, models

THRESHOLDS = (14, 3)  # days before expiry


class ApikeyExpiryReminder(models.Model):
    """Which expiry reminders were sent: one per key and threshold."""

    _name = "apikey.expiry.reminder"
    _description = "API Key Expiry Reminder"
    _log_access = False

    key_id = fields.Integer(required=True, readonly=True, index=True)
    threshold = fields.Integer("Days Before Expiry", required=True, readonly=True)
    sent_at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)

    _key_threshold_unique = models.Constraint(
        "UNIQUE(key_id, threshold)", "One reminder per key and threshold."
    )

    @api.model
    def _cron_remind(self):
        """Post an activity (mailed to the assignee where mail is set up)
        14 and 3 days before an API key expires; the most urgent threshold
        only, once each."""
        now = fields.Datetime.now()
        keys = (
            self.env["res.users.apikeys"]
            .sudo()
            .search(
                [
                    ("expiration_date", ">", now),
                    ("expiration_date", "<=", now + datetime.timedelta(days=max(THRESHOLDS))),
                ]
            )
        )
        sent = {(r.key_id, r.threshold) for r in self.search([("key_id", "in", keys.ids)])}
        todo = self.env.ref("mail.mail_activity_data_todo")
        for key in keys:
            left = key.expiration_date - now
            due = [t for t in THRESHOLDS if left <= datetime.timedelta(days=t)]
            if (key.id, min(due)) in sent:
                continue  # the most urgent reminder due was already sent
            self.create(
                [{"key_id": key.id, "threshold": t} for t in due if (key.id, t) not in sent]
            )
            user = key.user_id
            user.partner_id.activity_schedule(
                activity_type_id=todo.id,
                user_id=user._api_key_responsible().id,
                date_deadline=(key.expiration_date - datetime.timedelta(days=1)).date(),
                summary=self.env._(
                    "API key %(name)s of %(login)s expires on %(date)s: rotate it",
                    name=key.name,
                    login=user.login,
                    date=key.expiration_date.date(),
                ),
            )
        return True
