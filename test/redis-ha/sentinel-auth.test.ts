import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { startSentinels, type RedisSentinels } from '../helpers/redis-sentinel.js';
import { appFor } from '../helpers/stack.js';

// Sentinels with a password of their own (REDIS_SENTINEL_PASSWORD) in front of data nodes with another
// (REDIS_PASSWORD), as docs/redis.md shows them: the service finds the master and shares its cache there; with a
// wrong sentinel password it answers all the same, from the upstream, and says why without either password.

const SECRET = 'a-shared-cache-key-secret-of-at-least-32-chars';
const PASSWORDS = { data: 'data-pass-7f3a', sentinel: 'sentinel-pass-91c2' };
const QUERY = `{ image(projectId: "${DOCUMENTED_IMAGE.projectId}", id: "${DOCUMENTED_IMAGE.imageId}") { id } }`;
const ANSWER = { data: { image: { id: DOCUMENTED_IMAGE.imageId } } };

let group: RedisSentinels;
let sandbox: Sandbox;
beforeAll(async () => {
  [group, sandbox] = await Promise.all([startSentinels(PASSWORDS), startSandbox()]);
});
afterAll(async () => {
  await Promise.all([group?.stop(), sandbox?.close()]);
});

describe('Sentinel with passwords', () => {
  it('finds the master through sentinels that require their own password, and caches there', async () => {
    const logs = captureLogs();
    const service = await appFor(sandbox.url, { cache: { ttlMs: 60_000, keySecret: SECRET }, redis: { topology: group.topology }, logger: logs.logger });
    try {
      const before = sandbox.requests.length;
      expect((await service.query(QUERY)).body).toEqual(ANSWER);
      await service.services.cache.settled();
      expect((await service.query(QUERY)).body).toEqual(ANSWER);
      expect(sandbox.requests.length - before).toBe(1);
      expect(await group.nodes[0].client.dbsize()).toBe(1);
      expect(logs.lines.filter((line) => Number(line['level']) >= 40)).toEqual([]);
    } finally {
      await service.close();
    }
  });

  it('with a wrong sentinel password, answers from the upstream and warns, naming neither password', async () => {
    const logs = captureLogs();
    const topology = { ...group.topology, sentinelPassword: 'not-the-sentinel-pass' };
    const service = await appFor(sandbox.url, { cache: { ttlMs: 60_000, keySecret: SECRET }, redis: { topology }, logger: logs.logger });
    try {
      const before = sandbox.requests.length;
      expect((await service.query(QUERY)).body).toEqual(ANSWER);
      expect((await service.query(QUERY)).body).toEqual(ANSWER);
      expect(sandbox.requests.length - before).toBe(2);
      await logs.waitFor((line) => line['level'] === 40);
      expect(logs.lines.filter((line) => line['level'] === 40).map((line) => line['msg'])).toEqual([
        'Redis is unreachable: the shared cache is off and queries go to the upstream until it returns',
      ]);
      for (const secret of [PASSWORDS.data, PASSWORDS.sentinel, 'not-the-sentinel-pass']) expect(logs.raw.join('')).not.toContain(secret);
    } finally {
      await service.close();
    }
  });
});
