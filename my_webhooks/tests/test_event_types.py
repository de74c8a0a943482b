import json
from unittest.mock import patch

import jsonschema

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..lib import events
from ..models.webhook_endpoint import _json_default
from .common import WebhookCase

REQUIRED_TYPES = {
    "sale.order.created",
    "sale.order.confirmed",
    "sale.order.cancelled",
    "account.move.posted",
    "account.move.paid",
    "stock.picking.done",
    "res.partner.created",
    "res.partner.updated",
    "res.partner.deleted",
    "product.product.updated",
    "stock.quant.changed",
    "ping",
}


def catalog_schemas(env):
    return {entry["type"]: entry for entry in env["api.resource"]._api_event_catalog()["data"]}


@tagged("post_install", "-at_install")
class TestEventTypes(WebhookCase):
    """Business events: the catalog, endpoints subscribed to event types,
    one automation rule per type, payloads as the resources render them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.customer = cls.env["res.partner"].create({"name": "Event Customer"})
        cls.service = cls.env["product.product"].create(
            {"name": "Event Service", "type": "service", "list_price": 10.0}
        )
        cls.widget = cls.env["product.product"].create(
            {"name": "Event Widget", "default_code": "EVT-1", "is_storable": True}
        )

    def subscribe(self, names, **vals):
        return self.env["webhook.endpoint"].create(
            {
                "name": "Business events",
                "url": "http://127.0.0.1:9/hook",
                "event_types": ",".join(names),
                **vals,
            }
        )

    def as_json(self, resource, record):
        """The row a GET answers, as JSON reads it back."""
        return json.loads(
            json.dumps(resource._api_rows(record, detail=True)[0], default=_json_default)
        )

    def commit_events(self):
        """What a commit does first: flush, then the precommit hooks that
        enqueue the business events of the transaction."""
        self.env.cr.flush()

    def new_payloads(self, endpoint, seen):
        """Payloads of `endpoint` not in `seen` (ids), as {type: [payload]}."""
        self.commit_events()
        found = {}
        for delivery in self.deliveries(endpoint):
            if delivery.id in seen:
                continue
            seen.add(delivery.id)
            found.setdefault(delivery.event, []).append(json.loads(delivery.payload))
        return found

    def test_catalog_lists_every_type_with_its_schema_and_an_example(self):
        catalog = self.env["api.resource"]._api_event_catalog()
        entries = {entry["type"]: entry for entry in catalog["data"]}
        self.assertLessEqual(REQUIRED_TYPES, set(entries))
        self.assertEqual(catalog["current_version"], events.CURRENT_VERSION)
        for name, entry in entries.items():
            schema = entry["schema"]
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema.validate(entry["example"], schema)
            self.assertEqual(entry["example"]["type"], name)
            self.assertEqual(set(entry["versions"]), set(events.PAYLOAD_VERSIONS))
        # data is the resource's row schema, the one of the OpenAPI document
        document = self.env["api.resource"]._api_openapi_document("http://x")
        partner_data = entries["res.partner.created"]["schema"]["properties"]["data"]
        self.assertEqual(
            set(partner_data["properties"]),
            set(document["components"]["schemas"]["Partner"]["properties"]),
        )
        self.assertIn("/event-types", document["paths"])

    def test_every_event_type_fires_once_with_the_resource_rendering(self):
        endpoint = self.subscribe(sorted(REQUIRED_TYPES - {"ping"}))
        schemas = catalog_schemas(self.env)
        seen = set()
        got = {}

        def step(expected, action):
            action()
            payloads = self.new_payloads(endpoint, seen)
            self.assertEqual(len(payloads.get(expected, [])), 1, (expected, list(payloads)))
            for name, bodies in payloads.items():
                for body in bodies:
                    jsonschema.validate(body, schemas[name]["schema"])
                    self.assertEqual(body["version"], "1")
                    self.assertTrue(body["id"].startswith("evt_"))
                got.setdefault(name, []).extend(bodies)
            return payloads[expected][0]

        Partner = self.env["res.partner"]
        body = step("res.partner.created", lambda: Partner.create({"name": "Evented"}))
        partner = Partner.browse(body["data"]["id"])
        self.assertEqual(
            body["data"], self.as_json(self.env["api.resource.partner"], partner), "as GET"
        )
        step("res.partner.updated", lambda: partner.write({"phone": "+32 2 555 01 01"}))
        partner_row = self.as_json(self.env["api.resource.partner"], partner)
        body = step("res.partner.deleted", partner.unlink)
        self.assertEqual(body["data"], partner_row, "its last rendering")

        order = self.env["sale.order"]
        holder = {}

        def create_order():
            holder["order"] = order.create(
                {
                    "partner_id": self.customer.id,
                    "order_line": [Command.create({"product_id": self.service.id})],
                }
            )

        body = step("sale.order.created", create_order)
        order = holder["order"]
        self.assertEqual(body["data"], self.as_json(self.env["api.resource.order"], order))
        body = step("sale.order.confirmed", order.action_confirm)
        self.assertEqual(body["data"]["state"], "sale")
        step("sale.order.cancelled", order._action_cancel)

        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": 100.0})
                ],
            }
        )
        body = step("account.move.posted", invoice.action_post)
        self.assertEqual(body["data"]["id"], invoice.id)

        def pay():
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create({})._create_payments()

        step("account.move.paid", pay)

        step("product.product.updated", lambda: self.widget.write({"name": "Event Widget II"}))
        step(
            "stock.quant.changed",
            lambda: self.env["stock.quant"]._update_available_quantity(
                self.widget, self.warehouse.lot_stock_id, 20
            ),
        )
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "move_ids": [Command.create({"product_id": self.widget.id, "product_uom_qty": 3})],
            }
        )
        picking.action_confirm()
        body = step(
            "stock.picking.done",
            lambda: self.env["api.resource.picking"]._api_action_validate(picking, {}),
        )
        self.assertEqual(body["data"]["state"], "done")
        self.assertLessEqual(REQUIRED_TYPES - {"ping"}, set(got))

    def test_an_unsubscribed_event_sends_nothing(self):
        endpoint = self.subscribe(["res.partner.deleted"])
        self.env["res.partner"].create({"name": "Quiet"}).write({"phone": "1"})
        self.commit_events()
        self.assertFalse(self.deliveries(endpoint))

    def test_one_rule_per_event_type_whoever_subscribes(self):
        first = self.subscribe(["res.partner.created"])
        second = self.subscribe(["res.partner.created", "res.partner.updated"])
        self.assertFalse(first.automation_id, "an event endpoint owns no rule")
        actions = self.env["ir.actions.server"].search(
            [("state", "=", "webhook_event"), ("webhook_event_type", "=", "res.partner.created")]
        )
        self.assertEqual(len(actions), 1)
        rule = actions.base_automation_id
        self.assertTrue(rule.active)
        self.env["res.partner"].create({"name": "Twice Told"})
        self.commit_events()
        self.assertEqual(len(self.deliveries(first)), 1)
        self.assertEqual(len(self.deliveries(second)), 1)
        first.unlink()
        self.assertTrue(rule.active, "the second endpoint still subscribes")
        second.write({"event_types": "res.partner.updated"})
        self.assertFalse(rule.active, "nobody subscribes any more")
        second.write({"event_types": "res.partner.created"})
        self.assertTrue(rule.active)
        self.assertEqual(
            len(self.env["ir.actions.server"].search([("webhook_event_type", "!=", False)])),
            2,
            "rules are reused, never duplicated",
        )

    def test_payload_version_is_pinned_per_endpoint(self):
        def envelope_v2(event_type, event_id, created_at, data):
            return {"type": event_type, "id": event_id, "at": created_at, "object": data}

        def schema_v2(event_type, data_schema):
            return {"type": "object", "properties": {"object": data_schema}}

        versions = dict(
            events.PAYLOAD_VERSIONS,
            **{"2": events.PayloadVersion("2", "next", envelope_v2, schema_v2)},
        )
        with patch.dict(events.PAYLOAD_VERSIONS, versions):
            pinned = self.subscribe(["res.partner.created"])
            moved = self.subscribe(["res.partner.created"], payload_version="2")
            self.assertEqual(pinned.payload_version, "1", "the default: the current version")
            catalog = catalog_schemas(self.env)
            self.assertEqual(set(catalog["res.partner.created"]["versions"]), {"1", "2"})
            self.env["res.partner"].create({"name": "Versioned"})
            self.commit_events()
            (old,) = [json.loads(d.payload) for d in self.deliveries(pinned)]
            (new,) = [json.loads(d.payload) for d in self.deliveries(moved)]
        self.assertEqual(old["version"], "1")
        self.assertEqual(old["data"]["name"], "Versioned")
        self.assertEqual(new["object"]["name"], "Versioned")
        self.assertNotIn("version", new)

    def test_event_types_or_model_and_trigger(self):
        with self.assertRaises(ValidationError):
            self.subscribe(["res.partner.created"], model_id=self.partner_model.id)
        with self.assertRaises(ValidationError):
            self.env["webhook.endpoint"].create({"name": "Nothing", "url": "http://127.0.0.1:9/"})
        with self.assertRaises(ValidationError):
            self.subscribe(["res.partner.exploded"])
        with self.assertRaises(ValidationError):
            self.subscribe(["ping"])
        with self.assertRaises(ValidationError):
            self.subscribe(["res.partner.created"], domain="[('is_company', '=', True)]")
        endpoint = self.subscribe(
            ["res.partner.updated", "res.partner.created", "res.partner.created"]
        )
        self.assertEqual(endpoint.event_types, "res.partner.created,res.partner.updated")

    def test_a_model_endpoint_moved_to_event_types_drops_its_rule(self):
        endpoint = self.make_endpoint()
        rule = endpoint.automation_id
        self.assertTrue(rule)
        endpoint.write({"model_id": False, "event_types": "res.partner.created"})
        self.assertFalse(rule.exists())
        self.assertFalse(endpoint.automation_id)

    def test_a_manager_cannot_subscribe_to_what_they_cannot_read(self):
        manager = new_test_user(
            self.env,
            login="evt_manager",
            groups="base.group_user,my_webhooks.group_webhook_manager",
        )
        Endpoint = self.env["webhook.endpoint"].with_user(manager)
        vals = {"name": "Sneaky", "url": "http://127.0.0.1:9/hook", "user_id": manager.id}
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            Endpoint.create(dict(vals, event_types="sale.order.confirmed"))
        mine = Endpoint.create(dict(vals, event_types="res.partner.created"))
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
            mine.write({"event_types": "res.partner.created,account.move.posted"})

    def test_the_owners_rights_read_the_events(self):
        own_only = new_test_user(
            self.env,
            login="evt_own_orders",
            groups="base.group_user,sales_team.group_sale_salesman,"
            "my_webhooks.group_webhook_manager",
        )
        endpoint = self.subscribe(["sale.order.created"], user_id=own_only.id)
        other = new_test_user(self.env, login="evt_other", groups="sales_team.group_sale_salesman")
        self.env["sale.order"].create({"partner_id": self.customer.id, "user_id": other.id})
        mine = self.env["sale.order"].create(
            {"partner_id": self.customer.id, "user_id": own_only.id}
        )
        self.commit_events()
        self.assertEqual(self.deliveries(endpoint).mapped("res_id"), [mine.id])

    def test_an_event_endpoint_test_event_is_a_ping(self):
        endpoint = self.subscribe(["res.partner.created"])
        endpoint.action_send_test_event()
        (delivery,) = self.deliveries(endpoint)
        body = json.loads(delivery.payload)
        jsonschema.validate(body, catalog_schemas(self.env)["ping"]["schema"])
        self.assertEqual(body["data"]["endpoint"]["id"], endpoint.id)

    def test_the_api_sets_and_renders_event_types(self):
        resource = self.env["api.resource.webhook_endpoint"]
        secret = "whsec_" + "A" * 32
        record, _created = resource._api_create(
            {
                "name": "From code",
                "url": "http://127.0.0.1:9/hook",
                "event_types": ["sale.order.confirmed", "res.partner.created"],
                "secret": secret,
            }
        )
        row = resource._api_rows(record)[0]
        self.assertEqual(row["event_types"], ["res.partner.created", "sale.order.confirmed"])
        self.assertEqual((row["model"], row["trigger"], row["payload_version"]), (None, None, "1"))
        with self.assertRaises(Exception) as caught:
            resource._api_update(str(record.id), {"event_types": ["nope.never"]})
        self.assertEqual(caught.exception.status, 400)


@tagged("post_install", "-at_install")
class TestEventTypesRoute(HttpCase):
    # the request log is written on a side connection, which tests share
    _registry_readonly_enabled = False

    def test_get_event_types(self):
        response = self.url_open("/api/v1/event-types")
        self.assertEqual(response.status_code, 200, response.text)
        types = {entry["type"] for entry in response.json()["data"]}
        self.assertLessEqual(REQUIRED_TYPES, types)
        response = self.url_open("/api/v1/event-types", data="{}", method="POST")
        self.assertEqual(response.status_code, 405)
