// Marks a build folder as ES modules or CommonJS, so Node reads the dual build of a package right.
const fs = require('node:fs');
const path = require('node:path');

const [folder, type] = process.argv.slice(2);
if (!folder || !['module', 'commonjs'].includes(type)) {
  console.error('usage: node scripts/module-type.js <folder> module|commonjs');
  process.exit(2);
}
fs.writeFileSync(path.join(folder, 'package.json'), `${JSON.stringify({ type })}\n`);
