// The dashboard's entry point: who is signed in, the navigation, and which page to show.

import { api, clearToken, forgetProviders, saveToken, setUnauthorizedHandler, token } from "./api.js";
import { h } from "./dom.js";
import { currentRoute, navigate, startRouter } from "./router.js";
import * as admin from "./pages/admin.js";
import * as auth from "./pages/auth.js";
import * as automations from "./pages/automations.js";
import * as create from "./pages/create.js";
import * as keys from "./pages/keys.js";
import * as library from "./pages/library.js";
import * as schedule from "./pages/schedule.js";
import * as social from "./pages/social.js";

/** Route name → the page: its title, its render(view, app), and who may see it. */
const PAGES = {
  signin: { title: "Sign in", render: auth.renderSignIn, public: true },
  register: { title: "Register", render: auth.renderRegister, public: true },
  create: { title: "Create", render: create.render },
  library: { title: "Library", render: library.render },
  schedule: { title: "Schedule", render: schedule.render },
  automations: { title: "Automations", render: automations.render },
  social: { title: "Connections", render: social.render },
  keys: { title: "API keys", render: keys.render },
  admin: { title: "Admin", render: admin.render, admin: true },
};
const HOME = "create";

const app = {
  user: null,
  /** After sign-in or registration: keep the token and go where the user was heading. */
  signedIn(result) {
    saveToken(result.token);
    app.user = result.user;
    forgetProviders();
    updateChrome();
    const wanted = app.returnTo && PAGES[app.returnTo] && !PAGES[app.returnTo].public ? app.returnTo : HOME;
    app.returnTo = null;
    navigate(wanted, { replace: true });
  },
  navigate,
  returnTo: null,
};

let cleanup = null;
let renderCount = 0;
let shownBefore = false;

function updateChrome(route = currentRoute()) {
  const signedIn = Boolean(app.user);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("account").hidden = !signedIn;
  document.getElementById("nav-admin").hidden = !(signedIn && app.user.role === "admin");
  document.getElementById("account-name").textContent = signedIn ? app.user.name : "";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${route}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function show(route) {
  const signedIn = Boolean(app.user);
  let name = PAGES[route] ? route : "";
  if (!name) {
    navigate(signedIn ? HOME : "signin", { replace: true });
    return;
  }
  const page = PAGES[name];
  if (!page.public && !signedIn) {
    app.returnTo = name;
    navigate("signin", { replace: true });
    return;
  }
  if (page.public && signedIn) {
    navigate(HOME, { replace: true });
    return;
  }
  if (page.admin && app.user.role !== "admin") {
    navigate(HOME, { replace: true });
    return;
  }
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  renderCount += 1;
  const ticket = renderCount;
  updateChrome(name);
  document.title = `${page.title} · Oasis`;
  const view = h("div", { class: `page page-${name}`, "data-page": name });
  const main = document.getElementById("main");
  main.replaceChildren(view);
  let stop = null;
  try {
    stop = await page.render(view, app);
  } catch (error) {
    view.append(h("p", { class: "message", role: "alert", text: error.message || String(error) }));
  }
  if (ticket !== renderCount) {
    if (typeof stop === "function") stop();
    return;
  }
  cleanup = typeof stop === "function" ? stop : null;
  view.dataset.ready = "true";
  // After a move between pages, focus the new heading so screen readers announce it; on the first
  // page load focus stays at the top, where Tab reaches the skip link first.
  const heading = view.querySelector("h1");
  if (shownBefore && heading && !view.contains(document.activeElement)) heading.focus();
  shownBefore = true;
}

async function signOut() {
  try {
    await api("POST", "/api/auth/logout");
  } catch {
    // the token is forgotten here whatever the server says
  }
  clearToken();
  app.user = null;
  forgetProviders();
  updateChrome();
  navigate("signin");
}

async function boot() {
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("main").focus();
  });
  document.getElementById("sign-out").addEventListener("click", signOut);
  if (token()) {
    try {
      app.user = (await api("GET", "/api/auth/verify")).user;
    } catch {
      clearToken();
      app.user = null;
    }
  }
  setUnauthorizedHandler(() => {
    app.user = null;
    updateChrome();
    const route = currentRoute();
    if (PAGES[route] && !PAGES[route].public) app.returnTo = route;
    navigate("signin", { replace: true });
  });
  updateChrome();
  startRouter(show);
}

boot();
