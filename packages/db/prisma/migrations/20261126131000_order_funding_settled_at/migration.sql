-- AlterTable
-- When the last funding settlement recorded on the order came due: each settlement is added once.
ALTER TABLE "orders" ADD COLUMN "funding_settled_at" TIMESTAMPTZ(3);
