import { store } from "./store";

const KEY = "complaintdesk.token";

export interface Session {
  token: string | null;
  /** Why the user is back at sign-in, shown there. */
  notice: "expired" | null;
}

export const session = store<Session>({ token: sessionStorage.getItem(KEY), notice: null });

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token);
  session.set({ token, notice: null });
}

export function signOut(notice: Session["notice"] = null): void {
  sessionStorage.removeItem(KEY);
  session.set({ token: null, notice });
}

/** Set while the server cannot be reached: when the next try is due. */
export const outage = store<{ retryAt: number } | null>(null);

/** Bumped whenever the live connection comes back after a drop: screens refetch what they show,
 * since events sent meanwhile are lost (frontend-contract/README.md, Subscriptions). */
export const reconnects = store(0);
