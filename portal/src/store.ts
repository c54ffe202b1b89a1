import { useEffect, useState } from "preact/hooks";

/** A value screens share (the session, the language, the connection banner), with a hook that
 * re-renders on change. */
export interface Store<T> {
  get(): T;
  set(value: T): void;
  subscribe(listener: () => void): () => void;
}

export function store<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T>(s: Store<T>): T {
  const [, render] = useState(0);
  useEffect(() => s.subscribe(() => render((n) => n + 1)), [s]);
  return s.get();
}
