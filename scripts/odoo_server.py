"""Run Odoo's server from the Python that imports it, as `odoo-bin` does.

scripts/test.sh starts its multi-process servers with this file, not with
`python -m odoo`: in multi-process mode Odoo starts its websocket process by
running `sys.argv[0]` again (`python <argv[0]> gevent ...`), and
odoo/__main__.py cannot run as a plain script. Pass the server's options
only (no `server` command word), as to odoo-bin.
"""

import odoo.cli

if __name__ == "__main__":
    odoo.cli.main()
