"""The endpoints' health at a glance (kanban) and the deliveries' and inbound
events' graphs: what an administrator reads to see which integration fails."""

import itertools
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..models import webhook_endpoint
from .common import Receiver, WebhookCase

MANAGER_GROUPS = "base.group_user,my_webhooks.group_webhook_manager"
EVENT_NUMBERS = itertools.count()


@tagged("post_install", "-at_install")
class TestWebhookHealth(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="health_manager", groups=MANAGER_GROUPS)
        cls.now = fields.Datetime.now()

    def add_delivery(self, endpoint, state, attempts=()):
        """A delivery of `endpoint` in `state` with attempts (age in hours,
        status, duration in ms), as the worker leaves it."""
        # sudo: outbox rows and their attempts are the worker's to write
        delivery = (
            self.env["webhook.delivery"]
            .sudo()
            .create(
                {
                    "endpoint_id": endpoint.id,
                    "event_id": f"evt_health_{next(EVENT_NUMBERS)}",
                    "event": "create",
                    "model": "res.partner",
                    "res_id": 1,
                    "payload": "{}",
                    "state": state,
                    "attempt_count": len(attempts),
                    "last_duration_ms": attempts[-1][2] if attempts else None,
                }
            )
        )
        self.env["webhook.delivery.attempt"].sudo().create(
            [
                {
                    "delivery_id": delivery.id,
                    "attempt_no": no,
                    "date": self.now - timedelta(hours=hours),
                    "status_code": status,
                    "duration_ms": ms,
                }
                for no, (hours, status, ms) in enumerate(attempts, 1)
            ]
        )
        return delivery

    def make_known_endpoint(self, **vals):
        """An endpoint failing for an hour: in the last 24 h, 10 attempts of
        100 to 1000 ms, 7 answered 2xx; one older failed attempt; 2 pending,
        1 retrying, 1 dead delivery."""
        endpoint = self.make_endpoint(name="Known", **vals)
        endpoint.write(
            {
                "failing_since": self.now - timedelta(hours=1),
                "last_status": "500",
                "last_error": "HTTP 500",
            }
        )
        statuses = [200, 200, 201, 204, 200, 200, 200, 500, 502, 0]
        for i, status in enumerate(statuses):
            self.add_delivery(
                endpoint,
                "delivered" if status // 100 == 2 else "dead" if i == 9 else "retrying",
                [(1, status, 100 * (i + 1))],
            )
        self.add_delivery(endpoint, "delivered", [(25, 500, 9000), (1.5, 200, 1000)])
        self.add_delivery(endpoint, "pending")
        self.add_delivery(endpoint, "pending")
        # the old attempt is left out, the recent one of that delivery counted
        return endpoint

    def test_health_figures_of_an_endpoint_with_known_deliveries(self):
        endpoint = self.make_known_endpoint()
        self.assertEqual(endpoint.health_state, "failing")
        self.assertEqual(endpoint.health_attempt_count, 11)
        self.assertAlmostEqual(endpoint.health_success_rate, 8 / 11)
        # percentile_cont over 100, 200, ..., 1000, 1000: at 0.95 * 10 = 9.5,
        # between the 10th and 11th values (1000, 1000)
        self.assertEqual(endpoint.health_p95_ms, 1000)
        self.assertEqual(endpoint.health_backlog, 4)  # 2 pending, 2 retrying
        self.assertEqual(endpoint.health_dead_count, 1)
        self.assertEqual(endpoint.health_color, 2)  # orange: failing

    def test_health_p95_is_interpolated(self):
        endpoint = self.make_endpoint(name="Timed")
        for ms in range(100, 1001, 100):
            self.add_delivery(endpoint, "delivered", [(2, 200, ms)])
        # 0.95 * 9 = 8.55: 900 + 0.55 * 100
        self.assertEqual(endpoint.health_p95_ms, 955)
        self.assertEqual(endpoint.health_success_rate, 1.0)
        self.assertEqual((endpoint.health_state, endpoint.health_color), ("healthy", 10))

    def test_health_colours_say_which_need_attention(self):
        quiet = self.make_endpoint(name="Quiet")
        self.assertEqual((quiet.health_state, quiet.health_color), ("healthy", 10))
        self.assertEqual((quiet.health_attempt_count, quiet.health_p95_ms), (0, 0))
        known = self.make_known_endpoint()
        with patch.object(webhook_endpoint, "HEALTH_DEAD_ALERT", 1):
            known.invalidate_recordset()
            self.assertEqual((known.health_state, known.health_color), ("failing", 1))  # red
        with patch.object(webhook_endpoint, "HEALTH_BACKLOG_ALERT", 4):
            known.invalidate_recordset()
            self.assertEqual(known.health_color, 1)
        known.invalidate_recordset()
        self.assertEqual(known.health_color, 2)  # orange: failing, a few dead or waiting
        known.active = False
        self.assertEqual((known.health_state, known.health_color), ("disabled", 0))

    def test_health_figures_cover_only_the_endpoint_own_deliveries(self):
        known = self.make_known_endpoint()
        other = self.make_endpoint(name="Other")
        self.add_delivery(other, "dead", [(1, 500, 50)])
        self.assertEqual((other.health_dead_count, other.health_attempt_count), (1, 1))
        self.assertEqual(other.health_success_rate, 0.0)
        self.assertEqual(known.health_dead_count, 1)

    def test_health_manager_sees_only_own_endpoints_and_figures(self):
        own = self.make_known_endpoint(user_id=self.manager.id)
        foreign = self.make_endpoint(name="Admin's")
        self.add_delivery(foreign, "dead", [(1, 500, 50)])
        Endpoint = self.env["webhook.endpoint"].with_user(self.manager)
        result = Endpoint.with_context(active_test=False).web_search_read(
            [],
            {"name": {}, "health_state": {}, "health_backlog": {}, "health_dead_count": {}},
        )
        self.assertEqual([row["id"] for row in result["records"]], [own.id])
        row = result["records"][0]
        self.assertEqual(
            (row["health_state"], row["health_backlog"], row["health_dead_count"]),
            ("failing", 4, 1),
        )
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).read(["health_dead_count"])

    def test_health_figures_query_count_does_not_grow_with_endpoints(self):
        def queries(endpoints):
            endpoints.invalidate_model()
            endpoints = endpoints.browse(endpoints.ids)  # prefetching only these
            start = self.env.cr.sql_log_count
            endpoints.mapped("health_p95_ms")
            return self.env.cr.sql_log_count - start

        endpoints = self.make_known_endpoint()
        for i in range(4):
            endpoint = self.make_endpoint(name=f"More {i}")
            self.add_delivery(endpoint, "dead", [(1, 500, 10 * i)])
            endpoints |= endpoint
        self.env.flush_all()
        one = queries(endpoints[:1])
        self.assertEqual(queries(endpoints), one)
        self.assertLessEqual(one, 2)  # the endpoints' fields, the figures

    def test_health_kanban_is_the_default_view(self):
        action = self.env.ref("my_webhooks.webhook_endpoint_action")
        self.assertEqual(action.view_mode.split(",")[0], "kanban")
        arch = self.env["webhook.endpoint"].get_views([(False, "kanban")])["views"]["kanban"]
        for name in ("health_state", "health_success_rate", "health_p95_ms", "health_backlog"):
            self.assertIn(f'name="{name}"', arch["arch"])

    def test_health_graph_and_pivot_views_load(self):
        for model, types in (
            ("webhook.delivery", ("graph", "pivot", "list", "form")),
            ("webhook.event", ("graph", "pivot")),
            ("webhook.source", ("graph", "list")),
        ):
            views = self.env[model].get_views([(False, kind) for kind in types])["views"]
            self.assertEqual(set(views), set(types), model)
        for xml_id in ("webhook_delivery_action", "webhook_event_action"):
            modes = self.env.ref(f"my_webhooks.{xml_id}").view_mode.split(",")
            self.assertTrue({"graph", "pivot"} <= set(modes), xml_id)
        source_list = self.env["webhook.source"].get_views([(False, "list")])["views"]["list"]
        self.assertIn('name="last_rejected_reason"', source_list["arch"])

    def test_health_card_opens_the_endpoint_deliveries_graph(self):
        endpoint = self.make_endpoint()
        action = endpoint.action_view_delivery_graph()
        self.assertEqual(action["res_model"], "webhook.delivery")
        self.assertEqual(action["views"][0][1], "graph")
        self.assertEqual(action["domain"], [("endpoint_id", "=", endpoint.id)])

    def test_health_deliveries_grouped_by_endpoint_state_and_day(self):
        endpoint = self.make_known_endpoint()
        groups = self.env["webhook.delivery"]._read_group(
            [("endpoint_id", "=", endpoint.id)],
            ["endpoint_id", "state", "create_date:day"],
            ["__count", "attempt_count:sum", "last_duration_ms:avg"],
        )
        by_state = {state: figures for _endpoint, state, _day, *figures in groups}
        self.assertEqual(by_state["dead"], [1, 1, 1000])
        self.assertEqual(by_state["retrying"], [2, 2, 850])  # 800 and 900 ms
        self.assertEqual(by_state["pending"][:2], [2, 0])

    def test_health_last_duration_written_with_the_attempt(self):
        with Receiver([500]) as receiver:
            endpoint = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Timed"})
            self.deliver(rounds=1)
        delivery = self.deliveries(endpoint)
        delivery.invalidate_recordset()
        self.assertEqual(delivery.state, "retrying")
        self.assertEqual(delivery.last_duration_ms, delivery.attempt_ids.duration_ms)
        self.assertIsInstance(delivery.last_duration_ms, int)

    def test_health_upgrade_fills_last_duration_from_attempts(self):
        endpoint = self.make_endpoint()
        delivery = self.add_delivery(endpoint, "delivered", [(2, 500, 70), (1, 200, 30)])
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE webhook_delivery SET last_duration_ms = NULL"))
        self.env["webhook.delivery"]._fill_last_duration()
        self.env.cr.execute(
            SQL("SELECT last_duration_ms FROM webhook_delivery WHERE id = %s", delivery.id)
        )
        self.assertEqual(self.env.cr.fetchone()[0], 30)
