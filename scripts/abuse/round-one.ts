/**
 * Round one (issue 9): amplification of the response and of upstream calls, junk tokens, one caller in a loop,
 * service mode without a credential, a frozen Redis, and the small ones (a mutation, a lying body, shutdown).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import { FAULTS } from '../../src/sandbox/faults.js';
import { startRedis } from '../../test/helpers/redis.js';
import { P, post, print, project, startService, underLoad, upstreamCalls, UBUNTU, uuid, type Program } from './harness.js';

export async function roundOne(sandbox: Program, seconds: number): Promise<void> {
  const service = await startService({ ECS_ENDPOINT: sandbox.url.href });
  // Response amplification.
  const elevenFields = `query ($ids: [ID!]!) { ${Array.from({ length: 11 }, (_, n) => `f${n}: images(projectId: "${P}", ids: $ids) { id metadata { key value } }`).join(' ')} }`;
  const amplify = { query: elevenFields, variables: { ids: Array(100).fill(UBUNTU) } };
  let calls = await upstreamCalls(service.url);
  const one = await post(service.url, amplify);
  print('11 images fields x the same 100 ids (metadata)', `${one.status} ${one.code}, ${one.bytes} B, ${Math.round(one.ms)} ms, ${(await upstreamCalls(service.url)) - calls} upstream calls`);
  const four = await underLoad(service.url, seconds, 4, () => post(service.url, amplify));
  print('  4 of them in loops: { __typename } waits', `median ${four.medianMs} ms, worst ${four.worstMs} ms (${four.attacks} attacks)`);
  const largest = { query: `query ($ids: [ID!]!) { a: images(projectId: "${P}", ids: $ids) { id osType metadata { key value } } b: images(projectId: "${P}", ids: $ids) { id osType metadata { key value } } }`, variables: { ids: Array(100).fill(UBUNTU) } };
  const allowed = await post(service.url, largest);
  const eight = await underLoad(service.url, seconds, 8, () => post(service.url, largest));
  print('8 loops of the largest allowed operation (200 results)', `${allowed.bytes} B each; { __typename } median ${eight.medianMs} ms, worst ${eight.worstMs} ms`);

  // Upstream amplification.
  const lists = Array.from({ length: 20 }, (_, list) => Array.from({ length: 100 }, (_, n) => uuid(list * 100 + n)));
  const twentyAliases = { query: `query (${lists.map((_, n) => `$l${n}: [ID!]!`).join(', ')}) { ${lists.map((_, n) => `${n ? `f${n}: ` : ''}images(projectId: "${P}", ids: $l${n}) { id }`).join(' ')} }`, variables: Object.fromEntries(lists.map((list, n) => [`l${n}`, list])) };
  const entities = { query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { id } } }', variables: { r: Array.from({ length: 819 }, (_, n) => ({ __typename: 'Image', projectId: P, id: uuid(n) })) } };
  const projects = { query: `query ($ids: [ID!]!) { ${Array.from({ length: 21 }, (_, n) => `${n ? `f${n}: ` : ''}images(projectId: "${project(n)}", ids: $ids) { id }`).join(' ')} }`, variables: { ids: lists[0] } };
  for (const [name, body] of [['20 aliases x 100 distinct ids', twentyAliases], ['21 images fields x 21 projects', projects], ['_entities with 819 representations', entities]] as const) {
    calls = await upstreamCalls(service.url);
    const answer = await post(service.url, body);
    print(name, `${answer.status} ${answer.code}, ${(await upstreamCalls(service.url)) - calls} upstream calls`);
  }
  const throttled = { query: `{ ${Array.from({ length: 20 }, (_, n) => `i${n}: image(projectId: "${project(n)}", id: "${FAULTS.throttledNoRetryAfter.imageId}") { id }`).join(' ')} }` };
  calls = await upstreamCalls(service.url);
  for (let n = 0; n < 5; n += 1) await post(service.url, throttled, { 'x-auth-token': `throttled-${n}` });
  print('100 images against an upstream answering 429', `${(await upstreamCalls(service.url)) - calls} upstream calls`);
  calls = await upstreamCalls(service.url);
  const junkStarted = performance.now();
  const junk = await underLoad(service.url, seconds, 2, () => post(service.url, { query: `{ image(projectId: "${P}", id: "${FAULTS.unauthorized.imageId}") { id } }` }, { 'x-auth-token': 'junk' }));
  const junkCalls = (await upstreamCalls(service.url)) - calls;
  print('a junk token (401) in 2 loops', `${junkCalls} upstream calls in ${((performance.now() - junkStarted) / 1000).toFixed(1)} s (${junk.attacks} requests)`);
  calls = await upstreamCalls(service.url);
  const rated = await underLoad(service.url, seconds, 4, () => post(service.url, { query: `{ images(projectId: "${P}", ids: ${JSON.stringify(Array.from({ length: 100 }, () => uuid(Math.floor(Math.random() * 1e9))))}) { id } }` }, { 'x-auth-token': 'one-caller' }));
  print('one caller, 4 loops of 100 fresh ids', `${((await upstreamCalls(service.url)) - calls) / seconds} upstream calls/s (${rated.attacks} requests)`);

  // Service mode: a caller with no credential.
  const serviceMode = await startService({
    ECS_ENDPOINT: sandbox.url.href,
    AUTH_MODE: 'service',
    HUAWEICLOUD_SDK_AK: 'AKEXAMPLE',
    HUAWEICLOUD_SDK_SK: 'sk-example',
    ALLOWED_PROJECT_IDS: [P, ...Array.from({ length: 21 }, (_, n) => project(n))].join(','),
    JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    JWT_ISSUER: 'https://auth.example.com/',
    JWT_AUDIENCE: 'ecs-image-graph',
  });
  calls = await upstreamCalls(serviceMode.url);
  const signed = await underLoad(serviceMode.url, seconds, 4, () => post(serviceMode.url, { query: `{ images(projectId: "${P}", ids: ${JSON.stringify(lists[0])}) { id } }` }));
  print('service mode, no JWT, 4 loops of 100 ids', `${((await upstreamCalls(serviceMode.url)) - calls) / seconds} signed calls/s (${signed.attacks} requests)`);
  serviceMode.child.kill('SIGTERM');

  // A frozen Redis: the same service with no Redis, with Redis, and with Redis frozen (SIGSTOP), each warmed up;
  // frozen long enough for a probe (every 5 s) to be part of it.
  const redis = await startRedis();
  const [plain, withRedis] = await Promise.all([
    startService({ ECS_ENDPOINT: sandbox.url.href }),
    startService({ ECS_ENDPOINT: sandbox.url.href, REDIS_URL: redis.url, CACHE_KEY_SECRET: 'x'.repeat(32) }),
  ]);
  await throughput(plain.url, 1);
  await throughput(withRedis.url, 1);
  const withoutRedis = await throughput(plain.url, 4);
  const healthy = await throughput(withRedis.url, 4);
  redis.freeze();
  const firstSecond = await throughput(withRedis.url, 1);
  const frozen = await throughput(withRedis.url, 8);
  redis.thaw();
  print('operations/s: no Redis / Redis / frozen (1st s, next 8 s)', `${withoutRedis} / ${healthy} / ${firstSecond}, then ${frozen}: ${(frozen / withoutRedis).toFixed(2)}x the figure with no Redis`);
  for (const program of [plain, withRedis]) program.child.kill('SIGTERM');
  await redis.stop();

  // Smaller ones.
  const mutation = await post(service.url, { query: `mutation { image(projectId: "${P}", id: "${UBUNTU}") { id } }` });
  print('a mutation', `${mutation.status} ${mutation.code}`);
  const lying = await lyingBody(service.url);
  print('a body shorter than its Content-Length', `connection closed after ${(lying / 1000).toFixed(1)} s`);
  print('keep-alive clients during SIGTERM', `${await resetsDuringShutdown(sandbox)} ECONNRESET`);
  service.child.kill('SIGTERM');
}

/** Operations per second over `seconds`: 16 loops of one image, each with a token of its own (no cache hit, no shared call). */
async function throughput(url: URL, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let operations = 0;
  let token = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < until) {
        await post(url, { query: `{ image(projectId: "${P}", id: "${UBUNTU}") { id osType } }` }, { 'x-auth-token': `fresh-${(token += 1)}` });
        operations += 1;
      }
    }),
  );
  return Math.round(operations / seconds);
}

/** Sends headers announcing 1,000 bytes and 9 of them; resolves with how long the server kept the connection. */
async function lyingBody(url: URL): Promise<number> {
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const started = performance.now();
  socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":');
  socket.resume();
  await once(socket, 'close');
  return performance.now() - started;
}

/** Keep-alive clients in loops while the service shuts down: how many requests died with ECONNRESET. */
async function resetsDuringShutdown(sandbox: Program): Promise<number> {
  const target = await startService({ ECS_ENDPOINT: sandbox.url.href });
  const keepAlive = new Agent({ connections: 8, keepAliveTimeout: 30_000 });
  let resets = 0;
  let stopped = false;
  const loops = Array.from({ length: 8 }, async () => {
    while (!stopped) {
      try {
        const response = await request(target.url, { method: 'POST', dispatcher: keepAlive, headers: { 'content-type': 'application/json', 'x-auth-token': 't' }, body: JSON.stringify({ query: `{ image(projectId: "${P}", id: "${UBUNTU}") { id } }` }) });
        await response.body.dump();
      } catch (error) {
        if ((error as { code?: string }).code === 'ECONNRESET' || String((error as Error).message).includes('other side closed')) resets += 1;
        else if (!stopped) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  target.child.kill('SIGTERM');
  await once(target.child, 'exit');
  stopped = true;
  await Promise.all(loops);
  await keepAlive.close();
  return resets;
}
