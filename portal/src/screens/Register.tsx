import { useClient, useQuery } from "@urql/preact";
import { useState } from "preact/hooks";
import type {
  CatalogueQuery,
  RegisterComplaintMutation,
} from "../../../frontend-contract/generated/operations";
import { useDateTime, useLabel, useT } from "../i18n";
import {
  CustomerLookup,
  GradeProposal,
  OrgUnits,
  PossibleDuplicates,
  RegisterComplaint,
} from "../ops";
import { onLink } from "../router";
import { Field, Loading, RequestError, type TypedError, describedBy, fieldErrors } from "../ui";

const VIN_VALUES: Record<string, number> = Object.fromEntries(
  [..."ABCDEFGHJKLMNPRSTUVWXYZ"].map((c, i) => [
    c,
    [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9][i],
  ]),
);
const VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/** The ISO 3779 check digit (9th character), which China's GB 16735 makes mandatory. */
export function vinValid(vin: string): boolean {
  if (!/^[A-HJ-NPR-Z0-9]{17}$/.test(vin)) return false;
  const sum = [...vin].reduce(
    (acc, c, i) => acc + (/\d/.test(c) ? Number(c) : VIN_VALUES[c]) * VIN_WEIGHTS[i],
    0,
  );
  const check = sum % 11 === 10 ? "X" : String(sum % 11);
  return vin[8] === check;
}

type Registered = Extract<
  RegisterComplaintMutation["registerComplaint"],
  { __typename: "WorkOrderPayload" }
>;

/** Intake: who is calling (phone look-up: the customer's record and recent orders), the VIN
 * check, the grade the profile proposes, possible duplicates to link, and each field's error
 * beside it. */
export function Register(props: { catalogue: CatalogueQuery }) {
  const t = useT();
  const label = useLabel();
  const when = useDateTime();
  const client = useClient();
  const codes = props.catalogue.catalogue;
  const [form, setForm] = useState({
    phone: "",
    name: "",
    address: "",
    dealerId: "",
    channel: codes.channels[0]?.code ?? "",
    category: codes.categories[0]?.code ?? "",
    vin: "",
    summary: "",
    details: "",
    repeatOfId: "",
  });
  const [flags, setFlags] = useState<string[]>([]);
  const [demands, setDemands] = useState<string[]>([]);
  const [phoneToLook, setPhoneToLook] = useState<string | null>(null);
  const [typed, setTyped] = useState<TypedError | null>(null);
  const [failed, setFailed] = useState<import("@urql/core").CombinedError | null>(null);
  const [done, setDone] = useState<Registered | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [key]: (event.currentTarget as HTMLInputElement).value });

  const [dealers] = useQuery({ query: OrgUnits, variables: { kind: "dealer", first: 100 } });
  const [lookup] = useQuery({
    query: CustomerLookup,
    variables: { phone: phoneToLook ?? "" },
    pause: !phoneToLook,
  });
  const [proposal] = useQuery({
    query: GradeProposal,
    variables: { category: form.category, flags, demands },
    pause: !form.category,
  });
  const phones = form.phone.trim() ? [form.phone.trim()] : [];
  const vin = form.vin.trim().toUpperCase();
  const [duplicates] = useQuery({
    query: PossibleDuplicates,
    variables: { phones, vin: vinValid(vin) ? vin : null },
    pause: phones.length === 0,
  });

  const found = lookup.data?.customerLookup;
  const useFound = () => {
    if (found?.__typename !== "CustomerLookup" || !found.customer) return;
    setForm({
      ...form,
      name: found.customer.name ?? form.name,
      address: found.customer.address ?? form.address,
      vin: found.vehicles[0]?.vin ?? form.vin,
    });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const result = await client
      .mutation(RegisterComplaint, {
        input: {
          dealerId: form.dealerId,
          customer: { name: form.name, phones, address: form.address.trim() || null },
          vehicle: vin ? { vin } : null,
          channel: form.channel,
          category: form.category,
          summary: form.summary,
          details: form.details,
          flags,
          demands,
          repeatOfId: form.repeatOfId || null,
        },
      })
      .toPromise();
    setBusy(false);
    setFailed(result.error ?? null);
    const answer = result.data?.registerComplaint;
    if (answer?.__typename === "WorkOrderPayload") {
      setTyped(null);
      setDone(answer);
    } else {
      setTyped(answer ?? null);
    }
  };

  const errors = fieldErrors(typed);
  const toggle = (list: string[], setList: (l: string[]) => void, code: string) =>
    setList(list.includes(code) ? list.filter((c) => c !== code) : [...list, code]);

  if (done) {
    return (
      <section aria-labelledby="done-h">
        <h1 id="done-h">{t("registered")}</h1>
        <p role="status">
          <a href={`/orders/${encodeURIComponent(done.order.id)}`} onClick={onLink}>
            {done.order.number}
          </a>{" "}
          · {t("grade")} {done.order.grade ?? "—"} · {done.order.dealer.name}
        </p>
        <button
          type="button"
          onClick={() => {
            setDone(null);
            setForm({ ...form, summary: "", details: "", repeatOfId: "" });
          }}
        >
          {t("register")}
        </button>
      </section>
    );
  }
  const dealerPage = dealers.data?.orgUnits;
  return (
    <form class="register" onSubmit={submit} aria-labelledby="register-h" noValidate>
      <h1 id="register-h">{t("register")}</h1>
      {typed && typed.__typename !== "WorkOrderPayload" && (
        <p class="error" role="alert">
          {typed.__typename === "ValidationError" ? t("fixFields") : typed.message}
        </p>
      )}
      {failed && <RequestError error={failed} operation="RegisterComplaint" />}
      <fieldset>
        <legend>{t("customer")}</legend>
        <Field id="phone" label={t("phone")} error={errors["customer.phones"]}>
          <div class="inline">
            <input
              id="phone"
              type="tel"
              autoComplete="off"
              value={form.phone}
              onInput={set("phone")}
              {...describedBy("phone", errors["customer.phones"])}
            />
            <button type="button" onClick={() => setPhoneToLook(form.phone.trim() || null)}>
              {t("lookup")}
            </button>
          </div>
        </Field>
        {lookup.fetching && <Loading />}
        {lookup.error && <RequestError error={lookup.error} operation="CustomerLookup" />}
        {found?.__typename === "ValidationError" && (
          <p class="error" role="alert">
            {found.message}
          </p>
        )}
        {found?.__typename === "NotPermitted" && (
          <p class="error" role="alert">
            {found.message}
          </p>
        )}
        {found?.__typename === "CustomerLookup" && found.customer && (
          <div class="lookup" aria-live="polite">
            <p>
              {found.customer.name} · {found.customer.phones.join(", ")}{" "}
              <button type="button" onClick={useFound}>
                {t("apply")}
              </button>
            </p>
            {found.orders.length > 0 && (
              <>
                <h3>{t("recentOrders")}</h3>
                <ul class="plain">
                  {found.orders.map((o) => (
                    <li key={o.id}>
                      {o.number} · {label(o.stateLabel)} · {o.summary} · {when(o.registeredAt)}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        )}
        <Field id="name" label={`${t("name")} *`} error={errors["customer.name"]}>
          <input
            id="name"
            value={form.name}
            onInput={set("name")}
            {...describedBy("name", errors["customer.name"])}
          />
        </Field>
        <Field id="address" label={t("address")} error={errors["customer.address"]}>
          <input
            id="address"
            value={form.address}
            onInput={set("address")}
            {...describedBy("address", errors["customer.address"])}
          />
        </Field>
      </fieldset>
      <fieldset>
        <legend>{t("vehicle")}</legend>
        <Field
          id="vin"
          label={t("vin")}
          error={errors["vehicle.vin"]}
          hint={
            vin.length === 17 && (
              <p class={vinValid(vin) ? "hint ok" : "hint bad"} aria-live="polite">
                {vinValid(vin) ? t("vinOk") : t("vinBad")}
              </p>
            )
          }
        >
          <input
            id="vin"
            value={form.vin}
            maxLength={17}
            autoComplete="off"
            onInput={set("vin")}
            {...describedBy("vin", errors["vehicle.vin"])}
          />
        </Field>
      </fieldset>
      <fieldset>
        <legend>{t("complaint")}</legend>
        <Field id="dealer" label={`${t("dealer")} *`} error={errors.dealerId || undefined}>
          <select
            id="dealer"
            value={form.dealerId}
            onChange={set("dealerId")}
            {...describedBy("dealer", errors.dealerId || undefined)}
          >
            <option value="">{t("chooseDealer")}</option>
            {dealerPage?.__typename === "OrgUnitConnection" &&
              dealerPage.nodes.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} ({d.path})
                </option>
              ))}
          </select>
        </Field>
        {dealers.error && <RequestError error={dealers.error} operation="OrgUnits" />}
        <Field id="channel" label={t("channel")} error={errors.channel}>
          <select id="channel" value={form.channel} onChange={set("channel")}>
            {codes.channels.map((c) => (
              <option key={c.code} value={c.code}>
                {label(c.label)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="category" label={t("category")} error={errors.category}>
          <select id="category" value={form.category} onChange={set("category")}>
            {codes.categories.map((c) => (
              <option key={c.code} value={c.code}>
                {c.code} {label(c.label)}
              </option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>{t("flags")}</legend>
          {codes.flags.map((f) => (
            <span class="check" key={f.code}>
              <input
                type="checkbox"
                id={`flag-${f.code}`}
                checked={flags.includes(f.code)}
                onChange={() => toggle(flags, setFlags, f.code)}
              />
              <label for={`flag-${f.code}`}>{label(f.label)}</label>
            </span>
          ))}
        </fieldset>
        <fieldset>
          <legend>{t("demands")}</legend>
          {codes.demands.map((d) => (
            <span class="check" key={d.code}>
              <input
                type="checkbox"
                id={`demand-${d.code}`}
                checked={demands.includes(d.code)}
                onChange={() => toggle(demands, setDemands, d.code)}
              />
              <label for={`demand-${d.code}`}>{label(d.label)}</label>
            </span>
          ))}
        </fieldset>
        <div class="proposal" aria-live="polite">
          {proposal.data?.gradeProposal.__typename === "GradeProposal" && (
            <p>
              {t("proposal")}: <strong>{proposal.data.gradeProposal.grade ?? "—"}</strong>{" "}
              <span class="muted">
                {proposal.data.gradeProposal.reasons.map((r) => label(r)).join("; ")}
              </span>
            </p>
          )}
        </div>
        <Field id="summary" label={`${t("summary")} *`} error={errors.summary}>
          <input
            id="summary"
            value={form.summary}
            onInput={set("summary")}
            {...describedBy("summary", errors.summary)}
          />
        </Field>
        <Field id="details" label={`${t("details")} *`} error={errors.details}>
          <textarea
            id="details"
            rows={3}
            value={form.details}
            onInput={set("details")}
            {...describedBy("details", errors.details)}
          />
        </Field>
      </fieldset>
      {duplicates.data && duplicates.data.possibleDuplicates.length > 0 && (
        <fieldset class="duplicates">
          <legend>{t("duplicates")}</legend>
          <span class="check">
            <input
              type="radio"
              id="repeat-none"
              name="repeatOf"
              checked={!form.repeatOfId}
              onChange={() => setForm({ ...form, repeatOfId: "" })}
            />
            <label for="repeat-none">{t("noLink")}</label>
          </span>
          {duplicates.data.possibleDuplicates.map((o) => (
            <span class="check" key={o.id}>
              <input
                type="radio"
                id={`repeat-${o.id}`}
                name="repeatOf"
                checked={form.repeatOfId === o.id}
                onChange={() => setForm({ ...form, repeatOfId: o.id })}
              />
              <label for={`repeat-${o.id}`}>
                {t("linkRepeat")}: {o.number} · {o.summary} · {o.dealer.name}
              </label>
            </span>
          ))}
          {errors.repeatOfId && (
            <p class="field-error" role="alert">
              {errors.repeatOfId}
            </p>
          )}
        </fieldset>
      )}
      <button type="submit" disabled={busy}>
        {t("submit")}
      </button>
    </form>
  );
}
