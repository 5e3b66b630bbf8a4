// @ts-check
// One ESLint configuration for the whole repository. Every TypeScript file is linted
// with type information (typescript-eslint's project service finds the nearest
// tsconfig.json that includes the file: each package's own, or the root tsconfig.json for
// the root files and each package's *.config.ts); JavaScript files get the same rules
// without type information. `pnpm lint` runs it with --max-warnings 0.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // Build output, Prisma's generated client and tool caches are not ours to lint.
  globalIgnores(["**/dist/**", "**/generated/**", "**/node_modules/**", "**/coverage/**", "**/.turbo/**", "**/.autonome/**", "**/*.tmp.*"]),
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The promise rules are the reason this linter exists: an un-awaited write or a
      // promise handed to a callback that ignores it loses errors and orders silently.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      // `return promise` inside try/catch skips the catch; `return await` there.
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      // A switch over a union must name every member, or say `default:` on purpose.
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      // verbatimModuleSyntax keeps value imports at run time: types must be imported as types.
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-import-type-side-effects": "error",
      // A leading underscore marks a binding that is unused on purpose (an interface's
      // parameter, a destructured element skipped, a property dropped from a rest copy).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // decimal.js's Decimal prints its exact value; interpolating it is how money is shown.
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allow: [{ name: ["Error", "URL", "URLSearchParams"], from: "lib" }, { name: "Decimal", from: "package", package: "decimal.js" }] },
      ],
      // Rejecting with a value we did not create (an AbortSignal's reason, a caught error)
      // passes it on unchanged; a literal non-Error rejection is still reported.
      "@typescript-eslint/prefer-promise-reject-errors": ["error", { allowThrowingAny: true, allowThrowingUnknown: true }],
      // Off: an `async` function without `await` is how a Promise-returning interface is
      // implemented here, and removing `async` would turn its errors into synchronous
      // throws that callers do not expect. The promise rules above catch the real bugs.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Tests read JSON bodies and mock payloads as `any` and assert on them: the assertion
    // is the type check. Source, test support (src/testing/) and benches keep the rules.
    files: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // Plain JavaScript (scripts, this file) has no type information.
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/consistent-type-imports": "off",
    },
  },
);
