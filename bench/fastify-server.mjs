#!/usr/bin/env node
// A second reference for the gate: a bare Fastify 5 server (mpop's framework, no plugin, no schema, no logger) that
// answers each request body with the bytes the gate answered it, like bench/bare-server.mjs does with node:http.
// The gate / Fastify ratio is what mpop's own pipeline (validation, limits, metrics, hooks) costs on top.
import fs from 'node:fs';
import Fastify from 'fastify';

const answers = new Map(Object.entries(JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))));
const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post('/', async (request, reply) => {
  const answer = answers.get(request.body);
  if (answer === undefined) return reply.code(404).send();
  return reply.type('application/json; charset=utf-8').send(answer);
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${app.server.address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
