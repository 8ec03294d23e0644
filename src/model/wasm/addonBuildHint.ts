import * as path from 'node:path';

/**
 * How to (re)build the native addon of the rxtrain whose root is `root`, as a user standing in
 * `cwd` would type it. An installed package (under `node_modules`) is rebuilt by npm from the
 * project, which also covers the usual reason it is missing there: npm 11 holding back its
 * install script until `allowScripts` covers it. A clone runs the install script itself; the
 * path is relative when `cwd` is inside the clone, so the clone's own message stays
 * `node native/install.mjs`.
 *
 * @example
 * ```ts
 * addonBuildHint('/p/node_modules/rxtrain', '/p'); // '`npm rebuild rxtrain` in your project (after `npm install-scripts approve rxtrain` if npm held back its install script)'
 * addonBuildHint('/src/rxtrain', '/src/rxtrain');  // '`node native/install.mjs`'
 * ```
 */
export function addonBuildHint(root: string, cwd: string): string {
  if (root.split(/[\\/]/).includes('node_modules')) {
    return '`npm rebuild rxtrain` in your project (after `npm install-scripts approve rxtrain` if npm held back its install script)';
  }
  const script = path.join(root, 'native', 'install.mjs');
  const rel = path.relative(cwd, script);
  return `\`node ${rel.startsWith('..') || path.isAbsolute(rel) ? script : rel}\``;
}
