import { afterEach, describe, expect, it } from 'vitest';
import type { ImageBackend } from '../../src/images/backend.js';
import { ImageMetadata } from '../../src/images/image-metadata.js';
import { ShadowBackend } from '../../src/images/shadow-backend.js';
import { imageInfo } from '../../src/sandbox/ims.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox, type ImsAnswer, type Sandbox } from '../../src/sandbox/server.js';
import { captureLogs } from '../helpers/logs.js';
import { until } from '../helpers/until.js';
import { scrape } from '../helpers/metrics.js';
import { appFor, type AppOptions, type TestApp } from '../helpers/stack.js';

// IMAGE_BACKEND=shadow: ECS answers; IMS is read off the response path for a sample of loads and compared.

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const WINDOWS = '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
const WITH_USER_KEYS = 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f';
const SLOW_IN_IMS = 'c4d8e2f6-9a1b-4c3d-8e5f-7a9b1c3d5e7f';
const FAILING_IN_IMS = 'e9f1a3b5-c7d9-4e1f-a3b5-c7d9e1f3a5b7';

let sandbox: Sandbox | undefined;
let app: TestApp | undefined;

afterEach(async () => {
  await app?.close();
  await sandbox?.close();
  [app, sandbox] = [undefined, undefined];
});

async function shadowStack(imsAnswers: ReadonlyMap<string, ImsAnswer>, options: AppOptions = {}, logLevel = 'info') {
  const logs = captureLogs(logLevel);
  sandbox = await startSandbox({ imsAnswers });
  app = await appFor(sandbox.url, { backend: { kind: 'shadow', shadow: { sampleRate: 1, maxConcurrency: 4 } }, logger: logs.logger, ...options });
  return { app, sandbox, logs, shadow: app.services.shadow as ShadowBackend };
}

const imagesQuery = (ids: string[]) => `{ images(projectId: "${P}", ids: ${JSON.stringify(ids)}) { id osBit osType metadata { key value } } }`;

describe('IMAGE_BACKEND=shadow', () => {
  it('answers from ECS, compares with IMS key by key and field by field, and logs each difference once per image', async () => {
    // IMS says the documented image is 32-bit, where ECS says 64.
    const differing = { body: { images: [{ ...imageInfo(DOCUMENTED_IMAGE), __os_bit: '32' }] } };
    const { app, sandbox, logs, shadow } = await shadowStack(new Map([[DOC, differing]]));
    const ids = [DOC, WINDOWS, WITH_USER_KEYS];

    for (let round = 1; round <= 2; round += 1) {
      const { body } = await app.query(imagesQuery(ids));
      expect(body.errors).toBeUndefined();
      expect((body.data!['images'] as Array<{ osBit: number }>).map(({ osBit }) => osBit)).toEqual([64, 64, 64]);
      await shadow.settled();
    }
    const paths = sandbox.requests.map(({ path }) => path);
    expect(paths.filter((path) => path.startsWith('/v2.1/'))).toHaveLength(6);
    expect(paths.filter((path) => path.startsWith('/v2/cloudimages'))).toHaveLength(6);

    const metrics = await scrape(app.app);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'match' })).toBe(4);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'mismatch' })).toBe(2);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'ims_error' })).toBe(0);
    expect(metrics.labelSets('ecs_image_graph_shadow_mismatches_total')).toEqual([{ field: 'metadata.__os_bit' }, { field: 'osBit' }]);
    expect(metrics.value('ecs_image_graph_shadow_mismatches_total', { field: 'metadata.__os_bit' })).toBe(2);
    expect(metrics.value('ecs_image_graph_shadow_mismatches_total', { field: 'osBit' })).toBe(2);
    // team, cost-center and 1: user-defined keys IMS has no member for, counted apart, twice.
    expect(metrics.value('ecs_image_graph_shadow_uncarried_keys_total')).toBe(6);

    const differences = logs.lines.filter((line) => String(line['msg']).startsWith('shadow:'));
    expect(differences).toEqual([
      expect.objectContaining({ level: 40, projectId: P, imageId: DOC, field: 'metadata.__os_bit', ecs: '64', ims: '32', msg: 'shadow: ECS and IMS differ on metadata.__os_bit' }),
      expect.objectContaining({ level: 40, projectId: P, imageId: DOC, field: 'osBit', ecs: 64, ims: 32, msg: 'shadow: ECS and IMS differ on osBit' }),
    ]);
  });

  it('bounds what one image can add: 100 metadata keys as metric labels, then metadata.other; 20 log lines per comparison, then one that counts the rest', async () => {
    // IMS gives the documented image 120 system keys that ECS does not send: 120 differences in one comparison. Each
    // key is 130 characters long, and a label holds the first 100 of it.
    const extra = Array.from({ length: 120 }, (_, n) => `__extra_${String(n).padStart(3, '0')}_`.padEnd(130, 'k'));
    const answer = { body: { images: [{ ...imageInfo(DOCUMENTED_IMAGE), ...Object.fromEntries(extra.map((key) => [key, 'x'])) }] } };
    const { app, logs, shadow } = await shadowStack(new Map([[DOC, answer]]));
    expect((await app.query(imagesQuery([DOC]))).body.errors).toBeUndefined();
    await shadow.settled();

    const metrics = await scrape(app.app);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'mismatch' })).toBe(1);
    expect(metrics.labelSets('ecs_image_graph_shadow_mismatches_total')).toEqual([...extra.slice(0, 100).map((key) => ({ field: `metadata.${key.slice(0, 100)}` })), { field: 'metadata.other' }]);
    expect(metrics.value('ecs_image_graph_shadow_mismatches_total', { field: `metadata.${extra[99]!.slice(0, 100)}` })).toBe(1);
    expect(metrics.value('ecs_image_graph_shadow_mismatches_total', { field: 'metadata.other' })).toBe(20);
    expect(logs.lines.filter((line) => String(line['msg']).startsWith('shadow:'))).toEqual([
      ...extra.slice(0, 20).map((key) => expect.objectContaining({ level: 40, imageId: DOC, field: `metadata.${key}`, ecs: null, ims: 'x' })),
      expect.objectContaining({ level: 40, imageId: DOC, more: 100, msg: 'shadow: ECS and IMS differ on more fields of this image' }),
    ]);
  });

  it('compares "does not exist" too: missing on both sides is a match, on one side a mismatch on exists', async () => {
    const MISSING = '0badc0de-0000-4000-8000-000000000001';
    const ONLY_IN_IMS = '0badc0de-0000-4000-8000-000000000002';
    const { app, logs, shadow } = await shadowStack(
      new Map<string, ImsAnswer>([
        [ONLY_IN_IMS, { body: { images: [imageInfo({ ...DOCUMENTED_IMAGE, imageId: ONLY_IN_IMS })] } }],
        [WINDOWS, { body: { images: [] } }],
      ]),
    );
    const { body } = await app.query(`{ images(projectId: "${P}", ids: ${JSON.stringify([MISSING, ONLY_IN_IMS, WINDOWS])}) { id } }`);
    // ECS answers, whatever IMS says: two images that do not exist, and the Windows image.
    expect(body).toEqual({ data: { images: [null, null, { id: WINDOWS }] } });
    await shadow.settled();

    const metrics = await scrape(app.app);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'match' })).toBe(1);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'mismatch' })).toBe(2);
    expect(metrics.labelSets('ecs_image_graph_shadow_mismatches_total')).toEqual([{ field: 'exists' }]);
    expect(metrics.value('ecs_image_graph_shadow_mismatches_total', { field: 'exists' })).toBe(2);
    const differences = logs.lines.filter((line) => String(line['msg']).startsWith('shadow:'));
    expect(differences.sort((a, b) => String(a['imageId']).localeCompare(String(b['imageId'])))).toEqual([
      expect.objectContaining({ level: 40, imageId: ONLY_IN_IMS, field: 'exists', ecs: false, ims: true, msg: 'shadow: ECS and IMS differ on exists' }),
      expect.objectContaining({ level: 40, imageId: WINDOWS, field: 'exists', ecs: true, ims: false, msg: 'shadow: ECS and IMS differ on exists' }),
    ]);
  });

  it('never delays, fails or changes an answer: a slow or failing IMS is an ims_error, and a full cap drops the comparison', async () => {
    const { app, sandbox, logs, shadow } = await shadowStack(
      new Map<string, ImsAnswer>([
        [SLOW_IN_IMS, { body: { images: [imageInfo(SAMPLE_IMAGES.find(({ imageId }) => imageId === SLOW_IN_IMS)!)] }, delayMs: 60_000 }],
        [FAILING_IN_IMS, { status: 500, body: { error: { code: 'IMG.0500', message: 'Internal error.' } } }],
      ]),
      { backend: { kind: 'shadow', shadow: { sampleRate: 1, maxConcurrency: 1 } }, limits: { deadlineMs: 1500 }, upstream: { retries: 0 } },
      'debug',
    );
    const slow = await app.query(imagesQuery([SLOW_IN_IMS]));
    // Answered, though IMS holds the comparison's request for a minute (it may not even have arrived yet).
    expect(slow.body).toMatchObject({ data: { images: [{ id: SLOW_IN_IMS, osBit: 64 }] } });
    await until(() => sandbox.inFlight === 1);
    // The one comparison slot is taken: this load is answered and not compared.
    const dropped = await app.query(imagesQuery([FAILING_IN_IMS]));
    expect(dropped.body.errors).toBeUndefined();
    await shadow.settled(); // the slow comparison gives up at its deadline
    const failing = await app.query(imagesQuery([FAILING_IN_IMS]));
    expect(failing.body).toEqual(dropped.body);
    await shadow.settled();

    const metrics = await scrape(app.app);
    expect(metrics.value('ecs_image_graph_shadow_dropped_total', { reason: 'concurrency' })).toBe(1);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'ims_error' })).toBe(2);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'match' })).toBe(0);
    expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ims', outcome: '500' })).toBe(1);
    expect(metrics.value('ecs_image_graph_upstream_requests_total', { backend: 'ims', outcome: 'cancelled' })).toBe(1); // at the comparison's deadline
    // Why IMS failed is for whoever debugs the migration: a debug line per comparison, not a warning.
    expect(logs.lines.filter((line) => line['msg'] === 'shadow: IMS failed')).toEqual([
      expect.objectContaining({ level: 20, imageId: SLOW_IN_IMS, error: "The operation's deadline passed before IMS answered." }),
      expect.objectContaining({ level: 20, imageId: FAILING_IN_IMS, error: 'IMS is unavailable (HTTP 500).' }),
    ]);
  });

  it('keeps a comparison that throws to itself: the answer stands, and nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const metadata = new ImageMetadata([{ key: '__os_bit', value: '64' }]);
      const backend = (name: 'ecs' | 'ims'): ImageBackend => ({ name, getImageMetadata: async () => metadata });
      const reported: unknown[] = [];
      const shadow = new ShadowBackend(
        backend('ecs'),
        backend('ims'),
        () => {
          throw new Error('a typed reading failed');
        },
        { sampleRate: 1, maxConcurrency: 1, timeoutMs: 1000, carries: () => true, allowance: async () => undefined },
        { shadowCompared: (ref, outcome) => reported.push(outcome), shadowDropped: () => undefined },
      );
      const call = { credential: { kind: 'none' } as const, signal: new AbortController().signal, deadlineAt: Date.now() + 1000 };
      expect(await shadow.getImageMetadata({ projectId: P, imageId: DOC }, call)).toBe(metadata);
      // Both backends answer at once: by the next turns of the event loop the comparison has ended, and Node has
      // reported any rejection nothing handled (settled() would handle it, so it is not awaited first).
      for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(reported).toEqual([]);
      await shadow.settled();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('compares only the sampled share of loads (SHADOW_SAMPLE_RATE)', async () => {
    const { app, sandbox, shadow } = await shadowStack(new Map(), { backend: { kind: 'shadow', shadow: { sampleRate: 0, maxConcurrency: 4 } } });
    await app.query(imagesQuery([DOC, WINDOWS]));
    await shadow.settled();
    expect(sandbox.requests.filter(({ path }) => path.startsWith('/v2/cloudimages'))).toHaveLength(0);
  });

  it("spends the caller's allowance on each comparison, and makes none the caller could not afford", async () => {
    // Three calls an hour: the three ECS loads are let through (a load is never refused for a comparison), the
    // comparisons then find the allowance spent.
    const { app, sandbox, shadow } = await shadowStack(new Map(), { callers: { rate: { calls: 2, windowSeconds: 3600, burst: 1, burstWindowSeconds: 3600 } } });
    const first = await app.query(imagesQuery([DOC]));
    expect(first.body.errors).toBeUndefined();
    await shadow.settled();
    const second = await app.query(imagesQuery([WINDOWS]));
    expect(second.body.errors).toBeUndefined();
    await shadow.settled();
    const third = await app.query(imagesQuery([WITH_USER_KEYS]));
    expect(third.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) })]);
    const paths = sandbox.requests.map(({ path }) => path);
    // DOC: its load and its comparison (2 of 3); WINDOWS: its load (3 of 3), no comparison; then nothing.
    expect(paths.filter((path) => path.startsWith('/v2.1/'))).toHaveLength(2);
    expect(paths.filter((path) => path.startsWith('/v2/cloudimages'))).toHaveLength(1);
    const metrics = await scrape(app.app);
    expect(metrics.value('ecs_image_graph_shadow_dropped_total', { reason: 'caller_allowance' })).toBe(1);
    expect(metrics.value('ecs_image_graph_shadow_comparisons_total', { result: 'match' })).toBe(1);
  });
});
