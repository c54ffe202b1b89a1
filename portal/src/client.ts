import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { persistedExchange } from "@urql/exchange-persisted";
import { createClient } from "graphql-ws";
import { nameOf, persisted } from "./ops";
import { outage, reconnects, signOut } from "./session";

const FIRST_RETRY_MS = 500;
const LONGEST_RETRY_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** fetch that waits out an unreachable server: the banner shows the next try, and the request
 * (a form's input with it) is sent again with backoff instead of being lost. Only a request that
 * never reached the server is retried, so a mutation is not applied twice. A 401 means the token
 * expired or was revoked: back to sign-in. */
async function resilientFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let delay = FIRST_RETRY_MS;
  for (;;) {
    try {
      const response = await fetch(input, init);
      outage.set(null);
      if (response.status === 401) signOut("expired");
      return response;
    } catch (error) {
      if (init?.signal?.aborted || !(error instanceof TypeError)) throw error;
      outage.set({ retryAt: Date.now() + delay });
      await sleep(delay);
      delay = Math.min(delay * 2, LONGEST_RETRY_MS);
    }
  }
}

/** The portal's GraphQL client for one signed-in token. Queries and mutations go over HTTP by
 * persisted id alone; subscriptions over graphql-transport-ws with the token in connection_init,
 * reconnecting forever (screens refetch on `reconnects`). */
export function makeClient(token: string): Client {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  // Set by any close but the lazy one (1000) and cleared by the next acknowledgement: a socket
  // lost before its first acknowledgement missed events too, so that one refetches as well.
  let lost = false;
  const ws = createClient({
    url: url.href,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await sleep(Math.min(FIRST_RETRY_MS * 2 ** retries, LONGEST_RETRY_MS));
    },
    on: {
      connected: () => {
        if (lost) reconnects.set(reconnects.get() + 1);
        lost = false;
      },
      closed: (event) => {
        const code = (event as CloseEvent).code;
        // 4403: the token is no longer accepted (closed at connection_init).
        if (code === 4403) signOut("expired");
        else if (code !== 1000) lost = true;
      },
    },
  });
  return new Client({
    url: "/graphql",
    fetch: resilientFetch,
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [
      cacheExchange,
      persistedExchange({
        enforcePersistedQueries: true,
        enableForMutation: true,
        preferGetForPersistedQueries: false,
        generateHash: async (_query, document) => persisted(nameOf(document)).id,
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const op = persisted(request.operationName);
          const payload = {
            query: op.body,
            operationName: op.name,
            variables: request.variables ?? {},
            extensions: { persistedQuery: { version: 1, sha256Hash: op.id } },
          };
          return {
            subscribe(sink) {
              const watched = {
                ...sink,
                // The token expired while subscribed: the server ends the subscription so.
                next(result: { errors?: readonly { extensions?: { code?: unknown } }[] }) {
                  if (result.errors?.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
                    signOut("expired");
                  }
                  sink.next(result as Parameters<typeof sink.next>[0]);
                },
              };
              return { unsubscribe: ws.subscribe(payload, watched) };
            },
          };
        },
      }),
    ],
  });
}
