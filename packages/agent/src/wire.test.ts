import { describe, expect, it } from "vitest";
import { splitThinkTag, usageFromWire } from "./wire.js";

describe("usageFromWire", () => {
  it("reads every usage shape, cached tokens included", () => {
    // OpenAI / OpenRouter (https://openrouter.ai/docs/use-cases/usage-accounting)
    expect(usageFromWire({ prompt_tokens: 194, completion_tokens: 2, total_tokens: 196, prompt_tokens_details: { cached_tokens: 100 }, cost: 0.95 })).toEqual({
      usage: { inputTokens: 194, outputTokens: 2, totalTokens: 196, cachedInputTokens: 100 },
      reported: true,
      costUsd: "0.95",
    });
    // DeepSeek (https://api-docs.deepseek.com/guides/kv_cache)
    expect(usageFromWire({ prompt_tokens: 50, completion_tokens: 5, prompt_cache_hit_tokens: 30, prompt_cache_miss_tokens: 20 }).usage).toEqual({
      inputTokens: 50,
      outputTokens: 5,
      totalTokens: 55,
      cachedInputTokens: 30,
    });
    // input/output tokens, with the cache read listed apart (Anthropic-style gateways)
    expect(usageFromWire({ input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 90 }).usage).toEqual({
      inputTokens: 100,
      outputTokens: 4,
      totalTokens: 104,
      cachedInputTokens: 90,
    });
    // none at all (Ollama)
    expect(usageFromWire(undefined)).toEqual({ usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0, cachedInputTokens: 0 }, reported: false, costUsd: null });
    // a cost that is not a number is ignored
    expect(usageFromWire({ prompt_tokens: 1, completion_tokens: 1, cost: "free" }).costUsd).toBeNull();
  });
});

describe("splitThinkTag", () => {
  it("takes a leading <think> block out of the content", () => {
    expect(splitThinkTag("<think>\nstep 1\n</think>\n\nThe answer.")).toEqual({ reasoning: "step 1", content: "The answer." });
    expect(splitThinkTag("No thinking <think>here</think>")).toEqual({ reasoning: null, content: "No thinking <think>here</think>" });
  });
});
