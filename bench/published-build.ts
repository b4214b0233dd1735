import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const RUNTIME = path.join(ROOT, 'runtime');

/** What the benchmark measured of the runtime: its build and where that came from. */
export interface RuntimeBuild {
  /** The last commit that touched runtime/. */
  readonly commit: string;
  /** Files under runtime/src that differ from that commit (their changes are in the build measured). */
  readonly uncommittedSources: readonly string[];
  /** Whether this run built runtime/dist (it was missing or older than its sources). */
  readonly rebuilt: boolean;
  /** Set when sources kept changing while it was built (someone editing): which file was newer than the build measured. */
  readonly changedDuringBuild?: string;
}

const BUILD_ATTEMPTS = 3;

/**
 * The benchmark measures @cdk-fanout/runtime as published: its package entries resolve through
 * node_modules to runtime/dist. This builds runtime/dist (`npm run build -w @cdk-fanout/runtime`,
 * the runtime's part of the root `npm run build`) when it is missing or older than a source file,
 * so the figures never come from a stale build.
 */
export function ensureRuntimeBuild(log: (line: string) => void): RuntimeBuild {
  let stale = staleness();
  const rebuilt = stale !== undefined;
  // Sources edited while the build runs leave it stale again: build again, a few times at most.
  for (let attempt = 1; stale && attempt <= BUILD_ATTEMPTS; attempt++) {
    log(`runtime/dist ${stale}: building it (npm run build -w @cdk-fanout/runtime)`);
    const build = spawnSync('npm', ['run', 'build', '-w', '@cdk-fanout/runtime'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build -w @cdk-fanout/runtime failed:\n${build.stdout}\n${build.stderr}`);
    stale = staleness();
  }
  if (stale) log(`runtime/dist ${stale}: its sources keep changing; measuring the last build (noted in the results)`);
  return { ...provenance(), rebuilt, ...(stale ? { changedDuringBuild: stale } : {}) };
}

/** Why runtime/dist cannot be measured as it is, or undefined when it is up to date. */
function staleness(): string | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(RUNTIME, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const entries = Object.values(manifest.exports).flatMap((value) => collectFiles(value)).filter((file) => file.endsWith('.js'));
  const missing = entries.find((file) => !fs.existsSync(path.join(RUNTIME, file)));
  if (missing) return `lacks ${missing}`;
  const built = Math.min(...files(path.join(RUNTIME, 'dist')).filter((file) => file.endsWith('.js')).map(mtime));
  const sources = [...files(path.join(RUNTIME, 'src')), path.join(RUNTIME, 'package.json'), ...fs.readdirSync(RUNTIME).filter((f) => f.startsWith('tsconfig')).map((f) => path.join(RUNTIME, f))];
  const newer = sources.find((file) => mtime(file) > built);
  return newer ? `is older than ${path.relative(ROOT, newer)}` : undefined;
}

function collectFiles(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(collectFiles);
  return [];
}

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function mtime(file: string): number {
  return fs.statSync(file).mtimeMs;
}

function provenance(): Omit<RuntimeBuild, 'rebuilt'> {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trimEnd();
    return {
      commit: git('log', '-1', '--format=%h', '--', 'runtime'),
      uncommittedSources: git('status', '--porcelain', '--', 'runtime/src').split('\n').filter(Boolean).map((line) => line.slice(3)),
    };
  } catch {
    return { commit: 'unknown', uncommittedSources: [] };
  }
}
