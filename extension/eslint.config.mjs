// ESLint (flat config) over the extension and the demo's page code: the recommended rules, with each
// file's globals (browser pages, the background, node tests). Run by .ci/test (`npm run lint --prefix
// extension`, which lints from the repository's root). Not packed into the store packages
// (installer/store/package-extension.mjs).
import js from "@eslint/js";
import globals from "globals";
import { fileURLToPath } from "node:url";

/** The repository: paths below are from there, so the demo's pages (outside extension/) are linted too. */
const basePath = fileURLToPath(new URL("..", import.meta.url));
const pages = ["extension/**/*.js", "demo/src/main/resources/portal/**/*.js"];
const nodeScripts = ["extension/**/*.mjs"];

export default [
  { basePath, ignores: ["**/node_modules/**", "**/target/**"] },
  { basePath, files: [...pages, ...nodeScripts], ...js.configs.recommended },
  {
    basePath,
    files: [...pages, ...nodeScripts],
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    // `const { dropped, ...kept } = x` is how a property is left out of a copy.
    rules: { "no-unused-vars": ["error", { ignoreRestSiblings: true }] },
  },
  {
    basePath,
    files: pages,
    languageOptions: { globals: { ...globals.browser, chrome: "readonly", browser: "readonly" } },
  },
  // A content script is a classic script, not a module.
  { basePath, files: ["extension/content.js"], languageOptions: { sourceType: "script" } },
  { basePath, files: nodeScripts, languageOptions: { globals: { ...globals.node } } },
];
