import type { CombinedError } from "@urql/core";
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useT } from "./i18n";

export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function Loading() {
  const t = useT();
  return (
    <p class="loading" role="status" aria-live="polite">
      {t("loading")}
    </p>
  );
}

/** A failed request, never a blank screen: what failed, and a retry. A persisted id the server
 * does not know names the operation (the client was built against another contract). */
export function RequestError(props: {
  error: CombinedError;
  operation: string;
  onRetry?: () => void;
}) {
  const t = useT();
  const unknown = props.error.graphQLErrors.some(
    (e) =>
      e.message === "PersistedQueryNotFound" || e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND",
  );
  const detail = unknown
    ? `${t("unknownOp")}${props.operation}`
    : props.error.graphQLErrors.map((e) => e.message).join("; ") || props.error.message;
  return (
    <div class="error" role="alert">
      <strong>{t("failed")}</strong> ({props.operation}): {detail}{" "}
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          {t("retry")}
        </button>
      )}
    </div>
  );
}

export interface TypedError {
  readonly __typename: string;
  readonly message?: string;
  readonly fields?: readonly { readonly path: readonly string[]; readonly message: string }[];
}

/** A ValidationError's fields by input path ("customer.phones", "summary"): list indexes dropped,
 * so the message lands beside the control. */
export function fieldErrors(result: TypedError | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of result?.fields ?? []) {
    const key = field.path.map((part) => part.replace(/\[\d+\]$/, "")).join(".");
    out[key] ??= field.message;
  }
  return out;
}

/** A text control with its label and its error beside it (aria-describedby). */
export function Field(props: {
  id: string;
  label: string;
  error?: string;
  children: ComponentChildren;
  hint?: ComponentChildren;
}) {
  return (
    <div class={props.error ? "field invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function describedBy(id: string, error?: string): Record<string, string | boolean> {
  return error ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
}

export interface Clock {
  readonly name: string;
  readonly dueAt: string | null;
  readonly warnAt?: string | null;
  readonly stoppedAt: string | null;
  readonly status: string;
}

function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const seconds = Math.floor((Math.abs(ms) % 60_000) / 1000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days > 0) return `${days}d ${hours % 24}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m ${String(seconds).padStart(2, "0")}s`;
}

/** The first running clock's countdown, coloured by its status (the server's; a countdown past
 * its due time shows overdue at once, before the next refetch). */
export function Countdown(props: { clocks: readonly Clock[]; now: number }) {
  const t = useT();
  const running = props.clocks.find((c) => c.dueAt && !c.stoppedAt);
  if (!running?.dueAt) {
    const last = props.clocks[props.clocks.length - 1];
    return <span class="clock muted">{last ? `${last.status.toLowerCase()}` : "—"}</span>;
  }
  const left = new Date(running.dueAt).getTime() - props.now;
  const warn = running.warnAt ? new Date(running.warnAt).getTime() <= props.now : false;
  const status =
    left < 0 ? "breached" : warn || running.status === "DUE_SOON" ? "due-soon" : "on-track";
  return (
    <span class={`clock ${status}`}>
      {running.name}: {left < 0 ? `${t("overdue")} ${span(left)}` : `${t("left")} ${span(left)}`}
    </span>
  );
}
