-- Realized PnL, fees and funding with the matching engine's precision: a simulated account's
-- cash is rebuilt from their sums on every restart, so they must be what the engine booked,
-- not rounded to cents (realized_pnl) or to 1e-8 (fees, funding). numeric(65,30) holds every
-- amount a fill makes exactly (notional x fee rate has at most price + size + fee-rate decimals);
-- widening keeps every stored value as it is.
ALTER TABLE "orders" ALTER COLUMN "realized_pnl" TYPE NUMERIC(65,30);
ALTER TABLE "orders" ALTER COLUMN "fees" TYPE NUMERIC(65,30);
ALTER TABLE "orders" ALTER COLUMN "funding" TYPE NUMERIC(65,30);
