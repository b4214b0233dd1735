/**
 * The seed of a test's random faults: FANOUT_TEST_SEED when set (to replay a run), else a new
 * one. Tests print it with their figures.
 */
export function testSeed(): number {
  const given = process.env.FANOUT_TEST_SEED;
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
}
