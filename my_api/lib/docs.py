"""The HTML page of /api/v1/docs, rendered from the OpenAPI document.

Readable without a script (and printable): every operation with its
parameters, and the schemas. Above them, a console to try any operation
from the page as the signed-in user (or with an API key): the addon's own
script (`SCRIPT_URL`, no CDN, nothing inline) builds it from the same
document, fetched from openapi.json, so it always matches. The page links
the document and a Postman collection (v2.1, which Insomnia imports) made
from it."""

import html
import json

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328}
header{background:#714b67;color:#fff;padding:1.2rem 2rem}
header a{color:#fff}
main{max-width:70rem;margin:0 auto;padding:1rem 2rem 3rem}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.2rem}
.op{border:1px solid #d0d7de;border-radius:6px;margin:.6rem 0;padding:.6rem .9rem}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.GET{color:#0969da}.POST{color:#1a7f37}.PATCH{color:#9a6700}.DELETE{color:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:.85rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:6px}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;
text-align:left;vertical-align:top}
details summary{cursor:pointer}
#try-it{border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem;background:#fbfbfc}
#try-it label{display:block;margin:.35rem 0 .1rem;font-size:.85rem;font-weight:600}
#try-it input,#try-it select,#try-it textarea{width:100%;box-sizing:border-box;
font-family:ui-monospace,monospace;font-size:.85rem;padding:.3rem}
#try-it textarea{min-height:9rem}
#try-it button{margin-top:.6rem;padding:.4rem 1.2rem;background:#714b67;color:#fff;border:0;
border-radius:4px;cursor:pointer}
#try-it .hint{color:#59636e;font-size:.8rem;font-weight:400}
#try-status{font-weight:700}
"""
# The console of the page: a file of this addon (see module docstring).
SCRIPT_URL = "/my_api/static/src/js/api_docs.js"
TRY_IT = (
    "<h2 id='try'>Try it</h2><div id='try-it'><p>Pick an operation, fill in its "
    "parameters and send it: signed in to Odoo, it runs as you (writes in JSON), or "
    "as the owner of the API key or token you paste below. Needs JavaScript.</p>"
    "<noscript>The console needs JavaScript; the operations are described below.</noscript>"
    "</div>"
)


def _e(value):
    return html.escape(str(value), quote=True)


def _param_rows(document, operation):
    rows = []
    for param in operation.get("parameters", []):
        if "$ref" in param:
            param = document["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        schema = param.get("schema", {})
        kind = schema.get("type", "")
        if "enum" in schema:
            kind = " | ".join(str(v) for v in schema["enum"])
        rows.append(
            f"<tr><td><code>{_e(param['name'])}</code></td><td>{_e(param['in'])}</td>"
            f"<td>{_e(kind)}</td><td>{_e(param.get('description', ''))}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Notes</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render_docs(document):
    """Return the HTML page (a str) for an OpenAPI document."""
    base = document["servers"][0]["url"]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{_e(document['info']['title'])}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(document['info']['title'])} {_e(document['info']['version'])}</h1>",
        f"<div>Base URL <code>{_e(base)}</code> &middot; ",
        "<a href='openapi.json' download='openapi.json'>OpenAPI 3.1 document</a> &middot; ",
        "<a href='postman.json' download='odoo-rest-api.postman_collection.json'>"
        "Postman collection</a> (v2.1; Insomnia imports it)</div></header><main>",
        f"<p>{_e(document['info'].get('description', ''))}</p>",
        "<h2>Authentication</h2><ul>",
    ]
    for name, scheme in document["components"]["securitySchemes"].items():
        parts.append(f"<li><b>{_e(name)}</b>: {_e(scheme.get('description', scheme['type']))}</li>")
    parts.append("</ul>")
    parts.append(TRY_IT)
    by_tag = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            tag = operation.get("tags", ["other"])[0]
            by_tag.setdefault(tag, []).append((path, method.upper(), operation))
    for tag in sorted(by_tag):
        parts.append(f"<h2 id='{_e(tag)}'>{_e(tag)}</h2>")
        for path, method, operation in by_tag[tag]:
            statuses = ", ".join(sorted(operation.get("responses", {})))
            scopes = [
                scope
                for requirement in operation.get("security", [])
                for scope in requirement.get("oauth2", [])
            ]
            parts.append(
                f"<div class='op'><span class='m {method}'>{method}</span>"
                f"<code>{_e(path)}</code> &mdash; {_e(operation.get('summary', ''))}"
                f"<div>Answers: {_e(statuses)}"
                + (f" &middot; OAuth2 scope <code>{_e(scopes[0])}</code>" if scopes else "")
                + "</div>"
                + _param_rows(document, operation)
                + "</div>"
            )
    parts.append("<h2>Schemas</h2>")
    for name, schema in sorted(document["components"]["schemas"].items()):
        parts.append(
            f"<details><summary><code>{_e(name)}</code></summary>"
            f"<pre>{_e(json.dumps(schema, indent=2))}</pre></details>"
        )
    parts.append(f"</main><script src='{SCRIPT_URL}' defer></script></body></html>")
    return "".join(parts)
