/** Operations of the frontend contract, by name (vite.config.ts, plugin `contract`). */
declare module "contract:*" {
  const operation: { id: string; name: string; type: string; body: string };
  export default operation;
}
