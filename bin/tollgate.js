#!/usr/bin/env node
// Plain JavaScript on purpose: on an old Node this file must still parse, so it can say what to
// install instead of failing on TypeScript or modern syntax.
// A default import: a named one that an old Node lacks would fail before the check below runs.
import nodeModule from 'node:module';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22 || (major === 22 && Number(process.versions.node.split('.')[1]) < 19)) {
  process.stderr.write(
    `tollgate needs Node.js 22.19 or newer (24 recommended); this is ${process.version}. ` +
      'Install Node 24 from https://nodejs.org or with your version manager (e.g. `nvm install 24`).\n',
  );
  process.exit(1);
}
// Keep compiled code on disk between runs (and, on Node 24, the type-stripped TypeScript, so
// Node need not load its TypeScript parser at all): this more than halves start-up. An entry is
// used only if its file's contents are unchanged, so an edited file is simply compiled again. The
// default folder is <tmpdir>/node-compile-cache; NODE_COMPILE_CACHE moves it and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. It does not throw: an unwritable folder only means
// running without the cache.
nodeModule.enableCompileCache();
// Node 22.19+ and 24 run erasable TypeScript directly from a checkout. Node refuses to strip
// types inside node_modules, so an installed package runs its compiled dist/ instead.
const installed = import.meta.url.includes('/node_modules/');
const entry = new URL(installed ? '../dist/cli/main.js' : '../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
await main(process.argv);
