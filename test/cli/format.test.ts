/* Terminal rendering: tables, cells, ages and the progress bar. */
import { cell, formatAge, formatTable } from '../../cli/src/commands/format';
import { renderProgress } from '../../cli/src/commands/progress-bar';

test('formatTable pads columns to the widest cell, without trailing spaces', () => {
  expect(formatTable(['ID', 'TYPE'], [['a-1', 'order.created'], ['abcdef', '-']])).toBe('ID      TYPE\na-1     order.created\nabcdef  -\n');
});

test('cell: "-" for nothing, one line, cut with an ellipsis', () => {
  expect(cell(undefined, 10)).toBe('-');
  expect(cell('', 10)).toBe('-');
  expect(cell('line one\nline two', 30)).toBe('line one line two');
  expect(cell('abcdefghijkl', 5)).toBe('abcd…');
});

test.each([
  [0, '0s'],
  [999, '0s'],
  [12_000, '12s'],
  [310_000, '5m 10s'],
  [3_600_000, '1h 0m'],
  [(3 * 86_400 + 4 * 3_600 + 59) * 1000, '3d 4h'],
])('formatAge(%d) = %s', (ms, text) => {
  expect(formatAge(ms)).toBe(text);
});

test('renderProgress: a bar of 30 with the count; just the count without a total', () => {
  expect(renderProgress(0, 4)).toBe(`[${'-'.repeat(30)}] 0/4`);
  expect(renderProgress(1, 4)).toBe(`[${'#'.repeat(8)}${'-'.repeat(22)}] 1/4`);
  expect(renderProgress(4, 4)).toBe(`[${'#'.repeat(30)}] 4/4`);
  // SQS's count is approximate: more moved than counted never overflows the bar.
  expect(renderProgress(6, 4)).toBe(`[${'#'.repeat(30)}] 6/4`);
  expect(renderProgress(7, undefined)).toBe('7 moved');
  expect(renderProgress(7, 0)).toBe('7 moved');
});
