#!/usr/bin/env node
// `npm start`: build what is missing or stale, then run the server in this process's stead.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await import('./ensure-build.mjs');
const child = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], { stdio: 'inherit' });
// Pass signals through so the server shuts down gracefully.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
