import * as path from 'node:path';
import { createFanoutHandler } from './handlers/fanout-handler';
import type { BenchHandler, HandlerOptions } from './handlers/handler-options';
import { createPowertoolsHandler } from './handlers/powertools-handler';

/** One runtime under test. The harness treats both alike; only this table tells them apart. */
export interface RuntimeSubject {
  readonly name: RuntimeName;
  /** The handler module a user deploys (bundle and cold-import figures). */
  readonly entry: string;
  /** The idempotency table's partition key in the layout this runtime expects. */
  readonly keyAttribute: string;
  /** The table name this runtime's handler uses in the benchmark. */
  readonly tableName: string;
  create(options: HandlerOptions): BenchHandler;
}

export type RuntimeName = 'cdk-fanout' | 'powertools';

export const RUNTIME_SUBJECTS: readonly RuntimeSubject[] = [
  {
    name: 'cdk-fanout',
    entry: path.join(__dirname, 'handlers', 'fanout-handler.ts'),
    keyAttribute: 'pk',
    tableName: 'bench-fanout-idempotency',
    create: createFanoutHandler,
  },
  {
    name: 'powertools',
    entry: path.join(__dirname, 'handlers', 'powertools-handler.ts'),
    keyAttribute: 'id',
    tableName: 'bench-powertools-idempotency',
    create: createPowertoolsHandler,
  },
];
