// @ts-check
/*
 * Fault injection for a function run by `@cdk-fanout/local`, loaded into each execution
 * environment through the deployment's `preload` option: SDK middleware on the handler's real
 * DynamoDB clients. Plain JavaScript because worker threads load it without a TypeScript loader.
 */
const { threadId } = require('node:worker_threads');

/**
 * @typedef {object} FunctionFaults
 * @property {number} seed random faults replay from this seed (mixed with the thread id)
 * @property {number} [dynamodbErrorRate] share of DynamoDB requests that fail with a throttling error (0..1)
 * @property {number} [crashBeforeCompletionRate] share of idempotency completions before which the environment crashes (0..1)
 */

/**
 * Called by the local deployment's Lambda host before the handler loads.
 * @param {FunctionFaults} faults
 */
exports.install = function install(faults) {
  if (!faults.dynamodbErrorRate && !faults.crashBeforeCompletionRate) {
    return;
  }
  const random = seededRandom(faults.seed ^ threadId);
  // The constructs set the table's name on the function; only its requests can complete a record.
  const table = process.env.FANOUT_IDEMPOTENCY_TABLE;
  const dynamodb = require('@aws-sdk/client-dynamodb');
  const Original = dynamodb.DynamoDBClient;
  dynamodb.DynamoDBClient = class extends Original {
    /** @param {any[]} args */
    constructor(...args) {
      super(...args);
      this.middlewareStack.add((/** @type {any} */ next, /** @type {any} */ context) => async (/** @type {any} */ args) => {
        if (faults.crashBeforeCompletionRate && completes(context.commandName, args.input ?? {}, table) && random() < faults.crashBeforeCompletionRate) {
          process.exit(137);
        }
        if (faults.dynamodbErrorRate && random() < faults.dynamodbErrorRate) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput (injected).'), {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
            $retryable: { throttling: true },
          });
        }
        return next(args);
      }, { step: 'finalizeRequest', name: 'fanoutTestFaults', priority: 'low' });
    }
  };
};

/**
 * Whether a request marks an idempotency record completed (the record format of
 * docs/ARCHITECTURE.md), in any of the runtime's ways: an update of the idempotency table whose
 * `SET` assigns `COMPLETED` to `status`, alone or in a transaction; a transaction that puts a
 * COMPLETED record (claim-free handlers); a batch of PartiQL statements one of which sets it.
 * @param {string} commandName @param {any} input @param {string | undefined} table
 */
function completes(commandName, input, table) {
  if (commandName === 'UpdateItemCommand') {
    return setsCompleted(input, table);
  }
  if (commandName === 'TransactWriteItemsCommand') {
    return (input.TransactItems ?? []).some((/** @type {any} */ item) => setsCompleted(item.Update, table) || putsCompleted(item.Put, table));
  }
  if (commandName === 'BatchExecuteStatementCommand') {
    return (input.Statements ?? []).some((/** @type {any} */ statement) => statementSetsCompleted(statement, table));
  }
  return false;
}

/** @param {any} put @param {string | undefined} table */
function putsCompleted(put, table) {
  return Boolean(put) && put.TableName === table && put.Item?.status?.S === 'COMPLETED';
}

/**
 * A PartiQL `UPDATE "<table>" SET "status" = ? …` whose parameter for that `?` is COMPLETED.
 * @param {any} statement @param {string | undefined} table
 */
function statementSetsCompleted(statement, table) {
  const text = statement?.Statement ?? '';
  const at = text.indexOf('"status" = ?');
  if (!text.startsWith(`UPDATE "${table}"`) || at < 0) {
    return false;
  }
  const index = (text.slice(0, at).match(/\?/g) ?? []).length;
  return statement.Parameters?.[index]?.S === 'COMPLETED';
}

/** @param {any} update @param {string | undefined} table */
function setsCompleted(update, table) {
  if (!update || update.TableName !== table) {
    return false;
  }
  const names = update.ExpressionAttributeNames ?? {};
  const values = update.ExpressionAttributeValues ?? {};
  const set = /SET\s+(.*?)(?:\s+(?:REMOVE|ADD|DELETE)\s|$)/i.exec(update.UpdateExpression ?? '')?.[1] ?? '';
  return set.split(',').some((assignment) => {
    const [name, value] = assignment.split('=').map((part) => part.trim());
    return (names[name] ?? name) === 'status' && values[value]?.S === 'COMPLETED';
  });
}

/**
 * A small deterministic generator (mulberry32): the same seed gives the same faults.
 * @param {number} seed
 * @returns {() => number} numbers in [0, 1)
 */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

exports.seededRandom = seededRandom;
exports.completes = completes;
