import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { ResourcesRequest } from '@mpop/contracts';
import type { GateService } from '../../modules/gate/gate.service.js';
import { type ClientLimits, type Outcome, tightestOf } from '../../plugins/app/client-rate-limit.js';
import { findUnsafe, jsonMayBeUnsafe } from '../../plugins/app/hostile-input.js';

type JsonParser = (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;

/** A compiled body validator, as Fastify calls it (a failure's reasons on its `errors`). */
export type BodyValidator = ((body: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/** The outcomes of the counted limits: per address, host app and device. */
export type Outcomes = (Outcome | undefined)[];

/**
 * Everything the gate's steps use, made once by buildApp (`app.ts`) from the services and the plugins' exported
 * functions, and given to the route and to the fast path: neither sets anything on the other.
 */
export interface GateDeps {
  /** The gate's answers (`GateService`). */
  gate: Pick<GateService, 'cachedAnswer' | 'answer'>;
  /** Fastify's JSON parser (refusing `__proto__` and `constructor`), the one the hostile-input plugin wraps. */
  parseJson: JsonParser;
  /** The body validator of `ResourcesRequestSchema`, compiled by the app's compilers; the route validates with it too. */
  validate: BodyValidator;
  /** The client API's rate limits (`openClientLimits`), undefined when every limit is off; the rate-limit hook's too. */
  limits: ClientLimits | undefined;
  /** Counts an answer the fast path sent in the metrics (`Metrics.served`), as the route's onResponse hook does. */
  served: (seconds: number) => void;
}

/** What the route's hooks take over from the fast path for a request it read and left: its body, and what it counted. */
export interface HandedOver {
  body: Buffer;
  outcomes?: Outcomes;
}

/**
 * The hooks `POST /client/v1/resources` runs in Fastify, by stage, as `app.printRoutes({ includeHooks: true })`
 * names them, and the step of GatePipeline (or what else) does the same work for the fast path. A test compares this
 * with the route (gate-fast-path.test.ts): a hook added to the route fails it until the fast path does the same.
 */
export const ROUTE_HOOKS = {
  onRequest: { 'requestHeaders()': step('headers'), 'guardSlowBody()': 'the fast path guards the body itself (guardBodyRate)' },
  preParsing: { 'fastPathBody()': step('handedOver') },
  preValidation: { 'refuseHostileInput()': step('accept'), 'countClientLimits()': step('count') },
  onResponse: { 'countResponse()': step('served') },
  onError: { 'noteProblemCode()': 'the fast path answers no problem' },
} as const;

/** The name of a step, checked by the compiler: renaming one fails the build until ROUTE_HOOKS follows. */
function step<K extends keyof GatePipeline>(name: K): `GatePipeline.${K}` {
  return `GatePipeline.${name}`;
}

/** The request a step reads: what Fastify's JSON parser and `ip` getter look at. */
export type RequestView = Pick<FastifyRequest, 'raw' | 'headers' | 'socket'>;

/**
 * The gate's steps, in order: parse → validate → hostile → limits → answer → headers, each the same code (or the same
 * function) the route runs:
 *
 * - parse: Fastify's JSON parser (which refuses `__proto__` and `constructor`);
 * - validate: one compiled body validator, the route's own (its `validatorCompiler` hands Fastify this one);
 * - hostile: the hostile-input plugin's check (`jsonMayBeUnsafe`, `findUnsafe`);
 * - limits: the client rate-limit plugin's counters (`ClientLimits`), the very object its hook counts with;
 * - answer: the gate's answer (`GateService.cachedAnswer`, else `answer`), the bytes the route's handler sends;
 * - headers: those of the route's hooks (`x-request-id`, `nosniff`, the tightest limit) and of its answer;
 * - served: the metrics' count of an answer, as the route's onResponse hook counts it.
 *
 * The fast path runs them all; where a step says "not mine" (undefined) the route would answer otherwise than 200,
 * so the fast path hands the request over (`handOver`): the route's preParsing hook takes its body and the rate
 * limit hook what it counted (`handedOver`), so nothing is read or counted twice.
 */
export class GatePipeline {
  readonly validate: BodyValidator;
  readonly served: (seconds: number) => void;
  private readonly gate: GateDeps['gate'];
  private readonly parseJson: JsonParser;
  readonly limits: ClientLimits | undefined;
  /**
   * The requests handed over, until the route takes them. Fastify's handler takes only `(req, res)`, so this is the
   * one place where state travels with a request from the fast path to the route; nothing else writes it.
   */
  private readonly handOvers = new WeakMap<IncomingMessage, HandedOver>();

  constructor(deps: GateDeps) {
    this.gate = deps.gate;
    this.parseJson = deps.parseJson;
    this.validate = deps.validate;
    this.limits = deps.limits;
    this.served = deps.served;
  }

  /** parse → validate → hostile: the body, if the route would take it; else undefined. */
  accept(view: RequestView, text: string): ResourcesRequest | undefined {
    let parsed: unknown;
    this.parseJson(view as FastifyRequest, text, (err, body) => {
      if (!err) parsed = body;
    });
    if (parsed === undefined || this.validate(parsed) !== true) return undefined;
    if (jsonMayBeUnsafe(text) && findUnsafe(parsed, '').length > 0) return undefined;
    return parsed as ResourcesRequest;
  }

  /** limits: counts the request (synchronously with counters in memory); `done` gets the outcomes. */
  count(ip: string | undefined, body: ResourcesRequest, done: (outcomes: Outcomes) => void) {
    if (!this.limits) return done([]);
    this.limits.count(ip, body, done);
  }

  /** Whether a counted limit is exceeded: the route answers 429. */
  exceeded(outcomes: readonly (Outcome | undefined)[]): boolean {
    return outcomes.some((o) => o?.isExceeded);
  }

  /**
   * answer: the answer's bytes, at once for a cached host app, else looked up (a promise, rejected with the problem
   * of a refusal). The route's handler sends it; the fast path sends it or, on a refusal, hands the request over.
   */
  answer(body: ResourcesRequest): Buffer | Promise<Buffer> {
    return this.gate.cachedAnswer(body) ?? this.gate.answer(body);
  }

  /** headers: the route's, in its order: request id, nosniff, the tightest limit, the content. */
  headers(id: string, outcomes: readonly (Outcome | undefined)[], answer: Buffer): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { 'x-request-id': id, 'x-content-type-options': 'nosniff' };
    const tightest = tightestOf(outcomes);
    if (tightest) {
      headers['ratelimit-limit'] = tightest.max;
      headers['ratelimit-remaining'] = tightest.remaining;
      headers['ratelimit-reset'] = tightest.ttlInSeconds;
    }
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = answer.length;
    return headers;
  }

  /** Leaves a request the fast path read (and perhaps counted) to the route, which takes it with `handedOver`. */
  handOver(req: IncomingMessage, state: HandedOver) {
    this.handOvers.set(req, state);
  }

  /** What the fast path handed over with this request, if anything. */
  handedOver(req: IncomingMessage): HandedOver | undefined {
    return this.handOvers.get(req);
  }
}
