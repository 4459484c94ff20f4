// Automations: recurring videos on a cron schedule; create, edit, enable or disable, delete.

import { api, providers as loadProviders } from "../api.js";
import {
  badge,
  checkbox,
  checkboxGroup,
  confirmButton,
  field,
  formatWhen,
  h,
  hiddenText,
  messageArea,
  onSubmit,
  options,
  pageHeading,
  uid,
} from "../dom.js";

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

function zoneList() {
  const list = h("datalist", { id: uid("zones") });
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  list.append(...zones.map((zone) => h("option", { value: zone })));
  return list;
}

/** The automation form, filled from `values` (a new one when null); `save(body)` sends it. */
function automationForm(catalog, values, submitText, save) {
  const area = messageArea();
  const current = values || {
    name: "",
    cron: "0 9 * * 1-5",
    timezone: browserZone(),
    category: catalog.categories[0]?.id,
    style: catalog.styles.some((s) => s.id === "cinematic") ? "cinematic" : catalog.styles[0]?.id,
    platforms: [],
    caption: "",
    enabled: true,
  };
  const zones = zoneList();
  const enabled = h("input", { name: "enabled", value: "on", checked: current.enabled });
  const form = h(
    "form",
    { class: "automation-form" },
    field("Name", h("input", { name: "name", type: "text", maxlength: "255", value: current.name, autocomplete: "off" })),
    h("div", { class: "row" },
      field("Schedule (cron)", h("input", { name: "cron", type: "text", value: current.cron, autocomplete: "off", spellcheck: "false" }), {
        hint: "Five fields: minute hour day month weekday. 0 9 * * 1-5 is 9:00 on weekdays.",
      }),
      field("Time zone", h("input", { name: "timezone", type: "text", list: zones.id, value: current.timezone, autocomplete: "off" }), {
        hint: "An IANA zone such as Europe/Paris.",
      })),
    zones,
    h("div", { class: "row" },
      field("Category", h("select", { name: "category" }, options(catalog.categories.map((c) => ({ value: c.id, label: c.name })), current.category))),
      field("Style", h("select", { name: "style" }, options(catalog.styles.map((s) => ({ value: s.id, label: s.name })), current.style)))),
    checkboxGroup("Publish on", "platforms", catalog.publishers.map((p) => ({ value: p.id, label: p.name })), current.platforms),
    field("Caption (optional)", h("textarea", { name: "caption", rows: "2", maxlength: "5000", value: current.caption || "" })),
    checkbox("Enabled", enabled),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: submitText })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const body = {
      name: String(data.get("name") || ""),
      cron: String(data.get("cron") || ""),
      timezone: String(data.get("timezone") || ""),
      category: String(data.get("category") || ""),
      style: String(data.get("style") || ""),
      platforms: data.getAll("platforms").map(String),
      caption: String(data.get("caption") || "") || null,
      enabled: enabled.checked,
    };
    if (body.caption === null) delete body.caption;
    await save(body, area);
  });
  return form;
}

function automationCard(item, catalog, pageArea, reload) {
  const area = messageArea();
  const headingId = `automation-${item.id}`;
  const card = h("li", { class: "card automation", "data-automation-id": item.id, "aria-labelledby": headingId });
  const enabled = h("input", { checked: item.enabled, "aria-describedby": `${headingId}-next` });
  enabled.addEventListener("change", async () => {
    area.clear();
    try {
      const saved = await api("PUT", `/api/automations/${encodeURIComponent(item.id)}`, { enabled: enabled.checked });
      pageArea.say(`${saved.name} is now ${saved.enabled ? "enabled" : "disabled"}.`, "ok");
      await reload(headingId);
    } catch (error) {
      enabled.checked = !enabled.checked;
      area.say(error.message, "error");
    }
  });
  const editId = `edit-${item.id}`;
  const holder = h("div", { id: editId, hidden: true });
  const edit = h("button", { type: "button", "aria-expanded": "false", "aria-controls": editId }, "Edit", hiddenText(` ${item.name}`));
  edit.addEventListener("click", () => {
    const open = holder.hidden;
    holder.hidden = !open;
    edit.setAttribute("aria-expanded", String(open));
    if (open && !holder.firstChild) {
      holder.append(automationForm(catalog, item, "Save changes", async (body) => {
        const saved = await api("PUT", `/api/automations/${encodeURIComponent(item.id)}`, body);
        pageArea.say(`Saved ${saved.name}.`, "ok");
        await reload(headingId);
      }));
    }
    if (open) holder.querySelector("input")?.focus();
  });
  const rows = [
    ["Schedule", `${item.cron} (${item.timezone})`],
    ["Next run", item.enabled ? formatWhen(item.next_run_at) : "— (disabled)"],
    ["Last run", formatWhen(item.last_run_at)],
    ["Makes", `${item.category} · ${item.style}`],
    ["Publishes on", item.platforms.length ? item.platforms.join(", ") : "nowhere (videos only)"],
  ];
  if (item.caption) rows.push(["Caption", item.caption]);
  if (item.last_error) rows.push(["Last error", item.last_error]);
  card.append(
    h("h3", { id: headingId, class: "card-title", tabindex: "-1" }, item.name, " ", badge(item.enabled ? "enabled" : "disabled")),
    h("dl", { class: "details" }, rows.map(([term, value]) =>
      [h("dt", { text: term }), h("dd", { text: value, id: term === "Next run" ? `${headingId}-next` : undefined })])),
    h("div", { class: "actions" },
      checkbox(["Enabled", hiddenText(`: ${item.name}`)], enabled),
      edit,
      confirmButton("Delete", "Delete for good", area, async () => {
        await api("DELETE", `/api/automations/${encodeURIComponent(item.id)}`);
        pageArea.say(`Deleted ${item.name}.`, "ok");
        await reload();
      }, { about: item.name })),
    holder,
    area,
  );
  return card;
}

export async function render(view) {
  const catalog = await loadProviders();
  const pageArea = messageArea();
  const list = h("ul", { class: "cards single", id: "automation-list", "aria-label": "Your automations" });
  const empty = h("p", { class: "empty", text: "No automations yet." });

  async function reload(focusId) {
    const result = await api("GET", "/api/automations");
    list.replaceChildren(...result.items.map((item) => automationCard(item, catalog, pageArea, reload)));
    empty.hidden = result.items.length > 0;
    if (focusId) document.getElementById(focusId)?.focus();
  }

  const createForm = automationForm(catalog, null, "Create automation", async (body) => {
    const saved = await api("POST", "/api/automations", body);
    pageArea.say(`Created ${saved.name}; next run ${formatWhen(saved.next_run_at)}.`, "ok");
    for (const name of ["name", "caption"]) createForm.elements.namedItem(name).value = "";
    await reload();
  });
  createForm.id = "automation-create";
  view.append(
    pageHeading("Automations"),
    h("p", { class: "aside", text: "At each time the schedule names, Oasis writes a quote, renders a video and posts it on the platforms chosen." }),
    pageArea,
    h("section", { "aria-labelledby": "automations-list-heading" },
      h("h2", { id: "automations-list-heading", text: "Your automations" }), empty, list),
    h("section", { class: "card", "aria-labelledby": "automations-new-heading" },
      h("h2", { id: "automations-new-heading", text: "New automation" }), createForm),
  );
  await reload();
}
