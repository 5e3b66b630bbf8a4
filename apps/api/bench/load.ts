/**
 * A small constant-rate HTTP load generator, run in its own process by api.bench.ts.
 *
 * Request i is scheduled at start + i / rate and its latency is measured from that
 * scheduled time to the last byte of the response, so a slow response (or a busy
 * generator) that delays later sends counts against them too: no coordinated omission.
 * Requests go over a fixed pool of keep-alive connections (node:http Agent); when all
 * are busy a request waits in the agent's queue, and that wait is part of its latency.
 *
 *   node --import tsx bench/load.ts <url> [rate=200] [durationS=20] [connections=20] [warmupS=2]
 *
 * Prints one JSON line: { requests, errors, non2xx, durationS, p50, p90, p99, p999, max } (ms).
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

const [target, rateText = "200", durationText = "20", connectionsText = "20", warmupText = "2"] = process.argv.slice(2);
if (target === undefined) {
  console.error("usage: load.ts <url> [rate] [durationS] [connections] [warmupS]");
  process.exit(2);
}
const url = new URL(target);
const rate = Number(rateText);
const durationS = Number(durationText);
const connections = Number(connectionsText);
const warmupS = Number(warmupText);
if (!(rate > 0 && durationS > 0 && connections > 0 && warmupS >= 0)) throw new Error("rate, duration and connections must be positive");

const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const intervalMs = 1000 / rate;

/** Sends one GET and resolves to its status once the body is fully read. */
function get(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, agent, method: "GET" }, (res) => {
      res.on("data", () => undefined);
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** Runs the schedule for `seconds`; returns latencies (ms) of the requests scheduled in it. */
async function run(seconds: number): Promise<{ latencies: number[]; errors: number; non2xx: number; elapsedS: number }> {
  const total = Math.round(seconds * rate);
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Send every request whose time has come (several if the timer fired late).
      while (sent < total && start + sent * intervalMs <= now) {
        const scheduled = start + sent * intervalMs;
        sent++;
        pending.push(
          get().then(
            (status) => {
              latencies.push(performance.now() - scheduled);
              if (status < 200 || status >= 300) non2xx++;
            },
            () => {
              errors++;
            },
          ),
        );
      }
      if (sent >= total) return done();
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  return { latencies, errors, non2xx, elapsedS: (performance.now() - start) / 1000 };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

if (warmupS > 0) await run(warmupS);
const { latencies, errors, non2xx, elapsedS } = await run(durationS);
latencies.sort((a, b) => a - b);
const round = (ms: number) => Math.round(ms * 10) / 10;
console.log(
  JSON.stringify({
    requests: latencies.length,
    errors,
    non2xx,
    durationS: Math.round(elapsedS * 100) / 100,
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    p999: round(percentile(latencies, 99.9)),
    max: round(latencies[latencies.length - 1] ?? Number.NaN),
  }),
);
agent.destroy();
