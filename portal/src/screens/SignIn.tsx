import { useEffect, useState } from "preact/hooks";
import { LanguageSwitch } from "../App";
import { useT } from "../i18n";
import { session, signIn } from "../session";
import { useStore } from "../store";

interface DemoUser {
  username: string;
  displayName: string;
  role: string;
  token: string;
}

/** Sign-in. In the demo, a user per role (/demo-users.json, served only when the demo tenant is
 * loaded); otherwise a token pasted by hand. A real deployment signs in through its identity
 * provider instead and hands the portal the token it mints (portal/README.md). */
export function SignIn() {
  const t = useT();
  const { notice } = useStore(session);
  const [users, setUsers] = useState<DemoUser[] | null | "none">(null);
  const [token, setToken] = useState("");
  useEffect(() => {
    fetch("/demo-users.json")
      .then((response) => (response.ok ? response.json() : "none"))
      .then(setUsers, () => setUsers("none"));
  }, []);
  return (
    <main id="main" class="sign-in">
      <header class="sign-in-head">
        <h1>
          {t("app")} · {t("signIn")}
        </h1>
        <LanguageSwitch />
      </header>
      {notice === "expired" && (
        <p class="error" role="alert">
          {t("expired")}
        </p>
      )}
      <section aria-labelledby="demo-heading">
        <h2 id="demo-heading">{t("demoUsers")}</h2>
        {users === null && <p role="status">{t("loading")}</p>}
        {users === "none" && <p>{t("noDemo")}</p>}
        {Array.isArray(users) && (
          <ul class="demo-users">
            {users.map((user) => (
              <li key={user.username}>
                <button type="button" data-role={user.role} onClick={() => signIn(user.token)}>
                  {t("signInAs")} {user.displayName} <span class="muted">({user.role})</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="token-heading">
        <h2 id="token-heading">{t("pasteToken")}</h2>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (token.trim()) signIn(token.trim().replace(/^Bearer\s+/i, ""));
          }}
        >
          <label for="token">{t("token")}</label>
          <textarea
            id="token"
            rows={3}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          <button type="submit">{t("signIn")}</button>
        </form>
      </section>
    </main>
  );
}
