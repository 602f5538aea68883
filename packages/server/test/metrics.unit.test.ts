import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RESOURCES_URL } from '@mpop/contracts';
import { Metrics } from '../src/plugins/app/metrics.js';

/** The lines of the exposition that name `metric` (HELP, TYPE and samples). */
const lines = async (register: Registry, metric: string) =>
  (await register.metrics()).split('\n').filter((l) => l.includes(`${metric}`) && !l.startsWith('# HELP'));

/**
 * Metrics counts the fast path's answers in plain numbers and adds them to prom-client's series when they are read:
 * the exposition must be what prom-client's own `observe` and `inc` would have made of the same answers.
 */
describe('Metrics.served', () => {
  const served = { method: 'POST', route: RESOURCES_URL, status: '200' };
  // Below, on and above bucket bounds, and above the last one (counted only in +Inf, the sum and the count).
  const durations = [0.0001, 0.005, 0.0051, 0.01, 0.02, 0.3, 1, 2.4999, 5, 7, 10, 11, 42];

  it('shows the answers as prom-client observing each would', async () => {
    const m = new Metrics();
    const reference = new Registry();
    const histogram = new Histogram({
      name: 'mpop_http_request_duration_seconds',
      help: 'x',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    for (const d of durations) {
      m.served(d);
      histogram.observe(served, d);
    }
    expect(await lines(m.register, 'mpop_http_request_duration_seconds_')).toEqual(
      await lines(reference, 'mpop_http_request_duration_seconds_'),
    );
    const text = await m.register.metrics();
    expect(text).toContain(`mpop_http_requests_total{method="POST",route="${RESOURCES_URL}",status="200"} ${durations.length}`);
    expect(text).toContain(`mpop_gate_answers_total{outcome="served"} ${durations.length}`);

    // Read again: nothing counted twice; more answers add to the same series, with the route's own observations.
    m.served(0.003);
    histogram.observe(served, 0.003);
    m.duration.labels(served).observe(0.2);
    histogram.observe(served, 0.2);
    expect(await lines(m.register, 'mpop_http_request_duration_seconds_')).toEqual(
      await lines(reference, 'mpop_http_request_duration_seconds_'),
    );
    expect(await m.register.metrics()).toContain(`mpop_gate_answers_total{outcome="served"} ${durations.length + 1}`);
  });

  it('has no series for served answers until one is served', async () => {
    const m = new Metrics();
    expect(await m.register.metrics()).not.toContain('status="200"');
    expect(await m.register.metrics()).toContain('mpop_gate_answers_total{outcome="served"} 0');
  });

  it('counts cache hits and misses', async () => {
    const m = new Metrics();
    for (const hit of [true, true, false, true]) m.cacheLookup(hit);
    const text = await m.register.metrics();
    expect(text).toContain('mpop_gate_cache_lookups_total{result="hit"} 3');
    expect(text).toContain('mpop_gate_cache_lookups_total{result="miss"} 1');
    m.cacheLookup(true);
    expect(await m.register.metrics()).toContain('mpop_gate_cache_lookups_total{result="hit"} 4');
  });
});
