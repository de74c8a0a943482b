"""Benchmark of GET /api/v1/orders against Odoo's own RPC, side by side.

    python3 bench/api.py --db-host /tmp/pg --db-port 5432 --db-user odoo [--orders 200000]

Creates (once) a database `bench_api` with my_api installed and N sale
orders (bulk SQL copies of one real order, each with one line), starts an
Odoo server on 127.0.0.1, then times, in one run and in interleaved rounds:

- /api/v1/orders with an API key: first page (its total counted up to the
  default count limit), the same with count=exact, offset page near the end,
  cursor page near the end; and the first page with a session cookie;
- Odoo's JSON-2 `search_read` (API key) and the web client's JSON-RPC
  `search_read` (session) of the same fields, page and order;
- /api/v1/orders/aggregate by month and state (total and count) against
  JSON-2 `formatted_read_group` of the same groups and aggregates.

With `--cases pickings`, it times a page of /api/v1/pickings against JSON-2
`search_read` of the fields that page reads, on `--pickings` deliveries
(bulk SQL copies of one real delivery and its move).

With `--cases reads`, it times the first page of orders with `fields=` of
three fields against the full page, with `expand=partner,lines.product`
against JSON-2 `search_read` of the orders plus one `read` of their lines
and one of their products, and a 304 revalidation (If-None-Match) against
the full page.

With `--cases batch` (or `orders,batch`), it also times POST
/api/v1/partners/batch of 200 creates against JSON-2 `create` of the same
200 values (`--workers N` for prefork workers; a database without orders
does for this case alone).

With `--cases pdf`, it times the PDF of one posted invoice from
GET /api/v1/invoices/<id>/pdf (API key, and session) against Odoo's own
/report/pdf/account.report_invoice_with_payments/<id> (session: the route
takes no API key), the report the API prints (account.account_invoices).
It needs wkhtmltopdf on the server's machine, and says so otherwise.

It prints p50/p95 and the ratios the project tracks (see bench/README.md).
Figures are ratios measured in the same run, never absolute targets.
"""

import json
import sys

import requests
from common import (
    ROOT,
    db_exists,
    db_parser,
    interleaved,
    odoo,
    odoo_db_args,
    odoo_server,
    print_tables,
    shell,
)

sys.path.insert(0, str(ROOT / "tests"))
from conftest import load_lib

cursor_lib = load_lib("my_api", "cursor")

BATCH = 200

FIELDS = ["name", "partner_id", "date_order", "amount_total", "state", "order_line", "write_date"]
PAGE = 50

# what both seeds copy rows with (run before each): the columns of a table but those named
COPY_HELPERS = """
cr = env.cr
def columns(table, skip):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
               "AND NOT (column_name = ANY(%s))", [table, skip])
    return [row[0] for row in cr.fetchall()]
"""

SEED = """
from odoo import Command
env['ir.config_parameter'].set_param('my_api.rate_limit', '100000000')
partner = env['res.partner'].create({'name': 'Bench Customer'})
product = env['product.product'].create({'name': 'Bench Product', 'list_price': 10})
template = env['sale.order'].create({'partner_id': partner.id,
    'order_line': [Command.create({'product_id': product.id, 'product_uom_qty': 2})]})
env.flush_all()
cr = env.cr
cols = columns('sale_order', ['id', 'name', 'date_order'])
col_sql = ', '.join('"%s"' % c for c in cols)
cr.execute(
    'INSERT INTO sale_order (name, date_order, ' + col_sql + ') '
    "SELECT 'BENCH-' || g, timestamp '2020-01-01' + g * interval '7 minutes', " + col_sql
    + ' FROM sale_order, generate_series(1, %s) g WHERE sale_order.id = %s',
    [{orders}, template.id])
line_cols = columns('sale_order_line', ['id', 'order_id'])
line_sql = ', '.join('"%s"' % c for c in line_cols)
cr.execute(
    'INSERT INTO sale_order_line (order_id, ' + line_sql + ') '
    'SELECT o.id, ' + ', '.join('l."%s"' % c for c in line_cols)
    + " FROM sale_order o, sale_order_line l WHERE o.name LIKE 'BENCH-%%' AND l.id = %s",
    [template.order_line.id])
env.cr.commit()
print('SEEDED', env['sale.order'].search_count([]))
"""

PICKING_FIELDS = [
    "name",
    "state",
    "picking_type_id",
    "partner_id",
    "origin",
    "scheduled_date",
    "date_done",
    "location_id",
    "location_dest_id",
    "backorder_id",
    "move_ids",
    "write_date",
]

SEED_PICKINGS = """
env['ir.config_parameter'].set_param('my_api.rate_limit', '100000000')
cr = env.cr
cr.execute("SELECT count(*) FROM stock_picking WHERE name LIKE 'BENCH/%%'")
if not cr.fetchone()[0]:
    partner = env['res.partner'].create({'name': 'Bench Consignee'})
    product = env['product.product'].create({'name': 'Bench Goods', 'is_storable': True})
    warehouse = env['stock.warehouse'].search([('company_id', '=', env.company.id)], limit=1)
    template = env['stock.picking'].create({
        'picking_type_id': warehouse.out_type_id.id, 'partner_id': partner.id,
        'location_id': warehouse.lot_stock_id.id,
        'location_dest_id': env.ref('stock.stock_location_customers').id,
        'move_ids': [(0, 0, {'product_id': product.id, 'product_uom_qty': 3,
                             'location_id': warehouse.lot_stock_id.id,
                             'location_dest_id': env.ref('stock.stock_location_customers').id})],
    })
    template.action_confirm()
    env.flush_all()
    cols = columns('stock_picking', ['id', 'name', 'scheduled_date'])
    col_sql = ', '.join('"%s"' % c for c in cols)
    cr.execute(
        'INSERT INTO stock_picking (name, scheduled_date, ' + col_sql + ') '
        "SELECT 'BENCH/' || g, timestamp '2024-01-01' + g * interval '11 minutes', " + col_sql
        + ' FROM stock_picking, generate_series(1, %s) g WHERE stock_picking.id = %s',
        [{pickings}, template.id])
    move_cols = columns('stock_move', ['id', 'picking_id'])
    move_sql = ', '.join('"%s"' % c for c in move_cols)
    cr.execute(
        'INSERT INTO stock_move (picking_id, ' + move_sql + ') '
        'SELECT p.id, ' + ', '.join('m."%s"' % c for c in move_cols)
        + " FROM stock_picking p, stock_move m WHERE p.name LIKE 'BENCH/%%' AND m.id = %s",
        [template.move_ids.id])
    env.cr.commit()
    cr.execute('ANALYZE stock_picking')
    cr.execute('ANALYZE stock_move')
print('SEEDED', env['stock.picking'].search_count([]))
"""

SEED_INVOICE = """
from odoo import Command
move = env['account.move'].search([('ref', '=', 'BENCH-PDF')], limit=1)
if not move:
    partner = env['res.partner'].create({'name': 'Bench Invoiced', 'street': 'Rue du Banc 1',
                                         'city': 'Namur', 'zip': '5000'})
    product = env['product.product'].search([], limit=1) or env['product.product'].create(
        {'name': 'Bench Product', 'list_price': 10})
    move = env['account.move'].create({
        'move_type': 'out_invoice', 'partner_id': partner.id, 'ref': 'BENCH-PDF',
        'invoice_line_ids': [Command.create({'product_id': product.id, 'quantity': 1 + i,
                                             'price_unit': 10 * (i + 1)}) for i in range(5)],
    })
    move.action_post()
    env.cr.commit()
print('INVOICE=%d' % move.id)
print('WKHTMLTOPDF=' + env['ir.actions.report'].get_wkhtmltopdf_state())
"""

KEY = """
import datetime  # the key expires: /api/v1 refuses keys without expiry
expiry = datetime.datetime.now() + datetime.timedelta(days=1)
admin = env.ref('base.user_admin')
print('KEY=' + env['res.users.apikeys'].with_user(admin).sudo()._generate(None, 'bench', expiry))
print('SECRET=' + env['ir.config_parameter'].sudo().get_param('database.secret'))
env.cr.commit()
"""


def main():
    parser = db_parser(__doc__.split("\n\n")[0], "bench_api")
    parser.add_argument("--orders", type=int, default=200000)
    parser.add_argument("--pickings", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=0, help="HTTP workers (0: threaded)")
    parser.add_argument(
        "--cases",
        default="orders",
        help="orders, pickings, batch, reads, pdf; several: orders,batch",
    )
    options = parser.parse_args()
    db_args = odoo_db_args(options)
    db = options.db
    if not db_exists(options, db):
        print(f"creating {db} with my_api ...", flush=True)
        result = odoo(
            [
                "server",
                "-d",
                db,
                "-i",
                "my_api",
                "--stop-after-init",
                "--log-level",
                "warn",
                "--no-http",
            ],
            db_args,
        )
        if result.returncode:
            raise SystemExit("install failed")
        print(f"seeding {options.orders} orders ...", flush=True)
        print(
            shell(COPY_HELPERS + SEED.replace("{orders}", str(options.orders)), db_args, db)
            .strip()
            .splitlines()[-1]
        )
    groups = set(options.cases.split(","))
    if "pickings" in groups:
        print(f"seeding {options.pickings} pickings (once) ...", flush=True)
        print(
            shell(
                COPY_HELPERS + SEED_PICKINGS.replace("{pickings}", str(options.pickings)),
                db_args,
                db,
            )
            .strip()
            .splitlines()[-1]
        )
    values = dict(
        line.split("=", 1)
        for line in shell(KEY, db_args, db).splitlines()
        if "=" in line and line[:3] in ("KEY", "SEC")
    )
    key, secret = values["KEY"], values["SECRET"]

    with odoo_server(db_args, db, workers=options.workers) as url:
        bearer = requests.Session()
        bearer.headers["Authorization"] = f"Bearer {key}"
        # what a machine client of a multi-database server sends (JSON-2 and /api/v1 alike)
        bearer.headers["X-Odoo-Database"] = db
        if "pdf" in groups:
            pdf_cases(url, bearer, db, db_args, options.rounds)
        if "orders" not in groups:
            if "pickings" in groups:
                pickings_cases(url, bearer, options.rounds)
            if "batch" in groups:
                batch_cases(url, bearer, options.rounds)
            if "reads" in groups:
                reads_cases(url, bearer, options.rounds)
            return
        web = requests.Session()
        auth = web.post(
            f"{url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
            timeout=30,
        ).json()
        assert "error" not in auth, auth
        total = bearer.get(f"{url}/api/v1/orders?limit=1&count=exact", timeout=30).json()[
            "pagination"
        ]["total"]
        near_end = total - PAGE - 10
        last = requests.Session()
        last.headers.update(bearer.headers)
        # the cursor a client holds after walking to the end: the row just before the last pages
        row = json.loads(
            shell(
                "import json\n"
                "o = env['sale.order'].search([], order='date_order desc, id desc', "
                f"offset={near_end - 1}, limit=1)\n"
                "print('ROW=' + json.dumps([str(o.date_order), o.id]))\n",
                db_args,
                db,
            )
            .split("ROW=")[1]
            .splitlines()[0]
        )
        cursor = cursor_lib.encode_cursor(f"my_api.cursor:{secret}", "-date_order", row)

        cases = {
            "api key, first page": lambda: bearer.get(
                f"{url}/api/v1/orders?limit={PAGE}", timeout=30
            ),
            "api key, first page, count=exact": lambda: bearer.get(
                f"{url}/api/v1/orders?limit={PAGE}&count=exact", timeout=30
            ),
            "api key, offset near end": lambda: bearer.get(
                f"{url}/api/v1/orders?limit={PAGE}&offset={near_end}", timeout=30
            ),
            "api key, cursor near end": lambda: bearer.get(
                f"{url}/api/v1/orders?limit={PAGE}&cursor={cursor}", timeout=30
            ),
            "session, first page": lambda: web.get(f"{url}/api/v1/orders?limit={PAGE}", timeout=30),
            "JSON-2 search_read (api key)": lambda: bearer.post(
                f"{url}/json/2/sale.order/search_read",
                json={
                    "domain": [],
                    "fields": FIELDS,
                    "limit": PAGE,
                    "order": "date_order desc, id desc",
                },
                timeout=30,
            ),
            "JSON-RPC search_read (session)": lambda: web.post(
                f"{url}/web/dataset/call_kw/sale.order/search_read",
                json={
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "sale.order",
                        "method": "search_read",
                        "args": [],
                        "kwargs": {
                            "domain": [],
                            "fields": FIELDS,
                            "limit": PAGE,
                            "order": "date_order desc, id desc",
                        },
                    },
                },
                timeout=30,
            ),
        }
        cases.update(
            {
                "api key, aggregate by month and state": lambda: bearer.get(
                    f"{url}/api/v1/orders/aggregate?group_by=date_order:month,state"
                    "&measures=amount_total:sum,count",
                    timeout=30,
                ),
                "JSON-2 formatted_read_group (api key)": lambda: bearer.post(
                    f"{url}/json/2/sale.order/formatted_read_group",
                    json={
                        "domain": [],
                        "groupby": ["date_order:month", "state"],
                        "aggregates": ["amount_total:sum", "__count"],
                    },
                    timeout=30,
                ),
            }
        )
        samples = interleaved(cases, options.rounds)
        if "pickings" in groups:
            pickings_cases(url, bearer, options.rounds)
        if "batch" in groups:
            batch_cases(url, bearer, options.rounds)
        if "reads" in groups:
            reads_cases(url, bearer, options.rounds)

    print_tables(
        f"{total} orders, page of {PAGE}, {options.rounds} interleaved rounds",
        samples,
        [
            ("api key / JSON-2", ("api key, first page", "JSON-2 search_read (api key)"), 0.7),
            (
                "session / JSON-RPC",
                ("session, first page", "JSON-RPC search_read (session)"),
                1.0,
            ),
            (
                "cursor near end / first page",
                ("api key, cursor near end", "api key, first page"),
                1.3,
            ),
            (
                "aggregate / JSON-2 formatted_read_group",
                (
                    "api key, aggregate by month and state",
                    "JSON-2 formatted_read_group (api key)",
                ),
                1.1,
            ),
            (
                "first page, count=exact / first page",
                ("api key, first page, count=exact", "api key, first page"),
                None,
            ),
            (
                "offset near end / first page",
                ("api key, offset near end", "api key, first page"),
                None,
            ),
        ],
    )


def pickings_cases(url, bearer, rounds):
    """A first page of /api/v1/pickings against JSON-2 `search_read` of the
    fields the page reads, same key, same order and size."""
    name = f"api key, pickings page of {PAGE}"
    native = "JSON-2 search_read of pickings (api key)"

    def api_page():
        response = bearer.get(f"{url}/api/v1/pickings?limit={PAGE}", timeout=30)
        assert len(response.json()["data"]) == PAGE, response.text[:500]
        return response

    def json2_page():
        response = bearer.post(
            f"{url}/json/2/stock.picking/search_read",
            json={
                "domain": [],
                "fields": PICKING_FIELDS,
                "limit": PAGE,
                "order": "scheduled_date, id",
            },
            timeout=30,
        )
        assert len(response.json()) == PAGE, response.text[:500]
        return response

    samples = interleaved({name: api_page, native: json2_page}, rounds)
    print_tables(
        f"pickings, page of {PAGE}, {rounds} interleaved rounds",
        samples,
        [("pickings page / JSON-2 search_read", (name, native), 1.0)],
    )


def pdf_cases(url, bearer, db, db_args, rounds):
    """The PDF of one posted invoice: /api/v1 (API key and session) against
    Odoo's /report/pdf of the same report (session), every answer checked
    to be a PDF."""
    values = dict(
        line.split("=", 1)
        for line in shell(SEED_INVOICE, db_args, db).splitlines()
        if line.startswith(("INVOICE=", "WKHTMLTOPDF="))
    )
    if values["WKHTMLTOPDF"] in ("install", "broken"):
        raise SystemExit(
            f"--cases pdf: wkhtmltopdf is {values['WKHTMLTOPDF']} on this machine: "
            "install it (Debian: apt-get install wkhtmltopdf) to time PDFs"
        )
    invoice = values["INVOICE"]
    web = requests.Session()
    auth = web.post(
        f"{url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": "admin", "password": "admin"}},
        timeout=30,
    ).json()
    assert "error" not in auth, auth

    def pdf(session, path):
        def get():
            response = session.get(f"{url}{path}", timeout=120)
            assert response.status_code == 200, response.text[:500]
            assert response.content.startswith(b"%PDF"), response.content[:200]
            return response

        return get

    api_key = "api key, invoice PDF"
    api_session = "session, invoice PDF"
    native = "session, Odoo /report/pdf of the same invoice"
    samples = interleaved(
        {
            api_key: pdf(bearer, f"/api/v1/invoices/{invoice}/pdf"),
            api_session: pdf(web, f"/api/v1/invoices/{invoice}/pdf"),
            native: pdf(web, f"/report/pdf/account.report_invoice_with_payments/{invoice}"),
        },
        rounds,
    )
    print_tables(
        f"invoice PDF, {rounds} interleaved rounds",
        samples,
        [
            ("session invoice PDF / Odoo /report/pdf", (api_session, native), 1.1),
            ("api key invoice PDF / Odoo /report/pdf", (api_key, native), 1.1),
        ],
    )


LINE_FIELDS = ["order_id", "product_id", "name", "product_uom_qty", "price_unit", "price_subtotal"]
PRODUCT_FIELDS = ["name", "default_code", "list_price", "qty_available", "uom_id", "write_date"]


class NotModified:
    """A 304 checked by its case, reported as the success interleaved() expects."""

    status_code = 200
    text = ""


def reads_cases(url, bearer, rounds):
    """The first page of orders with fields= of three fields, with
    expand=partner,lines.product, and revalidated by If-None-Match, each
    beside what it stands for: the full first page, JSON-2 search_read of
    the orders and one read of their lines and one of their products."""
    first = f"{url}/api/v1/orders?limit={PAGE}"
    etag = bearer.get(first, timeout=30).headers["ETag"]

    def sparse():
        response = bearer.get(f"{first}&fields=name,amount_total,state", timeout=30)
        assert len(response.json()["data"][0]) == 4, response.text[:500]
        return response

    def expanded():
        response = bearer.get(f"{first}&expand=partner,lines.product", timeout=30)
        assert "qty_available" in response.json()["data"][0]["lines"][0]["product"]
        return response

    def json2_three_calls():
        def call(model, method, **kwargs):
            response = bearer.post(f"{url}/json/2/{model}/{method}", json=kwargs, timeout=30)
            assert response.status_code == 200, response.text[:500]
            return response

        orders = call(
            "sale.order",
            "search_read",
            domain=[],
            fields=FIELDS,
            limit=PAGE,
            order="date_order desc, id desc",
        ).json()
        line_ids = [line_id for order in orders for line_id in order["order_line"]]
        lines = call("sale.order.line", "read", ids=line_ids, fields=LINE_FIELDS).json()
        product_ids = sorted({line["product_id"][0] for line in lines if line["product_id"]})
        return call("product.product", "read", ids=product_ids, fields=PRODUCT_FIELDS)

    def revalidated():
        response = bearer.get(first, headers={"If-None-Match": etag}, timeout=30)
        assert response.status_code == 304, response.text[:500]
        return NotModified()

    cases = {
        "api key, first page": lambda: bearer.get(first, timeout=30),
        "api key, first page, fields= of 3": sparse,
        "api key, first page, expand=partner,lines.product": expanded,
        "JSON-2 search_read orders + read lines + read products": json2_three_calls,
        "api key, first page revalidated (304)": revalidated,
    }
    samples = interleaved(cases, rounds)
    print_tables(
        f"reads: page of {PAGE}, {rounds} interleaved rounds",
        samples,
        [
            (
                "fields= of 3 / full row",
                ("api key, first page, fields= of 3", "api key, first page"),
                0.9,
            ),
            (
                "expand / JSON-2 three calls",
                (
                    "api key, first page, expand=partner,lines.product",
                    "JSON-2 search_read orders + read lines + read products",
                ),
                1.0,
            ),
            (
                "304 revalidation / first page",
                ("api key, first page revalidated (304)", "api key, first page"),
                0.5,
            ),
        ],
    )


def batch_cases(url, bearer, rounds):
    """A batch of BATCH partner creates against JSON-2 `create` of the same
    values, interleaved; every batch is checked to have created them all."""
    serial = iter(range(10**9))

    def partners():
        n = next(serial)
        return [
            {
                "name": f"Bench Partner {n}-{i}",
                "email": f"bench{n}.{i}@example.com",
                "phone": f"+32 470 {n % 1000:03d} {i:03d}",
                "street": f"Rue du Banc {i}",
                "city": "Namur",
                "zip": "5000",
            }
            for i in range(BATCH)
        ]

    def api_batch():
        body = {"items": [{"op": "create", "data": values} for values in partners()]}
        response = bearer.post(f"{url}/api/v1/partners/batch", json=body, timeout=120)
        assert len(response.json()["data"]) == BATCH, response.text[:500]
        return response

    def json2_create():
        response = bearer.post(
            f"{url}/json/2/res.partner/create", json={"vals_list": partners()}, timeout=120
        )
        assert len(response.json()) == BATCH, response.text[:500]
        return response

    name = f"batch of {BATCH} partner creates"
    native = f"JSON-2 create of the same {BATCH} values"
    samples = interleaved({name: api_batch, native: json2_create}, rounds)
    print_tables(
        f"{BATCH} partner creates, {rounds} interleaved rounds",
        samples,
        [(f"batch / JSON-2 create ({BATCH} partners)", (name, native), 1.3)],
    )


if __name__ == "__main__":
    main()
