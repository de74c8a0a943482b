"""A self-contained HTML page describing the API, rendered from the OpenAPI
document: no script, no CDN, readable in any browser and printable."""

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
"""


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
        "<a href='openapi.json'>OpenAPI 3.1 document</a></div></header><main>",
        f"<p>{_e(document['info'].get('description', ''))}</p>",
        "<h2>Authentication</h2><ul>",
    ]
    for name, scheme in document["components"]["securitySchemes"].items():
        parts.append(f"<li><b>{_e(name)}</b>: {_e(scheme.get('description', scheme['type']))}</li>")
    parts.append("</ul>")
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
    parts.append("</main></body></html>")
    return "".join(parts)
