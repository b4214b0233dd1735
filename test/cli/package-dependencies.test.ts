/*
 * What a published package imports at run time must be what its package.json declares: a
 * command line that loads an undeclared module fails for a user who installed only it (the
 * install test found `fanout` loading the DynamoDB client through the runtime's RabbitMQ entry).
 */
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '../..');

/**
 * The packages a module graph imports from node_modules, resolving our workspace packages to their
 * sources, except `optional` ones (loaded only when a command needs them), which stay external.
 */
async function importedPackages(entry: string, optional: readonly string[]): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'error',
    // Node loads every module a require names, used or not: keep them all, as Node does.
    treeShaking: false,
    ignoreAnnotations: true,
    tsconfig: join(ROOT, 'tsconfig.dev.json'),
    plugins: [{
      name: 'externals',
      setup(build) {
        // Every bare specifier but our own workspaces stays external, as it does for a user.
        build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@cdk-fanout/') && !optional.includes(args.path) ? undefined : { path: args.path, external: true }));
      },
    }],
  });
  const externals = Object.values(result.metafile!.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path));
  const names = externals.map((path) => (path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]));
  return [...new Set(names)].filter((name) => !name.startsWith('node:') && !builtinModules.includes(name)).sort();
}

function declared(packageJson: string): string[] {
  const pkg = require(join(ROOT, packageJson)) as { dependencies?: object; peerDependencies?: object };
  return Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
}

test.each([
  ['@cdk-fanout/cli', 'cli/src/bin.ts', 'cli/package.json', ['@cdk-fanout/local']],
  ['@cdk-fanout/local', 'local/src/index.ts', 'local/package.json', []],
])('%s imports only what its package.json declares', async (_name, entry, packageJson, optionalLoads) => {
  const undeclared = (await importedPackages(entry, optionalLoads)).filter((name) => !declared(packageJson).includes(name) && !optionalLoads.includes(name));
  expect(undeclared).toEqual([]);
});
