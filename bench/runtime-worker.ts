/**
 * The in-process runtime measurements, in a child process of `run.ts`: its stdout (both runtimes'
 * log lines) goes nowhere, its heap holds only the runtimes, and `--expose-gc` lets samples
 * start from a collected heap. Sends its results to the parent.
 */
import { measureCpuPerRecord } from './cpu-per-record';
import { benchDynamoDbClient } from './dynamodb-client';
import { startBenchDynamoDb } from './dynamodb-local';
import { measureRecordsPerSecond } from './records-per-second';
import { RequestCounter } from './request-counter';
import { measureRequestsPerRecord } from './requests-per-record';
import { benchSettings } from './settings';
import { RUNTIME_SUBJECTS } from './subjects';

export type RuntimeWorkerResults = Awaited<ReturnType<typeof measure>>;

async function measure(quick: boolean) {
  const settings = benchSettings(quick);
  progress('CPU per record (DynamoDB stood in)');
  const cpuPerRecord = await measureCpuPerRecord(settings);
  progress('starting DynamoDB Local');
  const dynamodb = await startBenchDynamoDb();
  try {
    const subjects = RUNTIME_SUBJECTS.map((subject) => {
      const client = benchDynamoDbClient(dynamodb.endpoint);
      const counter = new RequestCounter();
      counter.attach(client);
      return { name: subject.name, counter, handler: subject.create({ tableName: subject.tableName, client }) };
    });
    progress('records/s against DynamoDB Local');
    const recordsPerSecond = await measureRecordsPerSecond(subjects, settings);
    progress('DynamoDB requests per record');
    const requestsPerRecord = await measureRequestsPerRecord(subjects);
    return { cpuPerRecord, recordsPerSecond, requestsPerRecord };
  } finally {
    await dynamodb.stop();
  }
}

function progress(step: string): void {
  process.stderr.write(`  runtime: ${step}\n`);
}

measure(process.argv.includes('--quick')).then(
  (results) => process.send?.({ results }),
  (error: unknown) => process.send?.({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
).finally(() => process.disconnect?.());
