import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import type { ResourcesRequest } from '@mpop/contracts';
import type { GateService } from '../../modules/gate/gate.service.js';
import { type ClientLimits, type Outcome, tightestOf } from '../../plugins/app/client-rate-limit.js';
import { findUnsafe, jsonMayBeUnsafe } from '../../plugins/app/hostile-input.js';

type JsonParser = (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void;

/**
 * The hooks `POST /client/v1/resources` runs in Fastify, by stage, as `app.printRoutes({ includeHooks: true })`
 * names them, and the step of GatePipeline that does the same work for the fast path. A test compares this with
 * the route (gate-fast-path.test.ts): a hook added to the route fails it until the fast path does the same.
 */
export const ROUTE_HOOKS = {
  onRequest: { 'requestHeaders()': 'headers', 'guardSlowBody()': 'the fast path guards the body itself' },
  preParsing: { 'fastPathBody()': 'the hand-over of a body the fast path read' },
  preValidation: { 'refuseHostileInput()': 'hostile', 'countClientLimits()': 'count' },
  onResponse: { 'countResponse()': 'served (metrics)' },
  onError: { 'noteProblemCode()': 'the fast path answers no problem' },
} as const;

/** The request a step reads: what Fastify's JSON parser and `ip` getter look at. */
export type RequestView = Pick<FastifyRequest, 'raw' | 'headers' | 'socket'>;

/**
 * The gate's steps, in order, for the request the fast path answers without Fastify: parse → validate → hostile →
 * limits → answer → headers, each the same code (or the same function) the route runs:
 *
 * - parse: Fastify's JSON parser (which refuses `__proto__` and `constructor`);
 * - validate: the route's own compiled body validator, taken from its first request;
 * - hostile: the hostile-input plugin's check (`jsonMayBeUnsafe`, `findUnsafe`);
 * - limits: the client rate-limit plugin's counters (`ClientLimits`), with the same keys;
 * - answer: the gate's answer for a cached host app (`GateService.cachedAnswer`), the bytes the handler sends;
 * - headers: those of the route's hooks (`x-request-id`, `nosniff`, the tightest limit) and of its answer.
 *
 * Each step returns "not mine" (undefined) where the route would answer otherwise than 200: the fast path then hands
 * the request to the route, which answers it.
 */
export class GatePipeline {
  /** The route's compiled body validator; until its first request, undefined (and no fast path). */
  validate?: (body: unknown) => unknown;
  /** The client API's rate limits, when any is on (set by the plugin that owns their store). */
  limits?: ClientLimits;
  /** Counts an answer in the metrics, as the route's onResponse hook does (set by the metrics plugin). */
  served: (seconds: number) => void = () => {};

  constructor(
    private readonly gate: GateService,
    private readonly parseJson: JsonParser,
  ) {}

  /** parse → validate → hostile: the body, if the route would take it; else undefined. */
  accept(view: RequestView, text: string): ResourcesRequest | undefined {
    let parsed: unknown;
    this.parseJson(view as FastifyRequest, text, (err, body) => {
      if (!err) parsed = body;
    });
    if (parsed === undefined || this.validate?.(parsed) !== true) return undefined;
    if (jsonMayBeUnsafe(text) && findUnsafe(parsed, '').length > 0) return undefined;
    return parsed as ResourcesRequest;
  }

  /** limits: counts the request (synchronously with counters in memory); `done` gets the outcomes. */
  count(ip: string | undefined, body: ResourcesRequest, done: (outcomes: (Outcome | undefined)[]) => void) {
    if (!this.limits) return done([]);
    this.limits.count(ip, body, done);
  }

  /**
   * answer: within the limits, the answer's bytes: at once for a cached host app; else looked up (a first request
   * handed over would cost the lookup twice). A refusal, or a database that fails, is undefined: the route answers.
   */
  answer(body: ResourcesRequest, outcomes: readonly (Outcome | undefined)[]): Buffer | Promise<Buffer | undefined> | undefined {
    if (outcomes.some((o) => o?.isExceeded)) return undefined;
    return this.gate.cachedAnswer(body) ?? this.gate.answer(body).catch(() => undefined);
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
}
