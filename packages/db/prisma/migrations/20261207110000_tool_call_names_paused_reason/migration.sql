-- Every tool call is on record, a call to a tool that does not exist included: `tool` is the
-- name as the model wrote it, and `type` is null for a tool we do not know.
ALTER TABLE "tool_calls" ADD COLUMN "tool" TEXT;
UPDATE "tool_calls" SET "tool" = CASE "type"
    WHEN 'CREATE_POSITION' THEN 'create_position'
    WHEN 'CLOSE_POSITION' THEN 'close_position'
    WHEN 'HOLDING' THEN 'hold'
    WHEN 'UPDATE_EXIT_PLAN' THEN 'update_exit_plan'
END;
ALTER TABLE "tool_calls" ALTER COLUMN "tool" SET NOT NULL;
ALTER TABLE "tool_calls" ALTER COLUMN "type" DROP NOT NULL;

-- A model the worker paused says why (three configuration errors in a row); resuming clears it.
ALTER TABLE "models" ADD COLUMN "paused_reason" TEXT;
