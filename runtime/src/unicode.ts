/**
 * SQS, SNS and DynamoDB accept only well-formed Unicode. JavaScript strings may hold lone
 * surrogates (half of a pair), which JSON parses and slicing creates; `\p{Cs}` in a `u` regex
 * matches exactly those (a complete pair is one code point there).
 */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** Whether `text` holds no lone surrogate. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** `text` with every lone surrogate replaced by U+FFFD, the replacement character. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATES, '\uFFFD');
}
