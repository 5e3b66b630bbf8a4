/**
 * Test support (not exported): one process taking a data directory's lock, for the race
 * tests in data-dir-lock.test.ts. `node --import tsx data-dir-lock.taker.ts <dataDir> <startAt> <holdMs>`:
 * waits until the epoch ms `startAt` (so several takers start at the same instant), tries
 * once, prints `won` or `lost <message>`, holds a won lock `holdMs` (-1: until SIGTERM,
 * which releases it, or SIGKILL, which leaves it stale).
 */
import { DataDirInUseError, lockDataDir } from "./data-dir-lock.js";

const [dataDir, startAtText, holdText] = process.argv.slice(2);
const startAt = Number(startAtText);
while (Date.now() < startAt) {
  // spin: a timer would add its own jitter
}
try {
  const lock = lockDataDir(dataDir!, { holder: "taker" });
  process.stdout.write(`won ${lock.owner.nonce}\n`);
  const holdMs = Number(holdText);
  if (holdMs >= 0) {
    setTimeout(() => {
      lock.release();
      process.exit(0);
    }, holdMs);
  } else {
    setInterval(() => undefined, 1 << 30);
    process.on("SIGTERM", () => {
      lock.release();
      process.exit(0);
    });
  }
} catch (error) {
  process.stdout.write(`lost ${error instanceof DataDirInUseError ? "in-use" : "error"} ${(error as Error).message}\n`);
  process.exit(0);
}
