#!/usr/bin/env node
// `npm start`: build what is missing or stale, then run the server.
//
// package.json runs this with `exec`, so npm's shell is replaced by this process: a supervisor that stops `npm start`
// by npm's pid reaches us through npm (which passes SIGTERM/SIGINT on and waits), and we pass it to the server and
// exit with it. Without the `exec`, the shell between npm and node died alone and left the server running, holding
// the port and the SQLite lock.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverEnv } from './server-env.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await import('./ensure-build.mjs');
// The server's own environment: glibc's malloc settings (scripts/server-env.mjs) under the user's.
const child = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], { stdio: 'inherit', env: serverEnv() });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
// If whatever started us goes away without a signal (a shell killed with SIGKILL), stop the server too.
const parent = process.ppid;
const orphanCheck = setInterval(() => {
  if (process.ppid !== parent) child.kill('SIGTERM');
}, 1000);
orphanCheck.unref();
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
