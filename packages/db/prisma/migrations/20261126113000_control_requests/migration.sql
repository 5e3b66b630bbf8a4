-- CreateTable
CREATE TABLE "control_requests" (
    "id" UUID NOT NULL,
    "model_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "taken_by" TEXT,
    "done_at" TIMESTAMPTZ(3),
    "result" JSONB,
    "error" TEXT,

    CONSTRAINT "control_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "control_requests_done_at_requested_at_idx" ON "control_requests"("done_at", "requested_at");

-- AddForeignKey
ALTER TABLE "control_requests" ADD CONSTRAINT "control_requests_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE CASCADE;
