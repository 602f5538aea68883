import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type ErrorCode, RESOURCES_URL } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem code this request was answered with, if any (for the gate's outcome counter). */
    problemCode?: ErrorCode | 'VALIDATION';
  }
}

/** How the gate answered a `POST /client/v1/resources`, by the problem code of a refusal. */
const GATE_OUTCOMES: Partial<Record<ErrorCode | 'VALIDATION', string>> = {
  HOST_APP_NOT_REGISTERED: 'not_registered',
  HOST_APP_NOT_CONFIGURED: 'not_configured',
  HOST_APP_DISABLED: 'disabled',
  RATE_LIMITED: 'rate_limited',
  VALIDATION_FAILED: 'invalid',
  VALIDATION: 'invalid',
  MALFORMED_REQUEST: 'invalid',
};
const OUTCOMES = ['served', 'not_registered', 'not_configured', 'disabled', 'rate_limited', 'invalid', 'error'];

export interface MetricsOptions {
  enabled: boolean;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  token?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The latency buckets of `mpop_http_request_duration_seconds` (prom-client's defaults). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What prom-client keeps of one series of a histogram (`Histogram.hashMap`): counts per upper bound, not cumulative. */
interface HistogramSeries {
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * The registry and the counters of the HTTP answers, made by buildApp before the plugins (`createMetrics`): the
 * plugin below counts the route's answers in them, and the gate's pipeline (routes/client/gate-pipeline.ts) the
 * answers its fast path sends, with `served`. Each app has its own registry, so several apps in one process (the
 * tests) keep separate counts.
 *
 * The fast path's answers and cache hits are counted here in plain numbers and added to prom-client's series when
 * they are read (each metric's `collect`, which prom-client runs before reading it): prom-client makes a key of a
 * series' labels and validates them on every count, which cost a served answer more than its counting is worth.
 */
export class Metrics {
  /** With the process's default metrics first, as Prometheus exporters list them. */
  readonly register = withDefaultMetrics(new Registry());
  readonly requests = new Counter({
    name: 'mpop_http_requests_total',
    help: 'HTTP requests answered, by method, route (the route pattern) and status code',
    labelNames: ['method', 'route', 'status'],
    registers: [this.register],
    collect: () => this.fold(),
  });
  readonly duration = new Histogram({
    name: 'mpop_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [this.register],
    collect: () => this.fold(),
  });
  readonly gateAnswers = new Counter({
    name: 'mpop_gate_answers_total',
    help: 'Answers of POST /client/v1/resources by outcome: served, not_registered, not_configured, disabled, rate_limited, invalid, error',
    labelNames: ['outcome'],
    registers: [this.register],
    collect: () => this.fold(),
  });
  readonly cacheLookups = new Counter({
    name: 'mpop_gate_cache_lookups_total',
    help: "Lookups of a host app's answer in the gate's in-memory cache, by result (hit or miss)",
    labelNames: ['result'],
    registers: [this.register],
    collect: () => this.fold(),
  });
  /** The labels of a served gate answer. */
  private readonly servedLabels = { method: 'POST', route: RESOURCES_URL, status: '200' };
  /** Counted since the last `fold`: answers the fast path served, their durations by bucket (the last: above all), cache hits. */
  private servedCount = 0;
  private servedSum = 0;
  private readonly servedBuckets = new Float64Array(DURATION_BUCKETS.length + 1);
  private hits = 0;

  constructor() {
    for (const outcome of OUTCOMES) this.gateAnswers.inc({ outcome }, 0);
    this.cacheLookups.inc({ result: 'hit' }, 0);
    this.cacheLookups.inc({ result: 'miss' }, 0);
  }

  /** Counts a gate answer (200) sent without Fastify's hooks, as the onResponse hook below counts the route's. */
  readonly served = (seconds: number) => {
    this.servedCount++;
    this.servedSum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.servedBuckets[i]++;
  };

  /** Counts a lookup in the gate's cache (a hit is counted as the answers are: in a plain number until read). */
  readonly cacheLookup = (hit: boolean) => {
    if (hit) this.hits++;
    else this.cacheLookups.inc({ result: 'miss' });
  };

  /** Adds what was counted in plain numbers to prom-client's series (before any of them is read). */
  private fold() {
    if (this.hits > 0) {
      this.cacheLookups.inc({ result: 'hit' }, this.hits);
      this.hits = 0;
    }
    const n = this.servedCount;
    if (n === 0) return;
    this.servedCount = 0;
    this.requests.inc(this.servedLabels, n);
    this.gateAnswers.inc({ outcome: 'served' }, n);
    // prom-client has no call that adds many observations at once: its series of these labels gets them as `observe`
    // would have, one by one (a count per bucket, the sum and the count).
    const series = this.durationSeries();
    for (let i = 0; i < DURATION_BUCKETS.length; i++) series.bucketValues[DURATION_BUCKETS[i]] += this.servedBuckets[i];
    series.sum += this.servedSum;
    series.count += n;
    this.servedSum = 0;
    this.servedBuckets.fill(0);
  }

  /** prom-client's series of a served gate answer in the duration histogram, made (at zero) if it is not there yet. */
  private durationSeries(): HistogramSeries {
    const map = (this.duration as unknown as { hashMap: Record<string, HistogramSeries & { labels: object }> }).hashMap;
    const find = () => Object.values(map).find((s) => isServed(s.labels as Record<string, unknown>, this.servedLabels));
    let series = find();
    if (!series) {
      this.duration.zero(this.servedLabels);
      series = find();
    }
    if (!series?.bucketValues) throw new Error('prom-client keeps its histograms otherwise than Metrics expects');
    return series;
  }
}

const isServed = (labels: Record<string, unknown>, served: Record<string, string>) =>
  labels.method === served.method && labels.route === served.route && String(labels.status) === served.status;

function withDefaultMetrics(register: Registry): Registry {
  collectDefaultMetrics({ register });
  return register;
}

/** The metrics of an app, or undefined with `MPOP_METRICS=off`. */
export const createMetrics = (opts: Pick<MetricsOptions, 'enabled'>): Metrics | undefined => (opts.enabled ? new Metrics() : undefined);

/**
 * Prometheus metrics at `GET /metrics` (text format): HTTP requests by route and status with latency histograms,
 * the gate's answers by outcome, its cache hits, the signing queue and failures, and client event intake. With
 * `MPOP_METRICS=off` (no `metrics`) nothing is collected and `/metrics` is 404.
 */
export default fp<{ metrics: Metrics | undefined; token?: string }>(async (app, opts) => {
  const m = opts.metrics;
  if (!m) return;
  const { register, requests, duration, gateAnswers } = m;
  const signatures = new Counter({ name: 'mpop_signatures_total', help: 'Package signatures made', registers: [register] });
  const signingFailures = new Counter({
    name: 'mpop_signing_job_failures_total',
    help: 'Signing jobs that failed (the cause is in the server log; GET /api/v1/signing-jobs shows them)',
    registers: [register],
  });
  const signer = app.services.signer;
  new Gauge({
    name: 'mpop_signing_queue_signatures',
    help: 'Signatures waiting to be made by the running signing jobs of this process',
    registers: [register],
    collect() {
      this.set(
        signer
          .list()
          .filter((j) => j.status === 'running')
          .reduce((n, j) => n + (j.total - j.done), 0),
      );
    },
  });
  new Gauge({
    name: 'mpop_signing_jobs_running',
    help: 'Signing jobs running in this process',
    registers: [register],
    collect() {
      this.set(signer.list().filter((j) => j.status === 'running').length);
    },
  });
  const events = new Counter({
    name: 'mpop_client_events_total',
    help: 'Client events answered by POST /client/v1/events (202), by type and outcome: accepted or ignored',
    labelNames: ['type', 'outcome'],
    registers: [register],
  });
  app.services.events.observer = { event: (type, accepted) => events.inc({ type, outcome: accepted ? 'accepted' : 'ignored' }) };

  const webhookDeliveries = new Counter({
    name: 'mpop_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retrying (failed, tried again later), failed (the last attempt failed)',
    labelNames: ['outcome'],
    registers: [register],
  });
  for (const outcome of ['delivered', 'retrying', 'failed']) webhookDeliveries.inc({ outcome }, 0);
  app.services.webhookDispatcher.onOutcome = (outcome) => webhookDeliveries.inc({ outcome });
  const patchJobs = new Counter({
    name: 'mpop_patch_jobs_total',
    help: 'Patch jobs that ended, by status: done (kept), skipped (not smaller than half the package, or too large), failed',
    labelNames: ['status'],
    registers: [register],
  });
  for (const status of ['done', 'skipped', 'failed']) patchJobs.inc({ status }, 0);
  app.services.patches.onFinished = (status) => patchJobs.inc({ status });
  app.services.gate.onCacheLookup = m.cacheLookup;
  signer.observer = { signed: () => signatures.inc(), failed: () => signingFailures.inc() };

  app.addHook('onError', function noteProblemCode(request: FastifyRequest, _reply, err: FastifyError, done) {
    request.problemCode = err instanceof AppError ? err.code : err.validation ? 'VALIDATION' : undefined;
    done();
  });
  // The counters of each method, route and status, looked up once (prom-client hashes a label set on each use).
  const byLabels = new Map<string, { requests: ReturnType<typeof requests.labels>; duration: ReturnType<typeof duration.labels> }>();
  app.addHook('onResponse', function countResponse(request, reply, done) {
    // The console's files are one route each, named by their content hash: one label for all of them, or every
    // deploy would add series that never end.
    const url = request.routeOptions.url;
    const route = url === undefined ? 'unmatched' : url.startsWith('/assets/') ? '/assets/*' : url;
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let series = byLabels.get(key);
    if (!series) {
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      series = { requests: requests.labels(labels), duration: duration.labels(labels) };
      byLabels.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(reply.elapsedTime / 1000);
    if (route === RESOURCES_URL && request.method === 'POST') {
      const outcome = reply.statusCode === 200 ? 'served' : ((request.problemCode && GATE_OUTCOMES[request.problemCode]) ?? 'error');
      gateAnswers.inc({ outcome });
    }
    done();
  });

  const expected = opts.token ? digest(`Bearer ${opts.token}`) : undefined;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text format); needs Authorization: Bearer <MPOP_METRICS_TOKEN> when that is set',
        security: opts.token ? [{ token: [] }] : [],
        produces: ['text/plain'],
      },
    },
    async (request, reply) => {
      if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
        throw new AppError('UNAUTHENTICATED', 'Send the metrics token: Authorization: Bearer <MPOP_METRICS_TOKEN>.');
      }
      return reply
        .type(register.contentType)
        .header('Cache-Control', 'no-store')
        .send(await register.metrics());
    },
  );
});
