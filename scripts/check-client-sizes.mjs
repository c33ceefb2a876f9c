/**
 * The house rules for code that runs elsewhere (clients/*), checked in CI:
 *
 * 1. The import rule. A file under clients/ imports other clients/ files, packages named in
 *    package.json "dependencies" (consumers install those; nothing from devDependencies) and the shared
 *    contract, src/contract/*: types, and constants as plain as a protocol name. Nothing else of the
 *    worker. The contract files in turn import nothing but each other, so a client that reaches them
 *    reaches no further.
 * 2. Size budgets for the clients the package exports: each is bundled as an app would bundle it
 *    (its dependencies included, minified, tree-shaken) and its gzip size compared with its budget.
 *    The browser bundles the worker serves (widget, checkout page, overlay) have their budgets in
 *    scripts/build-clients.mjs.
 *
 * `node scripts/check-client-sizes.mjs` prints a line per client and exits 1 on any breach.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import ts from "typescript";

const root = path.join(import.meta.dirname, "..");
const clientsDir = path.join(root, "clients");
const contractDir = path.join(root, "src/contract");
const dependencies = new Set(
  Object.keys(JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).dependencies ?? {}),
);

/** export name: [entry, gzip budget in bytes], bundled with everything it imports. */
export const packages = {
  verify: ["clients/verifier/index.ts", 10 * 1024],
  pos: ["clients/pos/index.ts", 10 * 1024],
  api: ["clients/api/index.ts", 4 * 1024],
  // The widget's postMessage contract for hosts that embed the page themselves; the script a page
  // includes (/embed.js) is bundled and budgeted by scripts/build-clients.mjs.
  widget: ["clients/widget/protocol.ts", 2 * 1024],
  // Verifying outbound webhooks in a receiver (Standard Webhooks): WebCrypto only, no dependencies.
  webhooks: ["clients/webhooks/index.ts", 2 * 1024],
  // Earning a buyer token (proof of work, docs/buyer-tokens.md): WebCrypto only, no dependencies.
  "buyer-token": ["clients/buyer-token/index.ts", 1024],
};

const failures = [];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) yield full;
  }
}

/** Every module specifier a file names, and whether the statement is erased (types only). */
function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push({ specifier: literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const packageName = (specifier) =>
  specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
const inside = (dir, file) => !path.relative(dir, file).startsWith("..");

let checked = 0;
for (const file of sourceFiles(clientsDir)) {
  checked++;
  const where = path.relative(root, file);
  const isTest = /\.test\.[cm]?[jt]sx?$/.test(file);
  for (const { specifier, typeOnly } of importsOf(file)) {
    if (specifier.startsWith(".")) {
      const target = path.resolve(path.dirname(file), specifier);
      if (inside(clientsDir, target) || inside(contractDir, target)) continue;
      failures.push(`${where} imports ${specifier}: clients import nothing of the worker but src/contract`);
    } else if (!typeOnly && !isTest && !dependencies.has(packageName(specifier))) {
      failures.push(
        `${where} imports ${specifier}, which is not in package.json "dependencies" (consumers would lack it)`,
      );
    }
  }
}
for (const file of sourceFiles(contractDir)) {
  for (const { specifier } of importsOf(file)) {
    if (specifier.startsWith(".") && inside(contractDir, path.resolve(path.dirname(file), specifier)))
      continue;
    failures.push(`${path.relative(root, file)} imports ${specifier}: the contract imports nothing`);
  }
}
console.log(`import rule: ${checked} files under clients/ and the contract they share checked`);

for (const [name, [entry, budget]] of Object.entries(packages)) {
  if (!existsSync(path.join(root, entry))) {
    failures.push(`${name}: ${entry} does not exist`);
    continue;
  }
  const bundle = async (external) =>
    (
      await build({
        entryPoints: [path.join(root, entry)],
        bundle: true,
        minify: true,
        format: "esm",
        target: "es2022",
        platform: "browser",
        write: false,
        legalComments: "none",
        logLevel: "warning",
        ...(external ? { packages: "external" } : {}),
      })
    ).outputFiles[0].text;
  const gz = (text) => gzipSync(text, { level: 9 }).length;
  const own = gz(await bundle(true));
  const whole = await bundle(false);
  const size = gz(whole);
  const verdict = size > budget ? "OVER BUDGET" : "ok";
  if (size > budget) failures.push(`${name}: ${size} bytes gzipped is over its budget of ${budget}`);
  console.log(
    `${name} (${entry}): ${whole.length} bytes, ${size} gzipped with its dependencies ` +
      `(${own} of its own; budget ${budget}) ${verdict}`,
  );
}

if (failures.length > 0) {
  console.error(`\nclients/ breaks the house rules:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
