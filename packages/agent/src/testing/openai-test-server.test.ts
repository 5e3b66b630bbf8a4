import { afterEach, describe, expect, it } from "vitest";
import { type OpenAiTestServer, errorReply, startOpenAiTestServer, textReply, toolCallsReply } from "./openai-test-server.js";

let server: OpenAiTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(path: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${server!.baseURL}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

describe("startOpenAiTestServer", () => {
  it("answers chat completions from the script with unique completion and tool call ids, then the fallback", async () => {
    server = await startOpenAiTestServer({
      script: [toolCallsReply({ name: "hold", arguments: { reason: "x" } }, { name: "hold", arguments: "{broken" }), errorReply(429, "slow", { "retry-after": "1" })],
    });
    const request = { model: "m", messages: [{ role: "user", content: "hi" }] };
    const first = await post("/chat/completions", request);
    const second = await post("/chat/completions", request);
    const third = await post("/chat/completions", request);
    const fourth = await post("/chat/completions", request);

    expect(first.status).toBe(200);
    const calls = first.json.choices[0].message.tool_calls;
    expect(calls.map((c: any) => c.function.arguments)).toEqual(['{"reason":"x"}', "{broken"]);
    expect(new Set(calls.map((c: any) => c.id)).size).toBe(2);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(third.json.choices[0].message.content).toBe("done");
    expect(third.json.id).not.toBe(first.json.id);
    expect(fourth.json.id).not.toBe(third.json.id);
    expect(server.requests).toHaveLength(4);
    expect(server.requests[0]!.messages[0]!.content).toBe("hi");
  });

  it("lets a script step react to the request and refuses unknown routes and bodies that are not JSON", async () => {
    server = await startOpenAiTestServer({ script: [(req) => textReply(`you said ${String(req.messages.at(-1)?.content)}`)] });
    const reply = await post("/chat/completions", { model: "m", messages: [{ role: "user", content: "ping" }] });
    expect(reply.json.choices[0].message.content).toBe("you said ping");
    expect((await post("/embeddings", {})).status).toBe(404);
    const raw = await fetch(`${server.baseURL}/chat/completions`, { method: "POST", body: "{nope" });
    expect(raw.status).toBe(400);
  });
});
