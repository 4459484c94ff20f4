// Admin: search, create, change (role, status) and delete users. Only admins see this page.

import { api, withQuery } from "../api.js";
import {
  confirmButton,
  field,
  formatWhen,
  h,
  messageArea,
  onSubmit,
  options,
  pageHeading,
} from "../dom.js";

const ROLES = ["user", "admin"];
const STATUSES = ["active", "inactive", "pending"];
const PAGE_SIZE = 20;

function choice(values) {
  return values.map((value) => ({ value, label: value }));
}

function userRow(user, me, area, reload) {
  const rowArea = messageArea();
  const row = h("tr", { "data-user-id": user.id, "data-email": user.email });
  const selects = {};
  for (const [name, values] of [["role", ROLES], ["status", STATUSES]]) {
    const select = h("select", { name, "aria-label": `${name === "role" ? "Role" : "Status"} of ${user.email}` },
      options(choice(values), user[name]));
    select.addEventListener("change", async () => {
      rowArea.clear();
      try {
        const saved = await api("PUT", `/api/admin/users/${encodeURIComponent(user.id)}`, { [name]: select.value });
        user[name] = saved[name];
        rowArea.say(`Saved: ${saved.email} is now ${saved.role}, ${saved.status}.`, "ok");
      } catch (error) {
        select.value = user[name];
        rowArea.say(error.message, "error");
      }
    });
    selects[name] = select;
  }
  row.append(
    h("th", { scope: "row", text: user.name }),
    h("td", { class: "email", text: user.email }),
    h("td", {}, selects.role),
    h("td", {}, selects.status),
    h("td", { text: formatWhen(user.created_at) }),
    h("td", { text: formatWhen(user.last_login) }),
    h("td", {},
      user.id === me.id
        ? h("span", { class: "hint", text: "You" })
        : confirmButton("Delete", "Delete for good", rowArea, async () => {
          await api("DELETE", `/api/admin/users/${encodeURIComponent(user.id)}`);
          area.say(`Deleted ${user.email}.`, "ok");
          await reload();
        }, { about: user.email }),
      rowArea),
  );
  return row;
}

export async function render(view, app) {
  const area = messageArea();
  let offset = 0;
  const searchArea = messageArea();
  const search = h(
    "form",
    { id: "user-search", class: "row", role: "search" },
    field("Search name or email", h("input", { name: "q", type: "search", autocomplete: "off" })),
    field("Role", h("select", { name: "role" }, options([{ value: "", label: "Any" }, ...choice(ROLES)], ""))),
    field("Status", h("select", { name: "status" }, options([{ value: "", label: "Any" }, ...choice(STATUSES)], ""))),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Search" })),
  );
  const body = h("tbody", {});
  const summary = h("p", { class: "summary", role: "status" });
  const previous = h("button", { type: "button", text: "Previous" });
  const next = h("button", { type: "button", text: "Next" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages of users" }, previous, next);

  async function reload() {
    const data = new FormData(search);
    const page = await api("GET", withQuery("/api/admin/users", {
      q: String(data.get("q") || "").trim(),
      role: data.get("role"),
      status: data.get("status"),
      limit: PAGE_SIZE,
      offset,
    }));
    body.replaceChildren(...page.items.map((user) => userRow(user, app.user, area, reload)));
    summary.textContent = page.total
      ? `${page.total} user${page.total === 1 ? "" : "s"}; showing ${offset + 1}–${offset + page.items.length}.`
      : "No user matches.";
    previous.hidden = offset === 0;
    next.hidden = offset + page.items.length >= page.total;
    pager.hidden = previous.hidden && next.hidden;
  }
  onSubmit(search, searchArea, async () => {
    offset = 0;
    await reload();
  });
  search.append(searchArea);
  previous.addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    reload().catch((error) => area.say(error.message, "error"));
  });
  next.addEventListener("click", () => {
    offset += PAGE_SIZE;
    reload().catch((error) => area.say(error.message, "error"));
  });

  const createArea = messageArea();
  const create = h(
    "form",
    { id: "user-create" },
    h("div", { class: "row" },
      field("Name", h("input", { name: "name", type: "text", autocomplete: "off", maxlength: "255" })),
      field("Email", h("input", { name: "email", type: "email", autocomplete: "off" })),
      field("Password", h("input", { name: "password", type: "password", autocomplete: "new-password" }), { hint: "8 to 72 bytes." })),
    h("div", { class: "row" },
      field("Role", h("select", { name: "role" }, options(choice(ROLES), "user"))),
      field("Status", h("select", { name: "status" }, options(choice(STATUSES), "active")))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Create user" })),
    createArea,
  );
  onSubmit(create, createArea, async (data) => {
    const user = await api("POST", "/api/admin/users", {
      name: String(data.get("name") || ""),
      email: String(data.get("email") || ""),
      password: String(data.get("password") || ""),
      role: String(data.get("role") || "user"),
      status: String(data.get("status") || "active"),
    });
    for (const name of ["name", "email", "password"]) create.elements.namedItem(name).value = "";
    createArea.say(`Created ${user.email} (${user.role}, ${user.status}).`, "ok");
    await reload();
  });

  const voiceArea = messageArea();
  const installVoice = h(
    "form",
    { id: "voice-install" },
    field("Piper voice", h("input", { name: "name", type: "text", autocomplete: "off", maxlength: "100", placeholder: "en_US-ljspeech-medium" }),
      { hint: "A name from Piper's voice catalogue (oasis voices --speech piper --available). Voices have different licences: the one installed is shown below; pick one that allows your use." }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Install voice" })),
    voiceArea,
  );
  onSubmit(installVoice, voiceArea, async (data) => {
    voiceArea.say("Downloading and checking the voice; this can take a minute…", "info");
    const voice = await api("POST", "/api/voices/install", { name: String(data.get("name") || "").trim() });
    voiceArea.say(`Installed ${voice.id} (${voice.language}). Licence: ${voice.licence || "unknown"}.`, "ok");
  });

  view.append(
    pageHeading("Users"),
    search,
    area,
    summary,
    h("div", { class: "table-wrap", role: "region", "aria-label": "Users", tabindex: "0" },
      h("table", { id: "users-table" },
        h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Status", "Created", "Last sign-in", "Actions"].map((t) => h("th", { scope: "col", text: t })))),
        body)),
    pager,
    h("section", { class: "card", "aria-labelledby": "create-user-heading" },
      h("h2", { id: "create-user-heading", text: "Create a user" }), create),
    h("section", { class: "card", "aria-labelledby": "install-voice-heading" },
      h("h2", { id: "install-voice-heading", text: "Install a voice" }), installVoice),
  );
  await reload();
}
