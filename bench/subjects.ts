/**
 * What the runtime benchmark measures: the handler bundles (what a user deploys) and the
 * configurations run from them. The harness treats every subject alike; only these tables tell
 * them apart.
 */

/**
 * The idempotency option that selects cdk-fanout's per-record path (one request per record and
 * step) beside the batched default. Unset (`undefined`), the per-record rows are left out.
 */
export const PER_RECORD_IDEMPOTENCY: Readonly<Record<string, unknown>> | undefined = { batching: false };

/**
 * The type handler's option for a claim-free transactional handler: no claim before `handle`, its
 * `ctx.transact` writes commit with the COMPLETED record in one transaction. Unset (`undefined`),
 * the claim-free row is left out.
 */
export const CLAIM_FREE_HANDLER: Readonly<Record<string, unknown>> | undefined = { claim: 'at-commit' };

/** The handler modules in bench/handlers/, each bundled as a user's NodejsFunction would. */
export const BUNDLES = {
  'fanout-zod': 'cdk-fanout, zod schema',
  'fanout-valibot': 'cdk-fanout, valibot schema',
  'fanout-transactional': 'cdk-fanout, zod, effect through ctx.transact',
  powertools: 'Powertools 2.35, batch parser with the record schema built once',
  'powertools-inner-schema': "Powertools 2.35, batch parser with innerSchema + transformer 'json'",
  'powertools-transactional': 'Powertools 2.35 (best configuration), effect written by the handler',
} as const;
export type BundleName = keyof typeof BUNDLES;

/** Bundles whose size and cold import are reported, by the subject that runs them (the transactional bundles exist to be run). */
export const REPORTED_BUNDLES: Readonly<Record<string, BundleName>> = {
  'cdk-fanout': 'fanout-zod',
  'cdk-fanout-valibot': 'fanout-valibot',
  powertools: 'powertools',
  'powertools-inner-schema': 'powertools-inner-schema',
};

/** One runtime configuration under test. */
export interface RuntimeSubject {
  readonly name: string;
  /** The column heading in the report. */
  readonly label: string;
  readonly bundle: BundleName;
  /** cdk-fanout: idempotency options the harness adds (the mode). */
  readonly idempotency?: Readonly<Record<string, unknown>>;
  /** cdk-fanout: options of the type handler (claim-free transactions). */
  readonly handlerOptions?: Readonly<Record<string, unknown>>;
  /** The idempotency table's partition key in the layout this runtime expects. */
  readonly keyAttribute: 'pk' | 'id';
  readonly transactional?: boolean;
}

const FANOUT = { keyAttribute: 'pk' } as const;
const POWERTOOLS = { keyAttribute: 'id' } as const;

/** The baseline every ratio is taken against: Powertools in its best documented configuration. */
export const BASELINE = 'powertools';
/** Our default configuration: the one the goals are about. */
export const OURS = 'cdk-fanout';
export const OURS_PER_RECORD = 'cdk-fanout-per-record';

/** Plain handlers: CPU, Lambda time, requests (records/s for those in `LOCAL_THROUGHPUT_SUBJECTS`). */
export const SUBJECTS: readonly RuntimeSubject[] = [
  { name: OURS, label: 'cdk-fanout', bundle: 'fanout-zod', ...FANOUT },
  ...(PER_RECORD_IDEMPOTENCY ? [{ name: OURS_PER_RECORD, label: 'cdk-fanout per record', bundle: 'fanout-zod', idempotency: PER_RECORD_IDEMPOTENCY, ...FANOUT } as const] : []),
  { name: 'cdk-fanout-valibot', label: 'cdk-fanout valibot', bundle: 'fanout-valibot', ...FANOUT },
  { name: BASELINE, label: 'Powertools (best)', bundle: 'powertools', ...POWERTOOLS },
  { name: 'powertools-inner-schema', label: 'Powertools (innerSchema)', bundle: 'powertools-inner-schema', ...POWERTOOLS },
];

/** Transactional handlers: requests per record only. */
export const TRANSACTIONAL_SUBJECTS: readonly RuntimeSubject[] = [
  { name: 'cdk-fanout-transactional', label: 'cdk-fanout', bundle: 'fanout-transactional', transactional: true, ...FANOUT },
  ...(CLAIM_FREE_HANDLER ? [{ name: 'cdk-fanout-transactional-claim-free', label: 'cdk-fanout claim-free', bundle: 'fanout-transactional', handlerOptions: CLAIM_FREE_HANDLER, transactional: true, ...FANOUT } as const] : []),
  ...(PER_RECORD_IDEMPOTENCY ? [{ name: 'cdk-fanout-transactional-per-record', label: 'cdk-fanout per record', bundle: 'fanout-transactional', idempotency: PER_RECORD_IDEMPOTENCY, transactional: true, ...FANOUT } as const] : []),
  { name: 'powertools-transactional', label: 'Powertools (best)', bundle: 'powertools-transactional', transactional: true, ...POWERTOOLS },
];

/**
 * records/s and request counts on DynamoDB Local measure the request path, which the schema
 * variants share with their siblings: our modes and the baseline only, to keep the run short.
 */
export const LOCAL_SUBJECTS: readonly string[] = [OURS, OURS_PER_RECORD, BASELINE];

export const LEDGER_TABLE = 'bench-ledger';

export function tableName(subject: RuntimeSubject): string {
  return `bench-${subject.name}`;
}

/** Every table the subjects use, with its partition key: the DynamoDB stand-ins and DynamoDB Local create these. */
export function benchTables(): Record<string, string> {
  return Object.fromEntries([
    ...[...SUBJECTS, ...TRANSACTIONAL_SUBJECTS].map((subject) => [tableName(subject), subject.keyAttribute]),
    [LEDGER_TABLE, 'pk'],
  ]);
}
