// Every package a published package's files import is one it declares: a user who installs only
// that package gets everything it loads (and its types refer to). Reads the unpacked tarball's
// .js, .mjs, .cjs and .d.ts files for static imports, `require` and `import()` of bare names, and
// fails naming each undeclared one with the files that import it.
// Usage: node declared-dependencies.mjs <unpacked package folder>
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: node declared-dependencies.mjs <unpacked package folder>');
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const declared = new Set([
  pkg.name,
  ...Object.keys(pkg.dependencies ?? {}),
  ...Object.keys(pkg.peerDependencies ?? {}),
  ...Object.keys(pkg.optionalDependencies ?? {}),
]);
const builtins = new Set(builtinModules);
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

const undeclared = new Map();
for (const file of filesOf(dir)) {
  if (!/\.(m|c)?js$|\.d\.(m|c)?ts$/.test(file) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
    const name = packageName(specifier);
    if (name === undefined || builtins.has(name) || specifier.startsWith('node:')) continue;
    // A type-only import of `aws-lambda` in a .d.ts resolves to @types/aws-lambda.
    const needed = file.endsWith('.d.ts') && !declared.has(name) ? `@types/${name.replace(/^@([^/]+)\//, '$1__')}` : name;
    if (declared.has(name) || declared.has(needed)) continue;
    undeclared.set(name, [...(undeclared.get(name) ?? []), path.relative(dir, file)]);
  }
}
if (undeclared.size > 0) {
  for (const [name, files] of undeclared) console.error(`${pkg.name} imports ${name}, which its package.json does not declare (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''})`);
  process.exit(1);
}

/** The package a bare specifier names (`@scope/name` or `name`); undefined for a relative or absolute path. */
function packageName(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z]+:/.test(specifier) && !specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function* filesOf(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) yield* filesOf(full);
    else yield full;
  }
}
