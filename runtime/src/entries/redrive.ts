/**
 * `@cdk-fanout/runtime/redrive`: dead-letter queue operations for on-call tools: move messages
 * back, read a queue's facts, find the queues a DLQ serves, hand received messages back without
 * deleting them, read many objects a few at a time.
 */
export { MAX_MESSAGES_PER_SECOND, MoveTaskEndedError, redrive, type RedriveMethod, type RedriveOptions, type RedriveProgress, type RedriveResult } from '../redrive.js';
export { queueFacts, type QueueFacts } from '../queue-facts.js';
export { changeMessagesVisibility, releaseMessages } from '../release-messages.js';
export { deadLetterSourceQueues } from '../dead-letter-source.js';
export { mapLimited } from '../map-limited.js';
