export { type TestSql, testSql, truncateAllTables } from "./sql.js";
