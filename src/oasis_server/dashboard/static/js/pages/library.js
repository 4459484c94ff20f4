// Library: the user's videos with thumbnails and status; play, download, schedule, delete.

import { api, providers as loadProviders, withQuery } from "../api.js";
import { actionButton, badge, confirmButton, formatWhen, h, messageArea, pageHeading } from "../dom.js";
import { platformChoices, scheduleForm } from "./scheduling.js";

const PAGE_SIZE = 12;

function durationText(seconds) {
  if (seconds === null || seconds === undefined) return null;
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

function mediaOf(video) {
  if (video.thumbnail_url) {
    return h("img", {
      class: "thumb",
      src: video.thumbnail_url,
      alt: `Thumbnail of ${video.title || "the video"}`,
      loading: "lazy",
    });
  }
  return h("div", { class: "thumb placeholder", "aria-hidden": "true", text: video.status });
}

function videoCard(video, platforms, pageArea, reload) {
  const cardArea = messageArea();
  const media = h("div", { class: "media" }, mediaOf(video));
  const titleId = `video-title-${video.id}`;
  const card = h("li", { class: "card video-card", "data-video-id": video.id, "aria-labelledby": titleId });
  const details = [
    badge(video.status),
    h("span", { text: formatWhen(video.created_at) }),
    durationText(video.duration) ? h("span", { text: durationText(video.duration) }) : null,
    h("span", { text: `${video.category} · ${video.style} · ${video.aspect}` }),
  ];
  const body = [
    h("h2", { class: "card-title", id: titleId, text: video.title || "Untitled video" }),
    h("p", { class: "meta" }, details),
    h("p", { class: "quote-text", text: video.content }),
  ];
  if (video.status === "processing") {
    const barId = `bar-${video.id}`;
    body.push(h("div", { class: "progress-row" },
      h("label", { for: barId, text: `Rendering: ${video.stage}` }),
      h("progress", { id: barId, max: "100", value: String(video.progress) }),
      h("span", { class: "percent", text: `${video.progress} %` })));
  }
  if (video.status === "failed" && video.error) {
    body.push(h("p", { class: "error-text" }, h("strong", { text: "Failed: " }), video.error));
  }
  const actions = h("div", { class: "actions" });
  if (video.status === "completed" && video.url) {
    let player = null;
    const play = h("button", { type: "button", class: "play", text: "Play", "aria-pressed": "false" });
    play.addEventListener("click", () => {
      if (player) {
        media.replaceChildren(mediaOf(video));
        player = null;
        play.textContent = "Play";
        play.setAttribute("aria-pressed", "false");
        return;
      }
      player = h("video", {
        class: "player",
        controls: true,
        playsinline: true,
        autoplay: true,
        src: video.url,
        poster: video.thumbnail_url || undefined,
        "aria-label": `Playing ${video.title || "the video"}`,
      });
      media.replaceChildren(player);
      play.textContent = "Stop";
      play.setAttribute("aria-pressed", "true");
    });
    const download = h("a", {
      class: "button",
      href: video.url,
      download: `oasis-${video.id}.mp4`,
      text: "Download",
      "aria-label": `Download ${video.title || "the video"}`,
    });
    const formId = `schedule-${video.id}`;
    const toggle = h("button", {
      type: "button",
      class: "schedule-toggle",
      text: "Schedule",
      "aria-expanded": "false",
      "aria-controls": formId,
    });
    const holder = h("div", { id: formId, class: "schedule-holder", hidden: true });
    toggle.addEventListener("click", () => {
      const open = holder.hidden;
      holder.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open && !holder.firstChild) holder.append(scheduleForm(video, platforms));
      if (open) holder.querySelector("input")?.focus();
    });
    actions.append(play, download, toggle);
    body.push(actions, holder);
  } else {
    body.push(actions);
  }
  actions.append(
    confirmButton("Delete", "Delete for good", cardArea, async () => {
      await api("DELETE", `/api/video/delete/${encodeURIComponent(video.id)}`);
      pageArea.say(`Deleted ${video.title || "the video"}.`, "ok");
      await reload();
    }, { about: video.title || "untitled video" }),
  );
  body.push(cardArea);
  card.append(media, h("div", { class: "card-body" }, body));
  return card;
}

export async function render(view) {
  let offset = 0;
  const pageArea = messageArea();
  const list = h("ul", { class: "cards", id: "video-list", "aria-label": "Your videos" });
  const summary = h("p", { class: "summary", id: "library-summary" });
  const previous = h("button", { type: "button", text: "Previous" });
  const next = h("button", { type: "button", text: "Next" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages of videos" }, previous, next);

  async function reload() {
    const [catalog, accounts, page] = await Promise.all([
      loadProviders(),
      api("GET", "/api/social/list"),
      api("GET", withQuery("/api/video/list", { limit: PAGE_SIZE, offset })),
    ]);
    if (page.items.length === 0 && offset > 0) {
      offset = Math.max(0, offset - PAGE_SIZE);
      return reload();
    }
    const platforms = platformChoices(catalog, accounts.items);
    list.replaceChildren(...page.items.map((video) => videoCard(video, platforms, pageArea, reload)));
    summary.textContent = page.total
      ? `Showing ${offset + 1}–${offset + page.items.length} of ${page.total} videos.`
      : "No videos yet.";
    previous.hidden = offset === 0;
    next.hidden = offset + page.items.length >= page.total;
    pager.hidden = previous.hidden && next.hidden;
    if (!page.total) list.replaceChildren();
    return page;
  }

  previous.addEventListener("click", async () => {
    offset = Math.max(0, offset - PAGE_SIZE);
    await reload().catch((error) => pageArea.say(error.message, "error"));
  });
  next.addEventListener("click", async () => {
    offset += PAGE_SIZE;
    await reload().catch((error) => pageArea.say(error.message, "error"));
  });
  const refresh = actionButton("Refresh", pageArea, async () => {
    await reload();
    pageArea.say("Up to date.", "info");
  });

  view.append(
    pageHeading("Library"),
    h("div", { class: "toolbar" }, summary, refresh, h("a", { class: "button primary", href: "#/create", text: "Create a video" })),
    pageArea,
    list,
    pager,
  );
  await reload();
}
