// @ts-check
/*
 * One Lambda execution environment: a worker thread with the function's own environment
 * variables, which loads the bundled handler once (the cold start) and runs one invocation at a
 * time. Plain JavaScript because worker threads start from a .js file, also under ts-jest.
 */
const { parentPort, workerData } = require('node:worker_threads');
const Module = require('node:module');

/** @type {{ entry: string; exportName: string; faults: { dynamodbErrorRate?: number; crashBeforeCompletionRate?: number; idempotencyTable?: string } }} */
const config = workerData;

// Lambda's Node.js runtime provides the AWS SDK v3 and bundles leave it out: NODE_PATH (set by the
// parent to where the SDK is installed) stands in for it; re-read it for this thread's loader.
/** @type {any} */ (Module)._initPaths();

resolveLocalhostSubdomains();
installFaults(config.faults);
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

/**
 * fauxqs's queue URLs name hosts like `sqs.us-east-1.localhost`, and the SDK sends SQS requests
 * to the queue URL's host. Lambda would reach the real SQS host; here those names must reach the
 * emulator on this machine. (fauxqs has the same patch, but loading it costs every cold start.)
 */
function resolveLocalhostSubdomains() {
  const dns = require('node:dns');
  const lookup = dns.lookup;
  dns.lookup = (/** @type {string} */ hostname, /** @type {any[]} */ ...rest) => lookup(hostname.endsWith('.localhost') ? '127.0.0.1' : hostname, ...rest);
}

/**
 * Faults on demand, through SDK middleware on the handler's real DynamoDB clients: throttling
 * errors the SDK retries like real ones, and a crash of this execution environment just before
 * the idempotency record is marked completed (after the handler's effect).
 * @param {{ dynamodbErrorRate?: number; crashBeforeCompletionRate?: number; idempotencyTable?: string }} faults
 */
function installFaults(faults) {
  if (!faults.dynamodbErrorRate && !faults.crashBeforeCompletionRate) {
    return;
  }
  const dynamodb = require('@aws-sdk/client-dynamodb');
  const Original = dynamodb.DynamoDBClient;
  dynamodb.DynamoDBClient = class extends Original {
    /** @param {any[]} args */
    constructor(...args) {
      super(...args);
      this.middlewareStack.add((/** @type {any} */ next, /** @type {any} */ context) => async (/** @type {any} */ args) => {
        const input = args.input ?? {};
        if (faults.crashBeforeCompletionRate && completes(context.commandName, input, faults.idempotencyTable) && Math.random() < faults.crashBeforeCompletionRate) {
          process.exit(137);
        }
        if (faults.dynamodbErrorRate && Math.random() < faults.dynamodbErrorRate) {
          const error = Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected).'), {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            $retryable: { throttling: true },
          });
          throw error;
        }
        return next(args);
      }, { step: 'finalizeRequest', name: 'fanoutLocalFaults', priority: 'low' });
    }
  };
}

/**
 * Whether a request marks an idempotency record completed: an UpdateItem on the idempotency table
 * that sets the status, or the TransactWriteItems that carries it.
 * @param {string} commandName @param {any} input @param {string | undefined} table
 */
function completes(commandName, input, table) {
  const isCompletion = (/** @type {any} */ update) => update?.TableName === table && JSON.stringify(update).includes('COMPLETED');
  if (commandName === 'UpdateItemCommand') {
    return isCompletion(input);
  }
  if (commandName === 'TransactWriteItemsCommand') {
    return (input.TransactItems ?? []).some((/** @type {any} */ item) => isCompletion(item.Update) || isCompletion(item.Put));
  }
  return false;
}
