export {
  type ScriptedToolCall,
  type ScriptedReply,
  type ScriptedUsage,
  type RecordedRequest,
  type ScriptStep,
  type OpenAiTestServerOptions,
  type OpenAiTestServer,
  type Dialect,
  DIALECTS,
  jsonDecisionReply,
  startOpenAiTestServer,
  toolCallsReply,
  textReply,
  errorReply,
} from "./openai-test-server.js";
export { type PaperExecutorOptions, PaperExecutor } from "./paper-executor.js";
