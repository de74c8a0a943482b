"""The README's six executive KPIs, one aggregate call each, against a real
server: the calls as the README writes them (with one customer's or one
product's filter added, so that the other tests' data does not count),
over data made the way an administrator would make it."""

import json
import pathlib
import uuid

import pytest
from conftest import odoo_shell

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
MONTH = ("2025-03-01", "2025-03-31")

# as in the README (the KPI section); {period} is date_from/date_to of a month
KPIS = {
    "net_new_revenue": "/invoices/aggregate?kind=customer&state=posted&{period}"
    "&measures=amount_untaxed_signed:sum",
    "pipeline": "/orders/aggregate?quotation=true&group_by=currency"
    "&measures=amount_untaxed:sum,count",
    "cash_collected": "/invoices/aggregate?kind=customer&state=posted&{period}"
    "&measures=amount_total_signed:sum,amount_residual_signed:sum",
    "ar_outstanding": "/invoices/aggregate?kind=customer&state=posted"
    "&measures=amount_residual_signed:sum,count",
    "inventory_value": "/stock/aggregate?measures=value:sum,quantity:sum",
    "days_of_supply": "/stock/aggregate?group_by=product&measures=quantity:sum",
}
PERIOD = f"date_from={MONTH[0]}&date_to={MONTH[1]}"


@pytest.fixture(scope="module")
def books():
    """A customer with a posted invoice of 100 + tax and a credit note of 30
    in March 2025, 40 paid on the invoice, an open quotation of 3 x 25, a
    confirmed order; a product with 12 units on hand at cost 7."""
    marker = uuid.uuid4().hex[:10]
    out = odoo_shell(
        f"""
import json
from odoo import Command
partner = env['res.partner'].create({{'name': 'kpi {marker}'}})
product = env['product.product'].create({{
    'name': 'kpi {marker}', 'is_storable': True, 'standard_price': 7.0, 'list_price': 25.0,
    'taxes_id': [Command.clear()],
}})
def move(move_type, price):
    record = env['account.move'].create({{
        'move_type': move_type, 'partner_id': partner.id, 'invoice_date': '2025-03-10',
        'invoice_line_ids': [Command.create({{
            'product_id': product.id, 'quantity': 1, 'price_unit': price,
            'tax_ids': [Command.clear()],
        }})],
    }})
    record.action_post()
    return record
invoice = move('out_invoice', 100.0)
refund = move('out_refund', 30.0)
env['account.payment.register'].with_context(
    active_model='account.move', active_ids=invoice.ids
).create({{'amount': 40.0, 'payment_date': '2025-03-20'}}).action_create_payments()
env['sale.order'].create({{
    'partner_id': partner.id,
    'order_line': [Command.create({{'product_id': product.id, 'product_uom_qty': 3,
                                    'tax_ids': [Command.clear()]}})],
}})
won = env['sale.order'].create({{
    'partner_id': partner.id,
    'order_line': [Command.create({{'product_id': product.id, 'product_uom_qty': 1}})],
}})
won.action_confirm()
warehouse = env['stock.warehouse'].search([('company_id', '=', env.company.id)], limit=1)
env['stock.quant']._update_available_quantity(product, warehouse.lot_stock_id, 12.0)
print('{marker}' + json.dumps({{'partner': partner.id, 'product': product.id,
    'currency': env.company.currency_id.name}}))
"""
    )
    for line in out.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    raise RuntimeError(f"no ids in odoo shell output: {out[-1000:]}")


def kpi(api, name, extra):
    response = api("GET", KPIS[name].format(period=PERIOD) + extra)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"]
    return body["data"]


def test_readme_shows_each_call():
    text = README.read_text()
    for name, call in KPIS.items():
        written = call.format(period="date_from=2026-01-01&date_to=2026-01-31")
        assert written in text, f"README lacks the {name} call {written}"


def test_net_new_revenue(api, books):
    # invoiced minus credited, untaxed, in the company's currency
    rows = kpi(api, "net_new_revenue", f"&partner_id={books['partner']}")
    assert rows == [{"amount_untaxed_signed:sum": 70.0}]


def test_pipeline(api, books):
    rows = kpi(api, "pipeline", f"&partner_id={books['partner']}")
    assert len(rows) == 1
    assert rows[0]["amount_untaxed:sum"] == 75.0
    assert rows[0]["count"] == 1
    assert rows[0]["currency"]["name"] == books["currency"]


def test_cash_collected(api, books):
    # of the month's invoices (net of credit notes): total minus what is left
    (row,) = kpi(api, "cash_collected", f"&partner_id={books['partner']}")
    assert row["amount_total_signed:sum"] - row["amount_residual_signed:sum"] == 40.0


def test_ar_outstanding(api, books):
    rows = kpi(api, "ar_outstanding", f"&partner_id={books['partner']}")
    # 60 still due on the invoice, 30 owed back on the credit note
    assert rows == [{"amount_residual_signed:sum": 30.0, "count": 2}]


def test_inventory_value(api, books):
    (row,) = kpi(api, "inventory_value", f"&product_id={books['product']}")
    assert row["quantity:sum"] == 12.0
    assert row["value:sum"] == pytest.approx(84.0)


def test_days_of_supply_on_hand(api, books):
    rows = kpi(api, "days_of_supply", f"&product_id={books['product']}")
    assert rows == [
        {
            "product": {"id": books["product"], "name": rows[0]["product"]["name"]},
            "quantity:sum": 12.0,
        }
    ]
