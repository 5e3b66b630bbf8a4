-- CreateTable
CREATE TABLE "model_leases" (
    "model_id" UUID NOT NULL,
    "worker_id" TEXT NOT NULL,
    "acquired_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_leases_pkey" PRIMARY KEY ("model_id")
);

-- CreateTable
CREATE TABLE "worker_heartbeats" (
    "worker_id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "tick" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "last_tick_at" TIMESTAMPTZ(3),
    "last_success_at" TIMESTAMPTZ(3),
    "running_model_ids" JSONB NOT NULL DEFAULT '[]',
    "consecutive_failed_cycles" INTEGER NOT NULL DEFAULT 0,
    "degraded" BOOLEAN NOT NULL DEFAULT false,
    "degraded_reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "worker_heartbeats_pkey" PRIMARY KEY ("worker_id")
);

-- CreateIndex
CREATE INDEX "model_leases_worker_id_idx" ON "model_leases"("worker_id");

-- AddForeignKey
ALTER TABLE "model_leases" ADD CONSTRAINT "model_leases_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
