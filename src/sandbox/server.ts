import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SAMPLE_IMAGES, type SampleImage, type SampleMetadata } from './samples.js';

/**
 * A local implementation of the legacy endpoint `GET /v2.1/{project_id}/images/{image_id}/metadata`: the
 * same path, JSON and Nova-style error bodies. `npm start` uses it when no `ECS_ENDPOINT` is set, and the
 * tests use it as their upstream. It needs no token.
 */
export interface SandboxOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  readonly images?: readonly SampleImage[];
}

/** One request as the sandbox saw it, for tests to assert on. */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Sandbox {
  /** The base URL to use as `ECS_ENDPOINT`. */
  readonly url: URL;
  /** Every request received, oldest first. */
  readonly requests: SandboxRequest[];
  close(): Promise<void>;
}

const METADATA_PATH = /^\/v2\.1\/([^/]+)\/images\/([^/]+)\/metadata$/;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const images = new Map((options.images ?? SAMPLE_IMAGES).map((image) => [`${image.projectId}/${image.imageId}`, image]));
  const requests: SandboxRequest[] = [];

  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push({ method: request.method ?? '', path, headers: request.headers });
    response.setHeader('x-request-id', randomUUID().replaceAll('-', ''));
    route(request, path, response);
  });

  function route(request: IncomingMessage, path: string, response: ServerResponse): void {
    const match = METADATA_PATH.exec(path);
    if (!match) return sendJson(response, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      return sendJson(response, 405, { badMethod: { code: 405, message: 'The method is not allowed for the requested URL.' } });
    }
    // Nova removed the image proxy API from microversion 2.39 on; a client that asks for it gets a 404.
    if (asksForMicroversion239OrLater(request.headers)) {
      return sendJson(response, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    }
    const image = images.get(`${match[1]}/${match[2]}`);
    if (!image) return sendJson(response, 404, { itemNotFound: { code: 404, message: 'Image not found.' } });
    sendText(response, 200, metadataBody(image.metadata));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: new URL(`http://${host}:${port}`),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serialised by hand so that keys keep their order, integer-like ones included. */
export function metadataBody(metadata: SampleMetadata): string {
  const members = metadata.map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `{"metadata": {${members.join(', ')}}}`;
}

/** Whether a request asks for Nova microversion 2.39 or later, in either header Nova accepts. */
function asksForMicroversion239OrLater(headers: IncomingHttpHeaders): boolean {
  const legacy = headers['x-openstack-nova-api-version'];
  const modern = /compute\s+(\S+)/i.exec(String(headers['openstack-api-version'] ?? ''))?.[1];
  const version = String(legacy ?? modern ?? '2.1').toLowerCase();
  if (version === 'latest') return true;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 39);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body));
}

function sendText(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
