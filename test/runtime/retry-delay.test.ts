import { backoffCeilingMs } from '../../runtime/src/retry-delay';

test('the ceiling doubles from the initial delay for each retry after the first, up to the maximum', () => {
  expect([1, 2, 3, 4].map((retry) => backoffCeilingMs(100, retry, 60_000))).toEqual([100, 200, 400, 800]);
  expect(backoffCeilingMs(100, 11, 60_000)).toBe(60_000);
  expect(backoffCeilingMs(0, 5, 60_000)).toBe(0);
});

test('a huge retry count stays finite: the maximum, never Infinity or NaN', () => {
  expect(backoffCeilingMs(100, 10_000, 30_000)).toBe(30_000);
  expect(backoffCeilingMs(0, 10_000, 30_000)).toBe(0);
});
