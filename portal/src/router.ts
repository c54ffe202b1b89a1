import { store, useStore } from "./store";

export const location = store({ path: window.location.pathname, search: window.location.search });

window.addEventListener("popstate", () =>
  location.set({ path: window.location.pathname, search: window.location.search }),
);

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  const url = new URL(to, window.location.origin);
  location.set({ path: url.pathname, search: url.search });
  if (!replace) window.scrollTo(0, 0);
}

export function useLocation() {
  return useStore(location);
}

/** Client-side links: a real href (open in a new tab works), navigation without a reload. */
export function onLink(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute("href") ?? "/");
}
