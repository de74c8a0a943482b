"""Odoo's own `/web/hook/<uuid>` route, closed to the rules of this module.

base_automation runs any rule whose uuid is in the URL, for anyone, with no
signature. A rule that handles a webhook source's events must run only for
deliveries whose signature was verified, and a rule that sends signed
webhooks (an endpoint's) only when its records change: this route refuses
both with the 404 of an unknown uuid, running nothing and telling nothing.
Every other rule keeps Odoo's behaviour.
"""

import logging

from odoo import http
from odoo.http import request

from odoo.addons.base_automation.controllers.main import BaseAutomationController

_logger = logging.getLogger(__name__)


class WebhookNativeHookController(BaseAutomationController):
    @http.route()
    def call_webhook_http(self, rule_uuid, **kwargs):
        # sudo: the route is public, like Odoo's own; the rule is only looked up
        rules = request.env["base.automation"].sudo().search([("webhook_uuid", "=", rule_uuid)])
        if rules and request.env["webhook.source"]._webhook_native_hook_refused(rules):
            _logger.info("/web/hook/ refused for automation rule(s) %s: webhook rules", rules.ids)
            return request.make_json_response({"status": "error"}, status=404)
        return super().call_webhook_http(rule_uuid, **kwargs)
