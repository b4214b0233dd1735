// @ts-check
/*
 * Module resolution hooks of a local Lambda execution environment. Lambda's Node.js runtime
 * provides the AWS SDK v3 to `require` and to `import()` alike; locally NODE_PATH points to where
 * the SDK is installed, and Node's ES module resolver does not read NODE_PATH. So an `@aws-sdk/*`
 * specifier the resolver cannot find from the bundle is resolved from those folders (a bundle
 * that loads a client on first use, e.g. the runtime's S3 client for claim checks, does so by
 * import()).
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** @type {string[]} */
let sdkFolders = [];

/** @param {{ paths: string[] }} data */
export function initialize(data) {
  sdkFolders = data.paths;
}

/**
 * @param {string} specifier
 * @param {unknown} context
 * @param {(specifier: string, context: unknown) => Promise<{ url: string }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (/** @type {{ code?: string }} */ (error).code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('@aws-sdk/')) throw error;
    for (const folder of sdkFolders) {
      try {
        return { url: pathToFileURL(createRequire(path.join(folder, 'index.js')).resolve(specifier)).href, shortCircuit: true };
      } catch {
        // not in this folder: try the next
      }
    }
    throw error;
  }
}
