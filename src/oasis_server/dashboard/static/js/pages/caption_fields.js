// The Create page's caption choices: a preset picker and a few fields, with a preview still that the
// server draws with the same painter as the render (POST /api/captions/preview answers a PNG).

import { api, ApiError, token } from "../api.js";
import { clearErrors, field, h, options, showError } from "../dom.js";

const PREVIEW_DELAY_MS = 350;
const PRESET_LABELS = {
  classic: "Classic (white, spoken word yellow)",
  boxed: "Boxed (text on a translucent box)",
  bold: "Bold outline (capitals)",
  minimal: "Minimal lower third",
};

/** Fetch a PNG preview of `body` ({captions, aspect}); resolves to a Blob, rejects with an ApiError. */
async function previewImage(body) {
  const headers = { "Content-Type": "application/json", Accept: "image/png" };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch("/api/captions/preview", {
    method: "POST", headers, body: JSON.stringify(body), credentials: "omit", cache: "no-store",
  });
  if (response.ok) return response.blob();
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  throw new ApiError(response.status, data?.error || `The server answered ${response.status}`, data?.fields || null);
}

/**
 * The caption fieldset. `aspect` is the form's aspect select (the preview follows it).
 * Returns `{ element, value() }`: `value()` is the request's `captions` object.
 */
export async function captionFields(aspect) {
  const choices = await api("GET", "/api/captions");
  const presets = Object.fromEntries(choices.presets.map((p) => [p.preset, p]));
  const preset = h("select", { name: "captions.preset", id: "caption-preset" },
    options(choices.presets.map((p) => ({ value: p.preset, label: PRESET_LABELS[p.preset] || p.preset })), "classic"));
  const position = h("select", { name: "captions.position", id: "caption-position" },
    options(choices.positions.map((p) => ({ value: p, label: p[0].toUpperCase() + p.slice(1) })), "bottom"));
  const font = h("select", { name: "captions.font", id: "caption-font" },
    options([{ value: "", label: "The preset's font" }, ...choices.fonts.map((f) => ({ value: f, label: f }))], ""));
  const size = h("input", {
    name: "captions.size", id: "caption-size", type: "number", min: "16", max: "200", step: "1",
    placeholder: "automatic", inputmode: "numeric",
  });
  const colour = h("input", { name: "captions.colour", id: "caption-colour", type: "color" });
  const highlight = h("input", { name: "captions.highlight_colour", id: "caption-highlight", type: "color" });
  const words = h("input", {
    name: "captions.words_per_phrase", id: "caption-words", type: "number", min: "1", max: "10", step: "1",
  });
  const uppercase = h("input", { name: "captions.uppercase", id: "caption-uppercase", type: "checkbox" });
  const image = h("img", { id: "caption-preview", class: "caption-preview", alt: "Preview of the captions" });
  const note = h("p", { class: "hint", id: "caption-preview-note", role: "status" });

  function fillFromPreset() {
    const chosen = presets[preset.value];
    if (!chosen) return;
    position.value = chosen.position;
    colour.value = chosen.colour.slice(0, 7);
    highlight.value = chosen.highlight_colour.slice(0, 7);
    words.value = String(chosen.words_per_phrase);
    uppercase.checked = chosen.uppercase;
  }

  function value() {
    const captions = {
      preset: preset.value,
      position: position.value,
      colour: colour.value,
      highlight_colour: highlight.value,
      uppercase: uppercase.checked,
    };
    if (font.value) captions.font = font.value;
    if (size.value.trim()) captions.size = Number(size.value);
    if (words.value.trim()) captions.words_per_phrase = Number(words.value);
    return captions;
  }

  let timer = null;
  let shown = null;
  let asked = 0;
  async function refresh() {
    const mine = ++asked;
    try {
      const blob = await previewImage({ captions: value(), aspect: aspect.value });
      if (mine !== asked) return;
      if (shown) URL.revokeObjectURL(shown);
      shown = URL.createObjectURL(blob);
      image.src = shown;
      note.textContent = "";
      clearErrors(element);
    } catch (error) {
      if (mine !== asked) return;
      note.textContent = `No preview: ${error.message}`;
      showError(element, error);
    }
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, PREVIEW_DELAY_MS);
  }

  preset.addEventListener("change", () => {
    fillFromPreset();
    later();
  });
  for (const control of [position, font, size, colour, highlight, words, uppercase, aspect]) {
    control.addEventListener(control.type === "number" ? "input" : "change", later);
  }
  const element = h("fieldset", { class: "field group captions", "data-field": "captions" },
    h("legend", { text: "Captions" }),
    h("div", { class: "caption-style" },
      h("div", { class: "caption-fields" },
        h("div", { class: "row" }, field("Preset", preset), field("Position", position)),
        h("div", { class: "row" }, field("Font", font), field("Size (pixels)", size, { hint: "16–200; empty: automatic" })),
        h("div", { class: "row" }, field("Text colour", colour), field("Spoken word colour", highlight)),
        h("div", { class: "row" },
          field("Words at a time", words),
          h("div", { class: "field", "data-field": "captions.uppercase" },
            h("div", { class: "check" }, uppercase, h("label", { for: uppercase.id, text: "Capitals" })),
            h("p", { class: "field-error" })))),
      h("figure", { class: "caption-figure" }, image, h("figcaption", {}, note))),
    h("p", { class: "field-error", id: "captions-error" }));
  fillFromPreset();
  refresh();
  return { element, value, stop: () => clearTimeout(timer) };
}
