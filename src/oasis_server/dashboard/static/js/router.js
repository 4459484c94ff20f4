// A tiny hash router: "#/library" shows the page named "library".
//
// Only hashes starting with "#/" are routes, so in-page anchors keep working.

/** The page named by the address's hash ("" when there is none). */
export function currentRoute() {
  const match = /^#\/([a-z-]*)/.exec(window.location.hash);
  return match ? match[1] : "";
}

/** Go to page `name`; `replace` keeps the current entry out of the history (for redirects). */
export function navigate(name, { replace = false } = {}) {
  const target = `#/${name}`;
  if (window.location.hash === target) {
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else if (replace) {
    window.location.replace(target);
  } else {
    window.location.hash = target;
  }
}

/** Call `show(name)` now and whenever the route changes. */
export function startRouter(show) {
  window.addEventListener("hashchange", () => {
    const hash = window.location.hash;
    if (hash === "" || hash.startsWith("#/")) show(currentRoute());
  });
  show(currentRoute());
}
