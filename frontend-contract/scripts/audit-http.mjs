// GraphQL over HTTP audit (graphql-http's auditServer) against a running server.
// Usage: node scripts/audit-http.mjs URL   (the bearer token, if any, comes from GRAPHQL_AUDIT_TOKEN)
// Prints one JSON array of {id, name, status, reason}; the caller decides what passes.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const token = process.env.GRAPHQL_AUDIT_TOKEN;

// auditServer knows nothing of authentication: every request it makes gets the bearer token.
async function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithToken });
const report = results.map((r) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  reason: r.status === 'ok' ? null : r.reason,
}));
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
