/**
 * The tools a model calls and the decision each one makes, defined once: the agent
 * offers these tools, the prompts name them, the trade workflow and the ToolCalls
 * table record the decision types. Everything here derives from one table, so a tool
 * and its decision type cannot disagree between packages.
 */
import type { DecisionType } from "./trading.js";

/** The one table: each decision type and the tool name a model calls to make it, in the order tools are offered. */
const TOOL_OF_DECISION_TYPE = {
  CREATE_POSITION: "create_position",
  CLOSE_POSITION: "close_position",
  HOLDING: "hold",
  UPDATE_EXIT_PLAN: "update_exit_plan",
} as const satisfies Record<DecisionType, string>;

/** The tool names, as the model calls them. */
export type ToolName = (typeof TOOL_OF_DECISION_TYPE)[DecisionType];

/** Every decision type, in the order tools are offered. */
export const DECISION_TYPES: readonly DecisionType[] = Object.freeze(Object.keys(TOOL_OF_DECISION_TYPE) as DecisionType[]);

/** Every tool name, in the order tools are offered (the order of DECISION_TYPES). */
export const TOOL_NAMES: readonly ToolName[] = Object.freeze(DECISION_TYPES.map((type) => TOOL_OF_DECISION_TYPE[type]));

const DECISION_TYPE_OF_TOOL: ReadonlyMap<string, DecisionType> = new Map(DECISION_TYPES.map((type) => [TOOL_OF_DECISION_TYPE[type], type]));

/** The tool a model calls to make a decision of this type. */
export function toolOfDecisionType(type: DecisionType): ToolName {
  return TOOL_OF_DECISION_TYPE[type];
}

/** The decision type a tool makes; undefined for a name that is not one of the tools (models invent some). */
export function decisionTypeOfTool(name: ToolName): DecisionType;
export function decisionTypeOfTool(name: string): DecisionType | undefined;
export function decisionTypeOfTool(name: string): DecisionType | undefined {
  return DECISION_TYPE_OF_TOOL.get(name);
}

/** Whether a name is one of the tools. */
export function isToolName(name: string): name is ToolName {
  return DECISION_TYPE_OF_TOOL.has(name);
}
