// Per-platform post options in the "Schedule a video" form, built from GET /api/social/{platform}/creator.
// TikTok's form follows its required UX: the creator's nickname, a privacy picked from the creator's
// options with no default, comment/duet/stitch unchecked (and disabled where the creator disabled them),
// commercial-content toggles off, and the Music Usage Confirmation sentence before the button.

import { api } from "../api.js";
import { checkbox, field, h, uid } from "../dom.js";

const PRIVACY_NAMES = {
  PUBLIC_TO_EVERYONE: "Everyone",
  MUTUAL_FOLLOW_FRIENDS: "Friends",
  FOLLOWER_OF_CREATOR: "Followers",
  SELF_ONLY: "Only me",
};

const MUSIC_CONFIRMATION = "By posting, you agree to TikTok's Music Usage Confirmation.";

/** The control's name for one option: it matches the API's `fields` keys (options.tiktok.privacy_level). */
function optionName(platform, option) {
  return `options.${platform}.${option}`;
}

/** A labelled checkbox inside a field wrapper, so the API's error for it shows next to it. */
function flag(platform, option, labelText, { checked = false, disabled = false, hint } = {}) {
  const name = optionName(platform, option);
  const input = h("input", { name, checked, disabled, "data-option": option });
  const wrapper = h("div", { class: "field", "data-field": name }, checkbox(labelText, input));
  if (hint) wrapper.append(h("p", { class: "hint", text: hint }));
  const errorId = uid("option-error");
  input.setAttribute("aria-describedby", errorId);
  wrapper.append(h("p", { class: "field-error", id: errorId }));
  return wrapper;
}

function text(platform, option, labelText, props = {}, hint = undefined) {
  const tag = props.rows ? "textarea" : "input";
  const control = h(tag, { name: optionName(platform, option), "data-option": option, ...props });
  return field(labelText, control, { hint });
}

function youtubeFields(rules) {
  const privacy = h(
    "select",
    { name: optionName("youtube", "privacy"), "data-option": "privacy" },
    rules.privacy_options.map((value) => h("option", { value, text: value, selected: value === "public" })),
  );
  return [
    text("youtube", "title", "Title (optional)", { maxlength: String(rules.limits.title_chars || 100) },
      "At most 100 characters, without < or >; the video's title when empty."),
    text("youtube", "description", "Description (optional)", { rows: "2" },
      "At most 5,000 bytes; the caption when empty."),
    text("youtube", "tags", "Tags (optional)", {}, "Separated by commas; at most 500 characters in all."),
    text("youtube", "category_id", "Category id", { value: "22", inputmode: "numeric" }, "22 is People & Blogs."),
    field("Visibility", privacy),
    flag("youtube", "made_for_kids", "Made for kids"),
    flag("youtube", "notify_subscribers", "Notify subscribers", { checked: true }),
    flag("youtube", "synthetic_media", "Altered or synthetic content", { checked: true }),
  ];
}

function tiktokFields(rules) {
  const privacy = h(
    "select",
    { name: optionName("tiktok", "privacy_level"), "data-option": "privacy_level", "aria-required": "true" },
    h("option", { value: "", text: "Choose who can see it", selected: true, disabled: true }),
    rules.privacy_options.map((value) => h("option", { value, text: PRIVACY_NAMES[value] || value })),
  );
  const switches = [
    ["disable_comment", "Allow comments", rules.comment_disabled],
    ["disable_duet", "Allow duets", rules.duet_disabled],
    ["disable_stitch", "Allow stitches", rules.stitch_disabled],
  ].map(([option, label, off]) =>
    flag("tiktok", option, label, {
      disabled: off,
      hint: off ? "Turned off in this account's TikTok settings." : undefined,
    }),
  );
  for (const wrapper of switches) wrapper.querySelector("input").dataset.inverted = "true";
  return [
    h("p", { class: "creator" }, "Posting as ", h("strong", { text: rules.nickname || rules.username || "this account" })),
    field("Who can see this video", privacy, {
      hint: rules.privacy_options.length === 1 && rules.privacy_options[0] === "SELF_ONLY"
        ? "This account can only post privately for now."
        : undefined,
    }),
    ...switches,
    flag("tiktok", "is_aigc", "AI-generated content", { checked: true }),
    flag("tiktok", "brand_organic_toggle", "Your brand: promotional content"),
    flag("tiktok", "brand_content_toggle", "Branded content: a paid partnership",
      { hint: "Branded content cannot be private." }),
    h("p", { class: "hint music", text: MUSIC_CONFIRMATION }),
    h("p", { class: "hint", text: "TikTok may take a few minutes to process the video after it is sent." }),
  ];
}

function instagramFields(rules) {
  return [
    text("instagram", "caption", "Reel caption (optional)", { rows: "2", maxlength: String(rules.limits.caption_chars || 2200) },
      "At most 2,200 characters and 30 hashtags; made from the title and caption when empty."),
    flag("instagram", "share_to_feed", "Also share to the feed", { checked: true }),
    text("instagram", "cover_time", "Cover frame (seconds)", { type: "number", min: "0", step: "0.1" },
      "The moment of the video shown as its cover; about one second in when empty."),
  ];
}

const BUILDERS = { youtube: youtubeFields, tiktok: tiktokFields, instagram: instagramFields };

/** Show a post's stored `values` (as the API answers them) in a platform's controls. */
function fill(holder, values) {
  for (const control of holder.querySelectorAll("[data-option]")) {
    const value = values[control.dataset.option];
    if (value === undefined || value === null) continue;
    if (control.type === "checkbox") control.checked = control.dataset.inverted ? !value : Boolean(value);
    else control.value = Array.isArray(value) ? value.join(", ") : String(value);
  }
}

/**
 * The options part of a schedule form: `element` to place in the form, `update(platforms, current)` when
 * the chosen platforms change (it asks each account what it allows now; `current` holds stored options
 * per platform to show), `read()` for the request's `options`, `touched()` once the user changed one.
 */
export function postOptions() {
  const element = h("div", { class: "post-options" });
  const sections = new Map();
  let changed = false;
  element.addEventListener("change", () => { changed = true; });
  element.addEventListener("input", () => { changed = true; });

  async function section(platform, current) {
    if (sections.has(platform)) return sections.get(platform);
    const holder = h("fieldset", { class: "field group platform-options", "data-platform": platform },
      h("legend", { text: `${platform} options` }));
    sections.set(platform, holder);
    try {
      const rules = await api("GET", `/api/social/${encodeURIComponent(platform)}/creator`);
      holder.append(...BUILDERS[platform](rules));
      if (current) fill(holder, current);
    } catch (error) {
      holder.append(h("p", { class: "error-text", text: `Could not read what this account allows: ${error.message}` }));
    }
    return holder;
  }

  async function update(platforms, current = {}) {
    const chosen = platforms.filter((platform) => BUILDERS[platform]);
    const holders = await Promise.all(chosen.map((platform) => section(platform, current[platform])));
    element.replaceChildren(...holders);
  }

  function read() {
    const options = {};
    for (const holder of element.querySelectorAll("[data-platform]")) {
      const platform = holder.dataset.platform;
      const chosen = {};
      for (const control of holder.querySelectorAll("[data-option]")) {
        const option = control.dataset.option;
        if (control.type === "checkbox") {
          chosen[option] = control.dataset.inverted ? !control.checked : control.checked;
        } else if (control.value.trim() !== "") {
          if (option === "tags") chosen.tags = control.value.split(",").map((tag) => tag.trim()).filter(Boolean);
          else if (option === "cover_time") chosen.cover_time = Number(control.value);
          else chosen[option] = control.value.trim();
        }
      }
      options[platform] = chosen;
    }
    return options;
  }

  return { element, update, read, touched: () => changed };
}
