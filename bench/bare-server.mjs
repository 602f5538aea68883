#!/usr/bin/env node
// The baseline: a bare node:http server, in its own process, that answers each request body with the bytes the gate
// answered it (read from a JSON file of { body: answer }). What the gate costs beyond this is mpop's own work.
import fs from 'node:fs';
import http from 'node:http';

const answers = new Map(Object.entries(JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))));
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const answer = answers.get(Buffer.concat(chunks).toString('utf8'));
    if (answer === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
