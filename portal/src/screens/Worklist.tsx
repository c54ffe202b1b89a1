import { useQuery, useSubscription } from "@urql/preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CatalogueQuery } from "../../../frontend-contract/generated/operations";
import { useDateTime, useLabel, useT } from "../i18n";
import { OrderEvents, Worklist as WorklistOp } from "../ops";
import { navigate, onLink, useLocation } from "../router";
import { reconnects } from "../session";
import { useStore } from "../store";
import { Countdown, Loading, RequestError, useNow } from "../ui";

const PAGE = 20;

/** The worklist: filters live in the URL (shareable, back/forward work), cursor paging, a
 * countdown per row, and rows refreshed live from the order-events subscription. */
export function Worklist(props: { catalogue: CatalogueQuery | undefined }) {
  const t = useT();
  const label = useLabel();
  const when = useDateTime();
  const now = useNow();
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const filter = useMemo(() => {
    const p = new URLSearchParams(search);
    const list = (key: string) => (p.get(key) ? [p.get(key) as string] : null);
    return {
      states: list("state"),
      grades: list("grade"),
      categories: list("category"),
      text: p.get("q") || null,
      dueSoon: p.get("dueSoon") === "1",
      breached: p.get("breached") === "1",
    };
  }, [search]);
  const after = params.get("after");
  const [result, refetch] = useQuery({
    query: WorklistOp,
    variables: { filter, first: PAGE, after },
  });
  const live = useRef<number | undefined>(undefined);
  const [patched, setPatched] = useState<
    Record<string, { state: string; stateLabel: { zh: string; en: string } }>
  >({});
  useSubscription({ query: OrderEvents, variables: {} }, (_previous, event) => {
    const order = event.orderEvents.order;
    if (order)
      setPatched((p) => ({
        ...p,
        [order.id]: { state: order.state, stateLabel: order.stateLabel },
      }));
    // A new or changed order may enter or leave this page: refetch it, once per burst of events.
    clearTimeout(live.current);
    live.current = window.setTimeout(() => refetch({ requestPolicy: "network-only" }), 250);
    return event;
  });
  const reconnected = useStore(reconnects);
  useEffect(() => {
    if (reconnected) refetch({ requestPolicy: "network-only" });
  }, [reconnected]);

  const go = (next: URLSearchParams) => navigate(`/?${next.toString()}`);
  const page = result.data?.workOrders;
  return (
    <>
      <h1>{t("worklist")}</h1>
      {props.catalogue && <Filters catalogue={props.catalogue} params={params} onApply={go} />}
      {result.error && (
        <RequestError
          error={result.error}
          operation="Worklist"
          onRetry={() => refetch({ requestPolicy: "network-only" })}
        />
      )}
      {!page && !result.error && <Loading />}
      {page?.__typename === "ValidationError" && (
        <p class="error" role="alert">
          {page.message}
        </p>
      )}
      {page?.__typename === "WorkOrderConnection" && (
        <>
          <p class="muted" aria-live="polite">
            <span class="live-dot" aria-hidden="true" /> {t("live")}
            {result.fetching ? ` · ${t("loading")}` : ""}
          </p>
          {page.edges.length === 0 ? (
            <p>{t("noOrders")}</p>
          ) : (
            <table class="orders">
              <caption class="visually-hidden">{t("worklist")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("number")}</th>
                  <th scope="col">{t("state")}</th>
                  <th scope="col">{t("grade")}</th>
                  <th scope="col">{t("summary")}</th>
                  <th scope="col">{t("dealer")}</th>
                  <th scope="col">{t("handler")}</th>
                  <th scope="col">{t("clock")}</th>
                  <th scope="col">{t("registeredAt")}</th>
                </tr>
              </thead>
              <tbody>
                {page.edges.map(({ node }) => {
                  const state = patched[node.id] ?? node;
                  return (
                    <tr key={node.id} data-number={node.number}>
                      <td data-label={t("number")}>
                        <a href={`/orders/${encodeURIComponent(node.id)}`} onClick={onLink}>
                          {node.number}
                        </a>
                      </td>
                      <td data-label={t("state")}>
                        <span class={`state state-${state.state}`}>{label(state.stateLabel)}</span>
                      </td>
                      <td data-label={t("grade")}>{node.grade ?? "—"}</td>
                      <td data-label={t("summary")}>{node.summary}</td>
                      <td data-label={t("dealer")}>{node.dealer.name}</td>
                      <td data-label={t("handler")}>{node.primaryHandler?.displayName ?? "—"}</td>
                      <td data-label={t("clock")}>
                        <Countdown clocks={node.clocks} now={now} />
                      </td>
                      <td data-label={t("registeredAt")}>{when(node.registeredAt)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <nav class="pager" aria-label={t("next")}>
            {after && (
              <button
                type="button"
                onClick={() => {
                  params.delete("after");
                  go(params);
                }}
              >
                {t("first")}
              </button>
            )}
            {page.pageInfo.hasNextPage && page.pageInfo.endCursor && (
              <button
                type="button"
                onClick={() => {
                  params.set("after", page.pageInfo.endCursor as string);
                  go(params);
                }}
              >
                {t("next")}
              </button>
            )}
          </nav>
        </>
      )}
    </>
  );
}

function Filters(props: {
  catalogue: CatalogueQuery;
  params: URLSearchParams;
  onApply: (p: URLSearchParams) => void;
}) {
  const t = useT();
  const label = useLabel();
  const { catalogue } = props.catalogue;
  const choose = (
    name: string,
    text: string,
    options: readonly { code: string; label: { zh: string; en: string } }[],
  ) => (
    <div class="field">
      <label for={`filter-${name}`}>{text}</label>
      <select id={`filter-${name}`} name={name} value={props.params.get(name) ?? ""}>
        <option value="">{t("any")}</option>
        {options.map((o) => (
          <option key={o.code} value={o.code}>
            {label(o.label)}
          </option>
        ))}
      </select>
    </div>
  );
  return (
    <form
      class="filters"
      aria-label={t("filters")}
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        const next = new URLSearchParams();
        for (const [key, value] of data.entries()) if (value) next.set(key, String(value));
        props.onApply(next);
      }}
    >
      {choose("state", t("state"), catalogue.states)}
      {choose("grade", t("grade"), catalogue.grades)}
      {choose("category", t("category"), catalogue.categories)}
      <div class="field">
        <label for="filter-q">{t("text")}</label>
        <input id="filter-q" name="q" type="search" value={props.params.get("q") ?? ""} />
      </div>
      <div class="checks">
        <input
          id="filter-due"
          type="checkbox"
          name="dueSoon"
          value="1"
          checked={props.params.get("dueSoon") === "1"}
        />
        <label for="filter-due">{t("dueSoon")}</label>
        <input
          id="filter-breached"
          type="checkbox"
          name="breached"
          value="1"
          checked={props.params.get("breached") === "1"}
        />
        <label for="filter-breached">{t("breached")}</label>
      </div>
      <div class="buttons">
        <button type="submit">{t("apply")}</button>
        <button type="button" onClick={() => props.onApply(new URLSearchParams())}>
          {t("clear")}
        </button>
      </div>
    </form>
  );
}
