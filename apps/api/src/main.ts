/**
 * Standalone api: `node dist/main.js`. DATABASE_URL (else PGlite in AUTONOME_DB_DIR),
 * API_PORT (default 3000) and API_HOST (default 127.0.0.1). Events arrive over
 * PostgreSQL LISTEN/NOTIFY; positions are marked at the last known prices.
 */
import { startApi } from "./server.js";

const port = Number(process.env.API_PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error("API_PORT must be an integer port");
  process.exit(1);
}
const api = await startApi({ port, host: process.env.API_HOST?.trim() || "127.0.0.1" });
console.log(`autonome api listening on ${api.url}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await api.close();
  process.exit(0);
};
const onSignal = () => {
  stop().catch((error: unknown) => {
    console.error("autonome api: could not close cleanly", error);
    process.exit(1);
  });
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
