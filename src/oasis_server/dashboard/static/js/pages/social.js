// Connections: link YouTube, TikTok and Instagram accounts (OAuth, sign-in, or a pasted token).

import { api, providers as loadProviders } from "../api.js";
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
} from "../dom.js";

/** How a publisher's accounts connect, as GET /api/providers lists it: "oauth", "sign_in", "token". */
function connectsBy(platform, method) {
  return (platform.connect || ["token"]).includes(method);
}

/** What the dashboard says for each reason code the OAuth callback sends; the query string never supplies text. */
const CALLBACK_REASONS = {
  denied: (name) => `You did not allow Oasis on ${name}; nothing was connected.`,
  platform: (name) => `${name} reported a problem and nothing was connected; try again.`,
  refused: (name) => `${name} refused the authorization (expired, already used, or a permission was not granted); connect again and allow every permission asked.`,
  unavailable: (name) => `${name} could not be reached; try again in a few minutes.`,
  failed: (name) => `${name} did not connect; the server's log says why.`,
};

/**
 * The OAuth callback's news (`/?platform=…&status=…&reason=…#/social`), read once and removed from the address.
 * Only codes are read: the text shown comes from CALLBACK_REASONS and the platform's name from the catalog.
 */
function callbackNews() {
  const query = new URLSearchParams(window.location.search);
  const platform = query.get("platform");
  const status = query.get("status");
  if (!platform || !status) return null;
  window.history.replaceState(null, "", `${window.location.pathname}${window.location.hash}`);
  const reason = Object.hasOwn(CALLBACK_REASONS, query.get("reason")) ? query.get("reason") : "failed";
  return { platform, connected: status === "connected", reason };
}

/** The news as a sentence, or null when it names no platform this server offers. */
function newsText(news, publishers) {
  const platform = publishers.find((p) => p.id === news.platform);
  if (!platform) return null;
  return news.connected ? `${platform.name} connected.` : CALLBACK_REASONS[news.reason](platform.name);
}

function signInForm(platform, onConnected) {
  const area = messageArea();
  const form = h(
    "form",
    { class: "signin-form", "aria-label": `Sign in to ${platform.name}` },
    field("Username", h("input", { name: "username", type: "text", autocomplete: "off", spellcheck: "false" })),
    field("Password", h("input", { name: "password", type: "password", autocomplete: "off" }), {
      hint: "Used once to sign in; Oasis keeps the session, never the password.",
    }),
    field("Verification code (if asked)", h("input", { name: "verification_code", type: "text", inputmode: "numeric", autocomplete: "one-time-code" }), {
      hint: "The code from your authenticator app or text message, when two-factor sign-in is on.",
    }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: `Sign in to ${platform.name}` })),
    area,
  );
  onSubmit(form, area, async (data) => {
    // empty fields are left out, so the server says which one is missing
    const body = { platform: platform.id };
    for (const name of ["username", "password", "verification_code"]) {
      const value = String(data.get(name) || "");
      if (value.trim()) body[name] = name === "password" ? value : value.trim();
    }
    const account = await api("POST", "/api/social/connect", body);
    await onConnected(account);
  });
  return form;
}

function tokenForm(platform, onConnected) {
  const area = messageArea();
  const form = h(
    "form",
    { class: "token-form", "aria-label": `Paste a ${platform.name} token` },
    field("Access token", h("input", { name: "access_token", type: "password", autocomplete: "off", spellcheck: "false" })),
    field("Refresh token (optional)", h("input", { name: "refresh_token", type: "password", autocomplete: "off", spellcheck: "false" })),
    field("Expires at (optional)", h("input", { name: "expires_at", type: "datetime-local" }), { hint: "Your local time." }),
    field("Username (optional)", h("input", { name: "username", type: "text", autocomplete: "off", spellcheck: "false" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save token" })),
    area,
  );
  onSubmit(form, area, async (data) => {
    const body = { platform: platform.id, access_token: String(data.get("access_token") || "") };
    for (const name of ["refresh_token", "username"]) {
      const value = String(data.get(name) || "").trim();
      if (value) body[name] = value;
    }
    const expires = String(data.get("expires_at") || "");
    if (expires) body.expires_at = localToISO(expires);
    const account = await api("POST", "/api/social/connect", body);
    await onConnected(account);
  });
  return form;
}

function platformCard(platform, account, pageArea, reload) {
  const area = messageArea();
  const headingId = `platform-${platform.id}`;
  const card = h("li", {
    class: "card platform",
    "data-platform": platform.id,
    "data-status": account ? account.status : "none",
    "aria-labelledby": headingId,
  });
  const connected = async (saved) => {
    pageArea.say(`${platform.name} connected${saved.username ? ` as ${saved.username}` : ""}.`, "ok");
    await reload(headingId);
  };
  card.append(h("h2", { id: headingId, class: "card-title", tabindex: "-1" }, platform.name, " ", badge(account ? account.status : "not connected")));
  if (account) {
    card.append(h("dl", { class: "details" },
      h("dt", { text: "Account" }), h("dd", { text: account.username || "(no username given)" }),
      h("dt", { text: "Connected" }), h("dd", { text: formatWhen(account.connected_at) }),
      h("dt", { text: "Token expires" }), h("dd", { text: formatWhen(account.token_expires_at) })));
    if (account.message) card.append(h("p", { class: "error-text account-message" }, h("strong", { text: "Note: " }), account.message));
  } else {
    card.append(h("p", { class: "empty", text: "Not connected." }));
  }
  const actions = h("div", { class: "actions" });
  if (connectsBy(platform, "sign_in")) {
    card.append(h("details", { class: "connect-method" },
      h("summary", { text: account ? `Sign in to ${platform.name} again` : `Sign in to ${platform.name}` }),
      signInForm(platform, connected)));
  }
  if (connectsBy(platform, "oauth")) {
    actions.append(actionButton(account ? `Reconnect ${platform.name}` : `Connect ${platform.name}`, area, async () => {
      // same-origin credentials: the answer's cookie binds the consent to this browser
      const { authorization_url: url } = await api("POST", "/api/social/connect", { platform: platform.id }, { credentials: "same-origin" });
      area.say(`Opening ${platform.name}…`, "info");
      window.location.assign(url);
    }, { class: "primary connect" }));
  }
  if (connectsBy(platform, "token")) {
    card.append(h("details", { class: "connect-method" }, h("summary", { text: "Paste a token" }), tokenForm(platform, connected)));
  }
  if (account) {
    actions.append(confirmButton("Disconnect", "Disconnect now", area, async () => {
      await api("POST", "/api/social/disconnect", { platform: platform.id });
      pageArea.say(`${platform.name} disconnected; its pending posts failed.`, "ok");
      await reload(headingId);
    }, { about: platform.name }));
  }
  card.append(actions, area);
  return card;
}

export async function render(view) {
  const news = callbackNews();
  const pageArea = messageArea();
  const list = h("ul", { class: "cards", id: "platform-list", "aria-label": "Platforms" });

  async function reload(focusId) {
    const [catalog, accounts] = await Promise.all([loadProviders(), api("GET", "/api/social/list")]);
    const byPlatform = new Map(accounts.items.map((a) => [a.platform, a]));
    list.replaceChildren(...catalog.publishers.map((p) => platformCard(p, byPlatform.get(p.id), pageArea, reload)));
    if (focusId) document.getElementById(focusId)?.focus();
    return catalog;
  }

  view.append(pageHeading("Connections"), pageArea, list);
  const catalog = await reload();
  const text = news && newsText(news, catalog.publishers);
  if (text) {
    pageArea.say(text, news.connected ? "ok" : "error");
    pageArea.id = "callback-news";
  }
}
