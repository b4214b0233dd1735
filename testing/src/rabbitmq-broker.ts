/*
 * A RabbitMQ broker for the integration tests: Debian's `rabbitmq-server`, started once per run by
 * the global set-up on free ports with its own data, logs, cookie and epmd, stopped at the end.
 * Workers find it through the environment (FANOUT_TEST_AMQP_URL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'amqplib';

const HOST = '127.0.0.1';
/** The broker's URL, for the workers. */
export const ENV_AMQP_URL = 'FANOUT_TEST_AMQP_URL';
/** Set instead of the URL when the broker tests are skipped: why, in one line. */
export const ENV_RABBITMQ_SKIPPED = 'FANOUT_TEST_RABBITMQ_SKIPPED';
/** How to run rabbitmqctl against the test broker (JSON of `RabbitMqControl`), when the run started it. */
export const ENV_RABBITMQ_CONTROL = 'FANOUT_TEST_RABBITMQ_CONTROL';
/** Set (CI sets it) to fail the run instead of skipping the broker tests when rabbitmq-server is missing. */
export const ENV_REQUIRE_RABBITMQ = 'FANOUT_TEST_REQUIRE_RABBITMQ';

/** What rabbitmqctl needs to reach the test broker's node. */
export interface RabbitMqControl {
  readonly rabbitmqctl: string;
  readonly node: string;
  readonly env: Readonly<Record<string, string>>;
}

export interface RabbitMqBroker {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  /** False when a broker was already running (FANOUT_TEST_AMQP_URL, or one on 127.0.0.1:5672): `stop` then leaves it alone. */
  readonly startedHere: boolean;
  /** From spawning the server to its first AMQP connection, in milliseconds (0 when reused). */
  readonly startMs: number;
  readonly control?: RabbitMqControl;
  /** Stops the broker this call started, and its epmd; waits for both to exit. */
  stop(): Promise<void>;
}

/** The rabbitmq-server script to run, or undefined when RabbitMQ is not installed. */
export function rabbitMqServerCommand(): string | undefined {
  // Debian's /usr/sbin/rabbitmq-server is a wrapper that, run as root, switches to the rabbitmq
  // user (and that user's cookie and directories): the script it wraps runs as whoever calls it.
  const debian = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  if (existsSync(debian)) return debian;
  return onPath('rabbitmq-server');
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/lib/erlang/bin'])) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/**
 * A broker for the tests: the one at FANOUT_TEST_AMQP_URL or 127.0.0.1:5672 if it answers, else a
 * new `rabbitmq-server` on free ports (AMQP, distribution, epmd), node `fanout-test-…@localhost`,
 * data, logs and Erlang cookie in a temporary directory, no plugins. Waits until it takes an AMQP
 * connection, at most `timeoutMs` (default 60000). `own: true` always starts a new one: for a test
 * that stops and starts its broker, which must never be one other tests use.
 */
export async function startRabbitMq(options: { readonly timeoutMs?: number; readonly own?: boolean } = {}): Promise<RabbitMqBroker> {
  const given = process.env[ENV_AMQP_URL];
  if (given && !options.own) return { url: given, startedHere: false, startMs: 0, stop: async () => undefined };
  const defaultUrl = `amqp://guest:guest@${HOST}:5672`;
  if (!options.own && (await answers(defaultUrl, 1000))) return { url: defaultUrl, startedHere: false, startMs: 0, stop: async () => undefined };

  const server = rabbitMqServerCommand();
  if (!server) throw new Error('rabbitmq-server is not installed (apt-get install -y rabbitmq-server)');
  const epmd = onPath('epmd');
  if (!epmd) throw new Error('epmd (Erlang) is not installed; it comes with rabbitmq-server (apt-get install -y rabbitmq-server)');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'fanout-rabbitmq-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase(), { mode: 0o400 });
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const [amqpPort, distPort, epmdPort] = await freePorts(3);
  const node = `fanout-test-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;
  const env: Record<string, string> = {
    ...stringEnv(process.env),
    HOME: home,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    // No /etc/rabbitmq/rabbitmq.conf or rabbitmq-env.conf: a developer's own settings stay out of the tests.
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  };
  writeFileSync(join(dir, 'rabbitmq.conf'), '');
  const started = Date.now();
  const epmdChild = spawn(epmd, ['-port', String(epmdPort), '-address', HOST], { stdio: 'ignore', env });
  const children: ChildProcess[] = [epmdChild];
  let output = '';
  // Should this process end without calling stop (a crash, Ctrl-C: the node ignores SIGINT and runs in its own group), nothing is left running.
  const killOnExit = () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child === epmdChild ? child.pid : -child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const stopAll = async () => {
    process.removeListener('exit', killOnExit);
    const [epmdProcess, serverProcess] = children;
    // SIGTERM is a graceful stop for a RabbitMQ node (as `rabbitmqctl stop`), without starting the CLI's own Erlang VM.
    if (serverProcess) await terminate(serverProcess, 'SIGTERM', 30_000);
    await terminate(epmdProcess, 'SIGTERM', 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(epmdPort, epmdChild, 10_000);
    // Its own process group: anything the node starts is stopped with it.
    const serverChild = spawn(server, [], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(serverChild);
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8192));
    serverChild.stdout?.on('data', keep);
    serverChild.stderr?.on('data', keep);
    const url = `amqp://guest:guest@${HOST}:${amqpPort}`;
    const deadline = started + timeoutMs;
    for (;;) {
      if (serverChild.exitCode !== null || serverChild.signalCode !== null) {
        throw new Error(`rabbitmq-server exited (${serverChild.exitCode ?? serverChild.signalCode}) before it took a connection`);
      }
      if (await answers(url, 1000)) break;
      if (Date.now() > deadline) throw new Error(`rabbitmq-server did not take an AMQP connection on ${HOST}:${amqpPort} within ${timeoutMs} ms`);
      await delay(100);
    }
    const control = { rabbitmqctl: join(dirname(server), 'rabbitmqctl'), node, env: { HOME: home, ERL_EPMD_PORT: String(epmdPort) } };
    return { url, startedHere: true, startMs: Date.now() - started, control, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw new Error(`${(error as Error).message}\nrabbitmq-server output:\n${output.trim() || '(none)'}`);
  }
}

/** Runs rabbitmqctl against the test broker; resolves with its standard output. */
export function rabbitmqctl(control: RabbitMqControl, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(control.rabbitmqctl, ['-n', control.node, ...args], { env: { ...stringEnv(process.env), ...control.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rabbitmqctl ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`rabbitmqctl ${args.join(' ')} exited with ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

/**
 * For the global set-up: starts the broker when a selected test file needs it (a file under
 * test/rabbitmq/ matches the run's path patterns) and returns it for the teardown; sets
 * FANOUT_TEST_AMQP_URL for the workers. When rabbitmq-server is not installed it sets
 * FANOUT_TEST_RABBITMQ_SKIPPED and prints one line, unless FANOUT_TEST_REQUIRE_RABBITMQ is set (CI),
 * which makes it an error.
 */
export async function startTestRabbitMq(rootDir: string, testPathPatterns?: { isSet(): boolean; toExecutor(options: { rootDir: string }): { isMatch(path: string): boolean } }): Promise<{ endpoint: string; stop(): Promise<void> } | undefined> {
  const testDir = join(rootDir, 'test/rabbitmq');
  const files = existsSync(testDir) ? readdirSync(testDir).filter((file) => file.endsWith('.integ.test.ts')).map((file) => join(testDir, file)) : [];
  const executor = testPathPatterns?.isSet() ? testPathPatterns.toExecutor({ rootDir }) : undefined;
  if (files.length === 0 || (executor && !files.some((file) => executor.isMatch(file)))) return undefined;
  if (!process.env[ENV_AMQP_URL] && !rabbitMqServerCommand()) {
    const line = 'RabbitMQ broker tests skipped: rabbitmq-server is not installed (apt-get install -y rabbitmq-server)';
    if (process.env[ENV_REQUIRE_RABBITMQ]) throw new Error(`${line.replace(' skipped', ' required')}; ${ENV_REQUIRE_RABBITMQ} is set`);
    process.stderr.write(`\n${line}\n`);
    process.env[ENV_RABBITMQ_SKIPPED] = line;
    return undefined;
  }
  const broker = await startRabbitMq();
  process.env[ENV_AMQP_URL] = broker.url;
  if (broker.control) process.env[ENV_RABBITMQ_CONTROL] = JSON.stringify(broker.control);
  process.stderr.write(`\nRabbitMQ for the broker tests: ${broker.startedHere ? `rabbitmq-server started in ${broker.startMs} ms` : 'already running'} at ${broker.url}\n`);
  return { endpoint: broker.url, stop: () => broker.stop() };
}

/** For broker test files: the broker's URL, or undefined when the run skips the broker tests. */
export function testRabbitMqUrl(): string | undefined {
  const url = process.env[ENV_AMQP_URL];
  if (url) return url;
  if (process.env[ENV_RABBITMQ_SKIPPED]) return undefined;
  throw new Error(`${ENV_AMQP_URL} is not set: run the broker tests with jest, whose integration set-up (testing/src/global-setup.ts) starts the broker`);
}

/** rabbitmqctl access to the test broker, when this run started it. */
export function testRabbitMqControl(): RabbitMqControl | undefined {
  const json = process.env[ENV_RABBITMQ_CONTROL];
  return json ? (JSON.parse(json) as RabbitMqControl) : undefined;
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const connection = await connect(url, { timeout: timeoutMs });
    await connection.close().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = delay(timeoutMs, undefined, { ref: false }).then(() => 'timeout' as const);
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      // The server's group: the node and any port program it started.
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await Promise.race([exited, delay(5_000, undefined, { ref: false })]);
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: HOST, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  }))) {
    if (child.exitCode !== null) throw new Error(`epmd exited (${child.exitCode}) before it listened on ${HOST}:${port}`);
    if (Date.now() > deadline) throw new Error(`epmd did not listen on ${HOST}:${port} within ${timeoutMs} ms`);
    await delay(20);
  }
}

/** `count` distinct free loopback ports, held open together so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => resolve(server));
  })));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

