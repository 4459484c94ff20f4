// Sign in and register: POST /api/auth/login and /api/auth/register.

import { api } from "../api.js";
import { field, h, messageArea, onSubmit, pageHeading } from "../dom.js";

function input(name, type, autocomplete, extra = {}) {
  return h("input", { name, type, autocomplete, required: true, "aria-required": "true", ...extra });
}

export function renderSignIn(view, app) {
  const area = messageArea();
  const form = h(
    "form",
    { id: "signin-form", class: "card narrow" },
    field("Email", input("email", "email", "username", { id: "signin-email" })),
    field("Password", input("password", "password", "current-password", { id: "signin-password" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Sign in" })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const result = await api("POST", "/api/auth/login", {
      email: String(data.get("email") || ""),
      password: String(data.get("password") || ""),
    });
    app.signedIn(result);
  });
  view.append(
    pageHeading("Sign in to Oasis"),
    form,
    h("p", { class: "aside" }, "No account yet? ", h("a", { href: "#/register", text: "Register" })),
  );
}

export function renderRegister(view, app) {
  const area = messageArea();
  const form = h(
    "form",
    { id: "register-form", class: "card narrow" },
    field("Name", input("name", "text", "name", { id: "register-name", maxlength: "255" })),
    field("Email", input("email", "email", "email", { id: "register-email" })),
    field("Password", input("password", "password", "new-password", { id: "register-password" }), {
      hint: "8 to 72 bytes.",
    }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Create account" })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const result = await api("POST", "/api/auth/register", {
      name: String(data.get("name") || ""),
      email: String(data.get("email") || ""),
      password: String(data.get("password") || ""),
    });
    app.signedIn(result);
  });
  view.append(
    pageHeading("Create an account"),
    form,
    h("p", { class: "aside" }, "Already registered? ", h("a", { href: "#/signin", text: "Sign in" })),
  );
}
