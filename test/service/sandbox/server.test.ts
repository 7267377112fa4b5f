import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTED_IMAGE } from '../../../src/sandbox/samples.js';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.js';
import { metadataPath } from '../../helpers/stack.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') {
  const response = await request(new URL(path, sandbox.url), { method, headers });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

const DOC_PATH = metadataPath(DOCUMENTED_IMAGE.projectId, DOCUMENTED_IMAGE.imageId);

describe('sandbox of the legacy endpoint', () => {
  it('answers the documented example exactly as the original page shows it, with no token', async () => {
    const { status, headers, body } = await get(DOC_PATH);
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json; charset=utf-8');
    expect(headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(body)).toEqual({
      metadata: {
        __os_version: 'Suse Linux Enterprise 12.2 64bit',
        __image_source_type: 'uds',
        __imagetype: 'gold',
        __os_bit: '64',
        __os_type: 'Suse',
        __isregistered: 'true',
        __image_location: '192.168.80.11:5080:pcsimsbeta:suse12.2-addx710-05-11',
        virtual_env_type: 'Ironic',
        __platform: 'Suse',
        __support_o3s: 'true',
      },
    });
  });

  it('answers a missing image with the Nova-style 404 body', async () => {
    const { status, body } = await get(metadataPath(DOCUMENTED_IMAGE.projectId, '00000000-0000-4000-8000-000000000000'));
    expect(status).toBe(404);
    expect(JSON.parse(body)).toEqual({ itemNotFound: { code: 404, message: 'Image not found.' } });
  });

  it('hides the image proxy from microversion 2.39 on, as Nova does', async () => {
    expect((await get(DOC_PATH, { 'x-openstack-nova-api-version': '2.38' })).status).toBe(200);
    expect((await get(DOC_PATH, { 'x-openstack-nova-api-version': '2.39' })).status).toBe(404);
    expect((await get(DOC_PATH, { 'openstack-api-version': 'compute 2.90' })).status).toBe(404);
    expect((await get(DOC_PATH, { 'x-openstack-nova-api-version': 'latest' })).status).toBe(404);
  });

  it('answers other paths and methods as Nova would', async () => {
    expect(await get('/v2.1/servers')).toMatchObject({ status: 404 });
    const post = await get(DOC_PATH, {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET');
    expect(JSON.parse(post.body)).toEqual({ badMethod: { code: 405, message: 'The method is not allowed for the requested URL.' } });
  });

  it('records every request for tests to assert on', async () => {
    sandbox.requests.length = 0;
    await get(DOC_PATH, { 'x-auth-token': 'abc' });
    expect(sandbox.requests).toHaveLength(1);
    expect(sandbox.requests[0]).toMatchObject({ method: 'GET', path: DOC_PATH, headers: { 'x-auth-token': 'abc' } });
  });
});
