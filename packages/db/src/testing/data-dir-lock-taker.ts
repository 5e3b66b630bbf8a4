/**
 * Test support (not exported): one process taking a data directory's lock, for the race
 * tests in data-dir-lock.test.ts. `node --import tsx testing/data-dir-lock-taker.ts <dataDir>`
 * prints `ready`, reads an epoch ms from stdin and sleeps until then (so several takers
 * try at the same instant), tries once, prints `won <nonce>` or `lost <kind> <message>`,
 * and holds a won lock until SIGTERM (which releases it) or SIGKILL (which leaves it stale).
 */
import { DataDirInUseError, lockDataDir } from "../data-dir-lock.js";

const dataDir = process.argv[2]!;
process.stdout.write("ready\n");
process.stdin.once("data", (chunk: Buffer) => {
  process.stdin.pause();
  const startAt = Number(chunk.toString("utf8").trim());
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, startAt - Date.now()));
  try {
    const lock = lockDataDir(dataDir, { holder: "taker" });
    // The handler first: stdout is a pipe, written synchronously, so the test may read "won"
    // and send SIGTERM before the next statement runs (a loaded CI machine did, and the
    // default SIGTERM left the lock behind).
    process.on("SIGTERM", () => {
      lock.release();
      process.exit(0);
    });
    setInterval(() => undefined, 1 << 30);
    process.stdout.write(`won ${lock.owner.nonce}\n`);
  } catch (error) {
    process.stdout.write(`lost ${error instanceof DataDirInUseError ? "in-use" : "error"} ${(error as Error).message}\n`);
    process.exit(0);
  }
});
