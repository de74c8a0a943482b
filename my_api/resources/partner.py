from odoo import Command, api, models

from ..core import validation_error
from ..lib import schema as s
from ..models.api_resource import eq, ilike, names_of, orm_values, ref

# an email: one @ with text on both sides (loose on purpose: an Odoo email
# field may also read "Name <address>"), as a pattern the document states
EMAIL_PATTERN = "[^@\\x00]+@[^@\\x00]+"

REF = s.Object({"id": s.Field("integer"), "name": s.Field("string")}, nullable=True)
TAG = s.Object({"id": s.Field("integer"), "name": s.Field("string")})

PARTNER_READ = s.Object(
    {
        "id": s.Field("integer", read_only=True),
        "name": s.Field("string"),
        "is_company": s.Field("boolean"),
        "parent": s.Object(
            {"id": s.Field("integer"), "name": s.Field("string")},
            nullable=True,
            description="The company of a contact (null: a company or a lone contact)",
        ),
        "ref": s.Field("string", nullable=True, description="Your reference for the partner"),
        "category_id": s.Array(TAG, description="Tags (res.partner.category)"),
        "customer_rank": s.Field("integer", description="Above 0: a customer"),
        "supplier_rank": s.Field("integer", description="Above 0: a vendor"),
        "email": s.Field("string", nullable=True),
        "phone": s.Field("string", nullable=True),
        "street": s.Field("string", nullable=True),
        "street2": s.Field("string", nullable=True),
        "zip": s.Field("string", nullable=True),
        "city": s.Field("string", nullable=True),
        "country_code": s.Field("string", nullable=True, example="BE"),
        "vat": s.Field("string", nullable=True),
        "updated_at": s.Field("string", format="date-time"),
    }
)


def _write_schema(required_name):
    return s.Object(
        {
            "name": s.Field("string", required=required_name, max_length=256),
            "is_company": s.Field("boolean"),
            "parent_id": s.Id(
                nullable=True,
                target="res.partner",
                description="Company of a contact: its id, ref:<ref> or xid:<module.name>",
            ),
            "ref": s.Field("string", max_length=256, nullable=True),
            "category_id": s.Array(
                s.Id(target="res.partner.category", ref_field="name"),
                max_items=100,
                description="All the tags (replaces them): ids, ref:<tag name> or "
                "xid:<module.name>; [] removes every tag",
            ),
            "customer_rank": s.Field("integer", minimum=0, maximum=1000000),
            "supplier_rank": s.Field("integer", minimum=0, maximum=1000000),
            "email": s.Field(
                "string",
                max_length=256,
                nullable=True,
                pattern=EMAIL_PATTERN,
                description="An address with one @",
            ),
            "phone": s.Field("string", max_length=64, nullable=True),
            "street": s.Field("string", max_length=256, nullable=True),
            "street2": s.Field("string", max_length=256, nullable=True),
            "zip": s.Field("string", max_length=32, nullable=True),
            "city": s.Field("string", max_length=128, nullable=True),
            "country_code": s.Field(
                "string", pattern="[A-Za-z]{2}", nullable=True, description="ISO 3166 code"
            ),
            "vat": s.Field("string", max_length=64, nullable=True),
        }
    )


class ApiResourcePartner(models.AbstractModel):
    _name = "api.resource.partner"
    _inherit = "api.resource"
    _description = "REST API resource: partners"

    _api_path = "partners"
    _api_model = "res.partner"
    _api_description = "partners (companies and contacts)"
    _api_attachments = True
    _api_operations = ("list", "get", "create", "update", "delete", "batch")
    _api_filters = {
        "name": (s.Field("string", max_length=256, description="Part of the name"), ilike("name")),
        "email": (s.Field("string", max_length=256), eq("email")),
        "ref": (s.Field("string", max_length=256), eq("ref")),
        "is_company": (s.Field("boolean"), eq("is_company")),
        "parent_id": (s.Id(description="Contacts of this company"), eq("parent_id")),
    }
    _api_operator_filters = {
        "name": ("name", s.Field("string", max_length=256), ("ilike",)),
        "parent_id": ("parent_id", s.Id(), ("in",)),
    }
    _api_search_fields = ("complete_name", "email", "ref", "vat")
    _api_orders = {"id": "id", "name": "name", "updated_at": "write_date"}
    _api_default_order = "name"
    _api_read_schema = PARTNER_READ
    _api_create_schema = _write_schema(True)
    _api_update_schema = _write_schema(False)
    _api_external_ref = ("ref", "ref")

    @api.model
    def _api_render(self, records, detail=False):
        parent_names = names_of(records.parent_id)
        tag_names = names_of(records.category_id)
        return [
            {
                "id": partner.id,
                "name": partner.name,
                "is_company": partner.is_company,
                "parent": ref(partner.parent_id, parent_names.get(partner.parent_id.id)),
                "ref": partner.ref or None,
                "category_id": [
                    {"id": tag.id, "name": tag_names[tag.id]} for tag in partner.category_id
                ],
                "customer_rank": partner.customer_rank,
                "supplier_rank": partner.supplier_rank,
                "email": partner.email or None,
                "phone": partner.phone or None,
                "street": partner.street or None,
                "street2": partner.street2 or None,
                "zip": partner.zip or None,
                "city": partner.city or None,
                "country_code": partner.country_id.code or None,
                "vat": partner.vat or None,
                "updated_at": partner.write_date,
            }
            for partner in records
        ]

    @api.model
    def _api_values(self, body):
        # parent_id and category_id hold ids of records that exist, resolved
        # and checked with the body (see api_resource_xref.py)
        values = orm_values(
            {k: v for k, v in body.items() if k not in ("country_code", "category_id")}
        )
        if "category_id" in body:
            values["category_id"] = [Command.set(body["category_id"])]
        if "country_code" in body:
            code = body["country_code"]
            country = code and self.env["res.country"].search([("code", "=ilike", code)], limit=1)
            if code and not country:
                raise validation_error(
                    "country_code", "not_found", f"unknown country code {code!r}"
                )
            values["country_id"] = country.id if code else False
        return values

    @api.model
    def _api_prepare_create(self, body):
        return self._api_values(body)

    @api.model
    def _api_prepare_update(self, record, body):
        return self._api_values(body)
