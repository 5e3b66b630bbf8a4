/**
 * Measures one invocation end to end: a language model run of two model calls
 * (a hold tool call, then a final answer) over real HTTP against the local test
 * server, and a rule model run against a paper account. Run: pnpm bench.
 */
import { SystemClock } from "@autonome/core";
import { createModelRegistry } from "../src/registry.js";
import { BTC_FLAT, inputFor, paperAccount } from "../src/testing/helpers.js";
import { startOpenAiTestServer, textReply, toolCallsReply } from "../src/testing/openai-test-server.js";

const RUNS = 60;
const WARMUP = 10;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

const server = await startOpenAiTestServer();
const registry = createModelRegistry(
  [
    { id: "llm", kind: "openai", baseURL: server.baseURL, model: "bench" },
    { id: "rule", kind: "rule", rule: "buy-and-hold-btc" },
  ],
  { env: {}, clock: new SystemClock() },
);
const llm: number[] = [];
const rule: number[] = [];
for (let i = 0; i < RUNS + WARMUP; i++) {
  server.push(toolCallsReply({ name: "hold", arguments: { reason: "wait" } }), textReply("done"));
  const { executor } = paperAccount();
  const input = await inputFor(executor, [BTC_FLAT]);
  let start = performance.now();
  const result = await registry.get("llm").invoke(input, executor);
  if (!result.ok) throw new Error(result.error ?? "invocation failed");
  if (i >= WARMUP) llm.push(performance.now() - start);
  start = performance.now();
  await registry.get("rule").invoke(input, executor);
  if (i >= WARMUP) rule.push(performance.now() - start);
}
await server.close();
console.log(`LLM invocation, 2 model calls over local HTTP: median ${quantile(llm, 0.5).toFixed(1)} ms, p95 ${quantile(llm, 0.95).toFixed(1)} ms (${RUNS} runs)`);
console.log(`rule model invocation, paper account: median ${quantile(rule, 0.5).toFixed(2)} ms, p95 ${quantile(rule, 0.95).toFixed(2)} ms (${RUNS} runs)`);
