// Building the page: elements, labelled fields, messages next to the field or action, dates.

import { ApiError } from "./api.js";

let lastId = 0;

/** A fresh element id starting with `prefix`. */
export function uid(prefix = "el") {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/**
 * Make an element. `props`: `class`, `text`, `on<event>` handlers, `value`/`checked`/`selected`
 * (set as properties), `hidden`/`disabled`/`required`… (true adds the attribute), other attributes.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const properties = {};
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value" || name === "checked" || name === "selected") properties[name] = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  Object.assign(element, properties);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Text only screen readers read (it completes a short visible label). */
export function hiddenText(text) {
  return h("span", { class: "visually-hidden", text });
}

/** A page heading that receives focus after navigation. */
export function pageHeading(text) {
  return h("h1", { tabindex: "-1", class: "page-title", text });
}

/**
 * A labelled control with an optional hint and a place for its error (shown by showError).
 * The wrapper's `data-field` is the control's name, which matches the API's `fields` keys.
 */
export function field(labelText, control, { hint, name } = {}) {
  if (!control.id) control.id = uid("field");
  const fieldName = name || control.getAttribute("name") || "";
  const wrapper = h("div", { class: "field", "data-field": fieldName });
  const label = h("label", { for: control.id, text: labelText });
  const described = [];
  const parts = [label, control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    described.push(hintId);
    parts.push(h("p", { class: "hint", id: hintId, text: hint }));
  }
  const errorId = `${control.id}-error`;
  described.push(errorId);
  parts.push(h("p", { class: "field-error", id: errorId }));
  control.setAttribute("aria-describedby", described.join(" "));
  wrapper.append(...parts);
  return wrapper;
}

/** A checkbox with its label (text or nodes) after it. */
export function checkbox(labelText, input) {
  if (!input.id) input.id = uid("check");
  input.type = "checkbox";
  return h("div", { class: "check" }, input, h("label", { for: input.id }, labelText));
}

/**
 * A group of checkboxes, one per `options` item ({value, label}), named `name`, inside a fieldset
 * whose legend is `legendText`; its error place is the group's (`data-field` = `name`).
 */
export function checkboxGroup(legendText, name, options, checked = []) {
  const errorId = uid("group-error");
  const group = h(
    "fieldset",
    { class: "field group", "data-field": name, "aria-describedby": errorId },
    h("legend", { text: legendText }),
  );
  for (const option of options) {
    const input = h("input", { name, value: option.value, checked: checked.includes(option.value) });
    group.append(checkbox(option.label, input));
  }
  group.append(h("p", { class: "field-error", id: errorId }));
  return group;
}

/** `<option>`s from {value, label} items, `selected` chosen. */
export function options(items, selected) {
  return items.map((item) =>
    h("option", { value: item.value, text: item.label, selected: item.value === selected }),
  );
}

/**
 * A message area for an action: errors are announced at once (role="alert"), other news politely.
 * Call `.say(text, kind)` with kind "error", "ok" or "info"; an empty text clears it.
 */
export function messageArea(extraClass = "") {
  const alert = h("p", { class: `message ${extraClass}`.trim(), role: "alert" });
  const status = h("p", { class: `message ${extraClass}`.trim(), role: "status" });
  const area = h("div", { class: "messages" }, alert, status);
  area.say = (text, kind = "ok") => {
    alert.textContent = kind === "error" ? text : "";
    status.textContent = kind === "error" ? "" : text;
    status.dataset.kind = kind;
    alert.dataset.kind = "error";
  };
  area.clear = () => area.say("", "info");
  return area;
}

/** The names a field of the API's `fields` may have here: `$.providers.llm` → `providers.llm`, `providers`. */
function fieldNames(key) {
  const path = String(key)
    .replace(/^\$\.?/, "")
    .replace(/^body\.?/, "")
    .replace(/\[\d+\]/g, "");
  return [path, path.split(".")[0]].filter(Boolean);
}

/** Remove the field errors shown in `container`. */
export function clearErrors(container) {
  for (const place of container.querySelectorAll(".field-error")) place.textContent = "";
  for (const control of container.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/**
 * Show `error` (an ApiError or any Error): each of its `fields` next to that field in `container`,
 * and its message in `area` (the action's message area). Returns the first invalid control.
 */
export function showError(container, error, area) {
  clearErrors(container);
  const message =
    error instanceof ApiError ? error.message : `Something went wrong in the page: ${error.message || error}`;
  if (area) area.say(message, "error");
  let first = null;
  const fields = error instanceof ApiError && error.fields ? error.fields : {};
  for (const [key, text] of Object.entries(fields)) {
    const wrapper = fieldNames(key)
      .map((name) => container.querySelector(`[data-field="${CSS.escape(name)}"]`))
      .find(Boolean);
    if (!wrapper) continue;
    const place = wrapper.querySelector(":scope > .field-error");
    if (place) place.textContent = text;
    const control = wrapper.querySelector("input, select, textarea");
    if (control) {
      control.setAttribute("aria-invalid", "true");
      first = first || control;
    }
  }
  return first;
}

/** When an action re-rendered the part of the page that had the focus, put it on the page heading. */
function keepFocus() {
  if (!document.activeElement || document.activeElement === document.body) {
    document.querySelector("main h1")?.focus();
  }
}

/**
 * Run `action` when `form` is submitted (no page load); while it runs the submit button is
 * marked busy and further submits are ignored; an error is shown next to its fields and in `area`.
 */
export function onSubmit(form, area, action) {
  let busy = false;
  form.noValidate = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    const button = event.submitter || form.querySelector("[type=submit]");
    button?.setAttribute("aria-disabled", "true");
    form.setAttribute("aria-busy", "true");
    clearErrors(form);
    area.clear();
    try {
      await action(new FormData(form));
    } catch (error) {
      const invalid = showError(form, error, area);
      invalid?.focus();
    } finally {
      busy = false;
      button?.removeAttribute("aria-disabled");
      form.removeAttribute("aria-busy");
      if (!form.isConnected) keepFocus();
    }
  });
}

/** A button that runs `action` on click, marked busy meanwhile; errors go to `area`. */
export function actionButton(text, area, action, props = {}) {
  let busy = false;
  const button = h("button", { type: "button", ...props, text });
  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-disabled", "true");
    area.clear();
    try {
      await action(button);
    } catch (error) {
      area.say(error instanceof ApiError ? error.message : `Something went wrong in the page: ${error.message}`, "error");
    } finally {
      busy = false;
      button.removeAttribute("aria-disabled");
      if (!button.isConnected) keepFocus();
    }
  });
  return button;
}

/**
 * A "Delete" button that asks again in place: "Confirm" runs `action`, "Keep" goes back.
 * Keyboard focus follows the buttons; `about` names the object for screen readers.
 */
export function confirmButton(text, confirmText, area, action, { about } = {}) {
  const wrapper = h("span", { class: "confirm" });
  const start = h("button", { type: "button", class: "danger", text, "aria-label": about ? `${text}: ${about}` : undefined });
  const yes = actionButton(confirmText, area, action, {
    class: "danger",
    "aria-label": about ? `${confirmText}: ${about}` : undefined,
  });
  const no = h("button", { type: "button", text: "Keep" });
  const asking = h("span", { class: "confirm-ask", hidden: true }, yes, no);
  start.addEventListener("click", () => {
    start.hidden = true;
    asking.hidden = false;
    yes.focus();
  });
  no.addEventListener("click", () => {
    asking.hidden = true;
    start.hidden = false;
    start.focus();
  });
  wrapper.append(start, asking);
  return wrapper;
}

/** A date and time from the API (ISO 8601) in the reader's own zone and language; "—" for none. */
export function formatWhen(iso) {
  if (!iso) return "—";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return String(iso);
  return moment.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function pad(number) {
  return String(number).padStart(2, "0");
}

/** `moment` as a `datetime-local` input value (the browser's zone). */
export function toDateTimeLocal(moment) {
  return (
    `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}` +
    `T${pad(moment.getHours())}:${pad(moment.getMinutes())}`
  );
}

/**
 * A `datetime-local` value as ISO 8601 with the browser's offset at that moment
 * (`2026-12-01T09:00` → `2026-12-01T09:00:00+01:00`); an unreadable value is passed on for the API to refuse.
 */
export function localToISO(value) {
  if (!value) return value;
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return value;
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  const offset = -moment.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const minutes = Math.abs(offset);
  return `${withSeconds}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** A short status word shown as a badge (the word itself carries the meaning, not only the colour). */
export function badge(status) {
  return h("span", { class: `badge badge-${String(status).replace(/\s+/g, "-")}`, text: status });
}
