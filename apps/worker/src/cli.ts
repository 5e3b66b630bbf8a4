#!/usr/bin/env node
/** Entry of `autonome` (pnpm autonome ...): runs one command and exits with its code (2: usage or a setting to fix). */
import { isAutonomeError } from "@autonome/core";
import { USAGE, UsageError, runCli } from "./commands.js";
import { describeError, startupFailure } from "./startup.js";

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`autonome: ${error.message}\n${USAGE}\n`);
      process.exit(2);
    }
    // Bad input of a command (a flag, a file, a range): said before any work starts.
    if (isAutonomeError(error) && (error.code === "BACKTEST_INPUT" || error.code === "SEASON_CONFLICT")) {
      process.stderr.write(`autonome: ${error.message}\n`);
      process.exit(2);
    }
    const failure = startupFailure(error);
    if (failure.exitCode === 2) {
      process.stderr.write(`autonome: ${failure.line}\n`);
      process.exit(2);
    }
    process.stderr.write(`autonome: ${isAutonomeError(error) ? `${error.code}: ${error.message}` : describeError(error)}\n`);
    process.exit(1);
  },
);
