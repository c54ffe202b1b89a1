import { useQuery, useSubscription } from "@urql/preact";
import { useEffect, useRef } from "preact/hooks";
import type { BoardCountersSubscription } from "../../../frontend-contract/generated/operations";
import { useDateTime, useLabel, useT } from "../i18n";
import { Board, BoardCounters, Escalations as EscalationsOp } from "../ops";
import { onLink } from "../router";
import { reconnects } from "../session";
import { useStore } from "../store";
import { Loading, RequestError } from "../ui";

/** The SE's and RBO's board across dealers: live counters (BoardCounters, first from Board), the
 * escalated orders and their open warning slips, refetched when the counters move. */
export function Escalations() {
  const t = useT();
  const label = useLabel();
  const when = useDateTime();
  const [board, refetchBoard] = useQuery({ query: Board, variables: {} });
  const [list, refetchList] = useQuery({ query: EscalationsOp, variables: { first: 50 } });
  const refresh = useRef<number | undefined>(undefined);
  const [live] = useSubscription(
    { query: BoardCounters, variables: {} },
    (_previous: BoardCountersSubscription | undefined, next: BoardCountersSubscription) => {
      clearTimeout(refresh.current);
      refresh.current = window.setTimeout(
        () => refetchList({ requestPolicy: "network-only" }),
        250,
      );
      return next;
    },
  );
  const reconnected = useStore(reconnects);
  useEffect(() => {
    if (reconnected) {
      refetchBoard({ requestPolicy: "network-only" });
      refetchList({ requestPolicy: "network-only" });
    }
  }, [reconnected]);
  const first = board.data?.board;
  const counters = live.data?.boardCounters ?? (first?.__typename === "Board" ? first : null);
  const page = list.data?.escalations;
  return (
    <>
      <h1>{t("escalations")}</h1>
      <section aria-labelledby="counters-h">
        <h2 id="counters-h">{t("board")}</h2>
        {board.error && !counters && (
          <RequestError
            error={board.error}
            operation="Board"
            onRetry={() => refetchBoard({ requestPolicy: "network-only" })}
          />
        )}
        {first?.__typename === "NotFound" && (
          <p class="error" role="alert">
            {first.message}
          </p>
        )}
        {!counters && !board.error && <Loading />}
        {counters && (
          <dl class="counters" aria-live="polite">
            <div>
              <dt>{t("open")}</dt>
              <dd data-counter="open">{counters.open}</dd>
            </div>
            <div>
              <dt>{t("dueSoon")}</dt>
              <dd data-counter="dueSoon">{counters.dueSoon}</dd>
            </div>
            <div>
              <dt>{t("breached")}</dt>
              <dd data-counter="breached">{counters.breached}</dd>
            </div>
            {counters.byState.map((s) => (
              <div key={s.state}>
                <dt>{label(s.label)}</dt>
                <dd>{s.count}</dd>
              </div>
            ))}
          </dl>
        )}
      </section>
      <section aria-labelledby="escalated-h">
        <h2 id="escalated-h">{t("escalated")}</h2>
        {list.error && (
          <RequestError
            error={list.error}
            operation="Escalations"
            onRetry={() => refetchList({ requestPolicy: "network-only" })}
          />
        )}
        {!page && !list.error && <Loading />}
        {page?.__typename === "ValidationError" && (
          <p class="error" role="alert">
            {page.message}
          </p>
        )}
        {page?.__typename === "EscalationConnection" &&
          (page.nodes.length === 0 ? (
            <p>{t("noEscalations")}</p>
          ) : (
            <ul class="cards">
              {page.nodes.map(({ order, slips }) => (
                <li key={order.id} class="card" data-number={order.number}>
                  <a href={`/orders/${encodeURIComponent(order.id)}`} onClick={onLink}>
                    {order.number}
                  </a>{" "}
                  · {order.dealer.name} · {t("tier")} {order.tier} · {t("grade")}{" "}
                  {order.grade ?? "—"}
                  <br />
                  <span class="muted">
                    {t("handler")}: {order.primaryHandler?.displayName ?? "—"} · {t("clock")}:{" "}
                    {when(order.nextDue)}
                  </span>
                  {slips.length > 0 && (
                    <ul class="plain slips">
                      {slips.map((s) => (
                        <li key={s.id} class="slip" data-slip={s.trigger}>
                          {t("slips")}: {s.trigger} · {s.reason} → {s.toTier} · {s.state} ·{" "}
                          {when(s.issuedAt)}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          ))}
      </section>
    </>
  );
}
