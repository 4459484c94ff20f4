// Schedule: upcoming, published, failed and cancelled posts; reschedule or cancel a pending one.

import { api, withQuery } from "../api.js";
import {
  actionButton,
  badge,
  confirmButton,
  field,
  formatWhen,
  h,
  localToISO,
  messageArea,
  onSubmit,
  pageHeading,
  toDateTimeLocal,
} from "../dom.js";
import { postOptions } from "./post_options.js";

const GROUPS = [
  { id: "upcoming", title: "Upcoming", statuses: ["pending", "publishing"], empty: "Nothing is waiting to be published." },
  { id: "published", title: "Published", statuses: ["published"], empty: "Nothing published yet." },
  { id: "failed", title: "Failed", statuses: ["failed"], empty: "No failed posts." },
  { id: "cancelled", title: "Cancelled", statuses: ["cancelled"], empty: "No cancelled posts." },
];

function rescheduleForm(post, onSaved) {
  const area = messageArea();
  const when = h("input", {
    type: "datetime-local",
    name: "scheduled_time",
    value: toDateTimeLocal(new Date(post.scheduled_time)),
  });
  const caption = h("textarea", { name: "content", rows: "2", maxlength: "5000", value: post.content || "" });
  const extras = postOptions();
  extras.update([post.platform], { [post.platform]: post.options || {} });
  const form = h(
    "form",
    { class: "reschedule-form", "aria-label": `Reschedule the ${post.platform} post` },
    field("New time", when, { hint: "Your local time." }),
    field("Caption", caption),
    extras.element,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save changes" })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const body = { scheduled_time: localToISO(String(data.get("scheduled_time") || "")) };
    body.content = String(data.get("content") || "");
    if (extras.touched()) body.options = extras.read();
    const saved = await api("PUT", `/api/schedule/${encodeURIComponent(post.id)}`, body);
    await onSaved(saved);
  });
  return form;
}

function postItem(post, titles, pageArea, reload) {
  const area = messageArea();
  const headingId = `post-${post.id}`;
  const item = h("li", { class: "card post", "data-post-id": post.id, "data-status": post.status, "aria-labelledby": headingId });
  const video = titles.get(post.video_id) || (post.video_id ? "A video" : "A deleted video");
  item.append(
    h("h3", { id: headingId, class: "card-title" }, `${post.platform}: ${video}`),
    h("p", { class: "meta" }, badge(post.status), h("span", { text: formatWhen(post.scheduled_time) }),
      h("span", { text: `attempts: ${post.attempts}` })),
  );
  if (post.content) item.append(h("p", { class: "quote-text", text: post.content }));
  if (post.options && Object.keys(post.options).length) {
    const shown = Object.entries(post.options).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}`);
    item.append(h("p", { class: "meta post-options", text: `Options: ${shown.join("; ")}` }));
  }
  if (post.published_url) {
    item.append(h("p", {}, h("a", { href: post.published_url, rel: "noopener noreferrer", target: "_blank", text: "See the published post" })));
  }
  if (post.error) {
    const label = post.status === "failed" || post.status === "cancelled" ? "Reason: " : "Last attempt: ";
    item.append(h("p", { class: "error-text reason" }, h("strong", { text: label }), post.error));
  }
  if (post.status === "pending") {
    const holderId = `reschedule-${post.id}`;
    const holder = h("div", { id: holderId, hidden: true });
    const toggle = h("button", { type: "button", text: "Reschedule", "aria-expanded": "false", "aria-controls": holderId });
    toggle.addEventListener("click", () => {
      const open = holder.hidden;
      holder.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open && !holder.firstChild) {
        holder.append(rescheduleForm(post, async (saved) => {
          pageArea.say(`The ${saved.platform} post is now due ${formatWhen(saved.scheduled_time)}.`, "ok");
          await reload();
        }));
      }
      if (open) holder.querySelector("input")?.focus();
    });
    item.append(
      h("div", { class: "actions" }, toggle, confirmButton("Cancel post", "Cancel it", area, async () => {
        await api("DELETE", `/api/schedule/${encodeURIComponent(post.id)}`);
        pageArea.say(`The ${post.platform} post was cancelled.`, "ok");
        await reload();
      }, { about: `${post.platform} post of ${video}` })),
      holder,
    );
  }
  item.append(area);
  return item;
}

export async function render(view) {
  const pageArea = messageArea();
  const sections = h("div", { class: "sections" });
  const summary = h("p", { class: "summary" });

  async function reload() {
    const [posts, videos] = await Promise.all([
      api("GET", withQuery("/api/schedule/list", { limit: 100 })),
      api("GET", withQuery("/api/video/list", { limit: 100 })),
    ]);
    const titles = new Map(videos.items.map((v) => [v.id, v.title || "Untitled video"]));
    summary.textContent =
      posts.total > posts.items.length ? `Showing the first ${posts.items.length} of ${posts.total} posts.` : "";
    sections.replaceChildren(
      ...GROUPS.map((group) => {
        let items = posts.items.filter((post) => group.statuses.includes(post.status));
        if (group.id !== "upcoming") items = items.reverse(); // most recent first
        const headingId = `group-${group.id}`;
        return h(
          "section",
          { class: "group-section", id: `posts-${group.id}`, "aria-labelledby": headingId },
          h("h2", { id: headingId, text: `${group.title} (${items.length})` }),
          items.length
            ? h("ul", { class: "posts" }, items.map((post) => postItem(post, titles, pageArea, reload)))
            : h("p", { class: "empty", text: group.empty }),
        );
      }),
    );
  }

  const refresh = actionButton("Refresh", pageArea, async () => {
    await reload();
    pageArea.say("Up to date.", "info");
  });
  view.append(
    pageHeading("Scheduled posts"),
    h("div", { class: "toolbar" }, summary, refresh, h("a", { class: "button", href: "#/library", text: "Schedule a video" })),
    pageArea,
    sections,
  );
  await reload();
}
