import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/sandbox/faults.js';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID, type SampleImage } from '../../src/sandbox/samples.js';
import { withStack, type Stack } from '../helpers/stack.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const project = (n: number) => n.toString(16).padStart(32, 'a');
const hundredIds = Array.from({ length: 100 }, (_, n) => uuid(n));

const tooLarge = (images: number) => ({
  errors: [
    {
      message:
        `This operation can produce ${images} image results; at most 200 are allowed (MAX_IMAGES_PER_OPERATION). ` +
        'Each image field, each id of an images list (repeats included) and each _entities representation counts.',
      extensions: { code: 'OPERATION_TOO_LARGE', images, maxImages: 200 },
    },
  ],
});

/** Posts `body` and returns the status, the parsed answer, its size and the upstream calls it cost. */
async function send(stack: Stack, body: unknown, headers: Record<string, string> = {}) {
  stack.sandbox.requests.length = 0;
  const response = await stack.app.fetch('http://localhost/graphql', {
    method: 'POST',
    // What GraphiQL and current clients accept first: a refused request is then a 4xx.
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, bytes: Buffer.byteLength(text), upstreamCalls: stack.sandbox.requests.length };
}

describe('the operation budget (MAX_IMAGES_PER_OPERATION), before any upstream call', () => {
  it('refuses 11 images fields sharing one 100-id variable (4.9 KB that built 282 MB)', async () => {
    await withStack({}, async (stack) => {
      const fields = Array.from({ length: 11 }, (_, n) => `f${n}: images(projectId: "${P}", ids: $ids) { id metadata { key value } }`).join(' ');
      const query = `query Amplify($ids: [ID!]!) { ${fields} }`;
      const answer = await send(stack, { query, variables: { ids: Array(100).fill(DOC) } });
      expect(answer).toMatchObject({ status: 400, body: tooLarge(1100), upstreamCalls: 0 });
    });
  });

  it('refuses 20 aliases of 100 distinct ids each (2,000 upstream calls)', async () => {
    await withStack({}, async (stack) => {
      const lists = Array.from({ length: 20 }, (_, n) => hundredIds.map((id) => id.replace('8000', `8${String(n).padStart(3, '0')}`)));
      const fields = lists.map((_, n) => `${n === 0 ? '' : `f${n}: `}images(projectId: "${P}", ids: $l${n}) { id }`);
      const variables = Object.fromEntries(lists.map((list, n) => [`l${n}`, list]));
      const query = `query (${lists.map((_, n) => `$l${n}: [ID!]!`).join(', ')}) { ${fields.join(' ')} }`;
      const answer = await send(stack, { query, variables });
      expect(answer).toMatchObject({ status: 400, body: tooLarge(2000), upstreamCalls: 0 });
    });
  });

  it('refuses 21 images fields sharing one list, each in another project (5.5 KB, 2,100 calls)', async () => {
    await withStack({}, async (stack) => {
      const fields = Array.from({ length: 21 }, (_, n) => `${n === 0 ? '' : `f${n}: `}images(projectId: "${project(n)}", ids: $ids) { id }`).join(' ');
      const answer = await send(stack, { query: `query ($ids: [ID!]!) { ${fields} }`, variables: { ids: hundredIds } });
      expect(answer).toMatchObject({ status: 400, body: tooLarge(2100), upstreamCalls: 0 });
    });
  });

  it('holds _entities to the same budget (819 representations)', async () => {
    await withStack({}, async (stack) => {
      const representations = Array.from({ length: 819 }, (_, n) => ({ __typename: 'Image', projectId: P, id: uuid(n) }));
      const query = 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Image { id osType } } }';
      const answer = await send(stack, { query, variables: { representations } });
      expect(answer).toMatchObject({ status: 400, body: tooLarge(819), upstreamCalls: 0 });
    });
  });

  it('refuses in service mode before any signed call, whoever the caller', async () => {
    const auth = {
      mode: 'service' as const,
      accessKey: 'HPUAEXAMPLEAK000001',
      secretKey: 'a-service-secret-key',
      securityToken: undefined,
      allowedProjectIds: new Set([P, ...Array.from({ length: 21 }, (_, n) => project(n))]),
      callers: { kind: 'network' as const },
    };
    await withStack({ callers: { auth } }, async (stack) => {
      const fields = Array.from({ length: 21 }, (_, n) => `${n === 0 ? '' : `f${n}: `}images(projectId: "${project(n)}", ids: $ids) { id }`).join(' ');
      const answer = await send(stack, { query: `query ($ids: [ID!]!) { ${fields} image(projectId: "${P}", id: "${DOC}") { id } }`, variables: { ids: hundredIds } });
      expect(answer).toMatchObject({ status: 400, body: tooLarge(2101), upstreamCalls: 0 });
    });
  });

  it('counts fragments, nested fragments and repeats, and skips what @skip and @include leave out', async () => {
    await withStack({}, async (stack) => {
      const query = `
        query ($ids: [ID!]!, $no: Boolean!) {
          ...Lists
          c: images(projectId: "${P}", ids: $ids) @include(if: $no) { id }
          d: images(projectId: "${P}", ids: $ids) @skip(if: true) { id }
        }
        fragment Lists on Query { a: images(projectId: "${P}", ids: $ids) { id } ...More }
        fragment More on Query { b: images(projectId: "${P}", ids: $ids) { id } one: image(projectId: "${P}", id: "${DOC}") { id } }`;
      const allowed = await send(stack, { query, variables: { ids: Array(99).fill(DOC), no: false } });
      expect(allowed.status).toBe(200);
      expect(allowed.upstreamCalls).toBe(1);
      const refused = await send(stack, { query, variables: { ids: Array(99).fill(DOC), no: true } });
      expect(refused).toMatchObject({ status: 400, body: tooLarge(298), upstreamCalls: 0 });
    });
  });

  it('lets the largest allowed operation run: exactly 200 image results', async () => {
    await withStack({}, async (stack) => {
      const query = `query ($ids: [ID!]!) { a: images(projectId: "${P}", ids: $ids) { id } b: images(projectId: "${P}", ids: $ids) { id osType } }`;
      const answer = await send(stack, { query, variables: { ids: Array(100).fill(DOC) } });
      expect(answer.status).toBe(200);
      expect((answer.body['data'] as { b: unknown[] }).b).toHaveLength(100);
      expect(answer.upstreamCalls).toBe(1);
    });
  });

  it('leaves variables that do not coerce to execution, which reports them', async () => {
    await withStack({}, async (stack) => {
      const answer = await send(stack, { query: `query ($ids: [ID!]!) { images(projectId: "${P}", ids: $ids) { id } }`, variables: { ids: [{}] } });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ errors: [{ message: 'Variable "$ids" got invalid value {} at "ids[0]"; ID cannot represent value: {}' }] });
    });
  });
});

describe('the response size: each field of an image once, and MAX_RESPONSE_BYTES', () => {
  it('refuses a field of an image selected under two names, however it is spelled', async () => {
    await withStack({}, async (stack) => {
      const cases = [
        ['metadata { key value } copy: metadata { key value }', 'Image.metadata'],
        ['osType ... on Image { again: osType }', 'Image.osType'],
        ['...Both', 'Image.metadata'],
        ['a: osVersion b: osVersion', 'Image.osVersion'],
        // Inside a metadata entry too, and __typename as well: each copy would repeat every entry.
        ['metadata { key value v2: value }', 'MetadataEntry.value'],
        ['metadata { t1: __typename t2: __typename }', 'MetadataEntry.__typename'],
        ['a: __typename b: __typename', 'Image.__typename'],
      ];
      for (const [selection, field] of cases) {
        const both = selection === '...Both' ? ' fragment Both on Image { x: metadata { key } y: metadata { value } }' : '';
        const query = `{ images(projectId: "${P}", ids: ["${DOC}"]) { id ${selection} } }${both}`;
        const answer = await send(stack, { query });
        expect(answer.status).toBe(400);
        expect(answer.upstreamCalls).toBe(0);
        expect(answer.body).toMatchObject({ errors: [{ message: expect.stringMatching(new RegExp(`^${field} is selected under 2 names \\(`)), extensions: { code: 'OPERATION_TOO_LARGE' } }] });
      }
      // The same field under its own name in separate places of an operation is not a copy.
      const allowed = await send(stack, { query: `{ a: image(projectId: "${P}", id: "${DOC}") { id } b: image(projectId: "${P}", id: "${DOC}") { id } }` });
      expect(allowed.status).toBe(200);
    });
  });

  /** An image whose metadata is as large as its owner can make it: 300 keys of 200 characters. */
  const LARGE: SampleImage = {
    projectId: P,
    imageId: uuid(7),
    metadata: [...DOCUMENTED_IMAGE.metadata, ...Array.from({ length: 300 }, (_, n) => [`user_key_${n}`, `${n}`.padEnd(200, 'x')] as const)],
  };
  const everything = `id projectId osType osBit platform osVersion imageType isRegistered imageSourceType imageLocation imageSize description
    originalImageName backupId dataOrigin productCode isConfigInit lazyLoading rootOrigin sequenceNum osFeatureList supportKvm supportXen
    supportLargeMemory supportDiskIntensive supportHighPerformance supportXenHana supportKvmInfiniband supportKvmHi1822Hisriov
    supportKvmHi1822Hivirtionet supportO3s supportArm supportAmd supportFcInject supportXenGpuType supportKvmGpuType supportAgentList
    systemCmkId systemSupportMarket accountCode isOffshelved imageDisplayName wholeImage virtualEnvType hwFirmwareType hwVifMultiqueueEnabled
    metadata { key value }`;
  const largest = `query ($ids: [ID!]!) { a: images(projectId: "${P}", ids: $ids) { ${everything} } b: images(projectId: "${P}", ids: $ids) { ${everything} } }`;

  it('keeps the largest allowed operation under MAX_RESPONSE_BYTES plus 1 KiB per image result left out', async () => {
    await withStack({ images: [LARGE] }, async (stack) => {
      const answer = await send(stack, { query: largest, variables: { ids: Array(100).fill(LARGE.imageId) } });
      const errors = answer.body['errors'] as Array<{ path: unknown[]; extensions: { code: string } }>;
      const maxResponseBytes = stack.services.appDeps.limits.maxResponseBytes;
      console.log(`largest allowed operation on a ${LARGE.metadata.length}-key image: ${answer.bytes} bytes, ${200 - errors.length} results, ${errors.length} left out`);
      expect(answer.status).toBe(200);
      expect(answer.upstreamCalls).toBe(1);
      expect(errors.length).toBeGreaterThan(100);
      expect(new Set(errors.map((error) => error.extensions.code))).toEqual(new Set(['OPERATION_TOO_LARGE']));
      expect(answer.bytes).toBeLessThan(maxResponseBytes + 1024 * errors.length);
    });
  });

  it('charges each operation of a document by its own selections, whichever ran first', async () => {
    await withStack({ images: [LARGE] }, async (stack) => {
      // Operation A selects only ids through F; B merges F's field with one that reads metadata.
      const document = `query A($ids: [ID!]!) { ...F } query B($ids: [ID!]!) { ...F images(projectId: "${P}", ids: $ids) { metadata { key value } } x: images(projectId: "${P}", ids: $ids) { metadata { key value } } }
        fragment F on Query { images(projectId: "${P}", ids: $ids) { id } }`;
      const variables = { ids: Array(100).fill(LARGE.imageId) };
      // The same text is parsed once and its nodes reused: B alone runs on a copy that differs by a space.
      const alone = await send(stack, { query: `${document} `, operationName: 'B', variables });
      expect((await send(stack, { query: document, operationName: 'A', variables })).status).toBe(200);
      const afterA = await send(stack, { query: document, operationName: 'B', variables });
      const leftOut = (answer: typeof alone) => (answer.body['errors'] as unknown[]).length;
      expect(leftOut(afterA)).toBe(leftOut(alone));
      expect(leftOut(alone)).toBeGreaterThan(50);
      expect(afterA.bytes).toBeLessThan(stack.services.appDeps.limits.maxResponseBytes + 1024 * leftOut(afterA));
    });
  });

  it('charges no more than a result really takes: ordinary images all fit, with room to spare', async () => {
    await withStack({}, async (stack) => {
      const answer = await send(stack, { query: largest, variables: { ids: Array(100).fill(DOC) } });
      console.log(`largest allowed operation on the documented image: ${answer.bytes} bytes`);
      expect(answer.status).toBe(200);
      expect(answer.body['errors']).toBeUndefined();
      expect(answer.bytes).toBeLessThan(1024 * 1024);
    });
  });
});

describe('extensions.cost, when the request asks for it', () => {
  it('gives the estimated demand-control cost, the image results, and the upstream calls actually made', async () => {
    await withStack({}, async (stack) => {
      const query = `{ images(projectId: "${P}", ids: ["${DOC}", "${DOC}", "${uuid(1)}"]) { id osType metadata { key } } one: image(projectId: "${P}", id: "${DOC}") { id } }`;
      const asked = await send(stack, { query }, { 'graphql-cost': 'include' });
      // images: 3 × (@cost 10 + Image 1 + metadata's MetadataEntry 1); image: @cost 10 + Image 1.
      expect(asked.body['extensions']).toEqual({ cost: { estimated: 3 * 12 + 11, images: 4, maxImages: 200, upstreamCalls: 2 } });
      expect(asked.upstreamCalls).toBe(2);
      const notAsked = await send(stack, { query });
      expect(notAsked.body['extensions']).toBeUndefined();
    });
  });

  it('counts the upstream calls that failed too', async () => {
    await withStack({ upstream: { retries: 2, retryBaseDelayMs: 1 } }, async (stack) => {
      const query = `{ a: image(projectId: "${P}", id: "${FAULTS.unauthorized.imageId}") { id } b: image(projectId: "${P}", id: "${FAULTS.error.imageId}") { id } }`;
      const asked = await send(stack, { query }, { 'graphql-cost': 'include' });
      // Two calls (one of them attempted three times): the cost of the operation, not of its retries.
      expect(asked.body['extensions']).toEqual({ cost: { estimated: 22, images: 2, maxImages: 200, upstreamCalls: 2 } });
      expect(asked.upstreamCalls).toBe(4);
    });
  });

  it('counts what _entities will do: one result per representation', async () => {
    await withStack({}, async (stack) => {
      const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Image { id osType } } }';
      const representations = [DOC, DOC, uuid(1)].map((id) => ({ __typename: 'Image', projectId: P, id }));
      const asked = await send(stack, { query, variables: { r: representations } }, { 'graphql-cost': 'include' });
      expect(asked.body['extensions']).toEqual({ cost: { estimated: 3, images: 3, maxImages: 200, upstreamCalls: 2 } });
    });
  });
});

describe('operation types the schema does not have', () => {
  it.each(['mutation', 'subscription'])('refuses a %s while validating, with a code and no upstream call', async (type) => {
    await withStack({}, async (stack) => {
      const answer = await send(stack, { query: `${type} { image(projectId: "${P}", id: "${DOC}") { id } }` });
      expect(answer).toMatchObject({
        status: 400,
        body: { errors: [{ message: `This API serves queries only: ${type} operations are not supported.`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
        upstreamCalls: 0,
      });
    });
  });
});
