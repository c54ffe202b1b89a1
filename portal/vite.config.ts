import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";

const MANIFEST = fileURLToPath(
  new URL("../frontend-contract/persisted-operations.json", import.meta.url),
);

interface Persisted {
  id: string;
  name: string;
  type: string;
  body: string;
}

/** `import op from "contract:Worklist"`: one operation of the frontend contract, by name, from
 * persisted-operations.json (its id, kind and exact text). An operation missing there fails the
 * build, so the portal can only send what the contract holds. */
function contract(): Plugin {
  const prefix = "contract:";
  return {
    name: "complaintdesk-contract",
    resolveId(source) {
      return source.startsWith(prefix) ? `\0${source}` : null;
    },
    load(id) {
      if (!id.startsWith(`\0${prefix}`)) return null;
      const name = id.slice(prefix.length + 1);
      this.addWatchFile(MANIFEST);
      const manifest = JSON.parse(readFileSync(MANIFEST, "utf8")) as { operations: Persisted[] };
      const op = manifest.operations.find((o) => o.name === name);
      if (!op) this.error(`${name} is not in frontend-contract/persisted-operations.json`);
      return `export default ${JSON.stringify(op)};`;
    },
  };
}

export default defineConfig({
  plugins: [preact(), contract()],
  build: { target: "es2022", sourcemap: false },
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:8000", ws: true } } },
});
