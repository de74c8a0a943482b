"""Endpoints as an attacker holding Webhooks / Manager would use them, from
the ORM (what the web client does): every refusal is an AccessError."""

import json
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.base_automation.models.base_automation import BaseAutomation

from .common import Receiver, WebhookCase

MANAGER_GROUPS = "base.group_user,my_webhooks.group_webhook_manager"


@tagged("post_install", "-at_install")
class TestEndpointSecurity(WebhookCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login="hook_manager", groups=MANAGER_GROUPS)
        cls.other_manager = new_test_user(cls.env, login="hook_manager_2", groups=MANAGER_GROUPS)
        cls.admin = cls.env.ref("base.user_admin")
        cls.Endpoint = cls.env["webhook.endpoint"]

    def vals(self, model="res.partner", **vals):
        return {
            "name": "Hook",
            "url": "http://127.0.0.1:9/hook",
            "model_id": self.env["ir.model"]._get_id(model),
            "trigger": "create",
            **vals,
        }

    def fields_of(self, model, *names):
        return [self.env["ir.model.fields"]._get(model, name).id for name in names]

    def as_manager(self, user=None):
        return self.Endpoint.with_user(user or self.manager)

    # ------------------------------------------------------------ models
    def test_manager_cannot_subscribe_to_system_parameters(self):
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.as_manager().create(
                self.vals(
                    "ir.config_parameter",
                    payload_field_ids=self.fields_of("ir.config_parameter", "key", "value"),
                )
            )
        self.assertFalse(self.Endpoint.search([("model_id.model", "=", "ir.config_parameter")]))

    def test_manager_cannot_subscribe_to_secret_bearing_models(self):
        for model in (
            "res.users",
            "res.users.apikeys",
            "mail.mail",
            "mail.message",
            "bus.bus",
            "ir.mail_server",
            "ir.attachment",
            "payment.provider",
            "auth_totp.device",
        ):
            if model not in self.env:
                continue
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.as_manager().create(self.vals(model))

    def test_manager_cannot_move_an_endpoint_to_a_secret_bearing_model(self):
        endpoint = self.as_manager().create(self.vals())
        with self.assertRaises(AccessError):
            endpoint.write({"model_id": self.env["ir.model"]._get_id("mail.mail")})

    def test_manager_cannot_subscribe_to_a_model_they_cannot_read(self):
        # the manager has no sales rights: sale.order is not theirs to read
        self.assertFalse(self.env["sale.order"].with_user(self.manager).has_access("read"))
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.as_manager().create(self.vals("sale.order"))

    def test_administrator_may_subscribe_to_technical_models(self):
        endpoint = self.Endpoint.with_user(self.admin).create(self.vals("ir.config_parameter"))
        self.assertEqual(endpoint.user_id, self.admin)

    def test_own_models_cannot_be_subscribed(self):
        """Not even by an administrator, nor by code running as superuser: an
        endpoint on the outbox would feed itself for ever."""
        for model in (
            "webhook.delivery",
            "webhook.delivery.attempt",
            "webhook.endpoint",
            "webhook.source",
            "api.rate.counter",
            "oauth.token",
        ):
            if model not in self.env:
                continue
            for env in (self.Endpoint.with_user(self.admin), self.Endpoint.sudo()):
                with self.subTest(model=model, su=env.env.su), self.assertRaises(ValidationError):
                    env.create(self.vals(model))
        endpoint = self.Endpoint.create(self.vals())
        with self.assertRaises(ValidationError):
            endpoint.model_id = self.env["ir.model"]._get("webhook.delivery")

    # ------------------------------------------------------------ fields
    def test_manager_cannot_send_fields_they_cannot_read(self):
        # signup_type is for Access Rights administrators only
        self.assertFalse(
            self.env["res.partner"]
            .with_user(self.manager)
            ._has_field_access(self.env["res.partner"]._fields["signup_type"], "read")
        )
        secret_field = self.fields_of("res.partner", "signup_type")
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.as_manager().create(
                self.vals(payload_field_ids=self.fields_of("res.partner", "name") + secret_field)
            )
        endpoint = self.as_manager().create(self.vals())
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            endpoint.payload_field_ids = secret_field
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            endpoint.write({"trigger": "write", "watched_field_ids": secret_field})

    def test_manager_cannot_filter_on_fields_they_cannot_read(self):
        """A domain on a hidden field would tell, record by record, what the
        field holds (the rule filters as superuser)."""
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.as_manager().create(self.vals(domain="[('signup_type', '=', 'reset')]"))
        with self.assertRaises(AccessError), mute_logger("odoo.models"):
            self.as_manager().create(self.vals(domain="[('child_ids.signup_type', '=', 'reset')]"))

    # --------------------------------------------------------- the owner
    def test_owner_defaults_to_the_creator_and_is_required(self):
        endpoint = self.as_manager().create(self.vals())
        self.assertEqual(endpoint.user_id, self.manager)
        self.assertTrue(self.Endpoint._fields["user_id"].required)

    def test_manager_cannot_give_an_endpoint_to_someone_else(self):
        """Above all not to an administrator, whose rights read everything."""
        for owner in (self.admin, self.other_manager):
            with self.subTest(owner=owner.login), self.assertRaises(AccessError):
                self.as_manager().create(self.vals(user_id=owner.id))
        endpoint = self.as_manager().create(self.vals())
        with self.assertRaises(AccessError):
            endpoint.user_id = self.admin
        # an administrator hands endpoints to anybody
        endpoint.with_user(self.admin).user_id = self.other_manager
        self.assertEqual(endpoint.user_id, self.other_manager)

    def test_payload_read_with_owner_rights(self):
        """An administrator lets a manager own an endpoint that sends a field
        the manager cannot read: the field is left out."""
        endpoint = self.Endpoint.with_user(self.admin).create(
            self.vals(
                user_id=self.manager.id,
                payload_field_ids=self.fields_of("res.partner", "name", "signup_type"),
            )
        )
        partner = self.env["res.partner"].create({"name": "Owner rights", "signup_type": "reset"})
        data = json.loads(self.deliveries(endpoint).payload)["data"]
        self.assertEqual(
            data,
            {
                "id": partner.id,
                "display_name": "Owner rights",
                "name": "Owner rights",
                "company": None,
            },
        )
        # the same endpoint owned by an administrator sends it
        endpoint.user_id = self.admin
        self.env["res.partner"].create({"name": "Admin rights", "signup_type": "reset"})
        data = json.loads(self.deliveries(endpoint)[-1].payload)["data"]
        self.assertEqual(data["signup_type"], "reset")

    def test_records_the_owner_cannot_read_are_not_delivered(self):
        """Another company's partner: the owner cannot read it, so nothing
        about it (not even its id) is sent."""
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        endpoint = self.as_manager().create(self.vals())
        mine, theirs = self.env["res.partner"].create(
            [
                {"name": "Visible", "company_id": self.manager.company_id.id},
                {"name": "Hidden", "company_id": other_company.id},
            ]
        )
        self.assertFalse(theirs.with_user(self.manager).has_access("read"))
        self.assertEqual(self.deliveries(endpoint).mapped("res_id"), [mine.id])

    def test_filter_is_applied_with_owner_rights(self):
        """The automation rule evaluates the filter as superuser: through a
        relation, a filter could test records the owner cannot read (here a
        contact of another company), and whether an event arrives would tell
        what they hold, bit by bit. What is delivered also matches the
        filter as the owner sees the records."""
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        parent = self.env["res.partner"].create({"name": "Shared parent", "company_id": False})
        hidden = self.env["res.partner"].create(
            {"name": "Secret contact", "company_id": other_company.id, "parent_id": parent.id}
        )
        self.assertFalse(hidden.with_user(self.manager).has_access("read"))
        endpoint = self.as_manager().create(
            self.vals(trigger="write", domain="[('child_ids.name', '=like', 'Secret%')]")
        )
        parent.comment = "The superuser sees a matching contact"
        self.assertFalse(self.deliveries(endpoint))
        # a contact the owner reads matches as before
        hidden.company_id = False
        parent.comment = "The owner sees it too"
        self.assertEqual(self.deliveries(endpoint).mapped("res_id"), [parent.id])

    def test_archived_owner_reads_nothing(self):
        """An archived user signs in no more, and Odoo runs no scheduled
        action as one: their endpoints stop reading records too (somebody
        who left keeps no feed of the company's data)."""
        endpoint = self.as_manager().create(self.vals())
        self.manager.active = False
        self.env["res.partner"].create({"name": "After the owner left"})
        self.assertFalse(self.deliveries(endpoint))
        self.manager.active = True
        partner = self.env["res.partner"].create({"name": "Owner is back"})
        self.assertEqual(self.deliveries(endpoint).mapped("res_id"), [partner.id])

    def test_relations_the_owner_cannot_read_do_not_break_the_change(self):
        """The payload is built in the transaction of somebody else's change:
        what the owner may not see is left out, the change goes through."""
        other_company = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        hidden = self.env["res.partner"].create(
            {"name": "Hidden child", "company_id": other_company.id}
        )
        endpoint = self.Endpoint.with_user(self.admin).create(
            self.vals(
                user_id=self.manager.id,
                payload_field_ids=self.fields_of("res.partner", "name", "child_ids"),
            )
        )
        parent = self.env["res.partner"].create({"name": "Parent", "child_ids": [hidden.id]})
        self.assertTrue(parent.exists())
        data = json.loads(self.deliveries(endpoint).payload)["data"]
        self.assertEqual(data["name"], "Parent")
        self.assertEqual(data["child_ids"], [])

    def test_a_field_the_owner_cannot_compute_does_not_break_the_change(self):
        """A computed payload field whose computation the owner may not do is
        left out: somebody else's change must not fail because of it."""
        endpoint = self.Endpoint.with_user(self.admin).create(
            self.vals(
                user_id=self.manager.id,
                payload_field_ids=self.fields_of("res.partner", "name", "contact_address"),
            )
        )
        Partner = type(self.env["res.partner"])
        original = Partner._compute_contact_address

        def compute(records):
            if not records.env.su:
                raise AccessError(records.env._("Not for you."))
            return original(records)

        with patch.object(Partner, "_compute_contact_address", compute):
            partner = self.env["res.partner"].create({"name": "Computed", "city": "Ghent"})
        self.assertTrue(partner.exists())
        data = json.loads(self.deliveries(endpoint).payload)["data"]
        self.assertEqual(
            data,
            {"id": partner.id, "display_name": "Computed", "name": "Computed", "company": None},
        )

    # ------------------------------------------------------- record rules
    def test_manager_cannot_patch_admin_endpoint(self):
        theirs = self.Endpoint.with_user(self.admin).create(self.vals(name="Admin's"))
        self.assertNotIn(theirs, self.as_manager().search([]))
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.with_user(self.manager).write({"url": "http://127.0.0.1:1/mine"})
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.with_user(self.manager).unlink()
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            theirs.with_user(self.manager).read(["url"])
        self.assertEqual(theirs.url, "http://127.0.0.1:9/hook")
        # the other way round an administrator sees and changes them all
        mine = self.as_manager().create(self.vals(name="Manager's"))
        self.assertIn(mine, self.Endpoint.with_user(self.admin).search([]))
        mine.with_user(self.admin).name = "Seen by the administrator"

    def test_manager_cannot_read_others_deliveries(self):
        theirs = self.Endpoint.with_user(self.admin).create(self.vals(name="Admin's"))
        mine = self.as_manager().create(self.vals(name="Manager's"))
        self.env["res.partner"].create({"name": "Two deliveries"})
        self.deliver()
        their_delivery, my_delivery = self.deliveries(theirs), self.deliveries(mine)
        self.assertTrue(their_delivery.attempt_ids and my_delivery.attempt_ids)
        Delivery = self.env["webhook.delivery"].with_user(self.manager)
        self.assertEqual(Delivery.search([]), my_delivery)
        Attempt = self.env["webhook.delivery.attempt"].with_user(self.manager)
        self.assertEqual(Attempt.search([]), my_delivery.attempt_ids)
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            their_delivery.with_user(self.manager).read(["payload"])
        with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_rule"):
            their_delivery.attempt_ids.with_user(self.manager).read(["response_excerpt"])
        # an archived endpoint's deliveries stay its owner's
        mine.active = False
        self.assertEqual(Delivery.search([]), my_delivery)
        self.assertEqual(mine.with_user(self.manager).delivery_count, 1)
        admin_deliveries = self.env["webhook.delivery"].with_user(self.admin).search([])
        self.assertLessEqual(their_delivery | my_delivery, admin_deliveries)

    def test_manager_cannot_hijack_an_automation_rule(self):
        """automation_id is the endpoint's own machinery: pointing it at
        another rule would rewrite (and on delete, remove) that rule."""
        theirs = self.Endpoint.with_user(self.admin).create(self.vals(name="Admin's"))
        mine = self.as_manager().create(self.vals(name="Manager's"))
        with self.assertRaises(AccessError):
            mine.automation_id = theirs.automation_id
        with self.assertRaises(AccessError):
            self.as_manager().create(self.vals(automation_id=theirs.automation_id.id))
        mine.unlink()
        self.assertTrue(theirs.automation_id.exists())

    # ------------------------------------------------- registry reloads
    def test_unchanged_write_does_not_reload_registry(self):
        endpoint = self.as_manager().create(
            self.vals(trigger="write", watched_field_ids=self.fields_of("res.partner", "email"))
        )
        rule = endpoint.automation_id
        same = {
            "name": endpoint.name,
            "model_id": endpoint.model_id.id,
            "trigger": "write",
            "active": True,
            "domain": False,
            "watched_field_ids": [(6, 0, endpoint.watched_field_ids.ids)],
            "timeout": 20,
        }
        Actions = type(self.env["ir.actions.server"])
        with (
            patch.object(BaseAutomation, "_update_registry", autospec=True) as reload,
            patch.object(Actions, "write", autospec=True, side_effect=Actions.write) as action,
        ):
            endpoint.write(same)
            self.assertEqual(reload.call_count, 0)
            self.assertEqual(action.call_count, 0)
            endpoint.write({"name": "Renamed"})  # the rule's name only
            self.assertEqual(reload.call_count, 0)
            endpoint.write({"trigger": "create"})  # a real change still reloads
            self.assertEqual(reload.call_count, 1)
        self.assertEqual((rule.trigger, rule.name), ("on_create", "Webhook: Renamed"))

    def test_filter_change_alone_keeps_the_watched_fields(self):
        """base.automation recomputes the watched fields when its filter
        changes: writing only what changed must still keep them."""
        endpoint = self.make_endpoint(
            trigger="write", watched_field_ids=self.fields_of("res.partner", "email")
        )
        rule = endpoint.automation_id
        with patch.object(BaseAutomation, "_update_registry", autospec=True) as reload:
            endpoint.domain = "[('is_company', '=', True)]"
        self.assertEqual(reload.call_count, 0)
        self.assertEqual(rule.filter_domain, "[('is_company', '=', True)]")
        self.assertEqual(rule.trigger_field_ids.mapped("name"), ["email"])
        endpoint.domain = False
        self.assertFalse(rule.filter_domain)
        self.assertEqual(rule.trigger_field_ids.mapped("name"), ["email"])

    # ---------------------------------------------------- feedback loops
    def test_outbox_records_are_never_enqueued(self):
        """An endpoint on the outbox made before such endpoints were refused
        (or a hand-made rule) never turns deliveries into more deliveries."""
        endpoint = self.make_endpoint()
        action = endpoint.automation_id.action_server_ids
        self.env["res.partner"].create({"name": "Once"})
        delivery = self.deliveries(endpoint)
        attempt = self.env["webhook.delivery.attempt"].create(
            {"delivery_id": delivery.id, "attempt_no": 1}
        )
        for records in (delivery, attempt, endpoint):
            with self.subTest(model=records._name):
                self.assertFalse(action._webhook_enqueue(records, "write"))
        self.assertEqual(self.deliveries(endpoint), delivery)

    def test_worker_writes_do_not_enqueue(self):
        """What the delivery worker writes (here the chatter message of an
        endpoint it disables on 410 Gone) enqueues nothing."""
        messages = self.Endpoint.with_user(self.admin).create(
            self.vals("mail.message", name="Messages")
        )
        with Receiver([410]) as receiver:
            gone = self.make_endpoint(url=receiver.url)
            self.env["res.partner"].create({"name": "Gone"})
            before = len(self.deliveries(messages))
            self.deliver()
        gone.invalidate_recordset()
        self.assertFalse(gone.active)
        self.assertTrue(any("410" in str(m.body) for m in gone.message_ids))
        self.assertEqual(len(self.deliveries(messages)), before)

    # ------------------------------------------------------------ domain
    def test_domain_is_literal(self):
        for domain in (
            "[('id', 'in', list(range(3)))]",
            "[('name', '=', str(1))]",
            "[('create_uid', '=', uid)]",
            "[('id', 'in', [%s])]" % ", ".join(["1"] * 2100),  # over 4 KiB
        ):
            with self.subTest(domain=domain[:40]), self.assertRaises(ValidationError):
                self.make_endpoint(domain=domain)
        endpoint = self.make_endpoint(domain=" [ ('is_company','=',True) ] ")
        # what the automation rule evaluates is the literal the endpoint parsed
        self.assertEqual(endpoint.automation_id.filter_domain, "[('is_company', '=', True)]")
