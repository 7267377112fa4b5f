import { getNamedType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchema } from '../../src/graphql/schema/index.js';
import { FAULTS } from '../../src/sandbox/faults.js';
import { imageInfo } from '../../src/sandbox/ims.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { startSandbox, type ImsAnswer, type Sandbox } from '../../src/sandbox/server.js';
import { scrape } from '../helpers/metrics.js';
import { appFor, type TestApp } from '../helpers/stack.js';

// The same GraphQL answers from IMAGE_BACKEND=ecs and IMAGE_BACKEND=ims, against the sandbox, which serves both
// APIs for the same sample images.

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const TWO_IMAGES = '0b0b0b0b-0000-4000-8000-000000000002';
const OTHER_IMAGE = '0b0b0b0b-0000-4000-8000-000000000003';
const REFUSED = '0b0b0b0b-0000-4000-8000-000000000004';
const PRIVATE_ELSEWHERE = '0b0b0b0b-0000-4000-8000-000000000005';
const OTHER_PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const NOT_THERE = '0b0b0b0b-0000-4000-8000-000000000006';
const WITH_NULLS = '0b0b0b0b-0000-4000-8000-000000000007';
/** Images of IMS's answers whose visibility and owner decide whether they are served under the project asked. */
const VISIBILITY = {
  sharedElsewhere: { id: '0b0b0b0b-0000-4000-8000-000000000011', visibility: 'shared', owner: OTHER_PROJECT, served: false },
  privateInCapitals: { id: '0b0b0b0b-0000-4000-8000-000000000012', visibility: 'PRIVATE', owner: OTHER_PROJECT, served: false },
  noOwner: { id: '0b0b0b0b-0000-4000-8000-000000000013', visibility: 'private', owner: undefined, served: false },
  unknownVisibility: { id: '0b0b0b0b-0000-4000-8000-000000000014', visibility: 'community', owner: OTHER_PROJECT, served: false },
  publicElsewhere: { id: '0b0b0b0b-0000-4000-8000-000000000015', visibility: 'Public', owner: OTHER_PROJECT, served: true },
  ownSharedInCapitals: { id: '0b0b0b0b-0000-4000-8000-000000000016', visibility: 'shared', owner: P.toUpperCase(), served: true },
};
const IMS_ANSWERS = new Map<string, ImsAnswer>([
  [TWO_IMAGES, { body: { images: [imageInfo({ ...DOCUMENTED_IMAGE, imageId: TWO_IMAGES }), imageInfo({ ...DOCUMENTED_IMAGE, imageId: TWO_IMAGES })] } }],
  [OTHER_IMAGE, { body: { images: [imageInfo(DOCUMENTED_IMAGE)] } }],
  [PRIVATE_ELSEWHERE, { body: { images: [{ ...imageInfo({ ...DOCUMENTED_IMAGE, projectId: OTHER_PROJECT, imageId: PRIVATE_ELSEWHERE }), visibility: 'private' }] } }],
  [NOT_THERE, { status: 404, body: { error: { code: 'APIGW.0101', message: 'The API does not exist or has not been published.' } } }],
  [WITH_NULLS, { body: { images: [{ ...imageInfo({ ...DOCUMENTED_IMAGE, imageId: WITH_NULLS }), __os_bit: null, __support_kvm: null }] } }],
  [REFUSED, { status: 403, body: { error: { code: 'IMG.0003', message: 'The project does not have permission to query the image.' } } }],
  ...Object.values(VISIBILITY).map(({ id, visibility, owner }): [string, ImsAnswer] => {
    const { owner: _sandboxOwner, ...image } = imageInfo({ ...DOCUMENTED_IMAGE, imageId: id });
    return [id, { body: { images: [{ ...image, visibility, ...(owner !== undefined && { owner }) }] } }];
  }),
]);

/** Every field of Image, typed fields and metadata: what a client can read. */
const IMAGE_FIELDS = (() => {
  const image = createSchema().getType('Image');
  if (!isObjectType(image)) throw new Error('no Image type');
  return Object.values(image.getFields())
    .map((field) => (isObjectType(getNamedType(field.type)) ? `${field.name} { key value }` : field.name))
    .join(' ');
})();

let sandbox: Sandbox;
let ecs: TestApp;
let ims: TestApp;

beforeAll(async () => {
  sandbox = await startSandbox({ imsAnswers: IMS_ANSWERS });
  ecs = await appFor(sandbox.url);
  ims = await appFor(sandbox.url, { backend: { kind: 'ims' }, upstream: { retries: 1, retryBaseDelayMs: 1 } });
});

afterAll(async () => {
  await Promise.all([ecs.close(), ims.close()]);
  await sandbox.close();
});

/** The paths the sandbox was asked for by `run`, and what it answered. */
async function calls<T>(run: () => Promise<T>): Promise<{ answer: T; paths: string[] }> {
  const before = sandbox.requests.length;
  const answer = await run();
  return { answer, paths: sandbox.requests.slice(before).map(({ path }) => path) };
}

type ImageAnswer = Record<string, unknown> & { metadata: Array<{ key: string; value: string }> };

describe('IMAGE_BACKEND=ims answers exactly as ecs, field by field', () => {
  it.each(SAMPLE_IMAGES.map((image) => [image.imageId, image] as const))('image %s', async (_id, sample) => {
    const query = `{ image(projectId: "${sample.projectId}", id: "${sample.imageId}") { ${IMAGE_FIELDS} } }`;
    const fromEcs = await calls(() => ecs.query(query));
    const fromIms = await calls(() => ims.query(query));
    expect(fromEcs.paths).toEqual([`/v2.1/${sample.projectId}/images/${sample.imageId}/metadata`]);
    expect(fromIms.paths).toEqual([`/v2/cloudimages?id=${sample.imageId}`]);
    expect(fromEcs.answer.body.errors).toBeUndefined();
    expect(fromIms.answer.body.errors).toBeUndefined();

    const { metadata: ecsMetadata, ...ecsTyped } = fromEcs.answer.body.data!['image'] as ImageAnswer;
    const { metadata: imsMetadata, ...imsTyped } = fromIms.answer.body.data!['image'] as ImageAnswer;
    expect(imsTyped).toEqual(ecsTyped);
    // Every entry IMS has a member for, in the same order; user-defined keys alone are absent.
    const carried = (key: string) => key.startsWith('__') || key.startsWith('hw_') || key === 'virtual_env_type';
    expect(imsMetadata).toEqual(ecsMetadata.filter(({ key }) => carried(key)));
    expect(ecsMetadata.filter(({ key }) => !carried(key)).map(({ key }) => key)).toEqual(sample.imageId === 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f' ? ['team', 'cost-center', '1'] : []);
  });
});

describe('the IMS backend', () => {
  it('reads an empty list as an image that does not exist: null, no error', async () => {
    const { answer, paths } = await calls(() => ims.query(`{ image(projectId: "${P}", id: "00000000-0000-4000-8000-00000000dead") { id } }`));
    expect(answer.body).toEqual({ data: { image: null } });
    expect(paths).toEqual(['/v2/cloudimages?id=00000000-0000-4000-8000-00000000dead']);
  });

  it.each([
    [TWO_IMAGES, 'IMS sent 2 images for one id.'],
    [OTHER_IMAGE, `IMS sent image ${DOC} when ${OTHER_IMAGE} was asked for.`],
  ])('refuses an answer that is not the one image asked for (%s) as UPSTREAM_BAD_RESPONSE', async (id, message) => {
    const { answer, paths } = await calls(() => ims.query(`{ image(projectId: "${P}", id: "${id}") { id } }`));
    expect(answer.body.data).toEqual({ image: null });
    expect(answer.body.errors).toEqual([expect.objectContaining({ message, path: ['image'], extensions: expect.objectContaining({ code: 'UPSTREAM_BAD_RESPONSE' }) })]);
    expect(paths).toHaveLength(1);
  });

  it('reads a member that is null as absent, as ECS leaves out what an image does not have', async () => {
    const { answer } = await calls(() => ims.query(`{ image(projectId: "${P}", id: "${WITH_NULLS}") { osBit supportKvm metadata { key value } } }`));
    expect(answer.body).toEqual({
      data: { image: { osBit: null, supportKvm: false, metadata: DOCUMENTED_IMAGE.metadata.filter(([key]) => key !== '__os_bit').map(([key, value]) => ({ key, value })) } },
    });
  });

  it('asks in the project of the query (X-Project-Id), and reads a private image of another project as not there, as ecs does', async () => {
    const query = `{ here: image(projectId: "${OTHER_PROJECT}", id: "${DOC}") { id } private: image(projectId: "${P}", id: "${PRIVATE_ELSEWHERE}") { id } }`;
    const before = sandbox.requests.length;
    const fromIms = await ims.query(query, { headers: { 'x-auth-token': 'a-token' } });
    expect(fromIms.body).toEqual({ data: { here: null, private: null } });
    expect(sandbox.requests.slice(before).map(({ path, headers }) => [path, headers['x-project-id'], headers['x-auth-token']])).toEqual([
      [`/v2/cloudimages?id=${DOC}`, OTHER_PROJECT, 'a-token'],
      [`/v2/cloudimages?id=${PRIVATE_ELSEWHERE}`, P, 'a-token'],
    ]);
    expect((await ecs.query(`{ here: image(projectId: "${OTHER_PROJECT}", id: "${DOC}") { id } }`)).body).toEqual({ data: { here: null } });
  });

  it('serves an image that is not public only in the project that owns it, whatever the case of its visibility and owner', async () => {
    const query = Object.entries(VISIBILITY)
      .map(([name, { id }]) => `${name}: image(projectId: "${P}", id: "${id}") { id }`)
      .join(' ');
    const { body } = await ims.query(`{ ${query} }`);
    expect(body).toEqual({ data: Object.fromEntries(Object.entries(VISIBILITY).map(([name, { id, served }]) => [name, served ? { id } : null])) });
  });

  it('maps IMS error bodies to the same error contract, with extensions.upstream', async () => {
    const { answer, paths } = await calls(() => ims.query(`{ image(projectId: "${P}", id: "${REFUSED}") { id } }`));
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        message: 'IMS refused access to this image.',
        extensions: { code: 'FORBIDDEN', upstream: { status: 403, code: 'IMG.0003', message: 'The project does not have permission to query the image.', requestId: expect.stringMatching(/^[0-9a-f]{32}$/) } },
      }),
    ]);
    expect(paths).toHaveLength(1);
  });

  it('has the same faults, retries and codes as ecs', async () => {
    const ids = [FAULTS.error.imageId, FAULTS.unauthorized.imageId, FAULTS.errorOnce.imageId, FAULTS.truncated.imageId, FAULTS.notFound.imageId];
    const query = `{ images(projectId: "${P}", ids: ${JSON.stringify(ids)}) { id } }`;
    const codes = (body: { errors?: Array<{ path?: unknown; extensions?: Record<string, unknown> }> }) => body.errors?.map(({ path, extensions }) => [path, extensions?.['code']]);
    const fromEcs = await calls(() => appFor(sandbox.url, { upstream: { retries: 1, retryBaseDelayMs: 1 } }).then(async (app) => {
      try {
        return await app.query(query);
      } finally {
        await app.close();
      }
    }));
    const fromIms = await calls(() => ims.query(query));
    expect(fromIms.answer.body.data).toEqual(fromEcs.answer.body.data);
    expect(fromIms.answer.body.data).toEqual({ images: [null, null, { id: FAULTS.errorOnce.imageId }, null, null] });
    expect(codes(fromIms.answer.body)).toEqual(codes(fromEcs.answer.body));
    expect(codes(fromIms.answer.body)).toEqual([
      [['images', 0], 'UPSTREAM_UNAVAILABLE'],
      [['images', 1], 'UNAUTHENTICATED'],
      [['images', 3], 'UPSTREAM_BAD_RESPONSE'],
    ]);
    // One retry for the two 500s (error, errorOnce), none for the others.
    expect(fromIms.paths.filter((path) => path.startsWith('/v2/cloudimages'))).toHaveLength(7);
    expect(fromEcs.paths.filter((path) => path.startsWith('/v2.1/'))).toHaveLength(7);
  });

  it('labels its metrics with the backend', async () => {
    const calls = async () => (await scrape(ims.app)).value('ecs_image_graph_upstream_requests_total', { backend: 'ims', outcome: '200' });
    const before = await calls();
    await ims.query(`{ image(projectId: "${P}", id: "${DOC}") { id } }`);
    expect((await calls()) - before).toBe(1);
    const metrics = await scrape(ims.app);
    expect(new Set(metrics.labelSets('ecs_image_graph_upstream_requests_total').map(({ backend }) => backend))).toEqual(new Set(['ims']));
    expect(metrics.labelSets('ecs_image_graph_upstream_circuit_state')).toEqual([{ backend: 'ims' }]);
    expect(metrics.value('ecs_image_graph_upstream_circuit_state', { backend: 'ims' })).toBe(0);
  });

  it('reads a 404 as a failure, not as a missing image: IMS says "none" with an empty list', async () => {
    const { answer, paths } = await calls(() => ims.query(`{ image(projectId: "${P}", id: "${NOT_THERE}") { id } }`));
    expect(answer.body.data).toEqual({ image: null });
    expect(answer.body.errors?.map(({ path, extensions }) => [path, extensions?.['code']])).toEqual([[['image'], 'INTERNAL_SERVER_ERROR']]);
    expect(paths).toEqual([`/v2/cloudimages?id=${NOT_THERE}`]);
  });

  it('in service mode signs the query string and names the project in X-Project-Id', async () => {
    const key = { accessKey: 'AKSANDBOX', secretKey: 'sk-sandbox-secret' };
    const signing = await startSandbox({ accessKeys: [key] });
    const app = await appFor(signing.url, {
      backend: { kind: 'ims' },
      callers: { auth: { mode: 'service', ...key, securityToken: undefined, allowedProjectIds: new Set([P, '0f1e2d3c4b5a69788796a5b4c3d2e1f0']), callers: { kind: 'network' } } },
    });
    try {
      const { body } = await app.query(`{ found: image(projectId: "${P}", id: "${DOC}") { id osType } elsewhere: image(projectId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", id: "${DOC}") { id } }`);
      expect(body).toEqual({ data: { found: { id: DOC, osType: 'LINUX' }, elsewhere: null } });
      expect(signing.requests.map(({ path, headers }) => [path, headers['x-project-id'], typeof headers['authorization']])).toEqual([
        [`/v2/cloudimages?id=${DOC}`, P, 'string'],
        [`/v2/cloudimages?id=${DOC}`, '0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'string'],
      ]);
    } finally {
      await app.close();
      await signing.close();
    }
  });
});
