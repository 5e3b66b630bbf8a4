/**
 * Decisions as fenced JSON in the reply, for endpoints without tool calling (a model entry
 * with `decisionFormat: "json"`, the way Alpha Arena's first season prompted its models).
 * The decision goes through the same TradingSession as a tool call: validation, risk checks,
 * execution and records.
 */
import { z } from "zod";
import { TOOL_NAMES, TOOL_SPECS } from "./tools.js";

/** The instructions appended to the system prompt of a JSON-decision model. */
export function jsonDecisionInstructions(): string {
  const tools = TOOL_NAMES.map((name) => {
    const schema = z.toJSONSchema(TOOL_SPECS[name].schema, { unrepresentable: "any" }) as { properties?: unknown; required?: unknown };
    return `- ${name}: ${TOOL_SPECS[name].description}\n  arguments: ${JSON.stringify({ properties: schema.properties ?? {}, required: schema.required ?? [] })}`;
  });
  return [
    "",
    "## How to answer",
    "Tool calling is not available on this endpoint. End your reply with exactly one fenced JSON block naming the tool and its arguments, for example:",
    "```json",
    '{"tool": "hold", "arguments": {"reason": "no edge"}}',
    "```",
    'For several actions in one reply use {"decisions": [{"tool": ..., "arguments": {...}}, ...]}. To do nothing, use hold. The tools:',
    ...tools,
  ].join("\n");
}

/** One decision read from a reply. */
export interface JsonDecision {
  tool: string;
  args: unknown;
}

/** What a reply held. */
export type JsonDecisionParse =
  | { kind: "decisions"; decisions: JsonDecision[] }
  | { kind: "none" }
  | { kind: "malformed"; tool: string | null; raw: string; reason: string };

const FENCE = /```[ \t]*(?:json)?[ \t]*\r?\n?([\s\S]*?)```/i;

function itemOf(value: unknown): JsonDecision | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a decision must be an object with tool and arguments";
  const v = value as Record<string, unknown>;
  const tool = v.tool ?? v.name ?? v.action;
  if (typeof tool !== "string" || tool.trim() === "") return 'a decision needs "tool": the name of a tool';
  const args = v.arguments ?? v.args ?? v.parameters ?? {};
  return { tool: tool.trim(), args: typeof args === "string" ? safeJson(args) : args };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads the fenced JSON decision of a reply (or a reply that is only a JSON object). */
export function parseJsonDecisions(text: string): JsonDecisionParse {
  const fenced = FENCE.exec(text)?.[1];
  const trimmed = text.trim();
  const raw = fenced !== undefined ? fenced.trim() : trimmed.startsWith("{") || trimmed.startsWith("[") ? trimmed : null;
  if (raw === null) return { kind: "none" };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    const tool = /"(?:tool|name)"\s*:\s*"([^"]+)"/.exec(raw)?.[1] ?? null;
    return { kind: "malformed", tool, raw, reason: `the JSON decision does not parse: ${error instanceof Error ? error.message : String(error)}` };
  }
  const list = Array.isArray(value) ? value : typeof value === "object" && value !== null && Array.isArray((value as { decisions?: unknown }).decisions) ? (value as { decisions: unknown[] }).decisions : [value];
  if (list.length === 0) return { kind: "malformed", tool: null, raw, reason: "the JSON decision lists no decision" };
  const decisions: JsonDecision[] = [];
  for (const item of list) {
    const d = itemOf(item);
    if (typeof d === "string") return { kind: "malformed", tool: null, raw, reason: d };
    decisions.push(d);
  }
  return { kind: "decisions", decisions };
}
