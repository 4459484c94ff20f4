// API keys: the user's own provider keys (only their hint is ever shown), and default providers.

import { api, forgetProviders, providers as loadProviders } from "../api.js";
import {
  actionButton,
  badge,
  confirmButton,
  field,
  formatWhen,
  h,
  messageArea,
  onSubmit,
  options,
  pageHeading,
} from "../dom.js";

const PORTS = [
  { id: "llm", label: "Writing (language model)" },
  { id: "speech", label: "Voice (speech)" },
  { id: "visuals", label: "Pictures (visuals)" },
];

/** The key names the installed providers use (their `needs_key`), sorted. */
function keyNames(catalog) {
  const names = new Set();
  for (const port of ["llm", "speech", "visuals", "publishers"]) {
    for (const item of catalog[port] || []) if (item.needs_key) names.add(item.needs_key);
  }
  return [...names].sort();
}

function keyRow(key, area, reload) {
  const status = h("td", { class: "key-status" }, badge(key.status));
  const tested = h("td", { text: formatWhen(key.last_tested) });
  const result = h("p", { class: "key-result", role: "status", text: key.message || "" });
  const row = h("tr", { "data-provider": key.provider });
  const test = actionButton("Test", area, async () => {
    result.textContent = "Testing…";
    try {
      const outcome = await api("POST", "/api/keys/test", { provider: key.provider });
      status.replaceChildren(badge(outcome.status));
      tested.textContent = formatWhen(outcome.last_tested);
      result.textContent = `${outcome.status === "success" ? "Works" : "Failed"}: ${outcome.message}`;
      result.dataset.kind = outcome.status === "success" ? "ok" : "error";
    } catch (error) {
      result.textContent = "";
      throw error;
    }
  }, { class: "test-key", "aria-label": `Test the ${key.provider} key` });
  const remove = confirmButton("Delete", "Delete for good", area, async () => {
    await api("DELETE", `/api/keys/${encodeURIComponent(key.provider)}`);
    forgetProviders();
    area.say(`Deleted the ${key.provider} key.`, "ok");
    await reload();
  }, { about: `the ${key.provider} key` });
  row.append(
    h("th", { scope: "row", text: key.provider }),
    h("td", { class: "key-hint", text: key.key_hint }),
    status,
    tested,
    h("td", {}, h("div", { class: "actions" }, test, remove), result),
  );
  return row;
}

function keysSection(catalog) {
  const area = messageArea();
  const names = keyNames(catalog);
  const body = h("tbody", {});
  const empty = h("p", { class: "empty", text: "No keys saved: the offline providers and the server's own keys are used." });
  const table = h("div", { class: "table-wrap", role: "region", "aria-labelledby": "keys-heading", tabindex: "0" },
    h("table", { id: "keys-table" },
      h("thead", {}, h("tr", {}, ["Provider", "Key", "Status", "Last tested", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
      body));

  async function reload() {
    const result = await api("GET", "/api/keys");
    body.replaceChildren(...result.items.map((key) => keyRow(key, area, reload)));
    table.hidden = result.items.length === 0;
    empty.hidden = result.items.length > 0;
  }

  const saveArea = messageArea();
  const form = h(
    "form",
    { id: "key-form", class: "row" },
    names.length
      ? field("Provider", h("select", { name: "provider", id: "key-provider" }, options(names.map((n) => ({ value: n, label: n })), names[0])))
      : field("Provider", h("input", { name: "provider", id: "key-provider", type: "text", autocomplete: "off" })),
    field("API key", h("input", { name: "api_key", id: "key-value", type: "password", autocomplete: "off", spellcheck: "false" }), {
      hint: "Stored encrypted; only its last characters are ever shown.",
    }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save key" })),
  );
  onSubmit(form, saveArea, async (data) => {
    const provider = String(data.get("provider") || "");
    await api("POST", "/api/keys", { provider, api_key: String(data.get("api_key") || "") });
    forgetProviders();
    form.elements.namedItem("api_key").value = "";
    saveArea.say(`Saved the ${provider} key; test it to check that it works.`, "ok");
    await reload();
  });
  const section = h("section", { class: "card", "aria-labelledby": "keys-heading" },
    h("h2", { id: "keys-heading", text: "Your API keys" }),
    empty, table, area,
    h("h3", { text: "Add or replace a key" }), form, saveArea);
  return { section, reload };
}

function defaultsSection(catalog) {
  const area = messageArea();
  const effective = h("p", { class: "hint", id: "effective-providers", role: "status" });
  const selects = {};
  const form = h("form", { id: "defaults-form" });
  const fields = PORTS.map((port) => {
    const select = h("select", { name: port.id, id: `default-${port.id}` });
    selects[port.id] = select;
    return field(port.label, select, { name: `providers.${port.id}` });
  });
  form.append(h("div", { class: "row" }, fields), effective,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save defaults" })), area);

  function show(defaults) {
    for (const port of PORTS) {
      const items = (catalog[port.id] || []).map((p) => ({
        value: p.id,
        label: `${p.name}${p.needs_key ? ` · needs a ${p.needs_key} key` : ""}`,
      }));
      selects[port.id].replaceChildren(...options([{ value: "", label: "Automatic" }, ...items], defaults.saved[port.id] || ""));
    }
    effective.textContent = `Used now when a request names none: ${PORTS.map((p) => `${p.id} ${defaults.effective[p.id] || "—"}`).join(", ")}.`;
  }

  onSubmit(form, area, async (data) => {
    const body = {};
    for (const port of PORTS) body[port.id] = String(data.get(port.id) || "") || null;
    const saved = await api("PUT", "/api/providers/defaults", body);
    forgetProviders();
    show(saved);
    area.say("Default providers saved.", "ok");
  });
  const section = h("section", { class: "card", "aria-labelledby": "defaults-heading" },
    h("h2", { id: "defaults-heading", text: "Default providers" }),
    h("p", { class: "aside", text: "“Automatic” uses a provider whose key you saved, else the server's choice." }),
    form);
  return { section, reload: async () => show(await api("GET", "/api/providers/defaults")) };
}

export async function render(view) {
  const catalog = await loadProviders();
  const keys = keysSection(catalog);
  const defaults = defaultsSection(catalog);
  view.append(pageHeading("API keys and providers"), keys.section, defaults.section);
  await Promise.all([keys.reload(), defaults.reload()]);
}
