export { type TestSql, testSql, truncateAllTables } from "./sql.js";
export { postgresProblem, testDatabaseUrl, testPostgresSkipReason } from "./postgres.js";
export { TcpRelay } from "./relay.js";
