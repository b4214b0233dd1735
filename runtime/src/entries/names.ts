/** `@cdk-fanout/runtime/names`: the names the constructs and the runtime agree on. */
export * from '../names.js';
