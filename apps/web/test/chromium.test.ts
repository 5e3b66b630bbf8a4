import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHROMIUM_COMMANDS, CHROMIUM_PATHS, INSTALL_HINT, findChromium } from "./chromium.js";

const root = mkdtempSync(join(tmpdir(), "autonome-chromium-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file at `path`, executable unless told otherwise. */
function file(path: string, executable = true): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\n");
  chmodSync(path, executable ? 0o755 : 0o644);
  return path;
}

describe("findChromium", () => {
  const bin = file(join(root, "usr/bin/chromium"));
  const snap = file(join(root, "snap/bin/chromium"));
  const notExecutable = file(join(root, "usr/bin/google-chrome"), false);
  const pathDir = join(root, "path");
  const onPath = file(join(pathDir, "google-chrome-stable"));
  mkdirSync(join(root, "usr/bin/chromium-browser"), { recursive: true }); // a directory, not a browser
  const missing = join(root, "nowhere/chromium");

  it("searches the usual install paths and command names by default", () => {
    expect(CHROMIUM_PATHS).toEqual(["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium"]);
    expect(CHROMIUM_COMMANDS).toEqual(["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]);
  });

  it("takes CHROME_PATH first, over every install path", () => {
    expect(findChromium({ env: { CHROME_PATH: snap }, paths: [bin] })).toEqual({ path: snap });
  });

  it("reports a CHROME_PATH that is not an executable file instead of falling back", () => {
    for (const chromePath of [missing, notExecutable, join(root, "usr/bin/chromium-browser")]) {
      const found = findChromium({ env: { CHROME_PATH: chromePath }, paths: [bin] });
      expect(found.path).toBeUndefined();
      expect(found.problem).toBe(`CHROME_PATH=${chromePath} is not an executable file; ${INSTALL_HINT}`);
    }
  });

  it("takes the first executable install path, skipping missing, non-executable and directories", () => {
    const paths = [missing, notExecutable, join(root, "usr/bin/chromium-browser"), snap, bin];
    expect(findChromium({ env: {}, paths })).toEqual({ path: snap });
  });

  it("looks the command names up on PATH when no install path has one", () => {
    const env = { PATH: [join(root, "empty"), pathDir].join(delimiter) };
    expect(findChromium({ env, paths: [missing], commands: ["chromium", "google-chrome-stable"] })).toEqual({ path: onPath });
    expect(findChromium({ env: { ...env, CHROME_PATH: "  " }, paths: [missing], commands: ["google-chrome-stable"] })).toEqual({ path: onPath });
  });

  it("says in one line where it looked and how to install one when there is none", () => {
    const found = findChromium({ env: { PATH: pathDir }, paths: [missing, notExecutable], commands: ["chromium"] });
    expect(found.path).toBeUndefined();
    expect(found.problem).toBe(`no Chromium in ${missing}, ${notExecutable}, chromium on PATH; ${INSTALL_HINT}`);
    expect(found.problem).toContain("apt-get install chromium");
    expect(found.problem).not.toContain("\n");
  });
});
