import { buildSync } from 'esbuild';
import { join } from 'node:path';

test('the runtime bundles to at most 50 KB minified with the AWS SDK external, with no validation library', () => {
  const result = buildSync({
    entryPoints: [join(__dirname, '../../runtime/index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
  });
  const size = result.outputFiles[0].contents.byteLength;
  expect(size).toBeLessThanOrEqual(50 * 1024);
  const bundled = Object.keys(result.metafile.inputs);
  expect(bundled.filter((input) => input.includes('node_modules'))).toEqual([]);
});
