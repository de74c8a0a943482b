import json
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WebhookCase


@tagged("post_install", "-at_install")
class TestWebhookOutbox(WebhookCase):
    """The automation rule of an endpoint writes outbox rows with the change."""

    def test_create_writes_one_delivery_with_frozen_payload(self):
        endpoint = self.make_endpoint()
        partner = self.env["res.partner"].create({"name": "Frozen", "email": "f@example.com"})
        delivery = self.deliveries(endpoint)
        self.assertEqual(len(delivery), 1)
        self.assertEqual(
            (delivery.event, delivery.model, delivery.res_id, delivery.state),
            ("create", "res.partner", partner.id, "pending"),
        )
        body = json.loads(delivery.payload)
        self.assertEqual(set(body), {"id", "event", "model", "timestamp", "data"})
        self.assertEqual(body["id"], delivery.event_id)
        self.assertEqual(body["data"]["name"], "Frozen")
        self.assertEqual(body["data"]["email"], "f@example.com")
        self.assertTrue(body["timestamp"].endswith("Z"))
        partner.name = "Changed later"
        self.assertEqual(json.loads(delivery.payload)["data"]["name"], "Frozen")

    def test_domain_filter_excludes_non_matching_records(self):
        endpoint = self.make_endpoint(domain="[('is_company', '=', True)]")
        self.env["res.partner"].create([{"name": "Person"}, {"name": "Co", "is_company": True}])
        self.assertEqual(
            [json.loads(d.payload)["data"]["name"] for d in self.deliveries(endpoint)], ["Co"]
        )

    def test_write_fires_only_when_a_watched_field_changes(self):
        partner = self.env["res.partner"].create({"name": "Watched"})
        endpoint = self.make_endpoint(trigger="write", watched_field_ids=[self.field("email").id])
        partner.phone = "+32 2 000 00 00"
        self.assertFalse(self.deliveries(endpoint))
        partner.email = "w@example.com"
        delivery = self.deliveries(endpoint)
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.event, "write")
        self.assertEqual(json.loads(delivery.payload)["data"]["email"], "w@example.com")

    def test_unlink_payload_is_read_before_deletion(self):
        partner = self.env["res.partner"].create({"name": "Gone soon"})
        endpoint = self.make_endpoint(trigger="unlink")
        partner_id = partner.id
        partner.unlink()
        delivery = self.deliveries(endpoint)
        self.assertEqual((delivery.event, delivery.res_id), ("unlink", partner_id))
        self.assertEqual(json.loads(delivery.payload)["data"]["name"], "Gone soon")

    def test_bulk_create_one_delivery_per_record(self):
        endpoint = self.make_endpoint()
        partners = self.env["res.partner"].create([{"name": f"Bulk {i}"} for i in range(30)])
        deliveries = self.deliveries(endpoint)
        self.assertEqual(sorted(deliveries.mapped("res_id")), sorted(partners.ids))
        self.assertEqual(len(set(deliveries.mapped("event_id"))), 30)

    def test_bulk_create_queries_do_not_grow_per_record(self):
        """The outbox rows of a batch are built with one read and one insert."""
        self.make_endpoint()
        Partner = self.env["res.partner"]
        Partner.create([{"name": "warm up"}])
        self.env.flush_all()

        def count(n):
            before = self.cr.sql_log_count
            Partner.create([{"name": f"Q {i}"} for i in range(n)])
            self.env.flush_all()
            return self.cr.sql_log_count - before

        small, large = count(5), count(50)
        self.env["webhook.endpoint"].search([]).active = False
        small_none, large_none = count(5), count(50)
        # what the endpoint adds to a create of 50 is no more than to a create of 5
        self.assertLessEqual((large - large_none) - (small - small_none), 5)

    def test_payload_fields_render_relations_as_id_and_name(self):
        parent = self.env["res.partner"].create({"name": "Parent Co", "is_company": True})
        category = self.env["res.partner.category"].create({"name": "VIP"})
        endpoint = self.make_endpoint(
            payload_field_ids=[
                self.field("name").id,
                self.field("parent_id").id,
                self.field("category_id").id,
            ]
        )
        child = self.env["res.partner"].create(
            {"name": "Child", "parent_id": parent.id, "category_id": [category.id]}
        )
        data = json.loads(self.deliveries(endpoint).payload)["data"]
        self.assertEqual(
            data,
            {
                "id": child.id,
                "display_name": child.display_name,
                "name": "Child",
                "parent_id": {"id": parent.id, "name": "Parent Co"},
                "category_id": [{"id": category.id, "name": "VIP"}],
                "company": None,  # a shared partner
            },
        )

    def test_payload_timestamps_carry_z(self):
        """A receiver parses `data` timestamps as UTC without guessing: the
        same wire format as /api/v1 (seconds, Z), dates stay dates."""
        endpoint = self.make_endpoint(
            payload_field_ids=[self.field("name").id, self.field("write_date").id]
        )
        partner = self.env["res.partner"].create({"name": "Stamped"})
        body = json.loads(self.deliveries(endpoint).payload)
        stamp = body["data"]["write_date"]
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(stamp, partner.write_date.isoformat(timespec="seconds") + "Z")
        self.assertRegex(body["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_rule_is_created_updated_and_deleted_with_the_endpoint(self):
        endpoint = self.make_endpoint()
        rule = endpoint.automation_id
        self.assertEqual(rule.trigger, "on_create")
        self.assertEqual(rule.action_server_ids.state, "webhook_signed")
        self.assertEqual(rule.action_server_ids.webhook_endpoint_id, endpoint)
        endpoint.write(
            {
                "trigger": "write",
                "domain": "[('is_company', '=', True)]",
                "watched_field_ids": [self.field("email").id],
            }
        )
        self.assertEqual(rule.trigger, "on_write")
        self.assertEqual(rule.filter_domain, "[('is_company', '=', True)]")
        self.assertEqual(rule.trigger_field_ids, self.field("email"))
        endpoint.active = False
        self.assertFalse(rule.active)
        action = rule.action_server_ids
        endpoint.unlink()
        self.assertFalse(rule.exists())
        self.assertFalse(action.exists())

    def test_inactive_endpoint_enqueues_nothing(self):
        endpoint = self.make_endpoint(active=False)
        self.env["res.partner"].create({"name": "Nobody hears"})
        self.assertFalse(self.deliveries(endpoint))

    def test_send_signed_webhook_action_on_any_rule(self):
        endpoint = self.make_endpoint(trigger="unlink")  # its own rule will not fire on create
        self.env["base.automation"].create(
            {
                "name": "Companies to the shop",
                "model_id": self.partner_model.id,
                "trigger": "on_create",
                "filter_domain": "[('is_company', '=', True)]",
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Send",
                            "model_id": self.partner_model.id,
                            "state": "webhook_signed",
                            "webhook_endpoint_id": endpoint.id,
                        },
                    )
                ],
            }
        )
        company = self.env["res.partner"].create({"name": "Co", "is_company": True})
        self.env["res.partner"].create({"name": "Person"})
        delivery = self.deliveries(endpoint)
        self.assertEqual((delivery.event, delivery.res_id), ("create", company.id))

    def test_send_signed_webhook_action_run_by_hand(self):
        endpoint = self.make_endpoint(trigger="unlink")
        action = self.env["ir.actions.server"].create(
            {
                "name": "Push to the shop",
                "model_id": self.partner_model.id,
                "state": "webhook_signed",
                "webhook_endpoint_id": endpoint.id,
            }
        )
        partners = self.env["res.partner"].create([{"name": "Hand 1"}, {"name": "Hand 2"}])
        action.with_context(active_model="res.partner", active_ids=partners.ids).run()
        deliveries = self.deliveries(endpoint)
        self.assertEqual(deliveries.mapped("event"), ["action", "action"])
        self.assertEqual(sorted(deliveries.mapped("res_id")), sorted(partners.ids))

    def test_rollback_to_savepoint_leaves_no_delivery(self):
        endpoint = self.make_endpoint()
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self.env["res.partner"].create({"name": "Rolled back"})
            self.assertEqual(len(self.deliveries(endpoint)), 1)
            raise ZeroDivisionError
        self.env.invalidate_all()
        self.assertFalse(self.deliveries(endpoint))

    def test_send_test_event_queues_a_test_delivery(self):
        endpoint = self.make_endpoint()
        endpoint.action_send_test_event()
        delivery = self.deliveries(endpoint)
        self.assertEqual(delivery.event, "test")
        self.assertTrue(json.loads(delivery.payload)["data"]["test"])


@tagged("post_install", "-at_install")
class TestWebhookEndpointSettings(WebhookCase):
    def test_private_targets_refused_unless_allowed(self):
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "")
        for url in (
            "http://127.0.0.1:8069/hook",
            "http://10.1.2.3/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://localhost/hook",
            "ftp://example.com/hook",
        ):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.make_endpoint(url=url)
        self.env["ir.config_parameter"].set_param("my_webhooks.allowed_targets", "10.1.0.0/16")
        self.assertTrue(self.make_endpoint(url="http://10.1.2.3/hook"))

    def test_custom_headers_cannot_override_signatures(self):
        endpoint = self.make_endpoint(custom_headers="Authorization: Bearer abc\nX-Tenant: 7")
        self.assertEqual(
            endpoint._parse_custom_headers(), {"Authorization": "Bearer abc", "X-Tenant": "7"}
        )
        for bad in ("X-Odoo-Signature: sha256=forged", "webhook-id: 1", "no colon here"):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                endpoint.custom_headers = bad

    def test_rotation_signs_with_both_secrets_during_the_overlap(self):
        endpoint = self.make_endpoint(rotation_overlap_hours=2)
        old = endpoint.secret
        endpoint.action_rotate_secret()
        self.assertNotEqual(endpoint.secret, old)
        self.assertEqual(endpoint._signing_secrets(), [endpoint.secret, old])
        after_overlap = endpoint.previous_secret_expires_at + timedelta(seconds=1)
        self.assertEqual(endpoint._signing_secrets(after_overlap), [endpoint.secret])

    def test_retry_schedule_is_shown(self):
        self.env["ir.config_parameter"].set_param("my_webhooks.retry_schedule", "60,300")
        endpoint = self.make_endpoint(max_attempts=4)
        self.assertEqual(endpoint.retry_schedule_display, "now, 1 min, 6 min, 11 min")


@tagged("post_install", "-at_install")
class TestWebhookOpenApi(WebhookCase):
    def test_openapi_document_describes_the_outbound_event(self):
        document = self.env["api.resource"]._api_openapi_document("http://odoo.example.com")
        post = document["webhooks"]["recordEvent"]["post"]
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
        self.assertTrue(
            {"webhook-id", "webhook-timestamp", "webhook-signature", "X-Odoo-Signature"} <= headers
        )
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        self.assertEqual(schema["required"], ["id", "event", "model", "timestamp", "data"])
