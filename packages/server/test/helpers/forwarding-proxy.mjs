// A minimal reverse proxy, run as its own process by the trust-proxy tests: it listens on 127.0.0.1, forwards every
// request to 127.0.0.1:<target port> from the source address PROXY_SOURCE_ADDRESS (another loopback address, so the
// server can tell the proxy from the clients), and appends the client's address to X-Forwarded-For as nginx's
// $proxy_add_x_forwarded_for does. It prints its port on the first line of stdout.
import http from 'node:http';

const target = Number(process.argv[2]);
const sourceAddress = process.env.PROXY_SOURCE_ADDRESS ?? '127.0.0.1';

const server = http.createServer((req, res) => {
  const headers = { ...req.headers };
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${prior}, ${req.socket.remoteAddress}` : req.socket.remoteAddress;
  const upstream = http.request(
    { host: '127.0.0.1', port: target, localAddress: sourceAddress, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(upstream);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
