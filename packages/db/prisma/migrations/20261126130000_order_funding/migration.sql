-- AlterTable
-- Funding a position paid (negative) or received (positive) while open, USD; existing orders had none recorded.
ALTER TABLE "orders" ADD COLUMN "funding" DECIMAL(18,8) NOT NULL DEFAULT 0;
