// @ts-check
/*
 * One Lambda execution environment: a worker thread with the function's own environment
 * variables, which loads the bundled handler once (the cold start) and runs one invocation at a
 * time. Plain JavaScript because worker threads start from a .js file, also under ts-jest.
 */
const { parentPort, workerData } = require('node:worker_threads');
const Module = require('node:module');

/** @type {{ entry: string; exportName: string; preload: { module: string; options?: unknown }[] }} */
const config = workerData;

// Lambda's Node.js runtime provides the AWS SDK v3 and bundles leave it out: NODE_PATH (set by the
// parent to where the SDK is installed) stands in for it; re-read it for this thread's loader, and
// resolve import() of the SDK from it too (Node's ES module resolver does not read NODE_PATH).
/** @type {any} */ (Module)._initPaths();
Module.register(require('node:url').pathToFileURL(require('node:path').join(__dirname, 'sdk-resolve-hooks.mjs')), {
  data: { paths: (process.env.NODE_PATH ?? '').split(require('node:path').delimiter).filter(Boolean) },
});

for (const { module, options } of config.preload) {
  const loaded = require(module);
  if (typeof loaded.install === 'function') {
    loaded.install(options, process.env.AWS_LAMBDA_FUNCTION_NAME);
  }
}
const handler = require(config.entry)[config.exportName];
if (typeof handler !== 'function') {
  throw new Error(`${config.entry} exports no function ${config.exportName}`);
}

parentPort?.on('message', async (/** @type {{ id: number; event: unknown; deadline: number; requestId: string }} */ message) => {
  const context = {
    awsRequestId: message.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    parentPort?.postMessage({ id: message.id, result: result ?? null });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: String(/** @type {Error} */ (error)?.stack ?? error) });
  }
});
