import type { AnyVariables, OperationResult, TypedDocumentNode } from "@urql/core";
import { useClient } from "@urql/preact";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { CatalogueQuery } from "../../../frontend-contract/generated/operations";
import { useLabel, useT } from "../i18n";
import {
  CloseWorkOrder,
  EscalateWorkOrder,
  LogContactAttempt,
  RecordCustomerCall,
  TransitionWorkOrder,
  nameOf,
} from "../ops";
import { Field, RequestError, type TypedError, describedBy, fieldErrors } from "../ui";
import type { Order } from "./OrderDetail";

const PAYLOADS = new Set(["WorkOrderPayload", "ContactAttemptPayload", "CustomerCallPayload"]);

/** Only what the API says this caller may do to this order now. Assign, return and regrade need
 * pickers this reference portal leaves out; their permissions arrive all the same. */
export function Actions(props: { order: Order; catalogue: CatalogueQuery; reload: () => void }) {
  const { order } = props;
  const t = useT();
  const label = useLabel();
  const base = { id: order.id, expectedVersion: order.version };
  const text = (data: FormData, name: string) => {
    const value = String(data.get(name) ?? "").trim();
    return value === "" ? null : value;
  };
  const actions = order.permittedActions;
  const codes = props.catalogue.catalogue;
  const any =
    order.permittedSteps.length > 0 ||
    ["contact", "escalate", "call"].some((a) => actions.includes(a));
  return (
    <section aria-labelledby="actions-h" class="actions">
      <h2 id="actions-h">{t("actions")}</h2>
      {!any && <p>{t("noActions")}</p>}
      {order.permittedSteps.map((step) =>
        step.recordsResolution ? (
          <ActionForm
            key={step.name}
            name={step.name}
            title={label(step.label)}
            document={CloseWorkOrder}
            variables={(data) => ({
              input: {
                ...base,
                resolution: String(data.get("resolution") ?? ""),
                measures: text(data, "measures"),
              },
            })}
            pick={(data) => data.closeWorkOrder}
            onDone={props.reload}
          >
            {(errors) => (
              <>
                <TextArea
                  id={`${step.name}-resolution`}
                  name="resolution"
                  label={t("resolution")}
                  error={errors.resolution}
                />
                <TextArea
                  id={`${step.name}-measures`}
                  name="measures"
                  label={t("measures")}
                  error={errors.measures}
                />
              </>
            )}
          </ActionForm>
        ) : (
          <ActionForm
            key={step.name}
            name={step.name}
            title={label(step.label)}
            document={TransitionWorkOrder}
            variables={(data) => ({
              input: { ...base, transition: step.name, comment: text(data, "comment") },
            })}
            pick={(data) => data.transitionWorkOrder}
            onDone={props.reload}
          >
            {(errors) => (
              <TextArea
                id={`${step.name}-comment`}
                name="comment"
                label={`${t("comment")}${step.requiresComment ? " *" : ""}`}
                error={errors.comment}
              />
            )}
          </ActionForm>
        ),
      )}
      {actions.includes("contact") && (
        <ActionForm
          name="contact"
          title={t("contact")}
          document={LogContactAttempt}
          variables={(data) => ({
            input: {
              ...base,
              outcome: String(data.get("outcome")) as "REACHED",
              note: text(data, "note"),
            },
          })}
          pick={(data) => data.logContactAttempt}
          onDone={props.reload}
        >
          {(errors) => (
            <>
              <Field id="contact-outcome" label={t("outcome")} error={errors.outcome}>
                <select id="contact-outcome" name="outcome">
                  <option value="REACHED">{t("reached")}</option>
                  <option value="UNREACHABLE">{t("unreachable")}</option>
                  <option value="REFUSED">{t("refused")}</option>
                </select>
              </Field>
              <TextArea id="contact-note" name="note" label={t("note")} error={errors.note} />
            </>
          )}
        </ActionForm>
      )}
      {actions.includes("escalate") && (
        <ActionForm
          name="escalate"
          title={t("escalate")}
          document={EscalateWorkOrder}
          variables={(data) => ({ input: { ...base, reason: String(data.get("reason") ?? "") } })}
          pick={(data) => data.escalateWorkOrder}
          onDone={props.reload}
        >
          {(errors) => (
            <TextArea
              id="escalate-reason"
              name="reason"
              label={`${t("reason")} *`}
              error={errors.reason}
            />
          )}
        </ActionForm>
      )}
      {actions.includes("call") && (
        <ActionForm
          name="call"
          title={t("call")}
          document={RecordCustomerCall}
          variables={(data) => ({
            input: {
              id: order.id,
              channel: String(data.get("channel")),
              words: String(data.get("words") ?? ""),
              flags: data.getAll("flags").map(String),
            },
          })}
          pick={(data) => data.recordCustomerCall}
          onDone={props.reload}
        >
          {(errors) => (
            <>
              <Field id="call-channel" label={t("channel")} error={errors.channel}>
                <select id="call-channel" name="channel">
                  {codes.channels.map((c) => (
                    <option key={c.code} value={c.code}>
                      {label(c.label)}
                    </option>
                  ))}
                </select>
              </Field>
              <TextArea
                id="call-words"
                name="words"
                label={`${t("words")} *`}
                error={errors.words}
              />
              <fieldset>
                <legend>{t("flags")}</legend>
                {codes.flags.map((f) => (
                  <span class="check" key={f.code}>
                    <input type="checkbox" id={`call-flag-${f.code}`} name="flags" value={f.code} />
                    <label for={`call-flag-${f.code}`}>{label(f.label)}</label>
                  </span>
                ))}
                {errors.flags && (
                  <p class="field-error" role="alert">
                    {errors.flags}
                  </p>
                )}
              </fieldset>
            </>
          )}
        </ActionForm>
      )}
    </section>
  );
}

function TextArea(props: { id: string; name: string; label: string; error?: string }) {
  return (
    <Field id={props.id} label={props.label} error={props.error}>
      <textarea id={props.id} name={props.name} rows={2} {...describedBy(props.id, props.error)} />
    </Field>
  );
}

/** One action as a disclosure with its form; typed errors beside their fields, the rest above
 * the buttons. The input stays in the form until the change is made. */
function ActionForm<D, V extends AnyVariables>(props: {
  name: string;
  title: string;
  document: TypedDocumentNode<D, V>;
  variables: (data: FormData) => V;
  pick: (data: D) => TypedError;
  onDone: () => void;
  children: (errors: Record<string, string>) => ComponentChildren;
}) {
  const t = useT();
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [typed, setTyped] = useState<TypedError | null>(null);
  const [failed, setFailed] = useState<OperationResult | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setBusy(true);
    const result = await client
      .mutation(props.document, props.variables(new FormData(form)))
      .toPromise();
    setBusy(false);
    setFailed(result.error ? result : null);
    const answer = result.data ? props.pick(result.data) : null;
    if (answer && PAYLOADS.has(answer.__typename)) {
      setTyped(null);
      form.reset();
      setOpen(false);
      props.onDone();
    } else {
      setTyped(answer);
      if (answer?.__typename === "Conflict") props.onDone();
    }
  };
  const errors = fieldErrors(typed);
  const general = typed && typed.__typename !== "ValidationError" ? typed.message : null;
  return (
    <details
      class="action"
      open={open}
      onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}
    >
      <summary data-action={props.name}>{props.title}</summary>
      <form onSubmit={submit} aria-label={props.title}>
        {props.children(errors)}
        {typed?.__typename === "ValidationError" && Object.keys(errors).length === 0 && (
          <p class="error" role="alert">
            {typed.message}
          </p>
        )}
        {general && (
          <p class="error" role="alert">
            {typed?.__typename === "Conflict" ? t("conflict") : general}
          </p>
        )}
        {failed?.error && (
          <RequestError error={failed.error} operation={nameOf(props.document) ?? props.name} />
        )}
        <button type="submit" disabled={busy}>
          {t("submit")}
        </button>
      </form>
    </details>
  );
}
