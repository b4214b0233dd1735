/**
 * Runs a batch's records as lanes: a lane is processed in order and stops at its first failure;
 * lanes run in parallel up to a bound. A standard queue's records are one lane each; a FIFO
 * queue's records form one lane per MessageGroupId, which is what keeps a group in order.
 */

/** Splits `items` into lanes by group (order kept within and between groups); items without a group get a lane each. */
export function groupIntoLanes<T>(items: readonly T[], groupOf: (item: T) => string | undefined): T[][] {
  const lanes: T[][] = [];
  const byGroup = new Map<string, T[]>();
  for (const item of items) {
    const group = groupOf(item);
    const lane = group === undefined ? undefined : byGroup.get(group);
    if (lane) {
      lane.push(item);
    } else {
      const created = [item];
      lanes.push(created);
      if (group !== undefined) byGroup.set(group, created);
    }
  }
  return lanes;
}

/**
 * Runs every lane with at most `concurrency` items in flight. `run` reports success; after a
 * failure the rest of that lane goes to `abandon` unstarted. `run` must not throw.
 */
export async function runLanes<T>(
  lanes: readonly (readonly T[])[],
  concurrency: number,
  run: (item: T) => Promise<boolean>,
  abandon: (item: T) => void,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lanes.length) {
      const lane = lanes[next++];
      let healthy = true;
      for (const item of lane) {
        if (healthy) {
          healthy = await run(item);
        } else {
          abandon(item);
        }
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, lanes.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
