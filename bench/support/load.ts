import { Agent, request } from 'node:http';

export interface LoadFigures {
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly errors: number;
}

export interface LoadPlan {
  readonly url: string;
  readonly method: 'POST' | 'GET';
  readonly body: Buffer;
  readonly connections: number;
  readonly seconds: number;
}

function once(agent: Agent, url: URL, plan: LoadPlan): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const outgoing = request({
      agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: plan.method,
      headers: { 'content-type': 'application/json', 'content-length': plan.body.length },
    }, (response) => {
      response.on('data', () => undefined);
      response.on('end', () => (response.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`HTTP ${response.statusCode}`))));
    });
    outgoing.on('error', reject);
    outgoing.end(plan.body);
  });
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * Closed-loop load over loopback: `connections` clients on kept-alive sockets, each sending its
 * next request when the last one is answered, for a fixed time. Latencies are timed per request
 * with the high-resolution clock (sub-millisecond servers need it).
 */
export async function drive(plan: LoadPlan): Promise<LoadFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.connections });
  const url = new URL(plan.url);
  const latencies: number[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + plan.seconds * 1000;
  await Promise.all(Array.from({ length: plan.connections }, async () => {
    while (Date.now() < deadline) {
      try {
        latencies.push(await once(agent, url, plan));
      } catch {
        errors += 1;
      }
    }
  }));
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), requestsPerSecond: latencies.length / elapsedSeconds, requests: latencies.length, errors };
}
