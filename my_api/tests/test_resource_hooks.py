"""The write hooks of api.resource are called where their docstrings say,
in the order of the base create/update/delete: a resource that implements
them (webhook endpoints) relies on it instead of copying the sequence."""

from contextlib import ExitStack
from unittest.mock import patch

from werkzeug.exceptions import HTTPException

from odoo.tests import TransactionCase, tagged

STEPS = (
    "_api_before_write",
    "_api_resolve",
    "_api_validate",
    "_api_check_precondition",
    "_api_check_body",
    "_api_prepare_create",
    "_api_prepare_update",
    "_api_after_write",
)


@tagged("post_install", "-at_install")
class TestResourceHooks(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resource = cls.env["api.resource.partner"]
        cls.partner = cls.env["res.partner"].create({"name": "Hooked", "ref": "HOOK-1"})

    def steps(self, call):
        """The steps (STEPS) `call()` went through, in order, and its result
        or the refusal (an ApiError) it raised."""
        calls = []
        model_class = self.env.registry[self.resource._name]

        def spy(name):
            original = getattr(model_class, name)

            def wrapper(model, *args, **kwargs):
                calls.append(name.removeprefix("_api_"))
                return original(model, *args, **kwargs)

            return patch.object(model_class, name, wrapper)

        with ExitStack() as stack:
            for name in STEPS:
                stack.enter_context(spy(name))
            try:
                result = call()
            except HTTPException as exc:
                result = exc
        return calls, result

    def test_create_calls_the_hooks_around_validation(self):
        calls, (record, created) = self.steps(lambda: self.resource._api_create({"name": "New"}))
        self.assertTrue(created)
        self.assertEqual(record.name, "New")
        self.assertEqual(
            calls, ["before_write", "validate", "check_body", "prepare_create", "after_write"]
        )

    def test_an_invalid_body_stops_before_its_own_checks(self):
        calls, error = self.steps(lambda: self.resource._api_create({"name": 5}))
        self.assertIsInstance(error, HTTPException)
        self.assertEqual(error.description, "name must be a string")
        # the write hook saw the call (a rate limit counts it), nothing else ran
        self.assertEqual(calls, ["before_write", "validate"])

    def test_create_by_reference_of_an_existing_record_writes_nothing(self):
        calls, (record, created) = self.steps(
            lambda: self.resource._api_create({"name": "Again", "ref": "HOOK-1"})
        )
        self.assertEqual((record, created), (self.partner, False))
        self.assertEqual(calls, ["before_write", "validate", "check_body"])

    def test_update_checks_the_body_after_the_precondition(self):
        calls, record = self.steps(
            lambda: self.resource._api_update(str(self.partner.id), {"city": "Gent"}, "*")
        )
        self.assertEqual(record.city, "Gent")
        self.assertEqual(
            calls,
            [
                "before_write",
                "resolve",
                "validate",
                "check_precondition",
                "check_body",
                "prepare_update",
                "after_write",
            ],
        )

    def test_delete_calls_the_write_hook_first(self):
        calls, _result = self.steps(lambda: self.resource._api_delete(str(self.partner.id)))
        self.assertFalse(self.partner.exists())
        self.assertEqual(calls, ["before_write", "resolve", "check_precondition"])
