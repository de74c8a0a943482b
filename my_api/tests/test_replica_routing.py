"""Routes that write never run on a read replica's cursor.

With `db_replica_host` set, Odoo serves a route declared read-only on a
cursor of the replica, where any write fails; an `auth="none"` route is
read-only unless it says otherwise. The suite declares its read-only
routes one by one (or by a callable that says so per request); a read-only
route that Odoo lets a write method reach must refuse it (405).
"""

from odoo.tests import HttpCase, tagged

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SUITE = ("odoo.addons.my_api", "odoo.addons.my_webhooks", "odoo.addons.my_oauth_provider")


@tagged("post_install", "-at_install")
class TestReplicaRouting(HttpCase):
    def test_no_route_of_the_suite_that_accepts_a_write_is_read_only(self):
        checked, read_only = [], []
        for rule in self.env["ir.http"].routing_map().iter_rules():
            module = getattr(getattr(rule.endpoint, "func", None), "__module__", None) or ""
            if not module.startswith(SUITE):
                continue
            routing = rule.endpoint.routing
            if not set(routing.get("methods") or WRITE_METHODS) & WRITE_METHODS:
                continue
            checked.append(rule.rule)
            readonly = routing.get("readonly")
            if not (readonly is False or callable(readonly)):
                read_only.append(rule.rule)
        self.assertIn("/api/v1/webhooks/<string:source>", checked)
        self.assertIn("/oauth2/token", checked)
        self.assertIn("/api/v1/<string:resource_path>", checked)
        for path in read_only:
            self.assertNotIn("<", path, f"{path} takes writes on a read-only cursor")
            response = self.url_open(path, data=b"{}", headers={"Content-Type": "application/json"})
            self.assertEqual(
                response.status_code, 405, f"{path} takes writes on a read-only cursor"
            )
