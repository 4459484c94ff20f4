// Create: write (or edit) a quote and a visual prompt, pick the look and the providers, render,
// follow the render's progress and preview the result.

import { api, providers as loadProviders } from "../api.js";
import { actionButton, field, h, messageArea, onSubmit, options, pageHeading, showError } from "../dom.js";
import { captionFields } from "./caption_fields.js";

const PORTS = [
  { id: "llm", label: "Writing (language model)" },
  { id: "speech", label: "Voice (speech)" },
  { id: "visuals", label: "Pictures (visuals)" },
];
const STAGES = {
  queued: "Waiting for a worker",
  speech: "Recording the voice",
  visuals: "Making the pictures",
  compose: "Composing the video",
  upload: "Storing the video",
  done: "Done",
};
const POLL_MS = 1000;
const MAX_TEXT = 1000;

function providerOptions(items) {
  return items.map((item) => ({
    value: item.id,
    label: `${item.name}${item.default ? " (default)" : ""}${item.needs_key ? ` · needs a ${item.needs_key} key` : ""}`,
  }));
}

function defaultOf(items) {
  const marked = items.find((item) => item.default);
  return marked ? marked.id : items[0]?.id;
}

/** The providers chosen in the form, by port. */
function chosenProviders(data) {
  const chosen = {};
  for (const port of PORTS) {
    const value = String(data.get(`provider_${port.id}`) || "");
    if (value) chosen[port.id] = value;
  }
  return chosen;
}

export async function render(view) {
  const catalog = await loadProviders({ refresh: true });
  let stopped = false;
  let timer = null;

  const category = h("select", { name: "category", id: "category" },
    options(catalog.categories.map((c) => ({ value: c.id, label: c.name })), catalog.categories[0]?.id));
  const style = h("select", { name: "style", id: "style" },
    options(catalog.styles.map((s) => ({ value: s.id, label: s.name })),
      catalog.styles.some((s) => s.id === "cinematic") ? "cinematic" : catalog.styles[0]?.id));
  const aspect = h("select", { name: "aspect", id: "aspect" },
    options(catalog.aspects.map((a) => ({ value: a.id, label: `${a.id} (${a.width}×${a.height})` })), "9:16"));
  const captions = await captionFields(aspect);
  const quote = h("textarea", { name: "content", id: "quote", rows: "4", maxlength: String(MAX_TEXT) });
  const prompt = h("textarea", { name: "visual_prompt", id: "visual-prompt", rows: "4", maxlength: String(MAX_TEXT) });
  const title = h("input", { name: "title", id: "title", type: "text", maxlength: "255", autocomplete: "off" });
  const description = h("textarea", { name: "description", id: "description", rows: "2", maxlength: "5000" });
  const author = h("p", { class: "hint", id: "quote-author" });
  let written = "";
  let writtenBy = "";
  // the attribution belongs to the quote as written: editing the words drops it
  quote.addEventListener("input", () => {
    if (quote.value.trim() !== written) {
      author.textContent = "";
      writtenBy = "";
    }
  });

  const providerSelects = {};
  const providerFields = PORTS.map((port) => {
    const items = catalog[port.id] || [];
    const select = h("select", { name: `provider_${port.id}`, id: `provider-${port.id}` },
      options(providerOptions(items), defaultOf(items)));
    providerSelects[port.id] = select;
    return field(port.label, select, { name: `providers.${port.id}` });
  });
  const voice = h("select", { name: "voice", id: "voice" });
  const voiceField = field("Voice", voice);
  const voiceHint = h("p", { class: "hint", id: "voice-note" });
  voiceField.append(voiceHint);
  voice.setAttribute("aria-describedby", `${voice.getAttribute("aria-describedby")} voice-note`);
  function fillVoices() {
    const voices = catalog.voices[providerSelects.speech.value] || [];
    voice.replaceChildren(
      h("option", { value: "", text: "The provider's default voice" }),
      ...voices.map((v) => h("option", { value: v.id, text: `${v.name} (${v.language})${v.licence ? ` · ${v.licence}` : ""}` })),
    );
    voiceHint.textContent = voices.length
      ? ""
      : "This provider's voices are listed once its key is saved; its default voice is used.";
  }
  providerSelects.speech.addEventListener("change", fillVoices);
  fillVoices();

  const quoteArea = messageArea();
  const promptArea = messageArea();
  const renderArea = messageArea();
  const form = h("form", { id: "create-form", class: "card" });

  const writeQuote = actionButton("Write a quote", quoteArea, async () => {
    const data = new FormData(form);
    const providers = chosenProviders(data);
    try {
      const result = await api("POST", "/api/video/generate", {
        type: "quote",
        category: category.value,
        providers: providers.llm ? { llm: providers.llm } : undefined,
      });
      quote.value = result.content;
      written = result.content.trim();
      writtenBy = result.author || "";
      author.textContent = writtenBy ? `— ${writtenBy}` : "";
      quoteArea.say("Quote written; edit it as you like.", "ok");
      quote.focus();
    } catch (error) {
      showError(form, error, quoteArea);
    }
  }, { id: "write-quote" });

  const writePrompt = actionButton("Write a visual prompt", promptArea, async () => {
    const data = new FormData(form);
    const providers = chosenProviders(data);
    try {
      const result = await api("POST", "/api/video/generate", {
        type: "visual_prompt",
        content: quote.value,
        category: category.value,
        style: style.value,
        providers: providers.llm ? { llm: providers.llm } : undefined,
      });
      prompt.value = result.content;
      promptArea.say("Visual prompt written; edit it as you like.", "ok");
      prompt.focus();
    } catch (error) {
      showError(form, error, promptArea);
    }
  }, { id: "write-prompt" });

  const bar = h("progress", { id: "render-bar", max: "100", value: "0" });
  const percent = h("span", { id: "render-percent", class: "percent", text: "0 %" });
  const stage = h("p", { id: "render-stage", role: "status", class: "stage" });
  const preview = h("div", { id: "preview", class: "preview" });
  const progress = h(
    "section",
    { id: "render-progress", class: "card", hidden: true, "aria-labelledby": "render-heading" },
    h("h2", { id: "render-heading", text: "Render" }),
    h("div", { class: "progress-row" }, h("label", { for: "render-bar", text: "Progress" }), bar, percent),
    stage,
    preview,
  );

  function showStatus(status) {
    bar.value = status.progress;
    percent.textContent = `${status.progress} %`;
    progress.dataset.status = status.status;
    const label = STAGES[status.stage] || status.stage;
    if (stage.dataset.stage !== status.stage || status.status !== "processing") {
      stage.dataset.stage = status.stage;
      stage.textContent = status.status === "failed" ? `Failed while ${label.toLowerCase()}` : label;
    }
    if (status.status === "completed" && status.url) {
      const video = h("video", {
        id: "preview-video",
        controls: true,
        playsinline: true,
        preload: "metadata",
        src: status.url,
        poster: status.thumbnail_url || undefined,
        "aria-label": "Preview of the new video",
      });
      preview.replaceChildren(video, h("p", {}, h("a", { href: "#/library", text: "See it in the Library" })));
    }
    if (status.status === "failed") renderArea.say(status.error || "The render failed.", "error");
  }

  async function follow(id) {
    if (stopped) return;
    try {
      const status = await api("GET", `/api/video/generate/${encodeURIComponent(id)}/status`);
      if (stopped) return;
      showStatus(status);
      if (status.status === "processing") timer = setTimeout(() => follow(id), POLL_MS);
    } catch (error) {
      if (stopped) return;
      renderArea.say(`${error.message} (checking again shortly)`, "error");
      if (error.status !== 401 && error.status !== 404) timer = setTimeout(() => follow(id), POLL_MS * 3);
    }
  }

  onSubmit(form, renderArea, async (data) => {
    const body = {
      type: "video",
      category: category.value,
      content: quote.value,
      visual_prompt: prompt.value,
      style: style.value,
      aspect: aspect.value,
      providers: chosenProviders(data),
      captions: captions.value(),
    };
    if (voice.value) body.voice = voice.value;
    if (writtenBy && quote.value.trim() === written) body.author = writtenBy; // the end card names them
    if (title.value.trim()) body.title = title.value.trim();
    if (description.value.trim()) body.description = description.value.trim();
    const { id } = await api("POST", "/api/video/generate", body);
    clearTimeout(timer);
    preview.replaceChildren();
    stage.dataset.stage = "";
    progress.hidden = false;
    progress.dataset.videoId = id;
    showStatus({ status: "processing", progress: 0, stage: "queued" });
    renderArea.say("Rendering started.", "info");
    follow(id);
  });

  form.append(
    field("Category", category),
    h("div", { class: "field-with-action" },
      field("Quote", quote, { hint: `Up to ${MAX_TEXT} characters; write your own or let Oasis write one.` }),
      author,
      h("div", { class: "actions" }, writeQuote),
      quoteArea),
    field("Style", style),
    h("div", { class: "field-with-action" },
      field("Visual prompt", prompt, { hint: "What the background pictures show." }),
      h("div", { class: "actions" }, writePrompt),
      promptArea),
    h("div", { class: "row" }, field("Aspect", aspect), voiceField),
    captions.element,
    h("fieldset", { class: "field group", "data-field": "providers" },
      h("legend", { text: "Providers" }),
      h("div", { class: "row" }, providerFields),
      h("p", { class: "field-error", id: "providers-error" })),
    field("Title (optional)", title),
    field("Description (optional)", description),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "render", text: "Render video" })),
    renderArea,
  );

  view.append(pageHeading("Create a video"), form, progress);
  return () => {
    stopped = true;
    clearTimeout(timer);
    captions.stop();
  };
}
