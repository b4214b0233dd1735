import { groupIntoLanes, runLanes } from '../../runtime/src/scheduler';

test('lanes: one per group in order of first appearance, one per ungrouped item', () => {
  const items = ['a1', 'x', 'b1', 'a2', 'y', 'b2'];
  const group = (item: string) => (item.length === 2 ? item[0] : undefined);
  expect(groupIntoLanes(items, group)).toEqual([['a1', 'a2'], ['x'], ['b1', 'b2'], ['y']]);
});

test('a lane stops at its first failure; the rest is abandoned; other lanes run on', async () => {
  const ran: string[] = [];
  const abandoned: string[] = [];
  await runLanes([['a1', 'a2', 'a3'], ['b1', 'b2']], 2, async (item) => {
    ran.push(item);
    return item !== 'a2';
  }, (item) => abandoned.push(item));
  expect(ran.sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
  expect(abandoned).toEqual(['a3']);
});

test.each([1, 3, 50])('at most %i items in flight', async (concurrency) => {
  let inFlight = 0;
  let peak = 0;
  await runLanes(Array.from({ length: 20 }, (_, i) => [i]), concurrency, async () => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight--;
    return true;
  }, () => undefined);
  expect(peak).toBe(Math.min(concurrency, 20));
});

test('an empty batch finishes', async () => {
  await expect(runLanes([], 10, async () => true, () => undefined)).resolves.toBeUndefined();
});
