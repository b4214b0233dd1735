/**
 * The in-process runtime measurements, in a child process of `run.ts`: its stdout (the runtimes'
 * log lines) goes nowhere, its heap holds only the harness and the bundles, and `--expose-gc` lets
 * samples start from a collected heap. Sends its results to the parent.
 */
import './quiet-node20-warning';
import { measureCpuPerRecord } from './cpu-per-record';
import { benchDynamoDbClient } from './dynamodb-client';
import { startBenchDynamoDb } from './dynamodb-local';
import { measureLambdaTime } from './lambda-time';
import { phase, type PhaseLoad } from './load';
import { measureRecordsPerSecond } from './records-per-second';
import { RequestCounter } from './request-counter';
import { measureRequestsPerRecord } from './requests-per-record';
import { runningSubjects } from './running-subjects';
import { benchSettings } from './settings';
import { LOCAL_SUBJECTS, SUBJECTS, TRANSACTIONAL_SUBJECTS } from './subjects';

export type RuntimeWorkerResults = Awaited<ReturnType<typeof measure>>;

async function measure(quick: boolean) {
  const settings = benchSettings(quick);
  const phases: PhaseLoad[] = [];
  phases.push(phase('runtime: CPU per record (DynamoDB stood in)'));
  const cpuPerRecord = await measureCpuPerRecord(settings);
  phases.push(phase('runtime: Lambda time per batch of 100 (stand-in with a 5 ms round trip)'));
  const lambdaTime = await measureLambdaTime(settings);
  phases.push(phase('runtime: starting DynamoDB Local'));
  const dynamodb = await startBenchDynamoDb();
  try {
    const local = [...SUBJECTS.filter((subject) => LOCAL_SUBJECTS.includes(subject.name)), ...TRANSACTIONAL_SUBJECTS];
    const counted = runningSubjects(local, () => benchDynamoDbClient(dynamodb.endpoint)).map((running) => {
      const counter = new RequestCounter();
      counter.attach(running.client);
      return { ...running, counter };
    });
    phases.push(phase('runtime: records/s on DynamoDB Local'));
    const recordsPerSecond = await measureRecordsPerSecond(counted.filter(({ subject }) => !subject.transactional), settings);
    phases.push(phase('runtime: DynamoDB requests per record (DynamoDB Local)'));
    const requestsPerRecord = await measureRequestsPerRecord(counted);
    return { cpuPerRecord, lambdaTime, recordsPerSecond, requestsPerRecord, phases };
  } finally {
    await dynamodb.stop();
  }
}

measure(process.argv.includes('--quick')).then(
  (results) => process.send?.({ results }),
  (error: unknown) => process.send?.({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
).finally(() => process.disconnect?.());
