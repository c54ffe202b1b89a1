import { useQuery, useSubscription } from "@urql/preact";
import { useEffect } from "preact/hooks";
import type {
  CatalogueQuery,
  OrderDetailQuery,
} from "../../../frontend-contract/generated/operations";
import { useDateTime, useLabel, useT } from "../i18n";
import { OrderDetail as OrderDetailOp, OrderEvents } from "../ops";
import { onLink } from "../router";
import { reconnects } from "../session";
import { useStore } from "../store";
import { Countdown, Loading, RequestError, useNow } from "../ui";
import { Actions } from "./OrderActions";

export type Order = Extract<OrderDetailQuery["workOrder"], { __typename: "WorkOrder" }>;

/** One order: who and what, the clocks, the history, and only the actions the API says the
 * caller may take (permittedSteps, permittedActions). */
export function OrderDetail(props: { id: string; catalogue: CatalogueQuery | undefined }) {
  const t = useT();
  const [result, refetch] = useQuery({ query: OrderDetailOp, variables: { id: props.id } });
  const reload = () => refetch({ requestPolicy: "network-only" });
  const order = result.data?.workOrder;
  const version = order?.__typename === "WorkOrder" ? order.version : null;
  useSubscription({ query: OrderEvents, variables: {} }, (_previous, event) => {
    const changed = event.orderEvents;
    if (changed.orderId === props.id && version !== null && changed.orderVersion > version)
      reload();
    return event;
  });
  const reconnected = useStore(reconnects);
  useEffect(() => {
    if (reconnected) reload();
  }, [reconnected]);
  if (result.error && !result.data)
    return <RequestError error={result.error} operation="OrderDetail" onRetry={reload} />;
  if (!order) return <Loading />;
  if (order.__typename === "NotFound") {
    return (
      <section class="not-found" aria-labelledby="nf">
        <h1 id="nf">{t("notFound")}</h1>
        <p>{t("notFoundText")}</p>
        <a href="/" onClick={onLink}>
          {t("back")}
        </a>
      </section>
    );
  }
  return <Detail order={order} catalogue={props.catalogue} reload={reload} />;
}

function Detail(props: {
  order: Order;
  catalogue: CatalogueQuery | undefined;
  reload: () => void;
}) {
  const { order } = props;
  const t = useT();
  const label = useLabel();
  const when = useDateTime();
  const now = useNow();
  const codes = props.catalogue?.catalogue;
  const named = (
    list: readonly { code: string; label: { zh: string; en: string } }[] | undefined,
    code: string,
  ) => label(list?.find((x) => x.code === code)?.label) || code;
  // Without customer.pii the server masks the phones and withholds the address (null, as when
  // unknown): the masked phones tell the two apart.
  const masked = order.customer?.phones.some((phone) => phone.includes("*")) ?? false;
  const pii = (value: string | null | undefined) =>
    value ?? (masked ? <span class="muted">{t("masked")}</span> : "—");
  return (
    <article class="detail">
      <header class="detail-head">
        <h1>
          {order.number} <span class={`state state-${order.state}`}>{label(order.stateLabel)}</span>
        </h1>
        <p>
          {t("grade")} <strong>{order.grade ?? "—"}</strong> · {t("category")}{" "}
          {named(codes?.categories, order.category)} · {t("tier")} {order.tier} · {t("dealer")}{" "}
          {order.dealer.name}
        </p>
        <p>{order.summary}</p>
        <p class="muted">{order.details}</p>
      </header>
      <div class="columns">
        <section aria-labelledby="customer-h">
          <h2 id="customer-h">{t("customer")}</h2>
          <dl>
            <dt>{t("name")}</dt>
            <dd>{pii(order.customer?.name)}</dd>
            <dt>{t("phones")}</dt>
            <dd>{order.customer?.phones.join(", ") ?? "—"}</dd>
            <dt>{t("address")}</dt>
            <dd>{pii(order.customer?.address)}</dd>
          </dl>
        </section>
        <section aria-labelledby="vehicle-h">
          <h2 id="vehicle-h">{t("vehicle")}</h2>
          {order.vehicle ? (
            <dl>
              <dt>{t("vin")}</dt>
              <dd>{order.vehicle.vin}</dd>
              <dt>{t("model")}</dt>
              <dd>{order.vehicle.model ?? "—"}</dd>
              <dt>{t("plate")}</dt>
              <dd>{order.vehicle.plate ?? "—"}</dd>
            </dl>
          ) : (
            <p>{t("none")}</p>
          )}
        </section>
        <section aria-labelledby="handlers-h">
          <h2 id="handlers-h">{t("handlers")}</h2>
          <dl>
            <dt>{t("primary")}</dt>
            <dd>{order.primaryHandler?.displayName ?? "—"}</dd>
            <dt>{t("secondary")}</dt>
            <dd>{order.secondaryHandler?.displayName ?? "—"}</dd>
          </dl>
        </section>
      </div>
      {props.catalogue ? (
        <Actions order={order} catalogue={props.catalogue} reload={props.reload} />
      ) : (
        <Loading />
      )}
      <section aria-labelledby="clocks-h">
        <h2 id="clocks-h">{t("clocks")}</h2>
        <ul class="plain">
          {order.clocks.map((clock) => (
            <li key={clock.name}>
              <Countdown clocks={[clock]} now={now} />{" "}
              <span class="muted">
                ({clock.status}, {when(clock.dueAt)})
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="history-h">
        <h2 id="history-h">{t("history")}</h2>
        <ol class="timeline">
          {order.history.map((event) => (
            <li key={event.id}>
              <time dateTime={event.at}>{when(event.at)}</time> {event.actor?.displayName ?? ""} ·{" "}
              {event.kind}
              {event.transition ? ` · ${event.transition}` : ""}
              {event.toState ? ` → ${event.toState}` : ""}
              {event.comment ? `: ${event.comment}` : ""}
            </li>
          ))}
        </ol>
      </section>
      <section aria-labelledby="contacts-h">
        <h2 id="contacts-h">{t("contacts")}</h2>
        {order.contactAttempts.length === 0 ? (
          <p>{t("none")}</p>
        ) : (
          <ul class="plain">
            {order.contactAttempts.map((a) => (
              <li key={a.id}>
                {when(a.at)} · {a.actor?.displayName} · {a.outcome}
                {a.note ? `: ${a.note}` : ""}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="slips-h">
        <h2 id="slips-h">{t("slips")}</h2>
        {order.warningSlips.length === 0 ? (
          <p>{t("none")}</p>
        ) : (
          <ul class="plain">
            {order.warningSlips.map((s) => (
              <li key={s.id} class="slip">
                {s.trigger} · {s.reason} · {s.fromTier} → {s.toTier} · {s.state} ·{" "}
                {when(s.issuedAt)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="calls-h">
        <h2 id="calls-h">{t("calls")}</h2>
        {order.customerCalls.length === 0 ? (
          <p>{t("none")}</p>
        ) : (
          <ul class="plain">
            {order.customerCalls.map((c) => (
              <li key={c.id}>
                {when(c.at)} · {named(codes?.channels, c.channel)} · {c.words}
              </li>
            ))}
          </ul>
        )}
      </section>
    </article>
  );
}
