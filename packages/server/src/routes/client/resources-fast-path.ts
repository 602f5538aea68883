import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { RESOURCES_URL } from '@mpop/contracts';
import { guardBodyRate } from '../../plugins/app/slow-clients.js';
import type { GatePipeline, Outcomes, RequestView } from './gate-pipeline.js';

/** Room for a 10,000-ID request to reach the schema and get a clear 400. */
export const RESOURCES_BODY_LIMIT = 512 * 1024;

/** `application/json`, with at most a UTF-8 charset: what Fastify's JSON parser reads as the same text. */
const JSON_TYPE = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An answer ready to send. */
type Ready = {
  req: IncomingMessage;
  res: ServerResponse;
  headers: OutgoingHttpHeaders;
  answer: Buffer;
  started: number;
  id: string;
};

/**
 * The gate's fast path: `POST /client/v1/resources` is asked on every launch of every device, and Fastify's generic
 * pipeline (a request and reply object, hooks run one by one, promises between them) costs more than the gate's own
 * work. This answers the common case, a valid request of a listed, configured host app within its limits, straight
 * from the `node:http` request, with what the route does:
 *
 * - the same JSON parser (Fastify's, refusing `__proto__` and `constructor`), the same compiled body validator
 *   (taken from the route itself), the hostile-input check, and the slow-client guard;
 * - the same rate limits (`@fastify/rate-limit` counters, per address and per device) and `RateLimit-*` headers;
 * - the same answer bytes and headers (`x-request-id`, `nosniff`), metrics and request log lines.
 *
 * Everything else goes to Fastify as if the fast path were not there: other routes and methods, other content types,
 * chunked or large bodies, a closing server, the requests before the route's first answer (which shows the fast path
 * Fastify's request prototype), and every request that is not a success: malformed, invalid, over a limit, or a
 * refusal. A request it read is handed over (`GatePipeline.handOver`) with its body and the limits it counted, so
 * that nothing is read or counted twice; the route then answers it, problems and all. The tests compare the two
 * paths' answers (gate-fast-path.test.ts).
 */
export class GateFastPath {
  /** Fastify's request prototype, whose `ip` and `host` getters honour MPOP_TRUST_PROXY exactly as the route does. */
  private requestPrototype?: object;
  private closing = false;
  /** Answers made in this turn of the event loop, sent together at its end. */
  private readonly outbox: Ready[] = [];
  /** Off: every request goes through Fastify (the tests compare the two paths on one server). */
  enabled = true;
  /** Answers made by the fast path (for the tests). */
  answered = 0;
  /** Whether requests are logged (LOG_LEVEL info and below), as Fastify logs them. */
  private readonly logsRequests: boolean;

  constructor(
    /** The steps the fast path runs, each the route's own. */
    readonly pipeline: GatePipeline,
    private readonly log: FastifyBaseLogger,
    private readonly requestId: (req: IncomingMessage) => string,
  ) {
    const pino = log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };
    this.logsRequests = pino.isLevelEnabled?.('info') ?? true;
  }

  /**
   * Called by the route for each request it answers: takes Fastify's request prototype from the first. It is the one
   * thing of Fastify's the fast path cannot be given when it is made (Fastify makes it with the first request).
   */
  learn(request: FastifyRequest) {
    this.requestPrototype ??= Object.getPrototypeOf(request) as object;
  }

  /** From the server closing on: every request goes to Fastify, which answers 503. */
  close() {
    this.closing = true;
  }

  /** The server's request listener: the fast path where it applies, else Fastify's own. */
  handler(fastify: Handler): Handler {
    return (req, res) => {
      if (!this.take(req, res, fastify)) fastify(req, res);
    };
  }

  /** Reads the request if it is one the fast path may answer; false (having touched nothing) leaves it to Fastify. */
  private take(req: IncomingMessage, res: ServerResponse, fastify: Handler): boolean {
    if (req.method !== 'POST' || req.url !== RESOURCES_URL || !this.enabled || this.closing || !this.requestPrototype) return false;
    const type = req.headers['content-type'];
    if (type === undefined || (type !== 'application/json' && !JSON_TYPE.test(type))) return false;
    const length = Number(req.headers['content-length']);
    if (req.headers['transfer-encoding'] !== undefined || !(length > 0 && length <= RESOURCES_BODY_LIMIT)) return false;

    const started = performance.now();
    // A body in the same packets as the head has been read once this request's parse is done (a tick later): only
    // one still arriving needs the slow-client guard and its timer.
    process.nextTick(guardBodyRate, req, res, this.log);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => {}); // an aborted upload: Node closes the socket; there is no one left to answer
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      try {
        this.run(req, res, body, started, fastify);
      } catch (err) {
        this.failed(err, req, res, body, fastify);
      }
    });
    return true;
  }

  /** The pipeline, step by step; at the first step that is not a plain success, the route takes over. */
  private run(req: IncomingMessage, res: ServerResponse, raw: Buffer, started: number, fastify: Handler) {
    const view: RequestView = { raw: req, headers: req.headers, socket: req.socket };
    const body = this.pipeline.accept(view, raw.toString('utf8'));
    if (body === undefined) return this.leave(req, res, raw, fastify);
    const ip = Reflect.get(this.requestPrototype!, 'ip', view) as string | undefined;
    this.pipeline.count(ip, body, (outcomes) => {
      if (this.pipeline.exceeded(outcomes)) return this.leave(req, res, raw, fastify, outcomes);
      const answer = this.pipeline.answer(body);
      if (answer instanceof Promise) {
        // A refusal, or a database that fails: the route answers (a first request handed over costs the lookup twice).
        answer.then(
          (a) => this.reply(req, res, raw, started, fastify, outcomes, a),
          () => this.leave(req, res, raw, fastify, outcomes),
        );
      } else this.reply(req, res, raw, started, fastify, outcomes, answer);
    });
  }

  private reply(
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    started: number,
    fastify: Handler,
    outcomes: Outcomes,
    answer: Buffer,
  ) {
    if (this.closing) return this.leave(req, res, raw, fastify, outcomes);
    const id = this.requestId(req);
    this.outbox.push({ req, res, headers: this.pipeline.headers(id, outcomes, answer), answer, started, id });
    if (this.outbox.length === 1) setImmediate(this.flush);
  }

  private failed(err: unknown, req: IncomingMessage, res: ServerResponse, raw: Buffer, fastify: Handler) {
    this.log.error({ err: { message: (err as Error).message } }, 'the gate fast path failed; the route answers');
    this.leave(req, res, raw, fastify);
  }

  /**
   * Sends the answers made in this turn of the event loop, one after the other. Written as each is made, every
   * answer would wake the client's side on its own (on a virtual machine, an interrupt to another CPU each); sent
   * together they cost far less, for a wait of microseconds (the rest of this turn).
   */
  private readonly flush = () => {
    const answers = this.outbox.splice(0);
    for (const a of answers) {
      try {
        this.send(a);
      } catch (err) {
        // Not expected (the answer and its headers are made above); one failure must not cost the others theirs.
        this.log.error({ err: { message: (err as Error).message } }, 'could not send a gate answer');
        a.res.destroy();
      }
    }
  };

  private send({ req, res, headers, answer, started, id }: Ready) {
    res.writeHead(200, headers);
    res.end(answer); // the head and the answer in one write
    this.answered++;
    const seconds = (performance.now() - started) / 1000;
    this.pipeline.served(seconds);
    if (this.logsRequests) {
      // Fastify's two lines of a request, with its serializers (request id, method, url, host, address).
      const log = this.log.child({ reqId: id });
      const request = Object.create(this.requestPrototype!, {
        raw: { value: req },
        headers: { value: req.headers },
        socket: { value: req.socket },
        method: { value: req.method },
        url: { value: req.url },
      });
      log.info({ req: request }, 'incoming request');
      log.info({ res: { statusCode: 200 }, responseTime: seconds * 1000 }, 'request completed');
    }
  }

  /** Hands the request to Fastify with the body already read (and the limits already counted). */
  private leave(req: IncomingMessage, res: ServerResponse, body: Buffer, fastify: Handler, outcomes?: Outcomes) {
    this.pipeline.handOver(req, { body, outcomes });
    fastify(req, res);
  }
}
