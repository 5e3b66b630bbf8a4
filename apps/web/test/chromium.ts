/**
 * Finds the Chromium (or Chrome) the browser tests drive: never a downloaded browser, the
 * machine's own. CHROME_PATH when set (and then only it), else the first executable of
 * the usual install paths, else the first of the usual command names on PATH.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian, Ubuntu, Google's packages and snap put the browser. */
export const CHROMIUM_PATHS: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
];

/** The browser's command names, looked up on PATH like `which` does. */
export const CHROMIUM_COMMANDS: readonly string[] = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** How to get a browser, for the skip line and the CI failure. */
export const INSTALL_HINT = "install it with `apt-get install chromium` (Debian/Ubuntu) or set CHROME_PATH to a Chromium or Chrome binary";

export interface ChromiumSearch {
  /** Reads CHROME_PATH and PATH; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Absolute paths tried in order; CHROMIUM_PATHS by default. */
  paths?: readonly string[];
  /** Command names looked up on PATH in order; CHROMIUM_COMMANDS by default. */
  commands?: readonly string[];
}

/** The browser found, or why there is none (one line, with INSTALL_HINT). */
export type ChromiumFound = { path: string; problem?: undefined } | { path?: undefined; problem: string };

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks for the browser; see the module comment for the order. */
export function findChromium(search: ChromiumSearch = {}): ChromiumFound {
  const env = search.env ?? process.env;
  const paths = search.paths ?? CHROMIUM_PATHS;
  const commands = search.commands ?? CHROMIUM_COMMANDS;
  const chromePath = env.CHROME_PATH?.trim();
  if (chromePath) {
    return isExecutableFile(chromePath) ? { path: chromePath } : { problem: `CHROME_PATH=${chromePath} is not an executable file; ${INSTALL_HINT}` };
  }
  const found = paths.find(isExecutableFile);
  if (found !== undefined) return { path: found };
  const dirs = (env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  for (const command of commands) {
    const onPath = dirs.map((dir) => join(dir, command)).find(isExecutableFile);
    if (onPath !== undefined) return { path: onPath };
  }
  return { problem: `no Chromium in ${[...paths, ...commands.map((c) => `${c} on PATH`)].join(", ")}; ${INSTALL_HINT}` };
}
