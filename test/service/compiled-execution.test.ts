import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPILE_AFTER } from '../../src/graphql/plugins/compiled-execution.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { scrape } from '../helpers/metrics.js';
import { startStack, type Stack } from '../helpers/stack.js';

// An operation runs on graphql-js its first COMPILE_AFTER - 1 times and compiled (graphql-jit) from then on. Every
// answer here is asked for COMPILE_AFTER + 2 times and must not change, errors included; and which engine ran each
// time is read from /metrics (graphql_execution_total{engine}), so that every test fails if compilation never runs.

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const WINDOWS = '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
const MISSING = '00000000-0000-4000-8000-000000000000';

let stack: Stack;

beforeAll(async () => {
  // Failing images are asked for again and again here: the circuit must not open over them.
  stack = await startStack({ upstream: { retries: 0, circuit: { minCalls: 1_000_000 } } });
});

afterAll(async () => {
  await stack.close();
});

interface Answer {
  data?: unknown;
  errors?: Array<{ path?: unknown; locations?: unknown; extensions?: { code?: string } }>;
}

async function post(body: { query: string; variables?: Record<string, unknown>; operationName?: string }) {
  const response = await stack.app.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // The sandbox gives every answer a fresh request id: the only part of an answer that may differ.
  return { status: response.status, body: JSON.parse((await response.text()).replace(/"requestId":"[0-9a-f]+"/g, '"requestId":"…"')) as Answer };
}

const RUNS = COMPILE_AFTER + 2;

/** Executions so far, by engine. */
async function executions() {
  const metrics = await scrape(stack.app);
  return { compiled: metrics.value('graphql_execution_total', { engine: 'compiled' }), interpreted: metrics.value('graphql_execution_total', { engine: 'interpreted' }) };
}

/**
 * Asks `body` RUNS times: every answer must be the first one. @returns that answer, and how many of the runs
 * each engine executed.
 */
async function asked(body: Parameters<typeof post>[0]) {
  const before = await executions();
  const answers = [];
  for (let run = 0; run < RUNS; run += 1) answers.push(await post(body));
  for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  const after = await executions();
  return { ...answers[0]!, engines: { compiled: after.compiled - before.compiled, interpreted: after.interpreted - before.interpreted } };
}

/** An operation without @skip/@include: interpreted until its COMPILE_AFTER-th run, compiled from it on. */
const COMPILED = { compiled: RUNS - COMPILE_AFTER + 1, interpreted: COMPILE_AFTER - 1 };
/** A document with @skip or @include never compiles (see compiled-execution.ts). */
const INTERPRETED = { compiled: 0, interpreted: RUNS };

describe('what is compiled', () => {
  it('not a document sent once or twice: a compilation costs more than a run, and new texts must not cost one each', async () => {
    const before = await executions();
    for (let run = 0; run < 2; run += 1) await post({ query: `{ image(projectId: "${P}", id: "${DOC}") { id osBit } }` });
    const after = await executions();
    expect({ compiled: after.compiled - before.compiled, interpreted: after.interpreted - before.interpreted }).toEqual({ compiled: 0, interpreted: 2 });
  });
});

describe('compiled execution answers exactly as graphql-js does', () => {
  it('typed fields, enums, lists, aliases, fragments and __typename', async () => {
    const { body, engines } = await asked({
      query: `query ($p: ID!, $id: ID!) {
        image(projectId: $p, id: $id) { __typename ...Os metadata { key value } }
        again: image(projectId: $p, id: $id) { osVersion isRegistered }
        missing: image(projectId: $p, id: "${MISSING}") { id }
      }
      fragment Os on Image { id osType osBit platform ... on Image { imageType supportKvm } }`,
      variables: { p: P, id: DOC },
    });
    expect(engines).toEqual(COMPILED);
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ image: { __typename: 'Image', id: DOC, osType: 'LINUX', osBit: 64, platform: 'SUSE', imageType: 'GOLD', supportKvm: false }, missing: null });
    expect((body.data as { again: unknown }).again).toEqual({ osVersion: 'Suse Linux Enterprise 12.2 64bit', isRegistered: true });
    expect((body.data as { image: { metadata: unknown[] } }).image.metadata).toEqual(DOCUMENTED_IMAGE.metadata.map(([key, value]) => ({ key, value })));
  });

  it('directives: a document with @skip or @include runs on graphql-js, every time', async () => {
    const { body, engines } = await asked({
      query: `query ($p: ID!, $id: ID!, $withMetadata: Boolean!) {
        image(projectId: $p, id: $id) { __typename ...Os metadata @include(if: $withMetadata) { key value } }
        again: image(projectId: $p, id: $id) { osVersion @include(if: $withMetadata) isRegistered @skip(if: $withMetadata) }
        missing: image(projectId: $p, id: "${MISSING}") { id }
      }
      fragment Os on Image { id osType osBit platform ... on Image { imageType supportKvm } }`,
      variables: { p: P, id: DOC, withMetadata: true },
    });
    expect(engines).toEqual(INTERPRETED);
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ image: { __typename: 'Image', id: DOC, osType: 'LINUX', osBit: 64, platform: 'SUSE' }, missing: null });
    expect((body.data as { again: unknown }).again).toEqual({ osVersion: 'Suse Linux Enterprise 12.2 64bit' });
    expect((body.data as { image: { metadata: unknown[] } }).image.metadata).toHaveLength(DOCUMENTED_IMAGE.metadata.length);
  });

  it('failed list items keep their index and their error, whatever order they settle in', async () => {
    const { body, engines } = await asked({ query: `{ images(projectId: "${P}", ids: ["${DOC}", "${FAULTS.error.imageId}", "${DOC}", "${FAULTS.badGateway.imageId}"]) { id } }` });
    expect(engines).toEqual(COMPILED);
    expect(body.data).toEqual({ images: [{ id: DOC }, null, { id: DOC }, null] });
    expect(body.errors?.map(({ path, extensions }) => ({ path, code: extensions?.code }))).toEqual([
      { path: ['images', 1], code: 'UPSTREAM_UNAVAILABLE' },
      { path: ['images', 3], code: 'UPSTREAM_UNAVAILABLE' },
    ]);
  });

  it('federation entities keep their order, with an error only on the failing one', async () => {
    const representations = [DOC, FAULTS.error.imageId, WINDOWS, FAULTS.badGateway.imageId].map((id) => ({ __typename: 'Image', projectId: P, id }));
    const { body, engines } = await asked({ query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { id } } }', variables: { r: representations } });
    expect(engines).toEqual(COMPILED);
    expect(body.data).toEqual({ _entities: [{ id: DOC }, null, { id: WINDOWS }, null] });
    expect(body.errors?.map(({ path }) => path)).toEqual([['_entities', 1], ['_entities', 3]]);
  });

  it('errors keep the locations of their fields', async () => {
    const { body, engines } = await asked({
      query: `query ($id: ID!) {\n  fine: image(projectId: "${P}", id: "${DOC}") { id }\n  bad: image(projectId: "${P}", id: $id) { ...F }\n}\nfragment F on Image { id }`,
      variables: { id: '../../servers' },
    });
    expect(engines).toEqual(COMPILED);
    expect(body.data).toEqual({ fine: { id: DOC }, bad: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['bad'], locations: [{ line: 3, column: 3 }], extensions: { code: 'BAD_USER_INPUT', argumentName: 'id' } }),
    ]);
  });

  it('errors keep the locations of every field under their response name', async () => {
    const { body, engines } = await asked({ query: `{\n  bad: image(projectId: "${P}", id: "../x") { id }\n bad: image(projectId: "${P}", id: "../x") { osType }\n}` });
    expect(engines).toEqual(COMPILED);
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['bad'], locations: [{ line: 2, column: 3 }, { line: 3, column: 2 }], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    ]);
  });

  it('a fragment spread twice, once under @include, keeps its fields where it is not excluded', async () => {
    const query = `query ($x: Boolean!) { a: image(projectId: "${P}", id: "${DOC}") { ...F @include(if: $x) } b: image(projectId: "${P}", id: "${WINDOWS}") { ...F } side: image(projectId: "${P}", id: "${DOC}") { ...F @include(if: $x) ...F } }
      fragment F on Image { id osType }`;
    const { body, engines } = await asked({ query, variables: { x: false } });
    expect(engines).toEqual(INTERPRETED);
    expect(body).toEqual({ data: { a: {}, b: { id: WINDOWS, osType: 'WINDOWS' }, side: { id: DOC, osType: 'LINUX' } } });
  });

  it('an operation keeps its fields after another operation of its document spread them under @include', async () => {
    const query = `query A($x: Boolean!) { image(projectId: "${P}", id: "${DOC}") { ...F @include(if: $x) } } query B { image(projectId: "${P}", id: "${WINDOWS}") { ...F } }
      fragment F on Image { id osType }`;
    expect(await asked({ query, operationName: 'A', variables: { x: false } })).toMatchObject({ body: { data: { image: {} } }, engines: INTERPRETED });
    expect(await asked({ query, operationName: 'B' })).toMatchObject({ body: { data: { image: { id: WINDOWS, osType: 'WINDOWS' } } }, engines: INTERPRETED });
  });

  it('each operation of a document runs as itself, whichever ran first', async () => {
    const query = `query A { image(projectId: "${P}", id: "${DOC}") { id } } query B { image(projectId: "${P}", id: "${WINDOWS}") { osType } }`;
    expect(await asked({ query, operationName: 'A' })).toMatchObject({ body: { data: { image: { id: DOC } } }, engines: COMPILED });
    // B has runs of its own: compiled A is not run in its place.
    expect(await asked({ query, operationName: 'B' })).toMatchObject({ body: { data: { image: { osType: 'WINDOWS' } } }, engines: COMPILED });
  });

  it('variables that do not coerce are refused with graphql-js errors, every time', async () => {
    const { status, body, engines } = await asked({ query: `query ($id: ID!) { image(projectId: "${P}", id: $id) { id } }`, variables: { id: { not: 'an id' } } });
    // Refused before execution: neither engine runs.
    expect(engines).toEqual({ compiled: 0, interpreted: 0 });
    expect(status).toBe(200);
    expect(body).toEqual({
      errors: [{ message: 'Variable "$id" got invalid value { not: "an id" }; ID cannot represent value: { not: "an id" }', locations: [{ line: 1, column: 8 }], extensions: { code: 'BAD_USER_INPUT' } }],
    });
  });
});
