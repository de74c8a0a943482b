/*
 * The "Try it" console of /api/v1/docs (my_api/lib/docs.py renders the
 * page). Built from the OpenAPI document the page's server answers at
 * openapi.json, so it lists exactly the operations the API has. A request
 * goes to this origin: with the Odoo session's cookie (writes as JSON,
 * which the API requires of sessions), or with the bearer token pasted in
 * the page (cookies then left out). Every text from the document or an
 * answer is put in the page as text (textContent), never as HTML.
 * No framework, no other file: plain DOM.
 */
(function () {
    "use strict";

    const root = document.getElementById("try-it");
    if (!root) {
        return;
    }
    const HTTP_METHODS = ["get", "post", "put", "patch", "delete"];
    let spec = null;
    let current = null;

    function el(tag, attrs, children) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attrs || {})) {
            if (name === "text") {
                node.textContent = value;
            } else if (value !== undefined && value !== null && value !== false) {
                node.setAttribute(name, value === true ? "" : String(value));
            }
        }
        for (const child of children || []) {
            node.append(child);
        }
        return node;
    }

    function resolve(node) {
        let hops = 0;
        while (node && typeof node === "object" && node.$ref && hops < 20) {
            let target = spec;
            for (const part of node.$ref.replace(/^#\//, "").split("/")) {
                target = target && typeof target === "object" ? target[part] : undefined;
            }
            node = target;
            hops += 1;
        }
        return node && typeof node === "object" ? node : {};
    }

    function example(schema, depth) {
        schema = resolve(schema);
        depth = depth || 0;
        if ("example" in schema) {
            return schema.example;
        }
        if (Array.isArray(schema.examples) && schema.examples.length) {
            return schema.examples[0];
        }
        if (Array.isArray(schema.enum) && schema.enum.length) {
            return schema.enum[0];
        }
        for (const key of ["oneOf", "anyOf", "allOf"]) {
            if (Array.isArray(schema[key]) && schema[key].length) {
                return example(schema[key][0], depth + 1);
            }
        }
        let type = schema.type;
        if (Array.isArray(type)) {
            type = type.find((t) => t !== "null") || "null";
        }
        if (depth > 6) {
            return null;
        }
        if (type === "object" || schema.properties) {
            const props = schema.properties || {};
            const names = schema.required && schema.required.length ? schema.required : Object.keys(props);
            const out = {};
            for (const name of names) {
                if (props[name] && !resolve(props[name]).readOnly) {
                    out[name] = example(props[name], depth + 1);
                }
            }
            return out;
        }
        if (type === "array") {
            return [example(schema.items || {}, depth + 1)];
        }
        if (type === "integer" || type === "number") {
            return Math.max(1, schema.minimum || 1);
        }
        if (type === "boolean") {
            return false;
        }
        if (type === "string") {
            if (schema.format === "date-time") {
                return "2026-01-31T06:00:00Z";
            }
            if (schema.format === "date") {
                return "2026-01-31";
            }
            return "string";
        }
        return null;
    }

    function operations() {
        const ops = [];
        for (const [path, item] of Object.entries(spec.paths || {})) {
            for (const method of HTTP_METHODS) {
                const op = item[method];
                if (!op) {
                    continue;
                }
                const params = new Map();
                for (const p of [...(item.parameters || []), ...(op.parameters || [])]) {
                    const param = resolve(p);
                    if (param.name) {
                        params.set(param.in + ":" + param.name, param);
                    }
                }
                const content = resolve(op.requestBody).content || {};
                ops.push({
                    id: op.operationId || method + " " + path,
                    method: method.toUpperCase(),
                    path,
                    op,
                    params: [...params.values()],
                    body: content["application/json"] ? content["application/json"].schema : null,
                    multipartOnly: !content["application/json"] && !!content["multipart/form-data"],
                });
            }
        }
        return ops;
    }

    function basePath() {
        const server = (spec.servers && spec.servers[0] && spec.servers[0].url) || "/api/v1";
        try {
            return new URL(server, window.location.href).pathname.replace(/\/$/, "");
        } catch {
            return "/api/v1";
        }
    }

    function renderOperation(form, op) {
        current = op;
        form.replaceChildren();
        form.append(
            el("p", {}, [
                el("code", { text: op.method + " " + op.path }),
                " \u2014 ",
                document.createTextNode(op.op.summary || ""),
            ])
        );
        if (op.op.description) {
            form.append(el("p", { class: "hint", text: op.op.description }));
        }
        for (const param of op.params) {
            const schema = resolve(param.schema);
            const hint = [param.in, schema.type, param.required ? "required" : "optional"]
                .filter(Boolean)
                .join(", ");
            const input = el("input", {
                "data-in": param.in,
                "data-name": param.name,
                name: "param-" + param.in + "-" + param.name,
                placeholder: schema.example !== undefined ? String(schema.example) : "",
                required: !!param.required,
            });
            form.append(
                el("label", {}, [
                    document.createTextNode(param.name + " "),
                    el("span", { class: "hint", text: "(" + hint + ") " + (param.description || "") }),
                ]),
                input
            );
        }
        if (op.body) {
            const text = JSON.stringify(example(op.body), null, 2);
            form.append(
                el("label", { text: "Body (JSON)" }),
                el("textarea", { id: "try-body-input", name: "body", spellcheck: "false" }, [
                    document.createTextNode(text),
                ])
            );
        } else if (op.multipartOnly) {
            form.append(el("p", { class: "hint", text: "This operation takes a file upload; send it with a client." }));
        }
    }

    function buildRequest(form) {
        let path = current.path;
        const query = new URLSearchParams();
        const headers = new Headers({ Accept: "application/json, */*" });
        for (const input of form.querySelectorAll("input[data-in]")) {
            const value = input.value;
            const name = input.dataset.name;
            if (input.dataset.in === "path") {
                path = path.split("{" + name + "}").join(encodeURIComponent(value));
            } else if (value === "") {
                continue;
            } else if (input.dataset.in === "query") {
                query.append(name, value);
            } else if (input.dataset.in === "header") {
                headers.set(name, value);
            }
        }
        const init = { method: current.method, headers, credentials: "same-origin", redirect: "manual" };
        const token = document.getElementById("try-token").value.trim();
        if (token) {
            headers.set("Authorization", "Bearer " + token);
            init.credentials = "omit";
        }
        const body = form.querySelector("#try-body-input");
        if (body && body.value.trim()) {
            headers.set("Content-Type", "application/json");
            init.body = body.value;
        }
        const qs = query.toString();
        return [basePath() + path + (qs ? "?" + qs : ""), init];
    }

    async function show(response, url) {
        const status = document.getElementById("try-status");
        status.textContent = response.status + " " + (response.statusText || "");
        status.dataset.status = String(response.status);
        const lines = [response.url ? "" : url];
        for (const [name, value] of response.headers.entries()) {
            lines.push(name + ": " + value);
        }
        document.getElementById("try-headers").textContent = lines.filter(Boolean).join("\n");
        const output = document.getElementById("try-response");
        const link = document.getElementById("try-download");
        link.hidden = true;
        const type = response.headers.get("Content-Type") || "";
        if (type.includes("json")) {
            const text = await response.text();
            try {
                output.textContent = JSON.stringify(JSON.parse(text), null, 2);
            } catch {
                output.textContent = text;
            }
        } else if (type.startsWith("text/")) {
            output.textContent = await response.text();
        } else {
            const blob = await response.blob();
            output.textContent = blob.size ? "(" + (type || "binary") + ", " + blob.size + " bytes)" : "(no body)";
            if (blob.size) {
                link.href = URL.createObjectURL(blob);
                link.hidden = false;
            }
        }
        output.dataset.done = "1";
    }

    function build() {
        const select = el("select", { id: "try-operation", name: "operation" });
        const groups = new Map();
        const ops = operations();
        for (const op of ops) {
            const tag = (op.op.tags && op.op.tags[0]) || "other";
            if (!groups.has(tag)) {
                groups.set(tag, el("optgroup", { label: tag }));
            }
            groups.get(tag).append(el("option", { value: op.id, text: op.method + " " + op.path }));
        }
        for (const tag of [...groups.keys()].sort()) {
            select.append(groups.get(tag));
        }
        const form = el("div", { id: "try-form" });
        const token = el("input", {
            id: "try-token",
            type: "password",
            autocomplete: "off",
            placeholder: "API key or OAuth2 access token (empty: your Odoo session)",
        });
        const send = el("button", { id: "try-send", type: "submit", text: "Send" });
        const result = el("div", { id: "try-result" }, [
            el("h3", {}, [document.createTextNode("Response "), el("span", { id: "try-status" })]),
            el("pre", { id: "try-headers" }),
            el("pre", { id: "try-response" }),
            el("a", { id: "try-download", download: "response", hidden: true, text: "Download the body" }),
        ]);
        const wrapper = el("form", { id: "try-wrapper" }, [
            el("label", { for: "try-operation", text: "Operation" }),
            select,
            form,
            el("label", { for: "try-token" }, [
                document.createTextNode("Bearer token "),
                el("span", { class: "hint", text: "(kept in this page only)" }),
            ]),
            token,
            send,
        ]);
        root.append(wrapper, result);
        select.addEventListener("change", () => renderOperation(form, ops.find((o) => o.id === select.value)));
        wrapper.addEventListener("submit", async (event) => {
            event.preventDefault();
            const [url, init] = buildRequest(form);
            const output = document.getElementById("try-response");
            delete output.dataset.done;
            output.textContent = "\u2026";
            try {
                await show(await fetch(url, init), url);
            } catch (error) {
                document.getElementById("try-status").textContent = "request failed";
                output.textContent = String(error);
                output.dataset.done = "1";
            }
        });
        if (ops.length) {
            renderOperation(form, ops[0]);
        }
        root.dataset.ready = "1";
    }

    fetch("openapi.json", { credentials: "same-origin" })
        .then((response) => response.json())
        .then((document_) => {
            spec = document_;
            build();
        })
        .catch((error) => {
            root.append(el("p", { text: "The OpenAPI document could not be loaded: " + error }));
        });
})();
