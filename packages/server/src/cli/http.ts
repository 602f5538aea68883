import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { CliError, usageError } from './errors.js';

export interface Connection {
  url: string;
  token: string;
}

/** MPOP_URL and MPOP_TOKEN (or --url), checked before any request. */
export function connection(urlOption: string | undefined, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = (urlOption ?? env.MPOP_URL ?? '').replace(/\/+$/, '');
  if (!url) throw usageError("Set MPOP_URL to the server's address, such as http://localhost:8080 (or pass --url).");
  if (!/^https?:\/\/[^\s/]+/.test(url)) throw usageError(`MPOP_URL must be an http(s) URL such as http://localhost:8080; it is "${url}".`);
  const token = env.MPOP_TOKEN ?? '';
  if (!token) {
    throw usageError('Set MPOP_TOKEN to an API token (create one in the console, or with POST /api/v1/tokens; it is shown once).');
  }
  return { url, token };
}

/** A multipart/form-data body: text fields and at most one file, streamed from disk. */
export interface Multipart {
  fields: Record<string, string | undefined>;
  file?: { field: string; path: string; contentType: string };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json?: unknown;
}

export type UploadProgress = (sent: number, total: number) => void;

function multipartBody(form: Multipart) {
  const boundary = `----mpop${randomBytes(12).toString('hex')}`;
  const head: Buffer[] = [];
  for (const [name, value] of Object.entries(form.fields)) {
    if (value === undefined) continue;
    head.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  let fileSize = 0;
  if (form.file) {
    fileSize = fs.statSync(form.file.path).size;
    const name = path.basename(form.file.path).replace(/["\r\n]/g, '_');
    head.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${form.file.field}"; filename="${name}"\r\nContent-Type: ${form.file.contentType}\r\n\r\n`,
      ),
    );
  }
  const tail = Buffer.from(`${form.file ? '\r\n' : ''}--${boundary}--\r\n`);
  const prefix = Buffer.concat(head);
  return { boundary, prefix, tail, fileSize, length: prefix.length + fileSize + tail.length };
}

/**
 * One API call: JSON or multipart in, the answer out. A problem answer (4xx/5xx) becomes a CliError carrying the
 * problem's detail; an unreachable server, a CliError that names MPOP_URL.
 */
export async function call(
  conn: Connection,
  method: string,
  pathname: string,
  body?: unknown,
  options: { multipart?: Multipart; onProgress?: UploadProgress } = {},
): Promise<Answer> {
  const target = new URL(conn.url + pathname);
  const headers: Record<string, string | number> = { authorization: `Bearer ${conn.token}`, accept: 'application/json, */*' };
  let send: (req: http.ClientRequest) => void = (req) => req.end();
  if (options.multipart) {
    const mp = multipartBody(options.multipart);
    headers['content-type'] = `multipart/form-data; boundary=${mp.boundary}`;
    headers['content-length'] = mp.length;
    const file = options.multipart.file;
    send = (req) => {
      req.write(mp.prefix);
      if (!file) return void req.end(mp.tail);
      let sent = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          sent += chunk.length;
          options.onProgress?.(sent, mp.fileSize);
          done(null, chunk);
        },
      });
      const stream: Readable = fs.createReadStream(file.path).pipe(meter);
      stream.on('end', () => req.end(mp.tail));
      stream.on('error', (err) => req.destroy(err));
      stream.pipe(req, { end: false });
    };
  } else if (body !== undefined) {
    const json = Buffer.from(JSON.stringify(body));
    headers['content-type'] = 'application/json';
    headers['content-length'] = json.length;
    send = (req) => req.end(json);
  }
  const answer = await new Promise<Answer>((resolve, reject) => {
    const req = (target.protocol === 'https:' ? https : http).request(target, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', (err) =>
      reject(
        new CliError(`Cannot reach the server at ${conn.url} (${(err as NodeJS.ErrnoException).code ?? err.message}); check MPOP_URL.`),
      ),
    );
    send(req);
  });
  if (/json/.test(String(answer.headers['content-type'] ?? '')) && answer.body.length > 0) {
    try {
      answer.json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      /* not JSON after all: left as bytes */
    }
  }
  if (answer.status >= 400) {
    const problem = answer.json as { detail?: string; code?: string } | undefined;
    const detail = problem?.detail ?? `${method} ${pathname} answered ${answer.status}.`;
    throw new CliError(problem?.code ? `${detail} (${problem.code})` : detail, 1, problem);
  }
  return answer;
}
