import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE, SAMPLE_PROJECT_ID } from '../../src/sandbox/samples.js';
import { metadataPath, startStack, type Stack } from '../helpers/stack.js';

const P = SAMPLE_PROJECT_ID;
const DOC = DOCUMENTED_IMAGE.imageId;
const WINDOWS = '3b6e2f1a-7c4d-4e8f-9a0b-1c2d3e4f5a6b';
const UBUNTU = 'a2f7c9e1-5b3d-4c6a-8e9f-0d1c2b3a4e5f';
const MISSING = '00000000-0000-4000-8000-000000000000';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ limits: { imagesMaxIds: 5 } });
});
afterAll(() => stack.close());

/** Runs an operation against a fresh upstream log, returning the answer and the upstream paths it cost. */
async function run(query: string, options?: Parameters<Stack['query']>[1]) {
  stack.sandbox.requests.length = 0;
  const response = await stack.query(query, options);
  return { ...response, upstream: stack.upstreamPaths() };
}

describe('image', () => {
  it('returns the documented example losslessly, in upstream order, with its typed reading', async () => {
    const { status, body, upstream } = await run(`{
      image(projectId: "${P}", id: "${DOC}") {
        projectId id osType osBit platform osVersion imageType isRegistered imageSourceType imageLocation
        virtualEnvType supportO3s supportKvm supportArm imageSize
        metadata { key value }
      }
    }`);
    expect(status).toBe(200);
    expect(body).toEqual({
      data: {
        image: {
          projectId: P,
          id: DOC,
          osType: 'LINUX',
          osBit: 64,
          platform: 'SUSE',
          osVersion: 'Suse Linux Enterprise 12.2 64bit',
          imageType: 'GOLD',
          isRegistered: true,
          imageSourceType: 'UDS',
          imageLocation: '192.168.80.11:5080:pcsimsbeta:suse12.2-addx710-05-11',
          virtualEnvType: 'IRONIC',
          supportO3s: true,
          supportKvm: false,
          supportArm: null,
          imageSize: null,
          metadata: [
            { key: '__os_version', value: 'Suse Linux Enterprise 12.2 64bit' },
            { key: '__image_source_type', value: 'uds' },
            { key: '__imagetype', value: 'gold' },
            { key: '__os_bit', value: '64' },
            { key: '__os_type', value: 'Suse' },
            { key: '__isregistered', value: 'true' },
            { key: '__image_location', value: '192.168.80.11:5080:pcsimsbeta:suse12.2-addx710-05-11' },
            { key: 'virtual_env_type', value: 'Ironic' },
            { key: '__platform', value: 'Suse' },
            { key: '__support_o3s', value: 'true' },
          ],
        },
      },
    });
    expect(upstream).toEqual([metadataPath(P, DOC)]);
  });

  it('keeps user-defined keys, an integer-like key last as sent', async () => {
    const { body } = await run(`{ image(projectId: "${P}", id: "${UBUNTU}") { metadata { key value } } }`);
    const metadata = (body.data?.['image'] as { metadata: Array<{ key: string; value: string }> }).metadata;
    expect(metadata.slice(-4)).toEqual([
      { key: 'virtual_env_type', value: 'FusionCompute' },
      { key: 'team', value: 'payments' },
      { key: 'cost-center', value: 'CC-1042' },
      { key: '1', value: 'an integer-like user key, sent last' },
    ]);
    expect(metadata).toHaveLength(20);
  });

  it('is null, with no error, for an image that does not exist', async () => {
    const { body, upstream } = await run(`{ image(projectId: "${P}", id: "${MISSING}") { id } }`);
    expect(body).toEqual({ data: { image: null } });
    expect(upstream).toEqual([metadataPath(P, MISSING)]);
  });

  it('canonicalises upper-case ids, so both spellings share one call', async () => {
    const { body, upstream } = await run(`{
      a: image(projectId: "${P.toUpperCase()}", id: "${DOC.toUpperCase()}") { projectId id }
      b: image(projectId: "${P}", id: "${DOC}") { id }
    }`);
    expect(body).toEqual({ data: { a: { projectId: P, id: DOC }, b: { id: DOC } } });
    expect(upstream).toEqual([metadataPath(P, DOC)]);
  });
});

describe('one upstream call per distinct image per operation', () => {
  it('aliases of the same image cost one call', async () => {
    const { body, upstream } = await run(`{
      a: image(projectId: "${P}", id: "${DOC}") { osType }
      b: image(projectId: "${P}", id: "${DOC}") { osBit }
      c: image(projectId: "${P}", id: "${WINDOWS}") { osType }
      d: image(projectId: "${P}", id: "${WINDOWS}") { platform }
    }`);
    expect(body).toEqual({ data: { a: { osType: 'LINUX' }, b: { osBit: 64 }, c: { osType: 'WINDOWS' }, d: { platform: 'WINDOWS' } } });
    expect(upstream.sort()).toEqual([metadataPath(P, WINDOWS), metadataPath(P, DOC)].sort());
  });

  it('repeated ids in an images list cost one call each, answers in the order of ids', async () => {
    const { body, upstream } = await run(`{
      images(projectId: "${P}", ids: ["${DOC}", "${MISSING}", "${WINDOWS}", "${DOC}", "${MISSING}"]) { id osType }
    }`);
    expect(body).toEqual({
      data: { images: [{ id: DOC, osType: 'LINUX' }, null, { id: WINDOWS, osType: 'WINDOWS' }, { id: DOC, osType: 'LINUX' }, null] },
    });
    expect(upstream.sort()).toEqual([metadataPath(P, MISSING), metadataPath(P, WINDOWS), metadataPath(P, DOC)].sort());
  });

  it('image, images and fragments over the same images share the calls', async () => {
    const { body, upstream } = await run(`
      query Mixed {
        one: image(projectId: "${P}", id: "${UBUNTU}") { ...Basics }
        many: images(projectId: "${P}", ids: ["${UBUNTU}", "${DOC}"]) { ...Basics ... on Image { platform } }
        other: images(projectId: "${P}", ids: ["${DOC}"]) { ...Basics }
      }
      fragment Basics on Image { id osBit }
    `);
    expect(body).toEqual({
      data: {
        one: { id: UBUNTU, osBit: 64 },
        many: [{ id: UBUNTU, osBit: 64, platform: 'UBUNTU' }, { id: DOC, osBit: 64, platform: 'SUSE' }],
        other: [{ id: DOC, osBit: 64 }],
      },
    });
    expect(upstream.sort()).toEqual([metadataPath(P, UBUNTU), metadataPath(P, DOC)].sort());
  });

  it('does not share loaders between operations', async () => {
    stack.sandbox.requests.length = 0;
    const query = `{ image(projectId: "${P}", id: "${DOC}") { id } }`;
    await stack.query(query);
    await stack.query(query);
    expect(stack.upstreamPaths()).toEqual([metadataPath(P, DOC), metadataPath(P, DOC)]);
  });
});

describe('invalid input makes no upstream call', () => {
  it.each([
    ['a traversal project id', '../../servers', DOC, 'projectId'],
    ['a percent-encoded project id', '%2e%2e%2f%2e%2e%2fservers', DOC, 'projectId'],
    ['an empty project id', '', DOC, 'projectId'],
    ['a 5 000 character project id', 'a'.repeat(5000), DOC, 'projectId'],
    ['a traversal image id', P, '../../../servers/detail', 'id'],
    ['a percent-encoded image id', P, '..%2F..%2Fservers%3Fx%3D', 'id'],
    ['an empty image id', P, '', 'id'],
    ['a 5 000 character image id', P, 'f'.repeat(5000), 'id'],
  ])('%s is BAD_USER_INPUT', async (_name, projectId, id, argumentName) => {
    const { status, body, upstream } = await run(
      `query ($projectId: ID!, $id: ID!) { image(projectId: $projectId, id: $id) { id } ok: image(projectId: "${P}", id: "${DOC}") { id } }`,
      { variables: { projectId, id } },
    );
    expect(status).toBe(200);
    const message =
      argumentName === 'projectId'
        ? 'projectId must be a project id: 32 hexadecimal characters.'
        : 'id must be an image id: a UUID such as 17a1890b-0fa4-485e-8505-14e294017988.';
    expect(body).toEqual({
      data: { image: null, ok: { id: DOC } },
      errors: [{ message, locations: [{ line: 1, column: 37 }], path: ['image'], extensions: { code: 'BAD_USER_INPUT', argumentName } }],
    });
    expect(upstream).toEqual([metadataPath(P, DOC)]);
  });

  it('an invalid id anywhere in ids refuses the whole field', async () => {
    const { body, upstream } = await run(`{ images(projectId: "${P}", ids: ["${DOC}", "../x"]) { id } }`);
    expect(body).toEqual({
      data: null,
      errors: [
        {
          message: 'ids[1] must be an image id: a UUID such as 17a1890b-0fa4-485e-8505-14e294017988.',
          locations: [{ line: 1, column: 3 }],
          path: ['images'],
          extensions: { code: 'BAD_USER_INPUT', argumentName: 'ids' },
        },
      ],
    });
    expect(upstream).toEqual([]);
  });

  it('more ids than the configured maximum is refused before any call; the maximum itself is fine', async () => {
    const six = await run(`{ images(projectId: "${P}", ids: ["${DOC}", "${DOC}", "${DOC}", "${DOC}", "${DOC}", "${DOC}"]) { id } }`);
    expect(six.body).toEqual({
      data: null,
      errors: [
        {
          message: 'ids holds 6 ids; at most 5 are allowed in one images field.',
          locations: [{ line: 1, column: 3 }],
          path: ['images'],
          extensions: { code: 'BAD_USER_INPUT', argumentName: 'ids' },
        },
      ],
    });
    expect(six.upstream).toEqual([]);
    const five = await run(`{ images(projectId: "${P}", ids: ["${DOC}", "${DOC}", "${DOC}", "${DOC}", "${WINDOWS}"]) { id } }`);
    expect(five.body).toEqual({ data: { images: [{ id: DOC }, { id: DOC }, { id: DOC }, { id: DOC }, { id: WINDOWS }] } });
    expect(five.upstream).toHaveLength(2);
  });
});

describe('what the upstream is sent', () => {
  it("forwards the caller's X-Auth-Token and asks for no microversion", async () => {
    const { upstream } = await run(`{ image(projectId: "${P}", id: "${DOC}") { id } }`, { headers: { 'x-auth-token': 'MIIZ-test-token' } });
    expect(upstream).toEqual([metadataPath(P, DOC)]);
    const [request] = stack.sandbox.requests;
    expect(request?.method).toBe('GET');
    expect(request?.headers['x-auth-token']).toBe('MIIZ-test-token');
    expect(request?.headers['x-openstack-nova-api-version']).toBeUndefined();
    expect(request?.headers['openstack-api-version']).toBeUndefined();
  });

  it('sends no X-Auth-Token when the caller sent none', async () => {
    await run(`{ image(projectId: "${P}", id: "${DOC}") { id } }`);
    expect(stack.sandbox.requests[0]?.headers['x-auth-token']).toBeUndefined();
  });
});
