-- AlterTable
-- Fencing tokens: every claim of a model's run takes a new token from one sequence, so a run
-- can prove, by holder, token and expiry judged with the database's clock, that it still holds
-- the lease it started under (a run whose lease lapsed or was taken over is fenced off).
ALTER TABLE "model_leases" ADD COLUMN "token" BIGSERIAL NOT NULL;
