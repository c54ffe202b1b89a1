import { Provider, useQuery } from "@urql/preact";
import { useEffect, useMemo } from "preact/hooks";
import { makeClient } from "./client";
import { lang, setLang, useT } from "./i18n";
import { Catalogue } from "./ops";
import { navigate, onLink, useLocation } from "./router";
import { Escalations } from "./screens/Escalations";
import { OrderDetail } from "./screens/OrderDetail";
import { Register } from "./screens/Register";
import { SignIn } from "./screens/SignIn";
import { Worklist } from "./screens/Worklist";
import { outage, session, signOut } from "./session";
import { useStore } from "./store";
import { Loading, RequestError, useNow } from "./ui";

export function App() {
  const { token } = useStore(session);
  const location = useLocation();
  const client = useMemo(() => (token ? makeClient(token) : null), [token]);
  useEffect(() => {
    if (!token && location.path !== "/sign-in") navigate("/sign-in", true);
    if (token && location.path === "/sign-in") navigate("/", true);
  }, [token, location.path]);
  useStore(lang);
  if (!client) return <SignIn />;
  return (
    <Provider value={client}>
      <Shell />
    </Provider>
  );
}

function Shell() {
  const t = useT();
  const { path } = useLocation();
  const [catalogue, refetch] = useQuery({ query: Catalogue, requestPolicy: "cache-first" });
  const me = catalogue.data?.me;
  const roles = me?.roles.map((r) => r.split("@")[0]) ?? [];
  const links: [string, string][] = [["/", t("worklist")]];
  if (roles.some((r) => r === "operator" || r === "tenant_admin"))
    links.push(["/register", t("register")]);
  if (roles.some((r) => r === "se" || r === "rbo")) links.push(["/escalations", t("escalations")]);
  // The worklist and the order page start their own requests at once, beside Catalogue (a
  // waterfall would add a round trip to the first load); only the forms wait for its codes.
  const codes = catalogue.data;
  let screen;
  if (path.startsWith("/orders/")) {
    screen = (
      <OrderDetail id={decodeURIComponent(path.slice("/orders/".length))} catalogue={codes} />
    );
  } else if (path === "/escalations") {
    screen = <Escalations />;
  } else if (path !== "/register") {
    screen = <Worklist catalogue={codes} />;
  } else if (codes) {
    screen = <Register catalogue={codes} />;
  } else if (catalogue.error) {
    screen = (
      <RequestError
        error={catalogue.error}
        operation="Catalogue"
        onRetry={() => refetch({ requestPolicy: "network-only" })}
      />
    );
  } else {
    screen = <Loading />;
  }
  return (
    <>
      <a class="skip" href="#main">
        {t("skip")}
      </a>
      <header class="top">
        <span class="brand">{t("app")}</span>
        <nav aria-label={t("app")}>
          <ul>
            {links.map(([href, label]) => (
              <li key={href}>
                <a
                  href={href}
                  onClick={onLink}
                  aria-current={isCurrent(path, href) ? "page" : undefined}
                >
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">{me ? `${me.user.displayName}` : ""}</span>
        <LanguageSwitch />
        <button type="button" onClick={() => signOut()}>
          {t("signOut")}
        </button>
      </header>
      <OutageBanner />
      <main id="main" tabIndex={-1}>
        {screen}
      </main>
    </>
  );
}

function isCurrent(path: string, href: string): boolean {
  return href === "/" ? path === "/" : path.startsWith(href);
}

export function LanguageSwitch() {
  const t = useT();
  const current = useStore(lang);
  return (
    <button
      type="button"
      lang={current === "zh" ? "en" : "zh-CN"}
      onClick={() => setLang(current === "zh" ? "en" : "zh")}
    >
      {t("language")}
    </button>
  );
}

function OutageBanner() {
  const t = useT();
  const down = useStore(outage);
  const now = useNow(500);
  if (!down) return null;
  const seconds = Math.max(0, Math.ceil((down.retryAt - now) / 1000));
  return (
    <div class="banner" role="alert">
      {t("offline")} ({seconds} {t("offlineIn")})
    </div>
  );
}
