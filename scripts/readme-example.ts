/**
 * Test support shared by the packages whose README example is a test: the README's first
 * code block of a language, run against the built package (it imports the package by
 * name, through its exports map and dist) from the package's directory, and its output.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";

/** What a README example is and what it printed. */
export interface ReadmeExample {
  code: string;
  output: string;
  /** The README's text (for blocks such as "It prints:"). */
  readme: string;
}

/** Runs the first ```ts (through tsx) or ```js (as an ES module) block of `packageDir`/README.md. */
export function runReadmeExample(packageDir: string, lang: "ts" | "js" = "ts"): ReadmeExample {
  const dir = packageDir.endsWith("/") ? packageDir : `${packageDir}/`;
  const readme = readFileSync(`${dir}README.md`, "utf8");
  const code = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme)?.[1];
  if (code === undefined) throw new Error(`${dir}README.md has no \`\`\`${lang} block`);
  if (lang === "js") {
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", code], { cwd: dir, encoding: "utf8" });
    return { code, output, readme };
  }
  const file = `${dir}.readme-example.tmp.mts`;
  writeFileSync(file, code);
  try {
    return { code, output: execFileSync(process.execPath, ["--import", "tsx", file], { cwd: dir, encoding: "utf8" }), readme };
  } finally {
    rmSync(file, { force: true });
  }
}
