/**
 * The AWS SDK warns in every Node 20 process (this one and the benchmark's children, which inherit
 * the environment) that it will drop Node 20; this project runs on Node 20 by choice, as in
 * jest.config.js.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
