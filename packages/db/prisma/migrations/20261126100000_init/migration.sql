-- CreateEnum
CREATE TYPE "Side" AS ENUM ('LONG', 'SHORT');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('OPEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "CloseTrigger" AS ENUM ('STOP', 'TARGET', 'LIQUIDATION', 'MANUAL');

-- CreateEnum
CREATE TYPE "TradingMode" AS ENUM ('SIM', 'LIVE');

-- CreateEnum
CREATE TYPE "ToolCallType" AS ENUM ('CREATE_POSITION', 'CLOSE_POSITION', 'HOLDING', 'UPDATE_EXIT_PLAN');

-- CreateTable
CREATE TABLE "models" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model_name" TEXT NOT NULL,
    "variant" TEXT NOT NULL DEFAULT 'default',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "mode" "TradingMode",
    "account_index" BIGINT,
    "invocation_count" INTEGER NOT NULL DEFAULT 0,
    "failed_workflow_count" INTEGER NOT NULL DEFAULT 0,
    "failed_tool_call_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "Side" NOT NULL,
    "quantity" DECIMAL(18,8) NOT NULL,
    "leverage" DECIMAL(10,2) NOT NULL,
    "entry_price" DECIMAL(18,8) NOT NULL,
    "exit_plan" JSONB NOT NULL,
    "status" "OrderStatus" NOT NULL DEFAULT 'OPEN',
    "exit_price" DECIMAL(18,8),
    "realized_pnl" DECIMAL(18,2),
    "fees" DECIMAL(18,8) NOT NULL DEFAULT 0,
    "close_trigger" "CloseTrigger",
    "sl_order_index" BIGINT,
    "tp_order_index" BIGINT,
    "sl_trigger_price" DECIMAL(18,8),
    "tp_trigger_price" DECIMAL(18,8),
    "opened_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),
    -- Invariants Prisma's schema language cannot state; the repositories check them first.
    CONSTRAINT "orders_positive_check" CHECK ("quantity" > 0 AND "entry_price" > 0 AND "leverage" > 0),
    CONSTRAINT "orders_closed_check" CHECK (
        ("status" = 'OPEN' AND "exit_price" IS NULL AND "realized_pnl" IS NULL AND "closed_at" IS NULL AND "close_trigger" IS NULL)
        OR ("status" = 'CLOSED' AND "exit_price" IS NOT NULL AND "realized_pnl" IS NOT NULL AND "closed_at" IS NOT NULL)
    )
);

-- CreateTable
CREATE TABLE "invocations" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "prompt" TEXT NOT NULL,
    "response" TEXT,
    "response_payload" JSONB,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost" DECIMAL(18,8),
    "latency_ms" INTEGER,
    "steps" JSONB,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "invocations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tool_calls" (
    "id" UUID NOT NULL,
    "invocation_id" UUID NOT NULL,
    "type" "ToolCallType" NOT NULL,
    "arguments" JSONB NOT NULL,
    "result" JSONB,
    "accepted" BOOLEAN NOT NULL,
    "rejection_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tool_calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "portfolio_snapshots" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "total" DECIMAL(18,8) NOT NULL,
    "available" DECIMAL(18,8) NOT NULL,
    "unrealized_pnl" DECIMAL(18,8) NOT NULL,

    CONSTRAINT "portfolio_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "models_name_variant_key" ON "models"("name", "variant");

-- CreateIndex
CREATE INDEX "orders_model_id_status_symbol_idx" ON "orders"("model_id", "status", "symbol");

-- CreateIndex
CREATE INDEX "orders_model_id_closed_at_idx" ON "orders"("model_id", "closed_at");

-- CreateIndex
CREATE INDEX "orders_status_closed_at_idx" ON "orders"("status", "closed_at");

-- CreateIndex
CREATE INDEX "invocations_model_id_started_at_idx" ON "invocations"("model_id", "started_at");

-- CreateIndex
CREATE INDEX "tool_calls_invocation_id_created_at_idx" ON "tool_calls"("invocation_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "portfolio_snapshots_model_id_at_key" ON "portfolio_snapshots"("model_id", "at");

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invocations" ADD CONSTRAINT "invocations_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tool_calls" ADD CONSTRAINT "tool_calls_invocation_id_fkey" FOREIGN KEY ("invocation_id") REFERENCES "invocations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "portfolio_snapshots" ADD CONSTRAINT "portfolio_snapshots_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
