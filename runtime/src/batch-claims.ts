/*
 * A batch's claims, taken before any of its records runs: new ids in BatchExecuteStatements of up
 * to 25 conditional INSERTs; the ids an INSERT found taken in one consistent BatchGetItem (up to
 * 100 keys) that tells a finished duplicate, a conflict, work in progress elsewhere, our own claim
 * (an attempt whose response was lost) or a record to take over; takeovers, lone ids and
 * statements that failed on their own with the single conditional PutItem.
 */
import type { BatchRequests } from './batch-requests.js';
import { chunksOf, decideFoundRecord, MAX_BATCH_GET_KEYS, MAX_BATCH_STATEMENTS, type StoredRecord } from './decide.js';
import type { ClaimRequest, ClaimResult, IdempotencyStore } from './idempotency-store.js';
import type { Logger } from './logger.js';
import { sleep } from './sleep.js';

/** How a claim taken up front ended: the store's answer, or the error that left it unknown (it may have been written). */
export type ClaimAnswer = { readonly result: ClaimResult } | { readonly error: unknown };

/** Reads of keys DynamoDB left unprocessed, first read included. */
const MAX_READ_ATTEMPTS = 4;
const READ_RETRY_DELAY_MS = 50;

/** Claims every request (distinct keys), answering per key. Never throws: a failed request is the answer of the claims it carried. */
export async function claimUpFront(store: IdempotencyStore, requests: readonly ClaimRequest[], batching: BatchRequests, log: Logger): Promise<Map<string, ClaimAnswer>> {
  const answers = new Map<string, ClaimAnswer>();
  const alone: ClaimRequest[] = [];
  const taken: ClaimRequest[] = [];
  await Promise.all(chunksOf(requests, MAX_BATCH_STATEMENTS, keyOf).map(async (chunk) => {
    // One id alone: the conditional PutItem costs the same and, refused, returns the record at once.
    if (chunk.length === 1 || !batching.allowed) {
      alone.push(...chunk);
      return;
    }
    try {
      const statements = await store.insertClaims(chunk);
      chunk.forEach((request, index) => {
        const answer = statements[index];
        if (answer.kind === 'applied') answers.set(request.key, { result: { claimed: true } });
        else if (answer.kind === 'refused') taken.push(request);
        else alone.push(request);
      });
    } catch (error) {
      if (batching.refusedByPolicy(error, log)) {
        alone.push(...chunk);
        return;
      }
      for (const request of chunk) answers.set(request.key, { error });
    }
  }));
  await readTaken(store, taken, answers, alone, batching, log);
  await Promise.all(alone.map(async (request) => {
    answers.set(request.key, await claimAlone(store, request));
  }));
  return answers;
}

/** Reads the records that stopped INSERTs and decides each: claimed, to take over (queued in `alone`), or another invocation's record. */
async function readTaken(store: IdempotencyStore, taken: readonly ClaimRequest[], answers: Map<string, ClaimAnswer>, alone: ClaimRequest[], batching: BatchRequests, log: Logger): Promise<void> {
  if (taken.length === 0) return;
  let found: Map<string, StoredRecord>;
  try {
    found = await readRecords(store, taken.map(keyOf));
  } catch (error) {
    if (batching.refusedByPolicy(error, log)) {
      alone.push(...taken);
      return;
    }
    for (const request of taken) answers.set(request.key, { error });
    return;
  }
  for (const request of taken) {
    const record = found.get(request.key);
    const outcome = decideFoundRecord(record, request.token, request.payloadHash, request.nowMs);
    if (outcome === 'claimed') answers.set(request.key, { result: { claimed: true } });
    else if (outcome === 'take-over' || record === undefined) alone.push(request);
    else answers.set(request.key, { result: { claimed: false, existing: record } });
  }
}

async function readRecords(store: IdempotencyStore, keys: readonly string[]): Promise<Map<string, StoredRecord>> {
  const found = new Map<string, StoredRecord>();
  await Promise.all(chunksOf(keys, MAX_BATCH_GET_KEYS, (key) => key).map(async (chunk) => {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_READ_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} idempotency records unread after ${MAX_READ_ATTEMPTS} BatchGetItem requests`);
      await sleep(attempt === 1 ? 0 : READ_RETRY_DELAY_MS * 2 ** (attempt - 2));
      const read = await store.readRecords(pending);
      for (const [key, record] of read.found) found.set(key, record);
      pending = read.unprocessed;
    }
  }));
  return found;
}

async function claimAlone(store: IdempotencyStore, request: ClaimRequest): Promise<ClaimAnswer> {
  try {
    return { result: await store.claim(request) };
  } catch (error) {
    return { error };
  }
}

const keyOf = (request: { readonly key: string }) => request.key;
