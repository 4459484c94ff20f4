// The form that schedules a video's post on platforms (used by the Library), and the platform list.

import { api } from "../api.js";
import { checkboxGroup, field, formatWhen, h, localToISO, messageArea, onSubmit, toDateTimeLocal } from "../dom.js";
import { postOptions } from "./post_options.js";

/** Publishers from GET /api/providers with whether the user has an active account on each. */
export function platformChoices(catalog, accounts) {
  const active = new Set(accounts.filter((a) => a.status === "active").map((a) => a.platform));
  return catalog.publishers.map((p) => ({
    value: p.id,
    label: active.has(p.id) ? p.name : `${p.name} (not connected)`,
    connected: active.has(p.id),
  }));
}

/** A moment an hour from now, on a five-minute mark: a sensible default time. */
export function inAnHour() {
  const moment = new Date(Date.now() + 60 * 60 * 1000);
  moment.setMinutes(Math.ceil(moment.getMinutes() / 5) * 5, 0, 0);
  return moment;
}

/** A form to schedule `video` on the chosen platforms; `onDone(posts)` after success. */
export function scheduleForm(video, platforms, onDone) {
  const area = messageArea();
  const when = h("input", { type: "datetime-local", name: "scheduled_time", value: toDateTimeLocal(inAnHour()) });
  const caption = h("textarea", { name: "content", rows: "2", maxlength: "5000" });
  const connected = platforms.filter((p) => p.connected).map((p) => p.value);
  const extras = postOptions();
  const chosenPlatforms = checkboxGroup("Platforms", "platforms", platforms, connected.length === 1 ? connected : []);
  const chosen = () => [...chosenPlatforms.querySelectorAll("input:checked")].map((input) => input.value);
  chosenPlatforms.addEventListener("change", () => extras.update(chosen().filter((p) => connected.includes(p))));
  extras.update(chosen().filter((p) => connected.includes(p)));
  const form = h(
    "form",
    { class: "schedule-form", "aria-label": `Schedule ${video.title || "video"}` },
    chosenPlatforms,
    connected.length
      ? null
      : h("p", { class: "hint" }, "No platform is connected yet: ", h("a", { href: "#/social", text: "connect one" }), "."),
    field("When", when, { hint: "Your local time; a time in the past publishes as soon as possible." }),
    field("Caption (optional)", caption),
    extras.element,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Schedule post" })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const body = {
      video_id: video.id,
      platforms: data.getAll("platforms").map(String),
      scheduled_time: localToISO(String(data.get("scheduled_time") || "")),
    };
    const text = String(data.get("content") || "").trim();
    if (text) body.content = text;
    const options = extras.read();
    if (Object.keys(options).length) body.options = options;
    const result = await api("POST", "/api/schedule", body);
    const names = result.items.map((post) => post.platform).join(", ");
    area.say(`Scheduled on ${names} for ${formatWhen(result.items[0]?.scheduled_time)}.`, "ok");
    onDone?.(result.items);
  });
  return form;
}
